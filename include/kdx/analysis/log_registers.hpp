// Parser of the register dump an oops prints to the console (x86_64 and arm64 formats).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kdx/analysis/provenance.hpp"

namespace kdx::analysis {

struct LoggedRegisters {
  std::string arch;               // "x86_64" or "arm64", from the format seen
  RegisterValues regs;            // canonical names: rax.. r15, rip, rsp, eflags, cr2 / x0..x30, sp, pc, lr
  std::string pc_symbol;          // "kdxcrash_null+0x12/0x30 [kdxcrash]" as printed
  std::string pc_function;        // "kdxcrash_null"
  uint64_t pc_offset = 0;         // 0x12
  std::string pc_module;          // "kdxcrash" or ""
};

// Reads the first register dump in the log (the one of the first oops). Returns nullopt when
// the log has none.
std::optional<LoggedRegisters> parse_logged_registers(std::string_view log);

}  // namespace kdx::analysis
