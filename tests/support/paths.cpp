// Test helpers: paths into the tree and a runner for the kdx binary.
#include "support/paths.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace kdx::test {

std::string source_path(const std::string& rel) { return std::string(KDX_SOURCE_DIR) + "/" + rel; }
std::string testdata_path(const std::string& rel) { return source_path("testdata/" + rel); }
std::string shared_path(const std::string& rel) { return std::string(KDX_SHARED_DIR) + "/" + rel; }
std::string temp_path(const std::string& name) {
  std::string dir = std::string(KDX_BINARY_DIR) + "/test-tmp";
  ::mkdir(dir.c_str(), 0755);
  return dir + "/" + std::to_string(::getpid()) + "-" + name;
}
bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

static std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

RunResult run_kdx(const std::string& args) {
  static int counter = 0;
  std::string base = temp_path("run" + std::to_string(counter++));
  // Decompressed .xz inputs are cached in the build tree, not in $HOME.
  std::string cmd = "KDX_CACHE_DIR=" + std::string(KDX_BINARY_DIR) + "/kdx-cache " + std::string(KDX_BIN) + " " + args + " >" + base + ".out 2>" + base + ".err </dev/null";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

}  // namespace kdx::test
