// End-to-end tests of report, log, bt, ps, mod and dis on the real x86_64 fixture dump (Linux 6.1, KASLR, NULL deref).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/paths.hpp"

using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

const std::string kDump = testdata_path("x86_64/null/vmcore-d31.kdump");
const std::string kVmlinux = testdata_path("x86_64/vmlinux.xz");
const std::string kModDir = testdata_path("x86_64");

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST(ReportReal, NullDerefReportReachesTheSeedConclusions) {
  auto r = run_kdx("report " + kVmlinux + " " + kDump + " --modules-dir " + kModDir);  // any order
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  const std::string& o = r.out;
  EXPECT_TRUE(has(o, "RELEASE: 6.1.192")) << o;
  EXPECT_TRUE(has(o, "KASLR: 0x3c800000 (KERNELOFFSET from VMCOREINFO")) << o;
  EXPECT_TRUE(has(o, "title: BUG: unable to handle kernel NULL pointer dereference in kdx_deref")) << o;
  EXPECT_TRUE(has(o, "address: 0x0000000000000008  (null+offset)")) << o;
  // The backtrace crosses the exception into the module and reaches the syscall entry.
  EXPECT_TRUE(has(o, "kdx_deref+0x0/0x4 at ffffffffc032a014 [kdxcrash]")) << o;
  EXPECT_TRUE(has(o, "kdx_null_deref+0x17")) << o;
  EXPECT_TRUE(has(o, "kdxcrash.c:48")) << o;
  EXPECT_TRUE(has(o, "do_syscall_64")) << o;
  EXPECT_TRUE(has(o, "=> ffffffffc032a014: mov eax, dword ptr [rdi + 8]")) << o;
  // Provenance: rdi was argument 1, which the caller zeroed.
  EXPECT_TRUE(has(o, "the read uses rdi = 0x0 (effective address 0x8)")) << o;
  EXPECT_TRUE(has(o, "argument 1 (rdi)")) << o;
  EXPECT_TRUE(has(o, "in the caller kdx_null_deref")) << o;
  EXPECT_TRUE(has(o, "xor ebx, ebx: zeroed (xor with itself)")) << o;
}

TEST(ReportReal, JsonHasStableKeys) {
  auto r = run_kdx("report --json " + kDump + " " + kVmlinux);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "kdx.report/1");
  EXPECT_EQ(j["title"], "BUG: unable to handle kernel NULL pointer dereference in kdx_deref");
  EXPECT_EQ(j["system"]["release"], "6.1.192");
  EXPECT_EQ(j["crashed_cpu"], 0);
  EXPECT_EQ(j["provenance"]["register"], "rdi");
  EXPECT_EQ(j["provenance"]["caller_function"], "kdx_null_deref");
  bool found = false;
  for (const auto& f : j["backtrace"])
    if (f["function"] == "kdx_deref" && f["module"] == "kdxcrash") found = true;
  EXPECT_TRUE(found) << j["backtrace"].dump(1);
}

TEST(ReportReal, WithoutVmlinuxStillNamesTheCrash) {
  auto r = run_kdx("report " + kDump);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_TRUE(has(r.out, "title: BUG: unable to handle kernel NULL pointer dereference in kdx_deref")) << r.out;
  EXPECT_TRUE(has(r.out, "no vmlinux")) << r.out;
}

TEST(LogReal, MatchesTheConsoleLog) {
  auto r = run_kdx("log -t " + kDump);  // VMCOREINFO alone is enough
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string console = slurp(testdata_path("x86_64/null/console.log"));
  // Every kernel message the serial console printed is in the ring buffer, in order.
  std::istringstream in(console);
  std::string line;
  size_t pos = 0, checked = 0;
  while (std::getline(in, line)) {
    if (line.size() < 16 || line[0] != '[' || line.find("] ") == std::string::npos) continue;
    std::string text = line.substr(line.find("] ") + 2);
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (text.size() < 8) continue;
    size_t at = r.out.find(text, pos);
    ASSERT_NE(at, std::string::npos) << "console line not in kdx log (in order): " << text;
    pos = at;
    checked++;
  }
  EXPECT_GT(checked, 50u);
  EXPECT_TRUE(has(r.out, "Kernel panic - not syncing: Fatal exception"));
}

