// crash's `struct NAME.member[,member] [ADDR]` forms on the fixture kernel, compared with crash 8.0.2's own output.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/paths.hpp"

using kdx::test::file_exists;
using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

[[maybe_unused]] const int kCacheDirSet = setenv("KDX_CACHE_DIR", kdx::test::temp_path("kdx-cache").c_str(), 0);

const std::string kDump = testdata_path("x86_64/null/vmcore-d31.kdump");
const std::string kVmlinux = testdata_path("x86_64/vmlinux.xz");
const std::string kGolden = testdata_path("x86_64/golden/null/crash-struct-members.txt");

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string crash_output(const std::string& command) {
  std::string g = slurp(kGolden);
  size_t p = g.find("\n@@@ " + command + "\n");
  if (p == std::string::npos) return "<no '@@@ " + command + "' section>";
  p += command.size() + 6;
  size_t e = g.find("\n@@@ ", p);
  return g.substr(p, e == std::string::npos ? std::string::npos : e + 1 - p);
}

class StructMembers : public ::testing::TestWithParam<const char*> {};

TEST_P(StructMembers, SameTextAsCrash) {
  if (!file_exists(kDump) || !file_exists(kVmlinux) || !file_exists(kGolden)) GTEST_SKIP() << "fixtures absent";
  std::string cmd = GetParam();
  auto r = run_kdx(cmd + " " + kDump + " " + kVmlinux);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, crash_output(cmd));
}

INSTANTIATE_TEST_SUITE_P(Crash, StructMembers,
                         ::testing::Values("struct task_struct.pid", "struct -x task_struct.comm",
                                           "struct timerqueue_node.expires", "struct list_head.prev",
                                           "struct task_struct.sched_reset_on_fork",
                                           "struct task_struct.pid,tasks,thread_info ffffffffbe00f600",
                                           "struct task_struct.se ffffffffbe00f600"));

TEST(StructMembersMore, SeveralMembersNestedPathsAndErrors) {
  if (!file_exists(kVmlinux)) GTEST_SKIP() << "fixture kernel absent";
  // Beyond crash (which refuses these without an address): several members, dotted paths.
  auto r = run_kdx("struct -o task_struct.pid,comm,se.exec_start " + kVmlinux);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "struct task_struct {\n   [912] pid_t pid;\n  [1264] char comm[16];\n   [192] u64 exec_start;\n}\n");
  auto bad = run_kdx("struct task_struct.nosuch " + kVmlinux);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "kdx: struct task_struct has no member 'nosuch'\n");
  auto empty = run_kdx("struct task_struct.pid, " + kVmlinux);
  EXPECT_EQ(empty.exit_code, 2);
  auto idx = run_kdx("struct task_struct.pid_links[1] " + kVmlinux);
  EXPECT_NE(idx.exit_code, 0);
  EXPECT_NE(idx.err.find("array indexes"), std::string::npos) << idx.err;
}

}  // namespace
