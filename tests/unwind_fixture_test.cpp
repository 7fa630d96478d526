// Real Linux 6.1 x86_64 fixtures: ORC tables of the vmlinux, and a full walk of a QEMU paging dump (skipped when absent).
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "kdx/unwind/orc_table.hpp"
#include "kdx/unwind/x86_64_unwinder.hpp"
#include "support/elf_core_stack_memory.hpp"
#include "support/paths.hpp"

using namespace kdx::unwind;

namespace {

std::string fixture_vmlinux() { return kdx::test::fixture_file("x86_64/vmlinux", "KDX_X86_64_VMLINUX"); }

// What the test needs from the ELF, read here independently of the loader.
struct ElfFacts {
  uint64_t ip_bytes = 0, orc_bytes = 0;
  bool has_orc_header = false;
  std::map<std::string, uint64_t> funcs;  // STT_FUNC and STT_NOTYPE (asm, linker labels) by name
};

ElfFacts read_facts(const std::string& path) {
  ElfFacts f;
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return f;
  Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  size_t shstrndx = 0;
  if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
    for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* name = elf_strptr(e, shstrndx, sh.sh_name);
      if (!name) continue;
      if (!std::strcmp(name, ".orc_unwind_ip")) f.ip_bytes = sh.sh_size;
      if (!std::strcmp(name, ".orc_unwind")) f.orc_bytes = sh.sh_size;
      if (!std::strcmp(name, ".orc_header")) f.has_orc_header = true;
      if (sh.sh_type == SHT_SYMTAB) {
        Elf_Data* d = elf_getdata(scn, nullptr);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; d && i < n; ++i) {
          GElf_Sym sym;
          // Entry code (asm_exc_page_fault, entry_SYSCALL_64_after_hwframe) is STT_NOTYPE.
          if (!gelf_getsym(d, static_cast<int>(i), &sym) || sym.st_shndx == SHN_UNDEF) continue;
          const char* sname = elf_strptr(e, sh.sh_link, sym.st_name);
          if (!sname) continue;
          int type = GELF_ST_TYPE(sym.st_info);
          if (type == STT_FUNC || type == STT_NOTYPE) f.funcs.emplace(sname, sym.st_value);
        }
      }
    }
  }
  if (e) elf_end(e);
  ::close(fd);
  return f;
}

}  // namespace

TEST(UnwindFixture, LoadsRealOrcTablesOfLinux61) {
  std::string path = fixture_vmlinux();
  if (path.empty()) GTEST_SKIP() << "fixture testdata/x86_64/vmlinux(.xz) not present";
  ElfFacts facts = read_facts(path);
  ASSERT_GT(facts.ip_bytes, 0u) << "fixture has no .orc_unwind_ip";
  EXPECT_FALSE(facts.has_orc_header) << "6.1 predates .orc_header";

  auto t = OrcTable::from_elf(path, 0, *orc_format_for_release("6.1"));
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->format(), OrcFormat::V1);
  EXPECT_EQ(t->size(), facts.ip_bytes / 4);
  EXPECT_EQ(t->size(), facts.orc_bytes / 6);
  RecordProperty("orc_entries", std::to_string(t->size()));

  // Every ordinary C function starts with the return address on top of the stack:
  // sp_reg SP, sp_offset 8, type CALL. A wrong bitfield layout would break this.
  int checked = 0;
  for (const char* fn : {"panic", "schedule", "do_exit", "kthread", "vfs_read", "kmem_cache_alloc"}) {
    auto it = facts.funcs.find(fn);
    if (it == facts.funcs.end()) continue;
    auto e = t->find(it->second);
    ASSERT_TRUE(e) << fn;
    EXPECT_EQ(e->sp_reg, OrcReg::Sp) << fn;
    EXPECT_EQ(e->sp_offset, 8) << fn;
    EXPECT_EQ(e->type, OrcType::Call) << fn;
    ++checked;
  }
  EXPECT_GE(checked, 3);

  // Entry code has pt_regs entries, ret_from_fork an end-of-stack one; most are CALL.
  std::map<OrcType, size_t> by_type;
  for (size_t i = 0; i < t->size(); ++i) by_type[t->entry(i).type]++;
  std::printf("%s: %zu ORC entries (call %zu, regs %zu, regs_partial %zu, end %zu, undefined %zu); "
              "%d function entries checked\n",
              path.c_str(), t->size(), by_type[OrcType::Call], by_type[OrcType::Regs], by_type[OrcType::RegsPartial],
              by_type[OrcType::EndOfStack], by_type[OrcType::Undefined], checked);
  EXPECT_GT(by_type[OrcType::Call], t->size() * 9 / 10);
  EXPECT_GT(by_type[OrcType::Regs], 0u);
  EXPECT_GT(by_type[OrcType::RegsPartial], 0u);
  EXPECT_GT(by_type[OrcType::EndOfStack], 0u);
  if (auto rff = facts.funcs.find("ret_from_fork"); rff != facts.funcs.end()) {
    // Somewhere inside ret_from_fork the unwind hint marks the outermost frame.
    bool found_end = false;
    for (uint64_t ip = rff->second; ip < rff->second + 0x80 && !found_end; ++ip) {
      auto e = t->find(ip);
      found_end = e && e->type == OrcType::EndOfStack;
    }
    EXPECT_TRUE(found_end);
  }

  // A KASLR offset shifts every ip.
  const uint64_t kaslr = 0x2a000000;
  auto shifted = OrcTable::from_elf(path, kaslr, OrcFormat::V1);
  ASSERT_TRUE(shifted);
  EXPECT_EQ(shifted->min_ip(), t->min_ip() + kaslr);
  if (auto p = facts.funcs.find("panic"); p != facts.funcs.end()) {
    EXPECT_EQ(shifted->find(p->second + kaslr)->sp_offset, 8);
  }
}

