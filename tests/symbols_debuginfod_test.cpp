// Debug info by build-id from a real debuginfod server started on 127.0.0.1 by the test.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

namespace {

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

class DebuginfodServer {
 public:
  bool start(const std::string& dir, int port) {
    std::string log = dir + "/server.log";
    pid_ = fork();
    if (pid_ == 0) {
      std::string p = std::to_string(port);
      std::string files = dir + "/files", db = dir + "/index.sqlite";
      freopen(log.c_str(), "w", stderr);
      freopen("/dev/null", "w", stdout);
      execlp("debuginfod", "debuginfod", "-F", files.c_str(), "-p", p.c_str(), "-d", db.c_str(), "-t0", "-g0",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid_ > 0;
  }
  ~DebuginfodServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

class EnvGuard {
 public:
  EnvGuard(const char* k, const std::string& v) : key_(k) { setenv(k, v.c_str(), 1); }
  ~EnvGuard() { unsetenv(key_); }

 private:
  const char* key_;
};

TEST(SymbolsDebuginfod, FetchesDebugInfoByBuildIdFromARealServer) {
  if (sh("command -v debuginfod > /dev/null 2>&1") != 0) GTEST_SKIP() << "debuginfod binary not installed (apt install debuginfod)";
  std::string dir = kdx::test::temp_path("debuginfod");
  ASSERT_EQ(sh("rm -rf " + dir + " && mkdir -p " + dir + "/files " + dir + "/cache"), 0);
  // The client caches a 404 for 10 minutes by default; the server answers 404 until its first
  // scan is done, so make misses expire at once.
  ASSERT_EQ(sh("echo 0 > " + dir + "/cache/cache_miss_s"), 0);
  ASSERT_EQ(sh(std::string("cp ") + KDX_SYM_FIXTURE_DW5 + " " + dir + "/files/vmlinux"), 0);
  // The client side: a copy without DWARF (symbols and build-id kept), like a distro vmlinuz.
  ASSERT_EQ(sh(std::string("strip -g -o ") + dir + "/vmlinux-nodebug " + KDX_SYM_FIXTURE_DW5), 0);
  auto local = kdx::symbols::KernelSymbols::open(dir + "/vmlinux-nodebug", {dir + "/nocache", {}, false});
  ASSERT_TRUE(local);
  EXPECT_FALSE((*local)->has_debug_info());
  std::string build_id = (*local)->build_id_hex();
  ASSERT_FALSE(build_id.empty());

  int port = 20000 + static_cast<int>(getpid() % 20000);
  DebuginfodServer server;
  ASSERT_TRUE(server.start(dir, port));
  EnvGuard urls("DEBUGINFOD_URLS", "http://127.0.0.1:" + std::to_string(port));
  EnvGuard cache("DEBUGINFOD_CACHE_PATH", dir + "/cache");
  EnvGuard timeout("DEBUGINFOD_TIMEOUT", "5");

  // The server indexes its directory in the background: retry for a while.
  kdx::Result<std::unique_ptr<kdx::symbols::KernelSymbols>> ks = std::unexpected(kdx::Error{});
  for (int i = 0; i < 60; ++i) {
    ks = kdx::symbols::KernelSymbols::open_by_build_id(build_id);
    if (ks) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(ks) << ks.error().to_string() << "\n(server log in " << dir << "/server.log)";
  EXPECT_EQ((*ks)->build_id_hex(), build_id);
  EXPECT_EQ((*ks)->type_size("struct fixture_sched").value_or(0), 24u);

  // A vmlinux without DWARF finds its debug info through the same server.
  auto nodebug = kdx::symbols::KernelSymbols::open(dir + "/vmlinux-nodebug");
  ASSERT_TRUE(nodebug);
  auto off = (*nodebug)->member_offset("fixture_task", "se.prio");
  ASSERT_TRUE(off) << off.error().to_string();
  EXPECT_EQ(*off, 56u);
  EXPECT_NE((*nodebug)->debug_path().find(dir + "/cache"), std::string::npos) << "debug path: " << (*nodebug)->debug_path();
}

TEST(SymbolsDebuginfod, WithoutUrlsSaysSo) {
  unsetenv("DEBUGINFOD_URLS");
  auto ks = kdx::symbols::KernelSymbols::open_by_build_id("0123456789abcdef");
  ASSERT_FALSE(ks);
  EXPECT_NE(ks.error().message.find("DEBUGINFOD_URLS"), std::string::npos);
}

}  // namespace
