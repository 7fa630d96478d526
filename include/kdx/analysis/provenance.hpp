// Register provenance: which instruction put the bad pointer into the faulting register, and from where.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/error.hpp"

namespace kdx::analysis {

// Register values at the fault, by canonical lower-case name ("rax", "x0", "sp").
using RegisterValues = std::map<std::string, uint64_t>;

struct ProvenanceStep {
  uint64_t address = 0;          // instruction that last wrote `reg` before the fault
  std::string insn;              // its disassembly, e.g. "mov rbx, qword ptr [rdi + 0x10]"
  std::string reg;               // the register traced at this step
  std::string source;            // where its value came from, in words
  std::optional<uint64_t> value; // the register's value at the fault, when known and not overwritten since
};

struct Provenance {
  uint64_t fault_pc = 0;
  std::string fault_insn;
  std::string access;                      // "read", "write", "read-write" or "" (not a memory access)
  std::string bad_register;                // base register of the faulting memory operand
  std::optional<uint64_t> bad_value;       // its value at the fault
  std::optional<uint64_t> effective_address;
  std::vector<ProvenanceStep> chain;       // outermost cause last
  // When the chain ends at an argument: the same register traced in the caller, before the call.
  std::string caller_function;
  uint64_t call_site = 0;
  std::vector<ProvenanceStep> caller_chain;
  std::vector<std::string> caveats;        // e.g. "linear scan: branches into the block were not followed"
};

// Disassembles code (the faulting function from its start, at address code_start) up to and
// including fault_pc and traces the faulting memory operand's base register backwards through
// straight-line code. arch is "x86_64" or "arm64". Fails with Format when fault_pc is not on an
// instruction boundary of a linear disassembly from code_start, Unsupported for another arch.
Result<Provenance> trace_register_provenance(std::string_view arch, std::span<const uint8_t> code, uint64_t code_start,
                                             uint64_t fault_pc, const RegisterValues& regs);

// Traces `reg` backwards from the instruction at pc (the value it held when pc was about to
// run, e.g. an argument register at a call site in the caller's frame). regs may be empty.
// Fails with Format when pc is not on an instruction boundary from code_start.
Result<std::vector<ProvenanceStep>> trace_register_before(std::string_view arch, std::span<const uint8_t> code,
                                                          uint64_t code_start, uint64_t pc, std::string_view reg,
                                                          const RegisterValues& regs);

// Canonical 64-bit register name for a sub-register ("ebx" -> "rbx", "w3" -> "x3", "r8d" -> "r8").
std::string canonical_register(std::string_view arch, std::string_view name);

// Known poison and pattern values (LIST_POISON, slab poison, NULL+offset, non-canonical...):
// a short explanation, or nullopt when the value looks ordinary.
std::optional<std::string> explain_suspicious_value(std::string_view arch, uint64_t value);

}  // namespace kdx::analysis
