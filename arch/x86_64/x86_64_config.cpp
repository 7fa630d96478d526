// Builds the x86_64 TranslationConfig from VMCOREINFO, reading the KASLR'd region bases through the kernel image mapping.
#include <fmt/format.h>

#include "kdx/arch/translation_config.hpp"
#include "kdx/phys_reader.hpp"
#include "x86_64_page_table.hpp"
#include "../vmcoreinfo_reader.hpp"

namespace kdx {
namespace {

// Without symbols, page_offset_base is found from the tables: the lowest mapped address
// above the non-KASLR base is the start of the direct map (it maps physical 0, or the first
// RAM page), and the guess is kept only if it maps the root table onto itself.
std::optional<uint64_t> discover_page_offset_base(PhysReader& phys, const TranslationConfig& cfg) {
  X86_64PageTableWalker walker(cfg, phys);
  const uint64_t start = cfg.l5 ? 0xff11000000000000ULL : 0xffff888000000000ULL;
  const uint64_t limit = cfg.l5 ? 0xff91000000000000ULL : 0xffffc88000000000ULL;  // default base + size
  const unsigned top_shift = cfg.l5 ? 48 : 39;
  unsigned tries = 0;
  for (uint64_t va = start; va < limit && va >= start && tries < 8;) {
    RawWalk w = walker.walk_raw(va);
    if (w.status != WalkStatus::Mapped) {
      // Skip the whole range the failing entry covers.
      unsigned shift = top_shift - 9 * (w.nlevels ? w.levels[w.nlevels - 1].level : 0);
      uint64_t step = 1ULL << shift;
      va = (va & ~(step - 1)) + step;
      continue;
    }
    ++tries;
    uint64_t candidate = va - w.paddr;
    RawWalk check = walker.walk_raw(candidate + (cfg.root & ~0xfffULL));
    if (check.status == WalkStatus::Mapped && check.paddr == (cfg.root & ~0xfffULL)) return candidate;
    va += w.page_size;
  }
  return std::nullopt;
}

}  // namespace

Result<TranslationConfig> x86_64_config_from_vmcoreinfo(const dump::Vmcoreinfo& vi, PhysReader* phys,
                                                       const SymbolLookup& symbols) {
  arch_detail::VmcoreinfoReader in(vi, phys, symbols);
  TranslationConfig cfg;
  KDX_TRY_ASSIGN(page_size, in.page_size());
  if (page_size && *page_size != 4096)
    return make_error(ErrorCode::Format, "VMCOREINFO PAGESIZE: expected 4096 on x86_64, found {}", *page_size);
  KDX_TRY_ASSIGN(l5, in.number("pgtable_l5_enabled"));
  cfg.l5 = l5 && *l5 != 0;
  cfg.va_bits = cfg.l5 ? 57 : 48;
  if (cfg.l5) {
    cfg.page_offset_base = 0xff11000000000000ULL;
    cfg.vmalloc_base = 0xffa0000000000000ULL;
    cfg.vmemmap_base = 0xffd4000000000000ULL;
  }
  KDX_TRY_ASSIGN(phys_base, in.required_number("phys_base"));
  cfg.phys_base = phys_base;
  KDX_TRY_ASSIGN(koff, in.kernel_offset());
  cfg.kernel_offset = koff;
  KDX_TRY_ASSIGN(image_size, in.number("KERNEL_IMAGE_SIZE"));
  if (image_size) cfg.kernel_image_size = *image_size;
  else cfg.notes.push_back("KERNEL_IMAGE_SIZE not in VMCOREINFO: assumed 1 GiB (CONFIG_RANDOMIZE_BASE)");
  KDX_TRY_ASSIGN(sme, in.number("sme_mask"));
  cfg.sme_mask = sme.value_or(0);

  // init_top_pgt was init_level4_pgt before Linux 4.13; generic code also exports it as
  // SYMBOL(swapper_pg_dir) (x86 #defines swapper_pg_dir to it).
  auto pgt = in.vmcoreinfo_symbol("init_top_pgt");
  if (!pgt) pgt = in.vmcoreinfo_symbol("init_level4_pgt");
  if (!pgt) pgt = in.vmcoreinfo_symbol("swapper_pg_dir");
  if (!pgt) pgt = in.vmlinux_symbol("init_top_pgt");
  if (!pgt) return make_error(ErrorCode::Format, "VMCOREINFO has no SYMBOL(init_top_pgt) (nor init_level4_pgt)");
  if (*pgt < kX86StartKernelMap)
    return make_error(ErrorCode::Format, "VMCOREINFO SYMBOL(init_top_pgt)={:#x} is outside the kernel image mapping",
                      *pgt);
  cfg.root = *pgt - kX86StartKernelMap + cfg.phys_base;

  // page_offset_base, vmalloc_base and vmemmap_base are variables (randomized by KASLR's
  // CONFIG_RANDOMIZE_MEMORY); their values live in the image, readable without page tables.
  bool have_pob = false;
  if (phys) {
    X86_64PageTableWalker image(cfg, *phys);  // only its kernel_image_to_phys is used
    struct Var {
      const char* name;
      uint64_t* dest;
    } vars[] = {{"page_offset_base", &cfg.page_offset_base},
                {"vmalloc_base", &cfg.vmalloc_base},
                {"vmemmap_base", &cfg.vmemmap_base}};
    for (const Var& var : vars) {
      auto addr = in.symbol(var.name);
      if (!addr) continue;
      auto value = in.read_image_u64(image, *addr);
      if (!value || !(*value >> 63)) {
        cfg.notes.push_back(fmt::format("{} at {:#x} could not be read: default used", var.name, *addr));
        continue;
      }
      *var.dest = *value;
      if (var.dest == &cfg.page_offset_base) have_pob = true;
    }
    if (!have_pob) {
      if (auto pob = discover_page_offset_base(*phys, cfg)) {
        cfg.page_offset_base = *pob;
        have_pob = true;
        cfg.notes.push_back(fmt::format("page_offset_base {:#x} found from the page tables (no symbol)", *pob));
      }
    }
  }
  if (!have_pob) cfg.notes.push_back("page_offset_base unknown: the non-KASLR default is used");

  // The image's sections name kernel-text regions finely; every symbol is optional.
  in.add_kernel_sections(cfg, "_text");
  return cfg;
}

}  // namespace kdx
