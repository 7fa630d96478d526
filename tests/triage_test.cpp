// `kdx triage`: a kdump-style directory tree built from the real fixtures (links), with a split
// dump, a standalone console log, a truncated dump, an xz dump, unrelated text and a mismatched vmlinux.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "kdx/analysis/triage.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

const char* kNullTitle = "BUG: unable to handle kernel NULL pointer dereference in kdx_deref";

// crash/
//   2026-12-05-22:30/vmcore          -> x86_64 null kdump      vmcore-dmesg.txt -> its console.log
//   2026-12-05-23:00/vmcore.1, .2    -> the split parts of the same dump
//   arm-serial/console.log           -> arm64 hrtimer_uaf console log (no dump)
//   broken/vmcore                    -> the first 4 KiB of a kdump (truncated)    README.txt: prose
//   xz/vmcore.elf.xz                 -> an xz-compressed ELF dump
//   arm64-box/vmcore                 -> the arm64 null dump (QEMU, flattened)
std::string make_tree() {
  std::string root = kdx::test::temp_path("triage-tree");
  fs::remove_all(root);
  auto link = [&](const std::string& rel_target, const std::string& name) {
    fs::create_directories(fs::path(root + "/" + name).parent_path());
    fs::create_symlink(fs::absolute(testdata_path(rel_target)), root + "/" + name);
  };
  link("x86_64/null/vmcore-d31.kdump", "2026-12-05-22:30/vmcore");
  link("x86_64/null/console.log", "2026-12-05-22:30/vmcore-dmesg.txt");
  link("x86_64/null/vmcore-d31-split.1", "2026-12-05-23:00/vmcore.1");
  link("x86_64/null/vmcore-d31-split.2", "2026-12-05-23:00/vmcore.2");
  link("arm64/hrtimer_uaf/console.log", "arm-serial/console.log");
  link("x86_64/null/vmcore-d31.elf.xz", "xz/vmcore.elf.xz");
  link("arm64/null/vmcore-qemu-zlib.flat", "arm64-box/vmcore");
  fs::create_directories(root + "/broken");
  {
    std::ifstream in(testdata_path("x86_64/null/vmcore-d31.kdump"), std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), std::streamsize(head.size()));
    std::ofstream(root + "/broken/vmcore", std::ios::binary).write(head.data(), std::streamsize(head.size()));
    std::ofstream(root + "/broken/README.txt") << "These dumps came from the lab machines.\nAsk ops before deleting.\n";
  }
  return root;
}

const nlohmann::json* item_for(const nlohmann::json& j, const std::string& suffix) {
  for (const auto& it : j["items"]) {
    const std::string f = it["files"][0];
    if (f.size() >= suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0) return &it;
  }
  return nullptr;
}

}  // namespace

TEST(Triage, KdumpTreeWithRealDumps) {
  std::string root = make_tree();
  // Two vmlinux files: each dump must get its own (matched by build-id).
  auto r = run_kdx("triage --json --no-system-dirs --vmlinux " + testdata_path("x86_64/vmlinux.xz") + " --vmlinux " +
                   testdata_path("arm64/vmlinux.xz") + " " + root);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the truncated and the xz dump are errors
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "kdx.triage/1");

  auto* a = item_for(j, "22:30/vmcore");
  ASSERT_NE(a, nullptr) << r.out;
  EXPECT_EQ((*a)["status"], "ok");
  EXPECT_EQ((*a)["title"], kNullTitle);
  EXPECT_EQ((*a)["release"], "6.1.192");
  EXPECT_EQ((*a)["pid"], 1);
  EXPECT_EQ((*a)["comm"], "init");
  EXPECT_NE((*a)["vmlinux"].get<std::string>().find("vmlinux.xz"), std::string::npos);
  EXPECT_NE((*a)["vmlinux_how"].get<std::string>().find("build-id 39d8a7"), std::string::npos);
  EXPECT_NE((*a)["companion_log"].get<std::string>().find("vmcore-dmesg.txt"), std::string::npos);

  auto* arm = item_for(j, "arm64-box/vmcore");
  ASSERT_NE(arm, nullptr);
  EXPECT_EQ((*arm)["arch"], "arm64");
  EXPECT_EQ((*arm)["title"], kNullTitle);
  EXPECT_NE((*arm)["vmlinux"].get<std::string>().find("arm64/vmlinux.xz"), std::string::npos) << (*arm)["vmlinux"];

  // The split parts are one input.
  auto* s = item_for(j, "23:00/vmcore.1");
  ASSERT_NE(s, nullptr) << r.out;
  EXPECT_EQ((*s)["files"].size(), 2u);
  EXPECT_EQ((*s)["title"], kNullTitle);
  EXPECT_EQ(item_for(j, "23:00/vmcore.2"), nullptr);

  auto* l = item_for(j, "arm-serial/console.log");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ((*l)["kind"], "log");
  EXPECT_EQ((*l)["title"], "BUG: unable to handle kernel paging request in timerqueue_add");

  auto* b = item_for(j, "broken/vmcore");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["status"], "error");
  EXPECT_NE((*b)["error"].get<std::string>().find("broken/vmcore"), std::string::npos) << (*b)["error"];

  auto* x = item_for(j, "xz/vmcore.elf.xz");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ((*x)["status"], "error");
  EXPECT_NE((*x)["error"].get<std::string>().find("xz -dk"), std::string::npos);

  bool readme_skipped = false;
  for (const auto& sk : j["skipped"])
    readme_skipped = readme_skipped || sk["path"].get<std::string>().ends_with("README.txt");
  EXPECT_TRUE(readme_skipped);

  // Buckets: the two readings of the same crash together, largest first.
  ASSERT_GE(j["buckets"].size(), 2u);
  EXPECT_EQ(j["buckets"][0]["title"], kNullTitle);
  EXPECT_EQ(j["buckets"][0]["count"], 3);
}

