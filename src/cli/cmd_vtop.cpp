// `kdx vtop ADDR DUMP [VMLINUX] [--json]`: explains one virtual address's page-table walk, like crash's vtop.
#include <charconv>
#include <cstdio>

#include <fmt/format.h>

#include "command.hpp"
#include "kdx/arch/arch_backend.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/memory/kernel_address_space.hpp"
#include "kdx/memory/translation_format.hpp"
#include "session.hpp"

// The dump reader lives on another branch until it is merged; until then this command
// parses its arguments and says what is missing instead of failing to build.
#if __has_include("kdx/dump/dump.hpp")
#include "kdx/dump/dump.hpp"
#define KDX_VTOP_HAS_DUMP 1
#endif
// With the symbolizer, a VMLINUX refines KASLR bases and kernel-section region names.
#if __has_include("kdx/symbols/kernel_symbols.hpp")
#include "kdx/symbols/kernel_symbols.hpp"
#define KDX_VTOP_HAS_SYMBOLS 1
#endif

namespace kdx::cli {
namespace {

std::optional<uint64_t> parse_address(std::string s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s = s.substr(2);
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

class VtopCommand : public Command {
 public:
  const char* name() const override { return "vtop"; }
  const char* help() const override {
    return "Translate a virtual address: each page-table level, physical address, flags, region, or why it is not mapped";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("address", address_, "virtual address (hex, 0x optional)")->required();
    sub.add_option("files", files_, "the dump, and optionally vmlinux");
    sub.add_flag("--json", json_, "print the walk as JSON (vaddr, paddr, page_size, levels, flags, region, error)");
    sub.add_option("--root", root_, "walk another page table: its top-level table's physical address (hex)");
  }
  int run(Session& session) override {
    for (const auto& f : files_)
      if (std::find(session.files.begin(), session.files.end(), f) == session.files.end()) session.files.push_back(f);
    auto vaddr = parse_address(address_);
    if (!vaddr) {
      fmt::print(stderr, "kdx vtop: '{}' is not a hex address\n", address_);
      return kExitUsage;
    }
    std::optional<uint64_t> root;
    if (!root_.empty()) {
      root = parse_address(root_);
      if (!root) {
        fmt::print(stderr, "kdx vtop: --root '{}' is not a hex address\n", root_);
        return kExitUsage;
      }
    }
#ifdef KDX_VTOP_HAS_DUMP
    auto dump = session.dump();
    if (!dump) {
      fmt::print(stderr, "kdx vtop: {}\n", dump.error().to_string());
      return dump.error().code == ErrorCode::Usage ? kExitUsage : kExitUnreadable;
    }
    const ArchBackend* arch = find_arch(dump::arch_name((*dump)->arch()));
    if (!arch) {
      fmt::print(stderr, "kdx vtop: the dump's architecture ({}) is not supported\n", dump::arch_name((*dump)->arch()));
      return kExitUnreadable;
    }
    const dump::Vmcoreinfo* vi = (*dump)->vmcoreinfo();
    if (!vi) {
      fmt::print(stderr, "kdx vtop: the dump has no VMCOREINFO, so the page tables cannot be found\n");
      return kExitUnreadable;
    }
    VmcoreinfoMap kv(vi->entries().begin(), vi->entries().end());
    SymbolLookup symbols;
#ifdef KDX_VTOP_HAS_SYMBOLS
    if (session.has_vmlinux()) {
      auto syms = session.vmlinux();
      if (!syms) {
        fmt::print(stderr, "kdx vtop: {} (continuing without symbols)\n", syms.error().to_string());
      } else {
        const symbols::KernelSymbols* ks = *syms;
        // symbol_address() is a runtime address once the KASLR offset is set; if nobody set
        // it yet, apply VMCOREINFO's KERNELOFFSET here rather than changing shared state.
        uint64_t slide = 0;
        if (ks->kaslr_offset() == 0)
          if (auto k = vmcoreinfo_optional_hex(kv, "KERNELOFFSET"); k && *k) slide = **k;
        symbols = [ks, slide](std::string_view name) -> std::optional<uint64_t> {
          auto a = ks->symbol_address(name);
          if (!a) return std::nullopt;
          return *a + slide;
        };
      }
    }
#endif
    return explain(*arch, **dump, kv, *vaddr, root, json_ || session.json, symbols);
#else
    (void)root;
    fmt::print(stderr, "kdx vtop: this build has no dump reader yet (branch 'dump' not merged)\n");
    return kExitUnreadable;
#endif
  }

  // Exit code: 0 mapped, 1 (partial) when the address is not mapped (the walk says why).
  static int explain(const ArchBackend& arch, PhysReader& phys, const VmcoreinfoMap& kv, uint64_t vaddr,
                     std::optional<uint64_t> root, bool json, const SymbolLookup& symbols) {
    auto as = KernelAddressSpace::from_vmcoreinfo(arch, phys, kv, symbols);
    if (!as) {
      fmt::print(stderr, "kdx vtop: {}\n", as.error().to_string());
      return kExitUnreadable;
    }
    std::unique_ptr<KernelAddressSpace> other;
    const KernelAddressSpace* space = as->get();
    if (root) {
      other = (*as)->with_root(*root);
      space = other.get();
    }
    Translation t = space->explain(vaddr);
    if (json) fmt::print("{}\n", translation_to_json(t).dump(2));
    else fmt::print("{}", format_translation_text(t));
    return t.paddr ? kExitOk : kExitPartial;
  }

 private:
  std::string address_;
  std::vector<std::string> files_;
  std::string root_;
  bool json_ = false;
};

}  // namespace

KDX_REGISTER_COMMAND(VtopCommand)

}  // namespace kdx::cli
