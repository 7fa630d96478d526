// Title rules added for syzkaller's frame choice and corruption vocabulary, each on a small log
// written for the test in the kernel's message formats.
#include <gtest/gtest.h>

#include "kdx/analysis/oops_report.hpp"
#include "kdx/analysis/title_rules.hpp"

using kdx::analysis::analyze_log;
using kdx::analysis::is_skipped_frame;

namespace {

std::string title_of(const std::string& log) { return analyze_log(log).title.value_or("<none>"); }

}  // namespace

// Lock wrappers and allocation wrappers are skipped wherever the fragment sits in the name.
TEST(OopsTitles, SkipFragmentsAnywhereInName) {
  EXPECT_TRUE(is_skipped_frame("myfs_write_lock"));
  EXPECT_TRUE(is_skipped_frame("perf_trace_destroy"));
  EXPECT_TRUE(is_skipped_frame("test_kmalloc_oob_write"));
  EXPECT_FALSE(is_skipped_frame("myfs_readdir"));
  auto log = R"([  464.1] general protection fault, probably for non-canonical address 0xdffffc0000000003: 0000 [#1] PREEMPT SMP KASAN
[  464.2] CPU: 0 PID: 13181 Comm: syz-executor.2 Not tainted 5.15.0 #0
[  464.3] RIP: 0010:mutex_optimistic_spin+0x12d/0x2d0
[  464.4] Call Trace:
[  464.5]  <TASK>
[  464.6]  __mutex_lock_common+0x210/0x26c0
[  464.7]  mutex_lock_nested+0x17/0x20
[  464.8]  myfs_write_lock+0x77/0xd0
[  464.9]  myfs_readdir+0x170/0x1470
[  465.0]  iterate_dir+0x257/0x5f0
)";
  EXPECT_EQ(title_of(log), "general protection fault in myfs_readdir");
}