TEST(Triage, VmlinuxFoundWhileScanning) {
  std::string root = kdx::test::temp_path("triage-scan");
  fs::remove_all(root);
  fs::create_directories(root + "/debug");
  fs::create_symlink(fs::absolute(testdata_path("x86_64/null/vmcore-d31.kdump")), root + "/vmcore");
  fs::create_symlink(fs::absolute(testdata_path("x86_64/vmlinux.xz")), root + "/debug/vmlinux.xz");
  auto r = run_kdx("triage --json --no-system-dirs " + root);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["vmlinux_found"].size(), 1u);
  EXPECT_NE(j["items"][0]["vmlinux_how"].get<std::string>().find("found while scanning"), std::string::npos)
      << j["items"][0]["vmlinux_how"];
  EXPECT_EQ(j["items"][0]["status"], "ok");
}

TEST(Triage, VmlinuxFromDebugDirByRelease) {
  std::string root = kdx::test::temp_path("triage-debugdir");
  fs::remove_all(root);
  fs::create_directories(root + "/crash");
  fs::create_directories(root + "/debug/boot");
  fs::create_symlink(fs::absolute(testdata_path("x86_64/null/vmcore-d31.kdump")), root + "/crash/vmcore");
  fs::create_symlink(fs::absolute(testdata_path("x86_64/vmlinux.xz")), root + "/debug/boot/vmlinux-6.1.192");
  auto r = run_kdx("triage --json --no-system-dirs --debug-dir " + root + "/debug " + root + "/crash");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_TRUE(j["items"][0]["vmlinux"].get<std::string>().ends_with("debug/boot/vmlinux-6.1.192"));
  EXPECT_EQ(j["items"][0]["status"], "ok");
}

TEST(Triage, MismatchedVmlinuxIsNotUsed) {
  std::string root = kdx::test::temp_path("triage-mismatch");
  fs::remove_all(root);
  fs::create_directories(root);
  fs::create_symlink(fs::absolute(testdata_path("x86_64/null/vmcore-d31.kdump")), root + "/vmcore");
  // arm64's vmlinux has the same release (6.1.192) but another build-id.
  auto r = run_kdx("triage --json --no-system-dirs --vmlinux " + testdata_path("arm64/vmlinux.xz") + " " + root);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["items"].size(), 1u);
  const auto& it = j["items"][0];
  EXPECT_TRUE(it["vmlinux"].is_null());
  EXPECT_NE(it["vmlinux_how"].get<std::string>().find("another build-id"), std::string::npos) << it["vmlinux_how"];
  EXPECT_EQ(it["status"], "partial");
  EXPECT_EQ(it["title"], kNullTitle);  // the log in the dump still names the crash
}

TEST(Triage, TextTableAndNothingFound) {
  std::string root = make_tree();
  auto r = run_kdx("triage --no-system-dirs --vmlinux " + testdata_path("arm64/vmlinux.xz") + " --vmlinux " +
                   testdata_path("x86_64/vmlinux.xz") + " " + root);
  EXPECT_NE(r.out.find("      3  BUG: unable to handle kernel NULL pointer dereference in kdx_deref"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(+1 split part)"), std::string::npos);

  std::string empty = kdx::test::temp_path("triage-empty");
  fs::remove_all(empty);
  fs::create_directories(empty);
  std::ofstream(empty + "/notes.txt") << "nothing here\n";
  auto e = run_kdx("triage " + empty);
  EXPECT_EQ(e.exit_code, 3);
  EXPECT_NE(e.err.find("no dumps or kernel logs found"), std::string::npos);
  auto missing = run_kdx("triage " + empty + "/does-not-exist");
  EXPECT_EQ(missing.exit_code, 3);
}

TEST(Triage, KernelLogDetection) {
  using kdx::analysis::looks_like_kernel_log;
  EXPECT_TRUE(looks_like_kernel_log("[    0.000000] Linux version 6.1.0 (gcc)\n"));
  EXPECT_TRUE(looks_like_kernel_log("Dec  5 22:30:01 host kernel: [  12.345678] usb 1-1: new device\n"));
  EXPECT_TRUE(looks_like_kernel_log("<4>[ 1234.000001] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2\n"));
  EXPECT_FALSE(looks_like_kernel_log("hello\n[1.5] not a timestamp\n[12.3456789] nor this\n"));
  EXPECT_FALSE(looks_like_kernel_log(""));
}
