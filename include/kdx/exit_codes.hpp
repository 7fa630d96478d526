// Process exit codes of the kdx CLI (documented in README.md and docs/cli.md).
#pragma once

namespace kdx {
inline constexpr int kExitOk = 0;          // everything asked for was produced
inline constexpr int kExitPartial = 1;     // a result was produced, with stated gaps
inline constexpr int kExitUsage = 2;       // bad command line
inline constexpr int kExitUnreadable = 3;  // an input could not be read or understood
}  // namespace kdx
