// Console-log lines with printk/syslog prefixes removed, and the stack-frame parser for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/analysis/oops_report.hpp"

namespace kdx::analysis {

// One line of a console log. text has the "<4>", "[  12.345]", "[ T123]" and syslog
// "... kernel:" prefixes removed, but keeps its leading indentation.
struct LogLine {
  std::string text;
  bool kernel = false;  // had a printk timestamp or syslog kernel prefix
  std::string caller;   // "T123" / "C1" caller id when printed
  std::optional<double> time;  // printk timestamp in seconds, when printed
};

// Splits text into lines and strips prefixes. Never fails.
std::vector<LogLine> split_console_log(std::string_view text);

// Parses a frame printed anywhere in the line ("func+0x1/0x2", "[<addr>] func+..",
// "func+0x1/0x2 [mod]", crash's "#3 [..] func at addr" and "[exception RIP: func+101]").
// Returns nullopt when the line holds no frame.
std::optional<OopsFrame> parse_frame(std::string_view line);

// Demangles a Rust v0 symbol ("_RNv...") to its path, generic arguments included and crate hashes
// dropped, e.g. "<ashmem_rust::Ashmem as kernel::miscdevice::MiscDevice>::mmap". nullopt when sym
// is not a well-formed v0 symbol.
std::optional<std::string> demangle_rust_v0(std::string_view sym);

// Function name without compiler suffixes (".isra.0", ".constprop.1", ".cold", ".part.2").
std::string base_function(std::string_view function);

// Title normalisation: 6+ hex digits -> ADDR, file.c:123 -> file.c:LINE, func+0x1/0x2 -> func,
// other decimal numbers -> NUM, at most 120 characters.
std::string normalize_title(std::string_view title);

// Parses a hex number with or without 0x. Returns nullopt when s is not entirely hex.
std::optional<uint64_t> parse_hex(std::string_view s);

// Helpers used across the analysis files.
std::string_view trim(std::string_view s);
bool starts_with_word(std::string_view s, std::string_view prefix);

}  // namespace kdx::analysis
