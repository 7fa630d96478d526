// `kdx list` on the real x86_64 null dump: the module list against crash's `mod` golden, the task
// list against `kdx ps`, a loop that never returns to the start, and an unreadable next pointer.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "support/paths.hpp"

using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

std::string files() {
  return testdata_path("x86_64/null/vmcore-d31.kdump") + " " + testdata_path("x86_64/vmlinux.xz");
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST(ListCli, ModuleListMatchesCrash) {
  // crash's `mod` (recorded in the golden) gives the struct module address of kdxcrash.
  std::ifstream g(testdata_path("x86_64/golden/null/crash.txt"));
  std::stringstream ss;
  ss << g.rdbuf();
  std::smatch m;
  std::string golden = ss.str();
  ASSERT_TRUE(std::regex_search(golden, m, std::regex("\n([0-9a-f]{16})  kdxcrash ")));
  auto r = run_kdx("list -H modules -o module.list " + files());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, m[1].str() + "\n");
  // -s prints each entry as the type.
  auto s = run_kdx("list -H modules -o module.list -s module " + files());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("name = \"kdxcrash"), std::string::npos) << s.out.substr(0, 2000);
}

TEST(ListCli, TaskListMatchesPs) {
  auto r = run_kdx("list -o task_struct.tasks init_task " + files());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> listed;
  for (const auto& l : lines(r.out)) listed.insert(l);
  auto ps = run_kdx("ps " + files());
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  std::set<std::string> tasks;
  std::regex row(R"(^[> ]\s+\d+\s+\d+\s+\d+\s+([0-9a-f]{16})\s)");
  for (const auto& l : lines(ps.out)) {
    std::smatch m;
    if (std::regex_search(l, m, row)) tasks.insert(m[1].str());
  }
  ASSERT_GE(tasks.size(), 10u) << ps.out;
  // Every task of this single-threaded userland is a thread-group leader: the two sets agree.
  EXPECT_EQ(listed, tasks);
  // -s TYPE.m1,m2 prints only those members of each entry, as crash does.
  auto s = run_kdx("list -o task_struct.tasks -s task_struct.pid,comm init_task " + files());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("  pid = 1,\n  comm = \"init\",\n"), std::string::npos) << s.out.substr(0, 500);
  EXPECT_EQ(s.out.find("  tasks = "), std::string::npos);
}

TEST(ListCli, LoopAndUnreadablePointerAreReported) {
  // A leaf task's empty children list: &children.prev -> &children -> &children (never the start).
  auto ps = run_kdx("ps " + files());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(ps.out, m, std::regex(R"(([0-9a-f]{16})  ID  \[kworker/0:0\])")));
  uint64_t task = std::stoull(m[1].str(), nullptr, 16);
  auto o = run_kdx("struct -o task_struct " + files());
  std::smatch c;
  ASSERT_TRUE(std::regex_search(o.out, c, std::regex(R"(\[(\d+)\] struct list_head children;)")));
  uint64_t prev_field = task + std::stoull(c[1].str()) + 8;
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(prev_field));
  auto r = run_kdx(std::string("list -H ") + hex + " " + files());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("duplicate list entry"), std::string::npos) << r.err;

  auto bad = run_kdx("list -o 0x10000000 init_task " + files());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("cannot read the next pointer"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("not present"), std::string::npos) << bad.err;

  auto nosym = run_kdx("list no_such_symbol_xyz " + files());
  EXPECT_NE(nosym.exit_code, 0);
  EXPECT_NE(nosym.err.find("no_such_symbol_xyz"), std::string::npos);
}
