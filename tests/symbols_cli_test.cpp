// End-to-end `kdx sym`, `kdx struct|union|whatis` on the fixtures, compressed inputs and bad inputs.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

using kdx::test::run_kdx;
using kdx::test::temp_path;

namespace {

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Decompressed inputs go to a cache dir inside the build tree, not the user's ~/.cache.
[[maybe_unused]] const int kCacheDirSet = setenv("KDX_CACHE_DIR", temp_path("kdx-cache").c_str(), 0);

const std::string kDw4 = KDX_SYM_FIXTURE_DW4;
const std::string kDw5 = KDX_SYM_FIXTURE_DW5;

TEST(SymbolsCli, SymByNameJsonHasExactlyTheDocumentedKeys) {
  auto r = run_kdx("sym fixture_function " + kDw5 + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::ordered_json::parse(r.out);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "offset", "size", "module", "file", "line", "inlined"}));
  EXPECT_EQ(j["name"], "fixture_function");
  EXPECT_EQ(j["offset"], 0);
  EXPECT_GT(j["size"].get<uint64_t>(), 0u);
  EXPECT_TRUE(j["module"].is_null());
  EXPECT_NE(j["file"].get<std::string>().find("fixture.c"), std::string::npos);
  EXPECT_GT(j["line"].get<int>(), 0);
  EXPECT_TRUE(j["inlined"].is_array());
}

TEST(SymbolsCli, SymByAddressGivesInlineChainOutermostLast) {
  auto ks = kdx::symbols::KernelSymbols::open(kDw4);
  ASSERT_TRUE(ks);
  auto marker = (*ks)->symbol_address("fixture_inline_marker");
  ASSERT_TRUE(marker);
  auto r = run_kdx(fmt::format("sym {:#x} {} --json", *marker + 0x100000, kDw4) + " --kaslr-offset 100000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["name"], "fixture_inline_marker");
  ASSERT_EQ(j["inlined"].size(), 3u) << r.out;
  EXPECT_EQ(j["inlined"][0]["function"], "fixture_inner");
  EXPECT_EQ(j["inlined"][2]["function"], "fixture_outer");
  auto text = run_kdx(fmt::format("sym {:x} {}", *marker, kDw4));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.rfind(fmt::format("{:016x} (t) fixture_inline_marker ", *marker), 0), 0u) << text.out;
}

TEST(SymbolsCli, StructUnionWhatisMatchTheLibrary) {
  auto ks = kdx::symbols::KernelSymbols::open(kDw5);
  ASSERT_TRUE(ks);
  auto r = run_kdx("struct fixture_task -o " + kDw5);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (*ks)->format_layout("struct", "fixture_task", true).value_or("?"));
  auto x = run_kdx("struct fixture_sched -o -x " + kDw5);
  ASSERT_EQ(x.exit_code, 0) << x.err;
  EXPECT_NE(x.out.find("SIZE: 0x18"), std::string::npos) << x.out;
  auto u = run_kdx("union fixture_union " + kDw5);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(u.out.rfind("union fixture_union {\n", 0), 0u) << u.out;
  auto w = run_kdx("whatis fixture_tasks " + kDw5);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(w.out, "struct fixture_task fixture_tasks[4];\n");
  auto wrong = run_kdx("union fixture_task " + kDw5);
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("not a union"), std::string::npos) << wrong.err;
  auto missing = run_kdx("struct no_such_type_at_all " + kDw5);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no_such_type_at_all"), std::string::npos) << missing.err;
}

