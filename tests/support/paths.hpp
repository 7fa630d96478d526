// Test helpers: where the source tree, fixtures and the kdx binary are, and running kdx.
#pragma once

#include <string>

namespace kdx::test {

std::string source_path(const std::string& rel);   // path under the source tree
std::string testdata_path(const std::string& rel); // path under testdata/
std::string shared_path(const std::string& rel);   // path under ../shared
std::string temp_path(const std::string& name);    // a fresh path in the build tree
bool file_exists(const std::string& path);

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs the kdx binary with args (already shell-quoted where needed).
RunResult run_kdx(const std::string& args);

}  // namespace kdx::test
