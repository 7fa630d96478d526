// No vmlinux: the kernel's kallsyms from the real fixture dumps (both arches) against the vmlinux's own ELF symbols and bt.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kdx/analysis/target.hpp"
#include "kdx/dump/dump.hpp"
#include "kdx/symbols/kallsyms.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

using kdx::test::file_exists;
using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

[[maybe_unused]] const int kCacheDirSet = setenv("KDX_CACHE_DIR", kdx::test::temp_path("kdx-cache").c_str(), 0);

struct Case {
  std::string arch, dump, vmlinux;
};

Case x86() { return {"x86_64", testdata_path("x86_64/null/vmcore-d31.kdump"), testdata_path("x86_64/vmlinux.xz")}; }
Case arm() { return {"arm64", testdata_path("arm64/null/vmcore-qemu-zlib.flat"), testdata_path("arm64/vmlinux.xz")}; }

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::unique_ptr<kdx::analysis::Target> open_without_vmlinux(const Case& c) {
  auto d = kdx::dump::open_dump({c.dump});
  if (!d) {
    ADD_FAILURE() << d.error().to_string();
    return nullptr;
  }
  auto t = kdx::analysis::Target::open(std::move(*d), nullptr);
  if (!t) {
    ADD_FAILURE() << t.error().to_string();
    return nullptr;
  }
  return std::move(*t);
}

// Every 7th text symbol of the dump's kallsyms, looked up in vmlinux's ELF symbol table with the
// dump's KASLR offset: same start address, and the same name or an ELF alias at that address.
void compare_with_elf(const Case& c, kdx::symbols::KallsymsAddressMode want_mode) {
  if (!file_exists(c.dump) || !file_exists(c.vmlinux)) GTEST_SKIP() << c.arch << " fixtures absent";
  auto t = open_without_vmlinux(c);
  ASSERT_TRUE(t);
  std::string said;
  t->on_degraded = [&](const std::string& l) { said += l + "\n"; };
  const auto* k = t->kallsyms();
  ASSERT_TRUE(k) << (t->notes.empty() ? "" : t->notes.back());
  EXPECT_EQ(k->mode(), want_mode);
  EXPECT_GT(k->size(), 10000u);
  t->kallsyms();  // said once
  EXPECT_EQ(std::count(said.begin(), said.end(), '\n'), 1) << said;
  EXPECT_TRUE(has(said, "types and source lines are unavailable (kallsyms only)")) << said;

  auto ks = kdx::symbols::KernelSymbols::open(c.vmlinux);
  ASSERT_TRUE(ks) << ks.error().to_string();
  ASSERT_TRUE(t->vmcoreinfo().kernel_offset());
  (*ks)->set_kaslr_offset(*t->vmcoreinfo().kernel_offset());

  size_t checked = 0, same_name = 0, by_name = 0;
  const auto& syms = k->symbols();
  for (size_t i = 0; i < syms.size(); i += 7) {
    const auto& s = syms[i];
    if (s.type != 'T' && s.type != 't') continue;
    auto kh = k->symbolize(s.address);
    ASSERT_TRUE(kh) << s.name << ": " << kh.error().to_string();
    auto eh = (*ks)->symbolize(s.address);
    ASSERT_TRUE(eh) << s.name << ": " << eh.error().to_string();
    EXPECT_EQ(eh->address, s.address) << s.name << " vs ELF " << eh->name;
    checked++;
    if (eh->name == kh->name) {
      same_name++;
    } else {
      // An alias: the ELF table knows the kallsyms name at this very address.
      auto alias = (*ks)->lookup_symbol(kh->name);
      EXPECT_TRUE(alias && alias->address == s.address)
          << kh->name << " (kallsyms) vs " << eh->name << " (ELF) at " << std::hex << s.address;
    }
    // Inside the symbol: still the same symbol, the offset from its start.
    if (kh->size > 2) {
      auto mid = k->symbolize(s.address + kh->size / 2);
      ASSERT_TRUE(mid);
      EXPECT_EQ(mid->address, s.address) << kh->name;
      EXPECT_EQ(mid->offset, kh->size / 2);
    }
    // Name -> address agrees for names the ELF table has once.
    if (auto e = (*ks)->lookup_symbol(s.name); e && e->address == s.address) by_name++;
  }
  EXPECT_GT(checked, 1000u);
  EXPECT_GT(same_name, checked * 95 / 100) << same_name << "/" << checked;
  EXPECT_GT(by_name, checked * 90 / 100) << by_name << "/" << checked;
  // The crash path's functions.
  for (const char* f : {"panic", "schedule", "do_syscall_64"}) {
    if (c.arch == "arm64" && std::string(f) == "do_syscall_64") continue;
    auto a = k->lookup(f);
    ASSERT_TRUE(a) << f;
    EXPECT_EQ(a->address, *(*ks)->symbol_address(f)) << f;
  }
}