TEST(SymbolsCli, XzAndZstdInputsAreDecompressedIntoTheCacheDir) {
  std::string dir = temp_path("symsrc");
  std::string cache = temp_path("symcache");
  ASSERT_EQ(sh("rm -rf " + dir + " " + cache + " && mkdir -p " + dir), 0);
  ASSERT_EQ(sh("xz -c " + kDw5 + " > " + dir + "/vmlinux.xz"), 0);
  // The decompressed copy lands in KDX_CACHE_DIR.
  std::string cmd = "KDX_CACHE_DIR=" + cache + " " + KDX_BIN + " struct fixture_sched -o " + dir + "/vmlinux.xz > " + dir + "/out.txt";
  ASSERT_EQ(sh(cmd), 0);
  EXPECT_NE(slurp(dir + "/out.txt").find("[16] int prio;"), std::string::npos) << slurp(dir + "/out.txt");
  EXPECT_EQ(sh("ls " + cache + "/vmlinux-* > /dev/null 2>&1"), 0) << "no decompressed copy in the cache dir";
  EXPECT_NE(sh("ls " + dir + " | grep -v -e vmlinux.xz -e out.txt > /dev/null"), 0) << "something was written next to the input";
  if (sh("command -v zstd > /dev/null") == 0) {
    ASSERT_EQ(sh("zstd -q -c " + kDw4 + " > " + dir + "/vmlinux.zst"), 0);
    std::string z = "KDX_CACHE_DIR=" + cache + " " + KDX_BIN + " sym fixture_outer " + dir + "/vmlinux.zst > " + dir + "/z.txt";
    EXPECT_EQ(sh(z), 0);
    EXPECT_NE(slurp(dir + "/z.txt").find("fixture_outer"), std::string::npos);
  }
  // A cut xz stream: a clear error, not a crash and not a half-written cache entry used later.
  ASSERT_EQ(sh("head -c 2000 " + dir + "/vmlinux.xz > " + dir + "/cut.xz"), 0);
  std::string c = "KDX_CACHE_DIR=" + cache + " " + KDX_BIN + " sym 0 " + dir + "/cut.xz 2> " + dir + "/cut.err";
  int rc = sh(c);
  EXPECT_NE(rc, 0);
  EXPECT_NE(slurp(dir + "/cut.err").find("xz stream"), std::string::npos) << slurp(dir + "/cut.err");
  EXPECT_NE(sh("ls " + cache + "/cut-* > /dev/null 2>&1"), 0) << "a failed decompression left a cache file";
}

TEST(SymbolsCli, ModuleFoundInModulesDirAndRelocated) {
  std::string dir = temp_path("moddir");
  ASSERT_EQ(sh("rm -rf " + dir + " && mkdir -p " + dir + "/kernel/net && cp " + KDX_SYM_MODULE_DW5 + " " + dir +
               "/kernel/net/fixture-mod.ko && xz " + dir + "/kernel/net/fixture-mod.ko"),
            0);
  auto r = run_kdx("sym fixture_mod_entry " + kDw5 + " --json --modules-dir " + dir +
                   " --module fixture_mod::.text=0xffffffffc0100000,.data=0xffffffffc0104000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["module"], "fixture_mod");
  EXPECT_NE(j["file"].get<std::string>().find("fixture_module.c"), std::string::npos) << r.out;
  auto missing = run_kdx("sym fixture_mod_entry " + kDw5 + " --modules-dir " + dir + " --module nothere::.text=0x1000");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nothere"), std::string::npos) << missing.err;
}

TEST(SymbolsCli, NotAnElfIsRejectedClearly) {
  std::string f = temp_path("notelf.txt");
  std::ofstream(f) << "this is not a kernel\n";
  auto r = run_kdx("sym 0x1000 " + f);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("not an ELF file"), std::string::npos) << r.err;
  auto rel = run_kdx(std::string("struct x ") + KDX_SYM_MODULE_DW5);
  EXPECT_EQ(rel.exit_code, 3);
  EXPECT_NE(rel.err.find("not an ELF executable"), std::string::npos) << rel.err;
}

TEST(SymbolsCli, StrippedVmlinuxSaysWhatIsMissing) {
  std::string f = temp_path("stripped");
  ASSERT_EQ(sh("strip -o " + f + " " + kDw5), 0);
  auto s = run_kdx("sym fixture_function " + f);
  EXPECT_NE(s.exit_code, 0);
  EXPECT_NE(s.err.find("no symbol table"), std::string::npos) << s.err;
  auto t = run_kdx("struct fixture_task -o " + f);
  EXPECT_NE(t.exit_code, 0);
  EXPECT_LT(t.exit_code, 128);
  EXPECT_NE(t.err.find("no DWARF"), std::string::npos) << t.err;
}

TEST(SymbolsCli, TruncatedDebugInfoAndTruncatedFile) {
  std::string dir = temp_path("trunc");
  ASSERT_EQ(sh("rm -rf " + dir + " && mkdir -p " + dir), 0);
  ASSERT_EQ(sh("objcopy --dump-section .debug_info=" + dir + "/di " + kDw5 + " && head -c 300 " + dir + "/di > " + dir +
               "/di.cut && objcopy --update-section .debug_info=" + dir + "/di.cut " + kDw5 + " " + dir + "/vmlinux"),
            0);
  auto t = run_kdx("struct fixture_task -o " + dir + "/vmlinux");
  EXPECT_NE(t.exit_code, 0);
  EXPECT_LT(t.exit_code, 128) << "crashed";
  EXPECT_NE(t.err.find(".debug_info"), std::string::npos) << t.err;
  ASSERT_EQ(sh("head -c 5000 " + kDw5 + " > " + dir + "/cut"), 0);
  auto c = run_kdx("sym fixture_function " + dir + "/cut");
  EXPECT_EQ(c.exit_code, 3);
  EXPECT_NE(c.err.find("past the end of the file"), std::string::npos) << c.err;
}

}  // namespace
