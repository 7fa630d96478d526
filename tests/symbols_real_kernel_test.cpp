// The symbolizer on the real Linux 6.1 fixture kernel, compared with crash 8.0.2's golden outputs (skipped when absent).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

using kdx::symbols::KernelSymbols;
using kdx::test::file_exists;
using kdx::test::testdata_path;

namespace {

[[maybe_unused]] const int kCacheDirSet = setenv("KDX_CACHE_DIR", kdx::test::temp_path("kdx-cache").c_str(), 0);

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// golden/null/crash.txt is one crash session; each command's output follows "@@@ command".
std::string crash_output(const std::string& golden, const std::string& command) {
  std::string g = slurp(golden);
  size_t p = g.find("\n@@@ " + command + "\n");
  if (p == std::string::npos) return "<no '@@@ " + command + "' section in " + golden + ">";
  p += command.size() + 6;
  size_t e = g.find("\n@@@ ", p);
  return g.substr(p, e == std::string::npos ? std::string::npos : e + 1 - p);
}

class RealKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    vmlinux_ = testdata_path("x86_64/vmlinux.xz");
    golden_ = testdata_path("x86_64/golden/null/crash.txt");
    if (!file_exists(vmlinux_) || !file_exists(golden_))
      GTEST_SKIP() << "fixture kernel or crash goldens not in testdata/";
    auto ks = KernelSymbols::open(vmlinux_);
    ASSERT_TRUE(ks) << ks.error().to_string();
    ks_ = std::move(*ks);
  }
  std::string vmlinux_, golden_;
  std::unique_ptr<KernelSymbols> ks_;
};

TEST_F(RealKernel, StructOffsetsIdenticalToCrash) {
  for (const char* t : {"task_struct", "list_head", "timerqueue_node"}) {
    auto text = ks_->format_layout("struct", t, true);
    ASSERT_TRUE(text) << text.error().to_string();
    EXPECT_EQ(*text, crash_output(golden_, std::string("struct -o ") + t)) << t;
  }
}

TEST_F(RealKernel, SymLineLikeCrashWithKaslr) {
  // crash printed panic at its KASLR'd address: the offset is that minus the link address.
  std::string line = crash_output(golden_, "sym panic");
  ASSERT_GT(line.size(), 16u) << line;
  uint64_t runtime = std::stoull(line.substr(0, 16), nullptr, 16);
  auto link = ks_->symbol_address("panic");
  ASSERT_TRUE(link);
  ks_->set_kaslr_offset(runtime - *link);
  auto info = ks_->address_info(runtime);
  ASSERT_TRUE(info && info->source);
  std::string mine = fmt::format("{:016x} ({}) {} {}: {}\n", runtime, info->symbol.type_char, info->symbol.name,
                                 info->source->file, info->source->line);
  EXPECT_EQ(mine, line.substr(0, line.find('\n') + 1));
}

TEST_F(RealKernel, ModuleFramesFromTextAddressAlone) {
  // crash's bt: "kdx_null_deref at ffffffffc032a0a8 [kdxcrash]"; mod: base ffffffffc032a000,
  // struct module at ffffffffc032d040. Only .text is given; the kernel's layout places the rest.
  std::string ko = testdata_path("x86_64/kdxcrash.ko");
  std::string bt = crash_output(golden_, "bt");
  std::string mod = crash_output(golden_, "mod");
  ASSERT_NE(bt.find("kdx_null_deref at ffffffffc032a0a8 [kdxcrash]"), std::string::npos);
  ASSERT_NE(mod.find("ffffffffc032d040  kdxcrash  ffffffffc032a000"), std::string::npos);
  auto r = ks_->add_module("kdxcrash", ko, {{".text", 0xffffffffc032a000}});
  ASSERT_TRUE(r) << r.error().to_string();
  auto hit = ks_->symbolize(0xffffffffc032a0a8);
  ASSERT_TRUE(hit) << hit.error().to_string();
  EXPECT_EQ(hit->name, "kdx_null_deref");
  EXPECT_EQ(hit->module.value_or(""), "kdxcrash");
  EXPECT_EQ(ks_->symbol_address("__this_module").value_or(0), 0xffffffffc032d040u);
  auto deref = ks_->address_info(0xffffffffc032a014);
  ASSERT_TRUE(deref && deref->source);
  EXPECT_EQ(deref->symbol.name, "kdx_deref");
  // crash's `dis -l kdx_deref` starts with the file:line of its first instruction.
  std::string dis = crash_output(golden_, "dis -l kdx_deref");
  EXPECT_EQ(fmt::format("{}: {}", deref->source->file, deref->source->line), dis.substr(0, dis.find('\n')));
}

}  // namespace