TEST(LogReal, JsonRecordsCarryLevelAndCaller) {
  auto r = run_kdx("log --json " + kDump);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_GT(j.size(), 50u);
  EXPECT_EQ(j[0]["seq"], 0);
  bool bug = false;
  for (const auto& rec : j)
    if (rec["text"].get<std::string>().starts_with("BUG: kernel NULL pointer dereference")) {
      bug = true;
      EXPECT_EQ(rec["level"], 1);  // KERN_ALERT
      EXPECT_TRUE(rec["caller"].is_string());
    }
  EXPECT_TRUE(bug);
}

TEST(TasksReal, PsMarksTheCrashedTaskAndBtWalksIt) {
  auto ps = run_kdx("ps " + kDump + " " + kVmlinux);
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  EXPECT_TRUE(has(ps.out, "[swapper/0]")) << ps.out;
  EXPECT_TRUE(has(ps.out, "[kthreadd]")) << ps.out;
  // crash 8.0.2 lists only 1-3 tasks on this kernel; the real list is longer.
  EXPECT_GT(std::count(ps.out.begin(), ps.out.end(), '\n'), 10) << ps.out;
  auto bt = run_kdx("bt " + kDump + " " + kVmlinux);
  EXPECT_TRUE(has(bt.out, "PID: 1 ")) << bt.out;
  EXPECT_TRUE(has(bt.out, "kdx_deref+0x0 at ffffffffc032a014 [kdxcrash]")) << bt.out;
  EXPECT_TRUE(has(bt.out, "--- <exception frame")) << bt.out;
}

TEST(TasksReal, ModListsTheCrashModule) {
  auto r = run_kdx("mod " + kDump + " " + kVmlinux);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "kdxcrash")) << r.out;
  EXPECT_TRUE(has(r.out, "ffffffffc032")) << r.out;
}

TEST(DisReal, DisassemblesAModuleFunctionWithLines) {
  auto r = run_kdx("dis -l kdx_null_deref " + kDump + " " + kVmlinux);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "<kdx_null_deref+0>")) << r.out;
  EXPECT_TRUE(has(r.out, "xor ebx, ebx")) << r.out;
  EXPECT_TRUE(has(r.out, "kdxcrash.c")) << r.out;
  EXPECT_TRUE(has(r.out, "<_printk>")) << r.out;  // call targets are named
}