TEST(KallsymsReal, X86_64SymbolsEqualVmlinuxElfSymbols) {
  compare_with_elf(x86(), kdx::symbols::KallsymsAddressMode::BaseRelativeAbsolutePercpu);
}
TEST(KallsymsReal, Arm64SymbolsEqualVmlinuxElfSymbols) {
  compare_with_elf(arm(), kdx::symbols::KallsymsAddressMode::BaseRelative);
}

struct BtFrame {
  std::string name, module, pc;
};

// "#N [sp] func+0x.. at pc [mod]" per frame.
std::vector<BtFrame> frames_of(const std::string& bt) {
  std::vector<BtFrame> out;
  static const std::regex re(R"(#\d+\s+\[[0-9a-f]+\] (\S+?)(\+0x[0-9a-f]+)? at ([0-9a-f]+)( \[\w+\])?)");
  std::istringstream in(bt);
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) out.push_back({m[1], m[4], m[3]});
  return out;
}

// Same frames (same pcs), and the same names for every vmlinux frame. Module frames stay
// unnamed without the vmlinux: listing modules needs struct module's layout (DWARF).
void compare_bt(const Case& c, bool prefix = false) {
  if (!file_exists(c.dump) || !file_exists(c.vmlinux)) GTEST_SKIP() << c.arch << " fixtures absent";
  auto with = run_kdx("bt " + c.dump + " " + c.vmlinux);
  auto without = run_kdx("bt " + c.dump);
  ASSERT_TRUE(with.exit_code == 0 || with.exit_code == 1) << with.err;
  ASSERT_TRUE(without.exit_code == 0 || without.exit_code == 1) << without.err;
  auto a = frames_of(with.out), b = frames_of(without.out);
  ASSERT_GE(a.size(), 8u) << with.out;
  if (prefix) ASSERT_LE(b.size(), a.size());
  else ASSERT_EQ(a.size(), b.size()) << "with vmlinux:\n" << with.out << "\nwithout:\n" << without.out << without.err;
  size_t named = 0, module_frames = 0;
  for (size_t i = 0; i < b.size(); i++) {
    EXPECT_EQ(a[i].pc, b[i].pc) << "frame " << i << "\n" << with.out << "\n" << without.out;
    if (a[i].module.empty()) {
      EXPECT_EQ(a[i].name, b[i].name) << "frame " << i << "\n" << with.out << "\n" << without.out;
      named += a[i].name != "??";
    } else {
      EXPECT_EQ(b[i].name, "??") << "frame " << i;
      module_frames++;
    }
  }
  EXPECT_GE(named, 6u);
  if (!prefix) {
    EXPECT_EQ(with.exit_code, without.exit_code);
  }
  if (c.dump.find("/null/") != std::string::npos) {
    EXPECT_GE(module_frames, 2u);  // kdx_deref, ...
  }
  // Said once, on stderr.
  size_t first = without.err.find("kallsyms only");
  EXPECT_NE(first, std::string::npos) << without.err;
  EXPECT_EQ(without.err.find("kallsyms only", first + 1), std::string::npos) << without.err;
}