namespace {

// Function names for addresses, from the vmlinux symbol table shifted by the KASLR offset.
struct Symbolizer {
  std::vector<std::pair<uint64_t, std::string>> funcs;
  Symbolizer(const ElfFacts& f, uint64_t bias) {
    for (const auto& [name, addr] : f.funcs) funcs.emplace_back(addr + bias, name);
    std::sort(funcs.begin(), funcs.end());
  }
  std::string name(uint64_t pc) const {
    auto it = std::upper_bound(funcs.begin(), funcs.end(), std::make_pair(pc, std::string("\xff")));
    if (it == funcs.begin()) return "?";
    --it;
    return pc - it->first < 0x10000 ? it->second : "?";
  }
};

// The function names of the reliable (no "? ") entries of the first "Call Trace:" in a console log.
std::vector<std::string> console_call_trace(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> names;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line.find("Call Trace:") != std::string::npos;
      continue;
    }
    if (line.find("</TASK>") != std::string::npos || line.find("---[ end") != std::string::npos ||
        line.find("Modules linked in") != std::string::npos)
      break;
    // "[    1.234567]  func+0x12/0x34 [mod]" after the timestamp.
    size_t close = line.find("] ");
    std::string rest = close == std::string::npos ? line : line.substr(close + 2);
    rest.erase(0, rest.find_first_not_of(' '));
    if (rest.empty() || rest[0] == '?' || rest[0] == '<') continue;
    if (rest.find(" [") != std::string::npos) continue;  // a module function: no symbols for it here
    size_t plus = rest.find('+');
    if (plus == std::string::npos) continue;
    std::string name = rest.substr(0, plus);
    // Register dumps inside the trace ("RIP: 0010:native_safe_halt+0xb/0x10") are not frames.
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") !=
        std::string::npos)
      continue;
    names.push_back(name);
  }
  return names;
}

// The kernel-mode stack pointer of the first register dump ("RSP: 0018:ffff...") in the log.
std::optional<uint64_t> console_first_kernel_rsp(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t at = line.find("RSP: 0018:");
    if (at != std::string::npos) return std::strtoull(line.c_str() + at + 10, nullptr, 16);
  }
  return std::nullopt;
}

}  // namespace

