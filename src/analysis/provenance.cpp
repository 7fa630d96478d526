// Register provenance through Capstone's detail mode: from the faulting operand back to its source.
#include "kdx/analysis/provenance.hpp"

#include <capstone/capstone.h>

#include <algorithm>
#include <memory>

namespace kdx::analysis {
namespace {

struct CsHandle {
  csh h = 0;
  ~CsHandle() {
    if (h) cs_close(&h);
  }
};
struct CsInsns {
  cs_insn* p = nullptr;
  size_t n = 0;
  ~CsInsns() {
    if (p) cs_free(p, n);
  }
};

const char* kX86Args[] = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"};

std::optional<int> argument_index(std::string_view arch, const std::string& reg) {
  if (arch == "x86_64") {
    for (int i = 0; i < 6; i++)
      if (reg == kX86Args[i]) return i + 1;
  } else if (reg.size() == 2 && reg[0] == 'x' && reg[1] >= '0' && reg[1] <= '7') {
    return reg[1] - '0' + 1;
  }
  return std::nullopt;
}

struct MemOperand {
  std::string base, index;
  int64_t disp = 0;
  int scale = 1;
  bool found = false;
  std::string access;
};

MemOperand memory_operand(std::string_view arch, csh h, const cs_insn& in) {
  MemOperand m;
  if (arch == "x86_64") {
    const cs_x86& x = in.detail->x86;
    for (int i = 0; i < x.op_count; i++) {
      const cs_x86_op& op = x.operands[i];
      if (op.type != X86_OP_MEM) continue;
      // lea computes an address without touching memory.
      if (in.id == X86_INS_LEA) continue;
      m.found = true;
      if (op.mem.base != X86_REG_INVALID && op.mem.base != X86_REG_RIP)
        m.base = canonical_register(arch, cs_reg_name(h, op.mem.base));
      if (op.mem.index != X86_REG_INVALID) m.index = canonical_register(arch, cs_reg_name(h, op.mem.index));
      m.disp = op.mem.disp;
      m.scale = op.mem.scale;
      bool rd = op.access & CS_AC_READ, wr = op.access & CS_AC_WRITE;
      m.access = rd && wr ? "read-write" : wr ? "write" : "read";
      break;
    }
  } else {
    const cs_arm64& a = in.detail->arm64;
    for (int i = 0; i < a.op_count; i++) {
      const cs_arm64_op& op = a.operands[i];
      if (op.type != ARM64_OP_MEM) continue;
      m.found = true;
      if (op.mem.base != ARM64_REG_INVALID) m.base = canonical_register(arch, cs_reg_name(h, op.mem.base));
      if (op.mem.index != ARM64_REG_INVALID) m.index = canonical_register(arch, cs_reg_name(h, op.mem.index));
      m.disp = op.mem.disp;
      // Capstone 4 does not mark arm64 memory operands' access; the mnemonic says it.
      std::string_view mn = in.mnemonic;
      m.access = mn.starts_with("st") ? "write" : (mn.starts_with("ld") ? "read" : "read-write");
      if (mn.starts_with("ldadd") || mn.starts_with("swp") || mn.starts_with("cas") || mn.starts_with("ldset") ||
          mn.starts_with("ldclr"))
        m.access = "read-write";
      break;
    }
  }
  return m;
}

std::string insn_text(const cs_insn& in) {
  std::string s = in.mnemonic;
  if (in.op_str[0]) s += std::string(" ") + in.op_str;
  return s;
}

std::vector<std::string> written_registers(std::string_view arch, csh h, const cs_insn& in) {
  cs_regs rd, wr;
  uint8_t nr = 0, nw = 0;
  std::vector<std::string> out;
  if (cs_regs_access(h, &in, rd, &nr, wr, &nw) != CS_ERR_OK) return out;
  for (int i = 0; i < nw; i++) out.push_back(canonical_register(arch, cs_reg_name(h, wr[i])));
  // Capstone 4 misses the destination of some arm64 loads in regs_access; add written
  // register operands explicitly (the first operand of a load/mov/arith instruction).
  if (arch == "arm64") {
    const cs_arm64& a = in.detail->arm64;
    std::string_view mn = in.mnemonic;
    bool writes_first = !(mn.starts_with("st") || mn.starts_with("cmp") || mn.starts_with("cmn") ||
                          mn.starts_with("tst") || mn.starts_with("b") || mn.starts_with("ret") ||
                          mn.starts_with("cb") || mn.starts_with("tb") || mn.starts_with("prfm"));
    if (writes_first && a.op_count > 0 && a.operands[0].type == ARM64_OP_REG)
      out.push_back(canonical_register(arch, cs_reg_name(h, a.operands[0].reg)));
    if (mn.starts_with("ldp") && a.op_count > 1 && a.operands[1].type == ARM64_OP_REG)
      out.push_back(canonical_register(arch, cs_reg_name(h, a.operands[1].reg)));
  }
  return out;
}

// Describes where instruction `in` got the value it wrote to `reg`, and which register (if any)
// the trace should follow next.
std::string describe_source(std::string_view arch, csh h, const cs_insn& in, const std::string& reg,
                            std::string& follow) {
  follow.clear();
  MemOperand m = memory_operand(arch, h, in);
  if (m.found && (m.access == "read" || m.access == "read-write")) {
    std::string addr = m.base.empty() ? "" : m.base;
    if (!m.index.empty()) addr += (addr.empty() ? "" : " + ") + m.index + (m.scale > 1 ? "*" + std::to_string(m.scale) : "");
    if (m.disp) addr += fmt::format(" {} {:#x}", m.disp < 0 ? "-" : "+", m.disp < 0 ? -uint64_t(m.disp) : uint64_t(m.disp));
    if (addr.empty() || addr[0] == ' ') addr = (addr.empty() ? "absolute" : "abs") + addr;
    follow = m.base;
    return "loaded from memory at [" + addr + "]";
  }
  std::string_view mn = in.mnemonic;
  // A register-to-register copy: follow the source.
  if (arch == "x86_64" && (mn == "mov" || mn == "movq") && in.detail->x86.op_count == 2 &&
      in.detail->x86.operands[1].type == X86_OP_REG) {
    follow = canonical_register(arch, cs_reg_name(h, in.detail->x86.operands[1].reg));
    return "copied from " + follow;
  }
  if (arch == "arm64" && mn == "mov" && in.detail->arm64.op_count == 2 && in.detail->arm64.operands[1].type == ARM64_OP_REG) {
    follow = canonical_register(arch, cs_reg_name(h, in.detail->arm64.operands[1].reg));
    return "copied from " + follow;
  }
  if (arch == "x86_64" && mn == "lea") {
    const auto& op = in.detail->x86.operands[1];
    if (op.mem.base != X86_REG_INVALID && op.mem.base != X86_REG_RIP) follow = canonical_register(arch, cs_reg_name(h, op.mem.base));
    return "address computed by lea" + (follow.empty() ? std::string() : " from " + follow);
  }
  if (arch == "x86_64" && (mn == "mov" || mn == "movabs") && in.detail->x86.op_count == 2 &&
      in.detail->x86.operands[1].type == X86_OP_IMM)
    return fmt::format("immediate {:#x}", uint64_t(in.detail->x86.operands[1].imm));
  if (arch == "arm64" && (mn == "mov" || mn == "movz") && in.detail->arm64.op_count >= 2 &&
      in.detail->arm64.operands[1].type == ARM64_OP_IMM)
    return fmt::format("immediate {:#x}", uint64_t(in.detail->arm64.operands[1].imm));
  if (arch == "arm64" && (mn == "adrp" || mn == "adr"))
    return "address computed by " + std::string(mn) + " (pc-relative: a global object)";
  if ((arch == "x86_64" && (mn == "call" || mn.starts_with("call"))) || (arch == "arm64" && (mn == "bl" || mn == "blr")))
    return "return value of the call at this address";
  if (mn.starts_with("xor") && arch == "x86_64" && in.detail->x86.op_count == 2 &&
      in.detail->x86.operands[0].type == X86_OP_REG && in.detail->x86.operands[1].type == X86_OP_REG &&
      in.detail->x86.operands[0].reg == in.detail->x86.operands[1].reg)
    return "zeroed (xor with itself)";
  (void)reg;
  return "computed by this instruction";
}

// Follows reg backwards from instruction index `from` (exclusive) to its source.
void trace_chain(std::string_view arch, csh h, const cs_insn* ins, uint64_t code_start, size_t from, std::string reg,
                 const RegisterValues& regs, std::vector<ProvenanceStep>& chain) {
  const size_t fault_i = from;
  bool overwritten_since = false;  // once we step past a write, later values are not the fault-time ones
  size_t i = from;
  for (int depth = 0; depth < 8 && !reg.empty(); depth++) {
    size_t w = i;
    bool found = false;
    while (w-- > 0) {
      auto ws = written_registers(arch, h, ins[w]);
      if (std::find(ws.begin(), ws.end(), reg) != ws.end()) {
        found = true;
        break;
      }
    }
    if (!found) {
      ProvenanceStep s;
      s.address = code_start;
      s.reg = reg;
      if (auto a = argument_index(arch, reg))
        s.source = fmt::format("not written in this function before the fault: argument {} ({})", *a, reg);
      else
        s.source = "not written in this function before the fault (callee-saved or set by the caller)";
      if (!overwritten_since)
        if (auto it = regs.find(reg); it != regs.end()) s.value = it->second;
      chain.push_back(s);
      break;
    }
    ProvenanceStep s;
    s.address = ins[w].address;
    s.insn = insn_text(ins[w]);
    s.reg = reg;
    std::string follow;
    s.source = describe_source(arch, h, ins[w], reg, follow);
    if (!overwritten_since)
      if (auto it = regs.find(reg); it != regs.end()) s.value = it->second;
    chain.push_back(s);
    // The source register's value at the fault is only meaningful if nothing wrote it in between.
    if (!follow.empty()) {
      for (size_t k = w + 1; k < fault_i && !overwritten_since; k++) {
        auto ws = written_registers(arch, h, ins[k]);
        if (std::find(ws.begin(), ws.end(), follow) != ws.end()) overwritten_since = true;
      }
    }
    reg = follow;
    i = w;
  }
}

}  // namespace

std::string canonical_register(std::string_view arch, std::string_view name) {
  std::string n(name);
  if (arch == "arm64") {
    if (n.size() >= 2 && n[0] == 'w' && isdigit(static_cast<unsigned char>(n[1]))) n[0] = 'x';
    if (n == "x29") return "x29";
    if (n == "wsp") return "sp";
    return n;
  }
  // x86: r8d/r8w/r8b -> r8; eax/ax/al/ah -> rax; esi/si/sil -> rsi; ...
  if (n.size() >= 2 && n[0] == 'r' && isdigit(static_cast<unsigned char>(n[1]))) {
    while (!n.empty() && !isdigit(static_cast<unsigned char>(n.back()))) n.pop_back();
    return n;
  }
  static const std::map<std::string, std::string> k = {
      {"eax", "rax"}, {"ax", "rax"}, {"al", "rax"}, {"ah", "rax"}, {"ebx", "rbx"}, {"bx", "rbx"}, {"bl", "rbx"},
      {"bh", "rbx"}, {"ecx", "rcx"}, {"cx", "rcx"}, {"cl", "rcx"}, {"ch", "rcx"}, {"edx", "rdx"}, {"dx", "rdx"},
      {"dl", "rdx"}, {"dh", "rdx"}, {"esi", "rsi"}, {"si", "rsi"}, {"sil", "rsi"}, {"edi", "rdi"}, {"di", "rdi"},
      {"dil", "rdi"}, {"ebp", "rbp"}, {"bp", "rbp"}, {"bpl", "rbp"}, {"esp", "rsp"}, {"sp", "rsp"}, {"spl", "rsp"}};
  auto it = k.find(n);
  return it == k.end() ? n : it->second;
}

Result<Provenance> trace_register_provenance(std::string_view arch, std::span<const uint8_t> code, uint64_t code_start,
                                             uint64_t fault_pc, const RegisterValues& regs) {
  CsHandle cs;
  cs_err err;
  if (arch == "x86_64")
    err = cs_open(CS_ARCH_X86, CS_MODE_64, &cs.h);
  else if (arch == "arm64")
    err = cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &cs.h);
  else
    return make_error(ErrorCode::Unsupported, "register provenance: unsupported architecture '{}'", arch);
  if (err != CS_ERR_OK) return make_error(ErrorCode::Unsupported, "capstone: {}", cs_strerror(err));
  cs_option(cs.h, CS_OPT_DETAIL, CS_OPT_ON);
  if (fault_pc < code_start || fault_pc - code_start >= code.size())
    return error_at_address(ErrorCode::Format, fault_pc, "faulting pc is outside the code given");
  CsInsns ins;
  ins.n = cs_disasm(cs.h, code.data(), code.size(), code_start, 0, &ins.p);
  size_t fault_i = ins.n;
  for (size_t i = 0; i < ins.n; i++)
    if (ins.p[i].address == fault_pc) fault_i = i;
  if (fault_i == ins.n)
    return error_at_address(ErrorCode::Format, fault_pc,
                            fmt::format("no instruction starts at the faulting pc in a linear disassembly from {:#x}", code_start));
  Provenance p;
  const cs_insn& f = ins.p[fault_i];
  p.fault_pc = fault_pc;
  p.fault_insn = insn_text(f);
  MemOperand m = memory_operand(arch, cs.h, f);
  if (!m.found) {
    p.caveats.push_back("the faulting instruction has no memory operand");
    return p;
  }
  p.access = m.access;
  p.bad_register = m.base.empty() ? m.index : m.base;
  if (auto it = regs.find(p.bad_register); it != regs.end()) {
    p.bad_value = it->second;
    uint64_t ea = it->second + uint64_t(m.disp);
    if (!m.index.empty() && !m.base.empty()) {
      if (auto ix = regs.find(m.index); ix != regs.end()) ea += ix->second * uint64_t(m.scale);
      else p.caveats.push_back("index register " + m.index + " unknown: effective address is partial");
    }
    p.effective_address = ea;
  }
  trace_chain(arch, cs.h, ins.p, code_start, fault_i, p.bad_register, regs, p.chain);
  p.caveats.push_back("traced through a linear disassembly; jumps into this code from elsewhere were not followed");
  return p;
}

