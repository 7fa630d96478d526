// Decoding of the fault a report describes: x86 page-fault error code and traps, arm64 ESR, address class.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/analysis/oops_report.hpp"

namespace kdx::analysis {

// Decodes the fault from a report's lines (prefixes stripped); header is the report's first line.
// Fields the log does not print stay empty; never fails.
FaultInfo decode_fault(const std::vector<std::string>& report, std::string_view header);

// x86 page-fault error code bits (P, W/R, U/S, RSVD, I/D, PK, SS, SGX) in print order.
std::vector<FaultField> decode_x86_pf_error(uint64_t code);

// arm64 ESR_ELx: EC, IL, ISS and, for aborts, DFSC/IFSC (with level), WnR, CM, S1PTW, EA, FnV, SET.
std::vector<FaultField> decode_arm64_esr(uint64_t esr);

// Text of an arm64 fault status code, e.g. 0x04 -> "level 0 translation fault".
std::string arm64_fsc_text(uint64_t fsc);

// Classifies a faulting address for the arch: "null+offset", "user", "kernel", "non-canonical"
// (x86_64) or "between user and kernel ranges" (arm64).
std::string classify_address(std::string_view arch, uint64_t address);

}  // namespace kdx::analysis