// The crashed CPU of the x86_64 "null" fixture (a NULL dereference in a module function),
// walked with the real ORC tables through the QEMU paging dump's virtual addresses; the
// vmlinux frames must match the kernel's own "Call Trace:" in console.log.
TEST(UnwindFixture, WalksTheCrashedCpuOfARealX86Dump) {
  std::string vmlinux = fixture_vmlinux();
  std::string core_path = kdx::test::fixture_file("x86_64/null/vmcore.elf-paging", "KDX_X86_64_PAGING_CORE");
  std::string console = kdx::test::testdata_path("x86_64/null/console.log");
  if (const char* e = std::getenv("KDX_X86_64_CONSOLE")) console = e;
  if (vmlinux.empty() || core_path.empty() || !kdx::test::file_exists(console))
    GTEST_SKIP() << "fixture x86_64/null (vmlinux, vmcore.elf-paging, console.log) not present";

  auto mem = kdx::test::ElfCoreVirtMemory::open(core_path);
  ASSERT_TRUE(mem) << core_path;
  ASSERT_FALSE(mem->prstatus.empty());
  std::string osrelease = mem->info("OSRELEASE");
  uint64_t kaslr = std::strtoull(mem->info("KERNELOFFSET").c_str(), nullptr, 16);
  auto format = orc_format_for_release(osrelease);
  ASSERT_TRUE(format) << osrelease;
  auto table = OrcTable::from_elf(vmlinux, kaslr, *format);
  ASSERT_TRUE(table) << table.error().to_string();
  OrcTableSet orc;
  orc.add(std::move(*table));

  ElfFacts facts = read_facts(vmlinux);
  Symbolizer sym(facts, kaslr);
  uint64_t stext = facts.funcs.count("_stext") ? facts.funcs["_stext"] : 0;
  WalkOptions opts;
  uint64_t text_lo = (stext ? stext : 0xffffffff81000000ull) + kaslr, text_hi = 0xffffffffa0000000ull;
  opts.is_kernel_text = [=](uint64_t a) {
    return (a >= text_lo && a < text_hi) || (a >= 0xffffffffa0000000ull && a < 0xffffffffff000000ull);
  };

  std::vector<std::string> expected = console_call_trace(console);
  // A trace printed by panic()'s own dump_stack() starts with frames that returned before
  // the CPU stopped; compare from panic's caller on.
  if (auto p = std::find(expected.begin(), expected.end(), "panic"); p != expected.end())
    expected.erase(expected.begin(), p + 1);
  ASSERT_GE(expected.size(), 2u) << "no usable Call Trace in " << console;

  bool found_crashed_cpu = false;
  for (size_t cpu = 0; cpu < mem->prstatus.size(); ++cpu) {
    const auto& pr = mem->prstatus[cpu];
    ASSERT_GE(pr.size(), 112u + 21 * 8);
    auto regs = x86_64_registers_from_pt_regs(std::span<const uint8_t>(pr.data() + 112, pr.size() - 112));
    ASSERT_TRUE(regs);
    // The task stack: THREAD_SIZE (16 KiB) aligned vmalloc'ed stacks hold the context's sp.
    uint64_t sp0 = *regs->get(kX86Rsp);
    opts.stacks = {{sp0 & ~uint64_t{0x3fff}, (sp0 & ~uint64_t{0x3fff}) + 0x4000, "context"}};
    // The boot CPU's idle task runs on init_stack, inside the kernel image.
    if (auto is = facts.funcs.find("init_stack"); is != facts.funcs.end())  // a linker-script label
      opts.stacks.push_back({is->second + kaslr, is->second + kaslr + 0x4000, "init"});
    auto w = unwind_x86_64(*mem, *regs, &orc, opts);
    std::vector<std::string> names;
    std::string trace;
    for (const auto& f : w.frames) {
      names.push_back(sym.name(f.lookup_pc()));
      trace += fmt::format("  {:#018x} {:#018x} {:<16} {}\n", f.pc, f.sp, frame_trust_name(f.trust), names.back());
    }
    std::printf("cpu %zu: %zu frames, %s (%s)\n%s", cpu, w.frames.size(), stop_reason_name(w.stop),
                w.stop_detail.c_str(), trace.c_str());
    if (std::find(names.begin(), names.end(), "panic") == names.end()) continue;
    found_crashed_cpu = true;
    // The kernel's trace (from the faulting frame outwards) must appear in order in ours.
    size_t at = 0;
    for (const auto& want : expected) {
      auto it = std::find(names.begin() + static_cast<long>(at), names.end(), want);
      EXPECT_NE(it, names.end()) << "missing " << want << " (in order) in\n" << trace;
      if (it != names.end()) at = static_cast<size_t>(it - names.begin()) + 1;
    }
    bool has_exception = std::any_of(w.frames.begin(), w.frames.end(),
                                     [](const Frame& f) { return f.trust == FrameTrust::ExceptionFrame; });
    EXPECT_TRUE(has_exception) << trace;
    // The oops' register dump printed the faulting sp; our exception frame must agree.
    if (auto rsp = console_first_kernel_rsp(console)) {
      bool matched = std::any_of(w.frames.begin(), w.frames.end(), [&](const Frame& f) {
        return f.trust == FrameTrust::ExceptionFrame && f.sp == *rsp;
      });
      EXPECT_TRUE(matched) << fmt::format("no exception frame with sp {:#x}\n", *rsp) << trace;
    }
    EXPECT_TRUE(w.complete()) << stop_reason_name(w.stop) << ": " << w.stop_detail << "\n" << trace;
  }
  EXPECT_TRUE(found_crashed_cpu) << "no CPU's walk reached panic()";
}
