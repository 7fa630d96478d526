// Mismatched real inputs: a vmlinux of another kernel or arch, a .ko of another release or arch — one clear line, never a crash.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

using kdx::ErrorCode;
using kdx::symbols::KernelSymbols;
using kdx::test::file_exists;
using kdx::test::run_kdx;
using kdx::test::temp_path;
using kdx::test::testdata_path;

namespace {

[[maybe_unused]] const int kCacheDirSet = setenv("KDX_CACHE_DIR", temp_path("kdx-cache").c_str(), 0);

const std::string kDump = testdata_path("x86_64/null/vmcore-d31.kdump");
const std::string kVmlinux = testdata_path("x86_64/vmlinux.xz");
const std::string kKo = testdata_path("x86_64/kdxcrash.ko");
const std::string kArmKo = testdata_path("arm64/kdxcrash.ko");
const std::string kArmVmlinux = testdata_path("arm64/vmlinux.xz");
constexpr const char* kDumpBuildId = "39d8a7050a9551283bc02e9637940af40ad7d6df";  // the dump's VMCOREINFO BUILD-ID

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void spit(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// Replaces every occurrence of `from` by `to` (same length) in the bytes; returns how many.
size_t patch(std::string& bytes, const std::string& from, const std::string& to) {
  size_t n = 0;
  for (size_t p = 0; (p = bytes.find(from, p)) != std::string::npos; p += from.size(), n++) bytes.replace(p, from.size(), to);
  return n;
}

std::string hex_to_bytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(char(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

bool fixtures() { return file_exists(kDump) && file_exists(kVmlinux) && file_exists(kKo) && file_exists(kArmKo); }

// "Another release": the fixture vmlinux with its banner and build-id note changed, as a
// rebuilt 6.1.199 would differ. kdx refuses with both build-ids, and --force continues.
TEST(SymbolsBadInput, VmlinuxOfAnotherReleaseIsRefusedWithBothValues) {
  if (!fixtures()) GTEST_SKIP() << "fixtures absent";
  std::string dir = temp_path("other-release");
  ASSERT_EQ(std::system(("mkdir -p " + dir + " && xz -dc " + kVmlinux + " > " + dir + "/vmlinux").c_str()), 0);
  std::string v = slurp(dir + "/vmlinux");
  ASSERT_EQ(patch(v, hex_to_bytes(kDumpBuildId), hex_to_bytes("0123456789abcdef0123456789abcdef01234567")), 1u);
  ASSERT_GE(patch(v, "Linux version 6.1.192 ", "Linux version 6.1.199 "), 1u);
  spit(dir + "/vmlinux-6.1.199", v);
  auto ks = KernelSymbols::open(dir + "/vmlinux-6.1.199");
  ASSERT_TRUE(ks) << ks.error().to_string();
  EXPECT_EQ((*ks)->osrelease().value_or(""), "6.1.199");

  auto r = run_kdx("bt " + kDump + " " + dir + "/vmlinux-6.1.199");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(has(r.err, "vmlinux does not match the dump")) << r.err;
  EXPECT_TRUE(has(r.err, "0123456789abcdef0123456789abcdef01234567")) << r.err;
  EXPECT_TRUE(has(r.err, kDumpBuildId)) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  auto forced = run_kdx("report --force " + kDump + " " + dir + "/vmlinux-6.1.199");
  EXPECT_TRUE(forced.exit_code == 0 || forced.exit_code == 1) << forced.err;
  EXPECT_TRUE(has(forced.out, "--force: continuing")) << forced.out;
  std::remove((dir + "/vmlinux").c_str());
  std::remove((dir + "/vmlinux-6.1.199").c_str());
}

TEST(SymbolsBadInput, VmlinuxOfAnotherArchitectureIsRefusedByName) {
  if (!fixtures() || !file_exists(kArmVmlinux)) GTEST_SKIP() << "fixtures absent";
  auto r = run_kdx("bt " + kDump + " " + kArmVmlinux);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(has(r.err, "vmlinux does not match the dump: architecture arm64 (vmlinux) vs x86_64 (dump)")) << r.err;
}

TEST(SymbolsBadInput, ModuleOfAnotherReleaseOrArchitectureIsRefused) {
  if (!fixtures()) GTEST_SKIP() << "fixtures absent";
  auto ks = KernelSymbols::open(kVmlinux);
  ASSERT_TRUE(ks) << ks.error().to_string();
  // arm64's kdxcrash.ko: same release, other machine.
  auto arm = (*ks)->add_module("kdxcrash", kArmKo, {{".text", 0xffffffffc0000000ull}});
  ASSERT_FALSE(arm);
  EXPECT_EQ(arm.error().code, ErrorCode::Mismatch);
  EXPECT_TRUE(has(arm.error().to_string(), "module is for aarch64, vmlinux is x86_64")) << arm.error().to_string();
  // The x86_64 module with the vermagic of another release.
  std::string ko = slurp(kKo);
  ASSERT_EQ(patch(ko, "vermagic=6.1.192 ", "vermagic=6.1.199 "), 1u);
  std::string dir = temp_path("other-release-ko");
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  spit(dir + "/kdxcrash.ko", ko);
  auto rel = (*ks)->add_module("kdxcrash", dir + "/kdxcrash.ko", {{".text", 0xffffffffc0000000ull}});
  ASSERT_FALSE(rel);
  EXPECT_EQ(rel.error().code, ErrorCode::Mismatch);
  EXPECT_TRUE(has(rel.error().to_string(), "module built for 6.1.199 (vermagic), vmlinux is 6.1.192")) << rel.error().to_string();
  EXPECT_TRUE((*ks)->module_names().empty());

  // End to end: the wrong .ko is a stated degradation; module frames still get names from the
  // module's in-memory kallsyms, without lines.
  auto r = run_kdx("report " + kDump + " " + kVmlinux + " --modules-dir " + dir);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_TRUE(has(r.out, "module kdxcrash: debug info not used")) << r.out;
  EXPECT_TRUE(has(r.out, "6.1.199")) << r.out;
  EXPECT_TRUE(has(r.out, "kdx_deref+0x0/0x4 at ffffffffc032a014 [kdxcrash]")) << r.out;
  EXPECT_FALSE(has(r.out, "kdxcrash.c:48")) << r.out;
}

}  // namespace