TEST(ReportReal, TruncatedDumpIsOneClearLine) {
  std::string cut = kdx::test::temp_path("truncated.kdump");
  std::string data = slurp(kDump).substr(0, 300);
  std::ofstream(cut, std::ios::binary) << data;
  auto r = run_kdx("report " + cut + " " + kVmlinux);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_TRUE(has(r.err, cut)) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(ReportReal, RoAfterInitWriteNamesTheObjectAndTheReadOnlyPage) {
  auto r = run_kdx("report " + testdata_path("x86_64/ro_after_init/vmcore-d31.kdump") + " " + kVmlinux);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_TRUE(has(r.out, "title: BUG: unable to handle kernel paging request in kdx_write_ro_after_init")) << r.out;
  EXPECT_TRUE(has(r.out, "P = 1  protection violation")) << r.out;
  EXPECT_TRUE(has(r.out, "read-only")) << r.out;
  EXPECT_TRUE(has(r.out, "the address is kdx_ro_after_init_value+0x0 [kdxcrash]")) << r.out;
  EXPECT_TRUE(has(r.out, "(value is &kdx_ro_after_init_value)")) << r.out;
  EXPECT_TRUE(has(r.out, "process_one_work")) << r.out;  // a kworker, not insmod
}

TEST(ReportReal, HrtimerUseAfterFreeTracesThePoisonToItsLoad) {
  auto r = run_kdx("report " + testdata_path("x86_64/hrtimer_uaf/vmcore-d31.kdump") + " " + kVmlinux);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_TRUE(has(r.out, "title: general protection fault in timerqueue_add")) << r.out;
  EXPECT_TRUE(has(r.out, "= 0x6b6b6b6b6b6b6b6b: slab POISON_FREE")) << r.out;
  EXPECT_TRUE(has(r.out, "loaded from memory at [rcx]")) << r.out;
}

TEST(ReportReal, Arm64QemuDumpWalksThroughTheExceptionToUserMode) {
  auto r = run_kdx("report " + testdata_path("arm64/null/vmcore-qemu-zlib.flat") + " " + testdata_path("arm64/vmlinux.xz"));
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_TRUE(has(r.out, "MACHINE: aarch64")) << r.out;
  EXPECT_TRUE(has(r.out, "title: BUG: unable to handle kernel NULL pointer dereference in kdx_deref")) << r.out;
  EXPECT_TRUE(has(r.out, "EC = 0x25  DABT (current EL)")) << r.out;
  EXPECT_TRUE(has(r.out, "el1h_64_sync")) << r.out;
  EXPECT_TRUE(has(r.out, "kdx_deref+0x4/0x10")) << r.out;
  EXPECT_TRUE(has(r.out, "kdxcrash_init")) << r.out;  // module init text, return address PAC-stripped
  EXPECT_TRUE(has(r.out, "el0t_64_sync")) << r.out;
  EXPECT_TRUE(has(r.out, "=> ffffc709f3b64040: ldr w0, [x0, #8]")) << r.out;
  EXPECT_TRUE(has(r.out, "argument 1 (x0)")) << r.out;
}

TEST(OopsReal, VmlinuxSymbolizesLogFramesIncludingModules) {
  auto r = run_kdx("oops " + testdata_path("x86_64/null/console.log") + " --vmlinux " + kVmlinux + " --modules-dir " + kModDir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "kdx_null_deref+0x17/0x26 [kdxcrash]  ")) << r.out;
  EXPECT_TRUE(has(r.out, "kdxcrash.c:57")) << r.out;           // the call site, from the return address
  EXPECT_TRUE(has(r.out, "kernel/module/main.c:2478")) << r.out;
  EXPECT_TRUE(has(r.out, "do_syscall_x64")) << r.out;         // inline chain
  auto missing = run_kdx("oops " + testdata_path("x86_64/null/console.log") + " --vmlinux " + kVmlinux +
                         " --modules-dir /nonexistent");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(has(missing.err, "no debug info for module kdxcrash")) << missing.err;
}

TEST(RdReal, VirtualSymbolicAndSymbolReads) {
  // The crashed task's stack at the oops RSP, as `rd -s` in crash shows it.
  auto s = run_kdx("rd -s ffff98640016fdc8 8 " + kDump + " " + kVmlinux);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_TRUE(has(s.out, "ffff98640016fdc8:  kdx_null_deref+23")) << s.out;
  EXPECT_TRUE(has(s.out, "do_one_initcall+115")) << s.out;
  auto a = run_kdx("rd -a linux_banner " + kDump + " " + kVmlinux);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(has(a.out, "Linux version 6.1.192 (root@vm)")) << a.out;
  auto bad = run_kdx("rd no_such_symbol_anywhere " + kDump + " " + kVmlinux);
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(StructReal, PrintsAnObjectFromTheDump) {
  // The crashed task (PID 1, "init"), at the address `ps` lists for it.
  auto r = run_kdx("struct task_struct ffff986400178000 " + kDump + " " + kVmlinux);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "struct task_struct {\n")) << r.out.substr(0, 400);
  EXPECT_TRUE(has(r.out, "\n  pid = 1,\n")) << r.out.substr(0, 400);
  EXPECT_TRUE(has(r.out, "\n  comm = \"init\",\n")) << r.out.substr(0, 400);
  EXPECT_TRUE(has(r.out, "  tasks = {\n    next = 0x")) << r.out.substr(0, 400);
  auto bad = run_kdx("struct task_struct 0xdead000000000000 " + kDump + " " + kVmlinux);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}