TEST(KallsymsReal, X86_64BtNamesTheSameFramesWithoutVmlinux) {
  compare_bt(x86());
  for (const char* s : {"timer_fault", "hrtimer_uaf", "panic", "sysrq", "kthread_fault"}) {
    SCOPED_TRACE(s);
    compare_bt({"x86_64", testdata_path(std::string("x86_64/") + s + "/vmcore-d31.kdump"), testdata_path("x86_64/vmlinux.xz")});
  }
}
TEST(KallsymsReal, Arm64BtNamesTheSameFramesWithoutVmlinux) {
  compare_bt(arm());
  compare_bt({"arm64", testdata_path("arm64/smp_null/vmcore-qemu-zlib.flat"), testdata_path("arm64/vmlinux.xz")});
  // The timer interrupt ran on the IRQ stack: without the active task's stack (task_struct's
  // layout) the walk stops where it would cross to it, every frame up to there the same.
  compare_bt({"arm64", testdata_path("arm64/hrtimer_uaf/vmcore-qemu-zlib.flat"), testdata_path("arm64/vmlinux.xz")}, true);
}

TEST(KallsymsReal, SymReportAndDisWithoutVmlinux) {
  Case c = x86();
  if (!file_exists(c.dump) || !file_exists(c.vmlinux)) GTEST_SKIP() << "fixtures absent";
  // crash's golden (with vmlinux): ffffffffbd2f10e9 is panic+0 on this dump.
  auto vm = run_kdx("sym panic " + c.dump + " " + c.vmlinux + " --json");
  ASSERT_EQ(vm.exit_code, 0) << vm.err;
  auto jv = nlohmann::json::parse(vm.out);
  auto s = run_kdx("sym panic " + c.dump + " --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto j = nlohmann::json::parse(s.out);
  EXPECT_EQ(j["name"], "panic");
  EXPECT_TRUE(j["module"].is_null());
  EXPECT_TRUE(j["file"].is_null());
  EXPECT_TRUE(j["line"].is_null());
  EXPECT_TRUE(has(s.err, "kallsyms only")) << s.err;

  // By address, mid-function, against the vmlinux answer.
  auto addr = run_kdx("sym panic " + c.dump + " " + c.vmlinux);
  ASSERT_EQ(addr.exit_code, 0) << addr.err;
  std::string a = addr.out.substr(0, 16);
  uint64_t panic = std::stoull(a, nullptr, 16);
  auto mid = run_kdx(fmt::format("sym {:x} {}", panic + 0x10, c.dump));
  ASSERT_EQ(mid.exit_code, 0) << mid.err;
  EXPECT_EQ(mid.out, fmt::format("{:016x} (T) panic+16\n", panic + 0x10));
  auto midv = run_kdx(fmt::format("sym {:x} {} {}", panic + 0x10, c.dump, c.vmlinux));
  EXPECT_TRUE(midv.out.rfind(mid.out.substr(0, mid.out.size() - 1), 0) == 0) << midv.out << " vs " << mid.out;

  // Module symbols need the module list, i.e. struct module's layout from the vmlinux: one line.
  auto mod = run_kdx("sym kdx_deref " + c.dump);
  EXPECT_EQ(mod.exit_code, 1) << mod.err;
  EXPECT_TRUE(has(mod.err, "no symbol kdx_deref")) << mod.err;
  auto modv = run_kdx("sym kdx_deref " + c.dump + " " + c.vmlinux + " --json");
  ASSERT_EQ(modv.exit_code, 0) << modv.err;
  EXPECT_EQ(nlohmann::json::parse(modv.out)["module"], "kdxcrash");

  // report: the crashing frames are named; the notes say kallsyms only.
  auto r = run_kdx("report " + c.dump);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_TRUE(has(r.out, "kdx_deref")) << r.out;
  EXPECT_TRUE(has(r.out, "do_syscall_64")) << r.out;
  EXPECT_TRUE(has(r.out, "kallsyms only")) << r.out;

  // dis: names, no lines.
  auto d = run_kdx("dis panic 4 " + c.dump);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(has(d.out, "<panic+0>")) << d.out;
  auto dv = run_kdx("dis panic 4 " + c.dump + " " + c.vmlinux);
  EXPECT_EQ(d.out, dv.out);

  // Types need the vmlinux: one clear line, non-zero exit.
  auto st = run_kdx("struct task_struct.pid ffffffffbe00f600 " + c.dump);
  EXPECT_NE(st.exit_code, 0);
  EXPECT_TRUE(has(st.err, "kallsyms only")) << st.err;
}

}  // namespace
