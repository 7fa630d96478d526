// Choosing the guilty frame of a crash report found in a console log.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/analysis/oops_lines.hpp"
#include "kdx/analysis/oops_report.hpp"
#include "kdx/analysis/title_rules.hpp"

namespace kdx::analysis {

// A header rule that matched a log line, with its regex groups (0 = whole match).
struct HeaderMatch {
  size_t line = 0;
  const HeaderRule* rule = nullptr;
  std::vector<std::string> groups;
};

// "#0: ffff888 (&lock){+.+.}, at: func+0x1/0x2" and lockdep's irq-state history lines: they
// name where locks were taken, not a stack.
bool is_held_lock_line(std::string_view text);

// "Call Trace:", "Call trace:", "Backtrace:", "backtrace:", "stack backtrace:", "NMI backtrace for cpu".
bool is_stack_header(std::string_view text);

// The function the report is about, by the rule's FramePolicy; "" when the report shows none
// (the caller then titles it "in corrupted"). frames are the report's frames in print order,
// region the indices of the report's lines in lines.
std::string pick_guilty(const HeaderMatch& match, const std::vector<OopsFrame>& frames,
                        const std::vector<LogLine>& lines, const std::vector<size_t>& region,
                        bool ignore_header_func, const std::regex* kind_skip = nullptr);

}  // namespace kdx::analysis
