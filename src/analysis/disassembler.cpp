// Capstone-backed linear disassembler shared by `dis` and the report.
#include "kdx/analysis/disassembler.hpp"

#include <capstone/capstone.h>

namespace kdx::analysis {

Result<std::vector<DisassembledInsn>> disassemble(std::string_view arch, std::span<const uint8_t> code, uint64_t address,
                                                  size_t max_insns) {
  csh h = 0;
  cs_err err;
  if (arch == "x86_64") err = cs_open(CS_ARCH_X86, CS_MODE_64, &h);
  else if (arch == "arm64") err = cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &h);
  else return make_error(ErrorCode::Unsupported, "no disassembler for architecture '{}'", arch);
  if (err != CS_ERR_OK) return make_error(ErrorCode::Unsupported, "capstone: {}", cs_strerror(err));
  std::vector<DisassembledInsn> out;
  cs_insn* insn = cs_malloc(h);
  const uint8_t* p = code.data();
  size_t left = code.size();
  uint64_t addr = address;
  while (out.size() < max_insns && cs_disasm_iter(h, &p, &left, &addr, insn)) {
    DisassembledInsn d;
    d.address = insn->address;
    d.size = insn->size;
    for (uint16_t i = 0; i < insn->size; i++) d.bytes += (i ? " " : "") + fmt::format("{:02x}", insn->bytes[i]);
    d.mnemonic = insn->mnemonic;
    d.text = insn->op_str[0] ? fmt::format("{} {}", insn->mnemonic, insn->op_str) : std::string(insn->mnemonic);
    out.push_back(std::move(d));
  }
  cs_free(insn, 1);
  cs_close(&h);
  return out;
}

}  // namespace kdx::analysis
