// x86_64 page-table walk (4-level and LA57 5-level, 1G/2M pages), flag decoding and kernel region names.
#include "x86_64_page_table.hpp"

#include <fmt/format.h>

#include "../walker_support.hpp"

namespace kdx {
namespace {

constexpr uint64_t kPresent = 1ULL << 0, kRw = 1ULL << 1, kUser = 1ULL << 2, kPwt = 1ULL << 3,
                   kPcd = 1ULL << 4, kAccessed = 1ULL << 5, kDirty = 1ULL << 6, kPse = 1ULL << 7,
                   kGlobal = 1ULL << 8, kProtNone = 1ULL << 8, kNx = 1ULL << 63;
constexpr uint64_t TB = 1ULL << 40, PB = 1ULL << 50;

uint64_t bits(unsigned hi, unsigned lo) { return ((hi >= 63 ? ~0ULL : ((1ULL << (hi + 1)) - 1))) & ~((1ULL << lo) - 1); }

// The fixed parts of the layout, from Documentation/arch/x86/x86_64/mm.rst.
struct FixedRange {
  uint64_t start, end;
  const char* name;
};
constexpr FixedRange kFixed4[] = {
    {0xffff800000000000ULL, 0xffff888000000000ULL, "guard hole / LDT remap"},
    {0xffffec0000000000ULL, 0xfffffc0000000000ULL, "KASAN shadow"},
    {0xfffffe0000000000ULL, 0xfffffe8000000000ULL, "cpu_entry_area"},
    {0xfffffe8000000000ULL, 0xffffff0000000000ULL, "LDT remap"},
    {0xffffff0000000000ULL, 0xffffff8000000000ULL, "%esp fixup stacks"},
    {0xffffffef00000000ULL, 0xffffffff00000000ULL, "EFI runtime"},
};
constexpr FixedRange kFixed5[] = {
    {0xff00000000000000ULL, 0xff10000000000000ULL, "guard hole"},
    {0xff10000000000000ULL, 0xff11000000000000ULL, "LDT remap"},
    {0xffdf000000000000ULL, 0xfffffc0000000000ULL, "KASAN shadow"},
    {0xfffffe0000000000ULL, 0xfffffe8000000000ULL, "cpu_entry_area"},
    {0xffffff0000000000ULL, 0xffffff8000000000ULL, "%esp fixup stacks"},
    {0xffffffef00000000ULL, 0xffffffff00000000ULL, "EFI runtime"},
};

}  // namespace

X86_64PageTableWalker::X86_64PageTableWalker(const TranslationConfig& cfg, PhysReader& phys)
    : cfg_(cfg), phys_(&phys), nlevels_(cfg.l5 ? 5 : 4) {
  unsigned pa = cfg_.pa_bits < 13 || cfg_.pa_bits > 52 ? 52 : cfg_.pa_bits;
  addr_mask_ = bits(pa - 1, 12) & ~cfg_.sme_mask;
  cfg_.va_bits = cfg_.l5 ? 57 : 48;
  // A hand-built 5-level config may keep the 4-level defaults; move them to LA57's.
  if (cfg_.l5 && cfg_.page_offset_base == 0xffff888000000000ULL) cfg_.page_offset_base = 0xff11000000000000ULL;
  if (cfg_.l5 && cfg_.vmalloc_base == 0xffffc90000000000ULL) cfg_.vmalloc_base = 0xffa0000000000000ULL;
  if (cfg_.l5 && cfg_.vmemmap_base == 0xffffea0000000000ULL) cfg_.vmemmap_base = 0xffd4000000000000ULL;
}

bool X86_64PageTableWalker::canonical(uint64_t vaddr) const {
  int64_t top = int64_t(vaddr) >> (cfg_.va_bits - 1);
  return top == 0 || top == -1;
}

const char* X86_64PageTableWalker::level_name(unsigned level) const {
  static const char* const k4[] = {"PGD", "PUD", "PMD", "PTE"};
  static const char* const k5[] = {"PGD", "P4D", "PUD", "PMD", "PTE"};
  if (level >= nlevels_) return "?";
  return nlevels_ == 5 ? k5[level] : k4[level];
}

uint64_t X86_64PageTableWalker::reserved_mask(unsigned shift, bool large) const {
  uint64_t m = 0;
  // Physical-address bits the CPU does not implement (MAXPHYADDR..51) must be zero.
  if (cfg_.pa_bits < 52) m |= bits(51, cfg_.pa_bits) & ~cfg_.sme_mask;
  if (shift >= 39) m |= kPse;  // PS is reserved in PML4/PML5 entries
  if (large && shift == 30) m |= bits(29, 13);
  if (large && shift == 21) m |= bits(20, 13);
  return m;
}

RawWalk X86_64PageTableWalker::walk_raw(uint64_t vaddr) const {
  RawWalk w;
  w.vaddr = vaddr;
  if (!canonical(vaddr)) {
    w.status = WalkStatus::NonCanonical;
    return w;
  }
  // A task's table maps the user half; without one, the kernel's (which maps no user pages,
  // so the walk stops at the PGD with "not present", as on the CPU with that CR3).
  uint64_t table = ((cfg_.user_root && !(vaddr >> 63)) ? cfg_.user_root : cfg_.root) & addr_mask_;
  unsigned shift = nlevels_ == 5 ? 48 : 39;
  for (unsigned level = 0; level < nlevels_; ++level, shift -= 9) {
    uint64_t e;
    if (!arch_detail::walk_level(*phys_, w, level, table, table + ((vaddr >> shift) & 511) * 8, kPresent, e)) return w;
    bool large = (shift == 30 || shift == 21) && (e & kPse);
    if (e & reserved_mask(shift, large)) {
      w.status = WalkStatus::ReservedBits;
      return w;
    }
    if (large || shift == 12) {
      uint64_t size = 1ULL << shift;
      w.page_size = size;
      w.paddr = ((e & addr_mask_) & ~(size - 1)) | (vaddr & (size - 1));
      w.status = WalkStatus::Mapped;
      return w;
    }
    table = e & addr_mask_;
  }
  w.status = WalkStatus::NotPresent;  // unreachable: the PTE level always returns
  return w;
}

std::vector<std::string> X86_64PageTableWalker::decode_flags(uint64_t e, bool leaf_is_pte) {
  std::vector<std::string> f;
  if (e & kPresent) f.emplace_back("PRESENT");
  if (e & kRw) f.emplace_back("RW");
  if (e & kUser) f.emplace_back("USER");
  if (e & kPwt) f.emplace_back("PWT");
  if (e & kPcd) f.emplace_back("PCD");
  if (e & kAccessed) f.emplace_back("ACCESSED");
  if (e & kDirty) f.emplace_back("DIRTY");
  if (e & kPse) f.emplace_back(leaf_is_pte ? "PAT" : "PSE");
  if ((e & kProtNone) && !(e & kPresent)) f.emplace_back("PROTNONE");
  else if (e & kGlobal) f.emplace_back("GLOBAL");
  if (e & kNx) f.emplace_back("NX");
  return f;
}

Translation X86_64PageTableWalker::explain(uint64_t vaddr) const {
  Translation t;
  t.vaddr = t.walked_vaddr = vaddr;
  t.region = region_of(vaddr);
  RawWalk w = walk_raw(vaddr);
  t.status = w.status;
  for (unsigned i = 0; i < w.nlevels; ++i) {
    const RawWalkLevel& l = w.levels[i];
    t.levels.push_back({level_name(l.level), l.table, l.entry_addr, l.entry});
  }
  std::string last = w.nlevels ? level_name(w.levels[w.nlevels - 1].level) : "";
  if (w.nlevels && w.status != WalkStatus::TableNotInDump && w.status != WalkStatus::Cycle)
    t.flags = decode_flags(w.levels[w.nlevels - 1].entry, last == "PTE");
  switch (w.status) {
    case WalkStatus::Mapped: {
      t.paddr = w.paddr;
      t.page_size = w.page_size;
      // The CPU ANDs RW and USER and ORs NX over every level; the leaf alone can mislead.
      bool rw = true, user = true, nx = false;
      for (unsigned i = 0; i < w.nlevels; ++i) {
        rw = rw && (w.levels[i].entry & kRw);
        user = user && (w.levels[i].entry & kUser);
        nx = nx || (w.levels[i].entry & kNx);
      }
      uint64_t leaf = w.levels[w.nlevels - 1].entry;
      if (rw != bool(leaf & kRw) || user != bool(leaf & kUser) || nx != bool(leaf & kNx))
        t.notes.push_back(fmt::format("effective permissions over all levels: {}{}{}", rw ? "RW" : "read-only",
                                      user ? "|USER" : "", nx ? "|NX" : ""));
      break;
    }
    case WalkStatus::NonCanonical:
      t.error = fmt::format("{:#x} is non-canonical: bits 63..{} must all equal bit {} (a general protection "
                            "fault, not a page fault, on access)",
                            vaddr, cfg_.va_bits - 1, cfg_.va_bits - 1);
      break;
    case WalkStatus::ReservedBits: {
      const RawWalkLevel& l = w.levels[w.nlevels - 1];
      unsigned shift = (nlevels_ == 5 ? 48 : 39) - 9 * l.level;
      bool large = (shift == 30 || shift == 21) && (l.entry & kPse);
      t.error = fmt::format("{} entry {:#x} at {:#x} sets reserved bits {:#x}", last, l.entry, l.entry_addr,
                            l.entry & reserved_mask(shift, large));
      break;
    }
    default:
      t.error = arch_detail::describe_stop(*phys_, w, last);
  }
  return t;
}

uint64_t X86_64PageTableWalker::direct_map_end() const {
  if (cfg_.direct_map_size) return cfg_.page_offset_base + cfg_.direct_map_size;
  if (cfg_.vmalloc_base > cfg_.page_offset_base) return cfg_.vmalloc_base;
  return cfg_.page_offset_base + (cfg_.l5 ? 32 * PB : 64 * TB);
}

std::string X86_64PageTableWalker::region_of(uint64_t v) const {
  if (!canonical(v)) return "non-canonical";
  if (!(v >> 63)) return "user";
  uint64_t image_end = kX86StartKernelMap + cfg_.kernel_image_size;
  if (v >= kX86StartKernelMap && v < image_end) {
    // ro_after_init lies inside rodata on x86, so the innermost listed section wins.
    const KernelSection* best = nullptr;
    for (const KernelSection& s : cfg_.kernel_sections)
      if (v >= s.start && v < s.end && (!best || s.end - s.start < best->end - best->start)) best = &s;
    return best ? "kernel " + best->name : "kernel image";
  }
  if (v >= 0xffffffffff600000ULL && v < 0xffffffffff601000ULL) return "vsyscall";
  if (v >= 0xffffffffff000000ULL && v < 0xffffffffff800000ULL) return "fixmap";
  if (v >= image_end && v < 0xffffffffff000000ULL) return "module";
  if (v >= cfg_.page_offset_base && v < direct_map_end()) return "direct map";
  if (v >= cfg_.vmalloc_base && v < cfg_.vmalloc_base + (cfg_.l5 ? 12800 * TB : 32 * TB)) return "vmalloc";
  if (v >= cfg_.vmemmap_base && v < cfg_.vmemmap_base + (cfg_.l5 ? PB / 2 : TB)) return "vmemmap";
  for (const FixedRange& r : cfg_.l5 ? std::span<const FixedRange>(kFixed5) : std::span<const FixedRange>(kFixed4))
    if (v >= r.start && v < r.end) return r.name;
  return "unknown";
}

std::optional<uint64_t> X86_64PageTableWalker::direct_map_to_phys(uint64_t v) const {
  if (v >= cfg_.page_offset_base && v < direct_map_end()) return v - cfg_.page_offset_base;
  return std::nullopt;
}

std::optional<uint64_t> X86_64PageTableWalker::phys_to_direct_map(uint64_t p) const {
  if (p < direct_map_end() - cfg_.page_offset_base) return cfg_.page_offset_base + p;
  return std::nullopt;
}

std::optional<uint64_t> X86_64PageTableWalker::kernel_image_to_phys(uint64_t v) const {
  if (v >= kX86StartKernelMap && v < kX86StartKernelMap + cfg_.kernel_image_size)
    return v - kX86StartKernelMap + cfg_.phys_base;
  return std::nullopt;
}

std::optional<uint64_t> X86_64PageTableWalker::phys_to_kernel_image(uint64_t p) const {
  // phys_base is "negative" when KASLR loads the image below its link address: the
  // arithmetic is modulo 2^64 on purpose.
  uint64_t off = p - cfg_.phys_base;
  if (off >= cfg_.kernel_image_size) return std::nullopt;
  uint64_t v = off + kX86StartKernelMap;
  // Past _end the kernel clears the image mapping (cleanup_highmap); without symbols the
  // whole KERNEL_IMAGE_SIZE range is a candidate.
  if (cfg_.kernel_image_end && (v < cfg_.kernel_image_start || v >= cfg_.kernel_image_end)) return std::nullopt;
  return v;
}

}  // namespace kdx
