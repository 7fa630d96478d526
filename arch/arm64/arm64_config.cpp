// Builds the arm64 TranslationConfig from VMCOREINFO: granule, VA bits, swapper_pg_dir, linear-map layout (old and 5.4+ flipped).
#include <algorithm>

#include <fmt/format.h>

#include "arm64_page_table.hpp"
#include "kdx/arch/translation_config.hpp"
#include "kdx/phys_reader.hpp"
#include "../vmcoreinfo_reader.hpp"

namespace kdx {
namespace {

constexpr uint64_t SZ_2M = 2ULL << 20, SZ_128M = 128ULL << 20, SZ_256M = 256ULL << 20, SZ_1G = 1ULL << 30,
                   SZ_2G = 2ULL << 30, SZ_64K = 64ULL << 10;

uint64_t neg_pow2(unsigned bits) { return uint64_t(0) - (uint64_t(1) << bits); }

}  // namespace

Result<TranslationConfig> arm64_config_from_vmcoreinfo(const dump::Vmcoreinfo& vi, PhysReader* phys,
                                                      const SymbolLookup& symbols) {
  arch_detail::VmcoreinfoReader in(vi, phys, symbols);
  TranslationConfig cfg;
  KDX_TRY_ASSIGN(page_size, in.page_size());
  cfg.page_size = page_size.value_or(4096);
  if (!page_size) cfg.notes.push_back("PAGESIZE not in VMCOREINFO: assumed 4096");
  if (cfg.page_size != 4096 && cfg.page_size != 16384 && cfg.page_size != 65536)
    return make_error(ErrorCode::Format, "VMCOREINFO PAGESIZE: expected 4096, 16384 or 65536, found {}",
                      cfg.page_size);
  const unsigned page_shift = cfg.page_size == 4096 ? 12 : cfg.page_size == 16384 ? 14 : 16;

  KDX_TRY_ASSIGN(va_bits, in.required_number("VA_BITS"));
  if (va_bits < 36 || va_bits > 52)
    return make_error(ErrorCode::Format, "VMCOREINFO NUMBER(VA_BITS): expected 36..52, found {}", va_bits);
  cfg.va_bits = unsigned(va_bits);
  // TCR_EL1.T1SZ gives the VA size the CPU really uses (a 52-bit kernel on 48-bit hardware);
  // the lower-case spelling was in the patch series crash first followed.
  KDX_TRY_ASSIGN(t1sz, in.number("TCR_EL1_T1SZ"));
  if (!t1sz) {
    KDX_TRY_ASSIGN(t1sz_lc, in.number("tcr_el1_t1sz"));
    t1sz = t1sz_lc;
  }
  if (t1sz) {
    if (*t1sz < 12 || *t1sz > 39)
      return make_error(ErrorCode::Format, "VMCOREINFO NUMBER(TCR_EL1_T1SZ): expected 12..39, found {}", *t1sz);
    cfg.va_bits_actual = unsigned(64 - *t1sz);
  }
  const unsigned va_act = cfg.kernel_va_bits();
  const bool lpa2 = page_shift != 16 && va_act == 52;
  cfg.pa_bits = (page_shift == 16 || lpa2) ? 52 : 48;

  KDX_TRY_ASSIGN(kimage_voffset, in.required_number("kimage_voffset"));
  cfg.kimage_voffset = kimage_voffset;
  KDX_TRY_ASSIGN(phys_offset, in.required_number("PHYS_OFFSET"));
  cfg.phys_offset = phys_offset;
  KDX_TRY_ASSIGN(pac, in.number("KERNELPACMASK"));
  cfg.kernel_pac_mask = pac.value_or(0);
  KDX_TRY_ASSIGN(koff, in.kernel_offset());
  cfg.kernel_offset = koff;

  auto pgd = in.symbol("swapper_pg_dir");
  if (!pgd) return make_error(ErrorCode::Format, "VMCOREINFO has no SYMBOL(swapper_pg_dir)");
  cfg.root = *pgd - cfg.kimage_voffset;

  // Linux 5.4 (commit 14c127c957c1, "arm64: mm: Flip kernel VA space") moved the linear map
  // to the bottom of the kernel half; the image then sits in the top half, so the image's
  // address tells the layouts apart without trusting the version string.
  auto version = in.kernel_version();
  auto stext = in.symbol("_stext");
  if (stext) cfg.flipped_layout = (*stext >> (cfg.va_bits - 1)) & 1;
  else if (version) cfg.flipped_layout = *version >= 504;
  else cfg.notes.push_back("no _stext and no OSRELEASE: assumed the 5.4+ (flipped) layout");

  const unsigned va_min = std::min(cfg.va_bits, 48u);
  std::vector<uint64_t> candidates;
  if (cfg.flipped_layout) {
    cfg.page_end = neg_pow2(va_min - 1);
    // 5.11+ uses VA_BITS, 5.4-5.10 the runtime size; they differ only for 52-bit kernels.
    if (!version || *version >= 511) candidates = {neg_pow2(cfg.va_bits), neg_pow2(va_act)};
    else candidates = {neg_pow2(va_act), neg_pow2(cfg.va_bits)};
  } else {
    cfg.page_end = 0;
    candidates = {neg_pow2(cfg.va_bits - 1)};
  }
  cfg.page_offset = candidates.front();
  if (phys && candidates.size() > 1 && candidates[0] != candidates[1]) {
    // Keep the candidate under which the linear alias of swapper_pg_dir maps onto itself.
    bool found = false;
    for (uint64_t cand : candidates) {
      TranslationConfig probe = cfg;
      probe.page_offset = cand;
      Arm64PageTableWalker w(probe, *phys);
      auto va = w.phys_to_direct_map(cfg.root);
      if (!va) continue;
      RawWalk r = w.walk_raw(*va);
      if (r.status == WalkStatus::Mapped && r.paddr == cfg.root) {
        cfg.page_offset = cand;
        found = true;
        break;
      }
    }
    if (!found) cfg.notes.push_back(fmt::format("PAGE_OFFSET not verified against the tables: {:#x}", cfg.page_offset));
  }

  // Region bounds: newer kernels export them; otherwise use memory.h of the layout's era.
  struct Num {
    const char* key;
    uint64_t* dest;
  } nums[] = {{"MODULES_VADDR", &cfg.modules_vaddr}, {"MODULES_END", &cfg.modules_end},
              {"VMALLOC_START", &cfg.vmalloc_start}, {"VMALLOC_END", &cfg.vmalloc_end},
              {"VMEMMAP_START", &cfg.vmemmap_start}, {"VMEMMAP_END", &cfg.vmemmap_end}};
  for (const Num& n : nums) {
    KDX_TRY_ASSIGN(v, in.number(n.key));
    if (v) *n.dest = *v;
  }
  const unsigned vmemmap_shift = page_shift - 6;  // STRUCT_PAGE_MAX_SHIFT = 6
  if (cfg.flipped_layout) {
    uint64_t vmemmap_size = (cfg.page_end - neg_pow2(cfg.va_bits)) >> vmemmap_shift;
    if (!cfg.vmemmap_end) {
      if (version && *version < 511) cfg.vmemmap_start = uint64_t(0) - vmemmap_size - SZ_2M;
      else if (version && *version >= 609) cfg.vmemmap_start = uint64_t(0) - SZ_1G - vmemmap_size;
      else cfg.vmemmap_start = neg_pow2(cfg.va_bits - vmemmap_shift);
      cfg.vmemmap_end = cfg.vmemmap_start + vmemmap_size;
    }
    if (!cfg.modules_end) {
      cfg.modules_vaddr = cfg.page_end;
      cfg.modules_end = cfg.modules_vaddr + (version && *version >= 605 ? SZ_2G : SZ_128M);
    }
    if (!cfg.vmalloc_end) {
      cfg.vmalloc_start = cfg.modules_end;
      cfg.vmalloc_end = cfg.vmemmap_start - SZ_256M;
    }
  } else {
    uint64_t vmemmap_size = (uint64_t(1) << (cfg.va_bits - 1)) >> vmemmap_shift;
    if (!cfg.vmemmap_end) {
      cfg.vmemmap_end = cfg.page_offset;
      cfg.vmemmap_start = cfg.page_offset - vmemmap_size;
    }
    if (!cfg.modules_end) {
      cfg.modules_vaddr = neg_pow2(cfg.va_bits);
      cfg.modules_end = cfg.modules_vaddr + SZ_128M;
    }
    if (!cfg.vmalloc_end) {
      cfg.vmalloc_start = cfg.modules_end;
      cfg.vmalloc_end = cfg.vmemmap_start - SZ_64K - (uint64_t(1) << (page_shift + 2 * (page_shift - 3)));
    }
  }
  // With KASLR, modules load around module_alloc_base (Linux 4.6 - 6.4), not MODULES_VADDR.
  if (phys)
    if (auto a = in.vmlinux_symbol("module_alloc_base"))
      if (auto base = in.read_image_u64(Arm64PageTableWalker(cfg, *phys), *a); base && (*base >> 63)) {
        cfg.modules_vaddr = *base;
        cfg.modules_end = *base + SZ_128M;
      }

  in.add_kernel_sections(cfg, "_stext");
  if (!cfg.kernel_image_end && stext) {
    // Without vmlinux only _stext is known; 64 MiB covers distribution kernels' images.
    cfg.kernel_image_start = *stext & ~(SZ_64K - 1);
    cfg.kernel_image_end = cfg.kernel_image_start + (64ULL << 20);
    cfg.notes.push_back("kernel image end unknown without vmlinux: assumed _stext + 64 MiB");
  }
  return cfg;
}

}  // namespace kdx
