// Capstone disassembly of kernel code read from a dump, for `dis` and the report's faulting-code window.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/error.hpp"

namespace kdx::analysis {

struct DisassembledInsn {
  uint64_t address = 0;
  uint32_t size = 0;
  std::string bytes;     // "48 8b 43 08"
  std::string text;      // "mov rax, qword ptr [rbx + 8]"
  std::string mnemonic;
};

// Linear disassembly of code at address for arch "x86_64" or "arm64". Stops at the first byte
// that does not decode (the result then ends early; never fails for that). Fails with
// Unsupported for another arch.
Result<std::vector<DisassembledInsn>> disassemble(std::string_view arch, std::span<const uint8_t> code, uint64_t address,
                                                  size_t max_insns = 100000);

}  // namespace kdx::analysis