std::optional<std::string> explain_suspicious_value(std::string_view arch, uint64_t v) {
  // Poison values from include/linux/poison.h (POISON_POINTER_DELTA is 0xdead000000000000 on x86_64/arm64).
  if (v == 0xdead000000000100ull) return "LIST_POISON1: list entry already removed by list_del() (next pointer)";
  if (v == 0xdead000000000122ull) return "LIST_POISON2: list entry already removed by list_del() (prev pointer)";
  if (v == 0xdead000000000400ull) return "TIMER_ENTRY_STATIC poison";
  if ((v >> 48) == 0xdead) return "POISON_POINTER_DELTA-based poison value (a freed or deleted object's pointer)";
  if (v == 0x6b6b6b6b6b6b6b6bull) return "slab POISON_FREE (0x6b): read from freed slab memory (use-after-free)";
  if (v == 0x5a5a5a5a5a5a5a5aull) return "slab POISON_INUSE (0x5a): uninitialised slab object";
  if (v == 0xa5a5a5a5a5a5a5a5ull) return "POISON_END pattern";
  if (v == 0xcccccccccccccccc) return "0xcc fill: uninitialised memory or init_on_free pattern";
  if ((v & 0xffffffff00000000ull) == 0x6b6b6b6b00000000ull) return "upper half is slab POISON_FREE (0x6b): freed object";
  if (v < 0x10000) return v == 0 ? "NULL pointer" : fmt::format("NULL + {:#x}: a member of a NULL struct pointer", v);
  if (arch == "x86_64") {
    uint64_t top = v >> 47;
    if (top != 0 && top != 0x1ffff) return "non-canonical address (bits 63..47 differ): general protection fault, not a page fault";
  } else if (arch == "arm64") {
    uint16_t top = uint16_t(v >> 48);
    if (top != 0 && top != 0xffff) return "between the user and kernel address ranges (top bits neither all 0 nor all 1)";
  }
  return std::nullopt;
}

Result<std::vector<ProvenanceStep>> trace_register_before(std::string_view arch, std::span<const uint8_t> code,
                                                          uint64_t code_start, uint64_t pc, std::string_view reg,
                                                          const RegisterValues& regs) {
  CsHandle cs;
  cs_err err = arch == "x86_64" ? cs_open(CS_ARCH_X86, CS_MODE_64, &cs.h)
               : arch == "arm64" ? cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &cs.h)
                                 : CS_ERR_ARCH;
  if (err != CS_ERR_OK) return make_error(ErrorCode::Unsupported, "register provenance: unsupported architecture '{}'", arch);
  cs_option(cs.h, CS_OPT_DETAIL, CS_OPT_ON);
  CsInsns ins;
  ins.n = cs_disasm(cs.h, code.data(), code.size(), code_start, 0, &ins.p);
  for (size_t i = 0; i < ins.n; i++) {
    if (ins.p[i].address != pc) continue;
    std::vector<ProvenanceStep> chain;
    trace_chain(arch, cs.h, ins.p, code_start, i, canonical_register(arch, reg), regs, chain);
    return chain;
  }
  return error_at_address(ErrorCode::Format, pc, "no instruction starts at this address in a linear disassembly");
}

}  // namespace kdx::analysis
