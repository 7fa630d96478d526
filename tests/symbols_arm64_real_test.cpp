// Symbols of the crashing frames on the real fixture dumps (arm64 and x86_64, KASLR), checked against the oops the kernel itself printed.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "kdx/analysis/target.hpp"
#include "kdx/dump/dump.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

using kdx::test::file_exists;
using kdx::test::testdata_path;

namespace {

[[maybe_unused]] const int kCacheDirSet = setenv("KDX_CACHE_DIR", kdx::test::temp_path("kdx-cache").c_str(), 0);

struct TraceEntry {
  std::string name, module;
  uint64_t offset = 0, size = 0;
  std::string text() const {
    return fmt::format("{}+{:#x}/{:#x}{}", name, offset, size, module.empty() ? "" : " [" + module + "]");
  }
};

// The oops's "Call trace:" (arm64) / "Call Trace:" (x86_64) entries as the kernel printed them
// with %pS ("name+0xoff/0xsize [module]"); x86's unreliable "? " entries are skipped.
std::vector<TraceEntry> console_trace(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::vector<TraceEntry> out;
  bool in = false;
  static const std::regex entry(R"(^\[\s*[0-9.]+\]\s+([A-Za-z0-9_.]+)\+0x([0-9a-f]+)/0x([0-9a-f]+)(?: \[(\w+)\])?\s*$)");
  std::smatch m;
  while (std::getline(f, line)) {
    if (line.find("Call trace:") != std::string::npos || line.find("Call Trace:") != std::string::npos) {
      if (!out.empty()) break;  // the first trace only (the oops)
      in = true;
      continue;
    }
    if (!in) continue;
    if (std::regex_match(line, m, entry)) {
      out.push_back({m[1], m[4], std::stoull(m[2], nullptr, 16), std::stoull(m[3], nullptr, 16)});
    } else if (line.find(" ? ") == std::string::npos && line.find("<TASK>") == std::string::npos &&
               line.find("</TASK>") == std::string::npos && !out.empty()) {
      break;  // registers or "Code:" after the trace
    }
  }
  return out;
}

std::unique_ptr<kdx::analysis::Target> open_target(const std::string& dump, const std::string& vmlinux,
                                                   const std::string& modules_dir) {
  auto d = kdx::dump::open_dump({dump});
  if (!d) {
    ADD_FAILURE() << d.error().to_string();
    return nullptr;
  }
  std::unique_ptr<kdx::symbols::KernelSymbols> ks;
  if (!vmlinux.empty()) {
    auto k = kdx::symbols::KernelSymbols::open(vmlinux);
    if (!k) {
      ADD_FAILURE() << k.error().to_string();
      return nullptr;
    }
    ks = std::move(*k);
  }
  kdx::analysis::TargetOptions o;
  o.modules_dirs = {modules_dir};
  auto t = kdx::analysis::Target::open(std::move(*d), std::move(ks), o);
  if (!t) {
    ADD_FAILURE() << t.error().to_string();
    return nullptr;
  }
  return std::move(*t);
}

// Frames from the first exception frame on, as "name+0xoff/0xsize [module]".
std::vector<std::string> frames_after_exception(kdx::analysis::Target& t, std::vector<std::string>* before) {
  auto cpu = t.crashed_cpu().value_or(0);
  auto w = t.backtrace_cpu(cpu);
  EXPECT_TRUE(w) << (w ? "" : w.error().to_string());
  std::vector<std::string> out;
  if (!w) return out;
  bool after = false;
  for (size_t i = 0; i < w->frames.size(); i++) {
    const auto& f = w->frames[i];
    if (f.pt_regs_address && i > 0) after = true;
    auto s = t.symbolize(f.lookup_pc());
    std::string txt = s && !s->function.empty()
                          ? fmt::format("{}+{:#x}/{:#x}{}", s->function, f.pc - s->start, s->size,
                                        s->module.empty() ? "" : " [" + s->module + "]")
                          : fmt::format("?? {:#x}", f.pc);
    (after ? out : *before).push_back(txt);
  }
  return out;
}

TEST(SymbolsArm64Real, CrashingFramesMatchTheKernelsOwnOops) {
  auto dump = testdata_path("arm64/null/vmcore-qemu-zlib.flat");
  auto vmlinux = testdata_path("arm64/vmlinux.xz");
  auto console = testdata_path("arm64/null/console.log");
  if (!file_exists(dump) || !file_exists(vmlinux)) GTEST_SKIP() << "arm64 fixtures absent";
  auto trace = console_trace(console);
  ASSERT_EQ(trace.size(), 11u) << console;
  EXPECT_EQ(trace[0].text(), "kdx_deref+0x4/0x10 [kdxcrash]");

  auto t = open_target(dump, vmlinux, testdata_path("arm64"));
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->kaslr_offset());
  EXPECT_EQ(*t->kaslr_offset(), 0x470a3dc00000ull);  // VMCOREINFO KERNELOFFSET=470a3dc00000
  EXPECT_NE(t->kaslr_source().find("KERNELOFFSET"), std::string::npos) << t->kaslr_source();
  std::vector<std::string> before;
  auto got = frames_after_exception(*t, &before);
  ASSERT_GE(got.size(), trace.size());
  // Names and offsets as the kernel printed them; sizes are the ELF st_size with a vmlinux
  // (the kernel prints the distance to the next kallsyms symbol, which includes padding).
  auto strip_size = [](std::string s) {
    auto slash = s.find('/');
    auto sp = s.find(' ', slash);
    return s.substr(0, slash) + (sp == std::string::npos ? "" : s.substr(sp));
  };
  for (size_t i = 0; i < trace.size(); i++) {
    std::string want = strip_size(trace[i].text()), have = strip_size(got[i]);
    if (have == want) continue;
    // The module's init function has two ELF names at one address: the kernel's module kallsyms
    // names it kdxcrash_init (first in .symtab), kdx's ELF ranking the global init_module.
    if (trace[i].name == "kdxcrash_init") {
      EXPECT_EQ(have, fmt::format("init_module+{:#x} [kdxcrash]", trace[i].offset));
      auto a = t->lookup_symbol("kdxcrash_init"), b = t->lookup_symbol("init_module");
      ASSERT_TRUE(a && b);
      EXPECT_EQ(a->first, b->first);
      continue;
    }
    ADD_FAILURE() << "frame " << i << ": kdx " << got[i] << ", kernel " << trace[i].text();
  }
  EXPECT_EQ(got[0], "kdx_deref+0x4/0x10 [kdxcrash]");
  // Before the exception: the panic path through the EL1 synchronous exception vector.
  std::string all;
  for (auto& b : before) all += b + "\n";
  EXPECT_NE(all.find("el1h_64_sync_handler+0x90/"), std::string::npos) << all;
  EXPECT_NE(all.find("el1h_64_sync+0x64/0x68\n"), std::string::npos) << all;
  EXPECT_NE(all.find("panic+0x158/"), std::string::npos) << all;
  // The module frame has source lines from kdxcrash.ko's DWARF, relocated at its load address.
  auto s = t->symbolize(*t->lookup_symbol("kdx_deref").transform([](auto p) { return p.first; }) + 4);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->module, "kdxcrash");
  EXPECT_NE(s->file.find("kdxcrash.c"), std::string::npos) << s->file;
  EXPECT_GT(s->line, 0);
  auto* ks = t->symbols();
  auto el1 = ks->address_info(*ks->symbol_address("el1h_64_sync") + 0x64);
  ASSERT_TRUE(el1);
  EXPECT_EQ(el1->symbol.name, "el1h_64_sync");
  ASSERT_TRUE(el1->source);
  EXPECT_NE(el1->source->file.find("entry.S"), std::string::npos) << el1->source->file;
}

