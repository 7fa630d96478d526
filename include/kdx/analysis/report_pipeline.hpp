// The analysis pipeline: stages that fill a Report from a Target; a failing stage records why and the rest go on.
#pragma once

#include "kdx/analysis/target.hpp"
#include "kdx/report/report.hpp"

namespace kdx::analysis {

struct ReportOptions {
  size_t log_tail_lines = 20;
  size_t code_window_before = 6;  // instructions shown before the faulting one
  size_t code_window_after = 3;
};

// Never fails: each stage that cannot run adds a note and sets report.partial.
report::Report build_report(Target& target, const ReportOptions& options = {});

}  // namespace kdx::analysis
