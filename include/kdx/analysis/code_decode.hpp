// Decoding a report's "Code:" line with Capstone, marking the faulting instruction like scripts/decodecode.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/analysis/oops_report.hpp"

namespace kdx::analysis {

// Decodes one Code: line for arch ("x86_64", "x86", "arm64", "arm"; "" guesses from the line:
// 8-digit words are arm64, byte pairs x86_64). Bytes before the <xx>/(xxxx) marker are decoded from
// the earliest start that lands exactly on the marker. Returns a CodeDecode whose error says why
// when the line cannot be decoded.
CodeDecode decode_code_line(std::string_view line, std::string_view arch);

// The first kernel-mode Code: line among the report's lines, decoded; nullopt when there is none.
std::optional<CodeDecode> find_and_decode_code(const std::vector<std::string>& report, std::string_view arch);

}  // namespace kdx::analysis
