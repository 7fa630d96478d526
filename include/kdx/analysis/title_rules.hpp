// Crash-report header rules and guilty-frame selection used to title a console log.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/analysis/oops_lines.hpp"

namespace kdx::analysis {

// How the guilty frame of a report is chosen.
enum class FramePolicy {
  None,     // the title has no "in FUNC" part
  Generic,  // header function, else the first frame that is not reporting/sanitizer/helper code
  Stall,    // the callee of the first generic dispatch frame (syscall, softirq, vfs...) of the stalled context
  StallStrict,  // like Stall, but no dispatch frame in the stack means the report is cut off (no frame)
  LockSites,    // lockdep circular dependency: the "at:" sites of the acquired and held locks, then the stack
  BecameAt,     // lockdep irq-safe -> irq-unsafe: the stack after the first "... which became ... at:"
  Hung,     // like Generic, also skipping wait/schedule primitives
  Leak,     // the first non-allocator frame of the "backtrace:" of a kmemleak report
};

// One kind of crash report, recognised by its header line.
struct HeaderRule {
  std::regex pattern;       // searched within the prefix-stripped line
  std::string title;        // template: $1..$9 = groups, {F} = guilty frame, {A} = " Read"/" Write"
  std::string type;         // crash type
  int frame_group = 0;      // group holding a function printed in the header, 0 = none
  FramePolicy policy = FramePolicy::Generic;
  bool fatal = true;        // the machine cannot go on after it (oops, panic), as opposed to a warning
  bool panic_only = false;  // a bare "Kernel panic" line: used only when no other report exists
  bool corrupted = false;   // the header only survives in a report that lost its real start
  bool inside_other = false;  // may appear inside another report without ending it
  std::optional<std::regex> skip;  // name fragments this kind of report never blames (unanchored)
};

// The rule table, in priority order for a given line. Built once.
const std::vector<HeaderRule>& header_rules();

// Whether a function is reporting, sanitizer, allocator, locking, string/memory-helper or
// entry code that never is the guilty frame of a report.
bool is_skipped_frame(std::string_view function);
// Extra frames skipped for hung tasks: wait and schedule primitives.
bool is_wait_frame(std::string_view function);
// Generic dispatch frames (syscall entry, vfs, socket, softirq, workqueue); for stalls the frame
// they call is the one that looped.
bool is_anchor_frame(std::string_view function);
// Normalises a function for a title: strips compiler suffixes and syscall wrappers
// (__x64_sys_foo -> sys_foo), folds smp_call_function_* to smp_call_function.
std::string title_function(std::string_view function);

}  // namespace kdx::analysis
