// JSON form of an OopsReport (keys: title, type, corrupted, guilty_frame, fault, frames, code, ...).
#pragma once

#include <nlohmann/json.hpp>

#include "kdx/analysis/oops_report.hpp"

namespace kdx::analysis {

// Never fails; absent parts are null.
nlohmann::json oops_to_json(const OopsReport& report);

}  // namespace kdx::analysis