// Without the vmlinux, the kernel's kallsyms gives the same name+offset/size the kernel printed
// for every vmlinux frame of its oops (it computed them from the same table).
void kallsyms_matches_console(const std::string& arch, const std::string& dump) {
  auto console = testdata_path(arch + "/null/console.log");
  if (!file_exists(dump)) GTEST_SKIP() << arch << " fixtures absent";
  auto trace = console_trace(console);
  ASSERT_GE(trace.size(), 5u);
  auto t = open_target(dump, "", "/nonexistent");
  ASSERT_TRUE(t);
  const auto* k = t->kallsyms();
  ASSERT_TRUE(k);
  size_t checked = 0;
  for (const auto& e : trace) {
    if (!e.module.empty()) continue;
    auto start = k->lookup(e.name);
    ASSERT_TRUE(start) << e.name;
    auto h = t->symbolize(start->address + e.offset);
    ASSERT_TRUE(h) << e.name;
    EXPECT_EQ(fmt::format("{}+{:#x}/{:#x}", h->function, h->offset, h->size), e.text()) << arch;
    EXPECT_EQ(h->source, "kallsyms");
    checked++;
  }
  EXPECT_GE(checked, 5u);
}

TEST(SymbolsArm64Real, KallsymsGivesTheKernelsOwnNamesOffsetsAndSizes) {
  kallsyms_matches_console("arm64", testdata_path("arm64/null/vmcore-qemu-zlib.flat"));
}
TEST(SymbolsX86Real, KallsymsGivesTheKernelsOwnNamesOffsetsAndSizes) {
  kallsyms_matches_console("x86_64", testdata_path("x86_64/null/vmcore-d31.kdump"));
}

}  // namespace
