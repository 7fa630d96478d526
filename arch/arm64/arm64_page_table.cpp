// arm64 stage-1 walk: table/block/page descriptors, contiguous hint, AP/XN flags, linear-map and region names.
#include "arm64_page_table.hpp"

#include <fmt/format.h>

#include "../walker_support.hpp"

namespace kdx {
namespace {

uint64_t genmask(unsigned hi, unsigned lo) { return (hi >= 63 ? ~0ULL : ((1ULL << (hi + 1)) - 1)) & ~((1ULL << lo) - 1); }

constexpr uint64_t kValid = 1ULL << 0, kAttrIdx = 7ULL << 2, kApEl0 = 1ULL << 6, kApRo = 1ULL << 7,
                   kAf = 1ULL << 10, kNg = 1ULL << 11, kDbm = 1ULL << 51, kCont = 1ULL << 52,
                   kPxn = 1ULL << 53, kUxn = 1ULL << 54, kSwDirty = 1ULL << 55;

unsigned log2_page(uint64_t page_size) {
  switch (page_size) {
    case 16384: return 14;
    case 65536: return 16;
    default: return 12;
  }
}

}  // namespace

Arm64PageTableWalker::Arm64PageTableWalker(const TranslationConfig& cfg, PhysReader& phys)
    : cfg_(cfg), phys_(&phys), page_shift_(log2_page(cfg.page_size)) {
  cfg_.page_size = 1ULL << page_shift_;
  unsigned va = cfg_.kernel_va_bits();
  if (va < 25 || va > 52) va = 48;
  unsigned per = page_shift_ - 3;
  nlevels_ = (va - page_shift_ + per - 1) / per;
  if (nlevels_ < 1) nlevels_ = 1;
  if (nlevels_ > 5) nlevels_ = 5;
  // A 52-bit kernel on 48-bit hardware keeps its 52-bit-sized top table and points TTBR1
  // into its tail, so indexing with the compiled VA_BITS selects the entries the CPU uses.
  unsigned idx_va = cfg_.va_bits > va ? cfg_.va_bits : va;
  unsigned top = shift_of(0);
  top_index_bits_ = idx_va > top ? std::min(idx_va - top, per) : 1;
  lpa2_ = page_shift_ != 16 && va == 52;
}

const char* Arm64PageTableWalker::level_name(unsigned level) const {
  // Linux folds the missing levels: 3 levels are PGD/PMD/PTE, 2 are PGD/PTE.
  static const char* const k5[] = {"PGD", "P4D", "PUD", "PMD", "PTE"};
  static const char* const k4[] = {"PGD", "PUD", "PMD", "PTE"};
  static const char* const k3[] = {"PGD", "PMD", "PTE"};
  static const char* const k2[] = {"PGD", "PTE"};
  if (level >= nlevels_) return "?";
  switch (nlevels_) {
    case 5: return k5[level];
    case 4: return k4[level];
    case 3: return k3[level];
    case 2: return k2[level];
    default: return "PTE";
  }
}

uint64_t Arm64PageTableWalker::untag(const TranslationConfig& cfg, uint64_t p) {
  // Bit 55 picks TTBR0/TTBR1; TBI lets the top byte carry a tag (MTE, HW-tag KASAN) and PAC
  // signs the bits above the VA size. Restoring them to copies of bit 55 gives the pointer.
  unsigned va = cfg.kernel_va_bits();
  if (va < 25 || va > 52) va = 48;
  uint64_t mask = genmask(63, va);
  if (cfg.kernel_pac_mask) mask = (mask & genmask(63, 56)) | cfg.kernel_pac_mask | genmask(63, 56);
  return (p & (1ULL << 55)) ? (p | mask) : (p & ~mask);
}

bool Arm64PageTableWalker::in_range(uint64_t v) const {
  if (v & (1ULL << 55)) return (v | genmask(cfg_.kernel_va_bits() - 1, 0)) == ~0ULL;
  return (v >> cfg_.va_bits) == 0;
}

bool Arm64PageTableWalker::block_allowed(unsigned shift) const {
  switch (page_shift_) {
    case 12: return shift == 21 || shift == 30 || (lpa2_ && shift == 39);
    case 14: return shift == 25 || (lpa2_ && shift == 36);
    default: return shift == 29 || (cfg_.pa_bits >= 52 && shift == 42);
  }
}

uint64_t Arm64PageTableWalker::output_address(uint64_t e) const {
  if (page_shift_ == 16) return (e & genmask(47, 16)) | (((e >> 12) & 0xf) << 48);  // FEAT_LPA
  if (lpa2_) return (e & genmask(49, page_shift_)) | (((e >> 8) & 3) << 50);          // FEAT_LPA2
  return e & genmask(47, page_shift_);
}

uint64_t Arm64PageTableWalker::reserved_bits(uint64_t e, unsigned level) const {
  unsigned shift = shift_of(level);
  bool last = level + 1 == nlevels_;
  uint64_t type = e & 3;
  if (last && type == 1) return 1;                            // type 0b01 is reserved at the last level
  if (!last && type == 1 && !block_allowed(shift)) return 2;  // no block at this level/granule
  uint64_t r = 0;
  if (!lpa2_ && page_shift_ != 16) r |= e & genmask(49, 48);  // OA bits a 48-bit PA leaves RES0
  if (!last && type == 1) {
    // A block's output address is aligned to the block; bit 16 (nT, FEAT_BBM) is not address.
    uint64_t low = genmask(shift - 1, page_shift_);
    if (page_shift_ == 12) low &= ~(1ULL << 16);
    r |= output_address(e) & low;
  }
  return r;
}

RawWalk Arm64PageTableWalker::walk_raw(uint64_t vaddr) const {
  RawWalk w;
  w.vaddr = vaddr;
  if (!in_range(vaddr)) {
    w.status = WalkStatus::NonCanonical;
    return w;
  }
  const unsigned per = page_shift_ - 3;
  // Bit 55 selects the table: TTBR1 (swapper_pg_dir) for the kernel half, TTBR0 for user
  // addresses, which only a task's mm->pgd fills. Walking swapper_pg_dir for a user address
  // would read the kernel's entries at user indices: an answer that means nothing.
  const bool user = !(vaddr & (1ULL << 55));
  if (user && !cfg_.user_root) {
    w.status = WalkStatus::NoUserRoot;
    return w;
  }
  uint64_t table = (user ? cfg_.user_root : cfg_.root) & ~(cfg_.page_size - 1) & genmask(51, 0);
  for (unsigned level = 0; level < nlevels_; ++level) {
    unsigned shift = shift_of(level);
    // TTBR0 tables are sized like TTBR1's; a user address has zeros above its VA size, so
    // the compiled-VA index selects the same entry as the runtime one.
    unsigned idx_bits = level == 0 ? top_index_bits_ : per;
    uint64_t e;
    if (!arch_detail::walk_level(*phys_, w, level, table,
                                 table + ((vaddr >> shift) & ((1ULL << idx_bits) - 1)) * 8, kValid, e))
      return w;
    if (reserved_bits(e, level)) {
      w.status = WalkStatus::ReservedBits;
      return w;
    }
    bool last = level + 1 == nlevels_;
    if (last || (e & 3) == 1) {
      uint64_t size = 1ULL << shift;
      w.page_size = size;
      w.paddr = (output_address(e) & ~(size - 1)) | (vaddr & (size - 1));
      w.status = WalkStatus::Mapped;
      return w;
    }
    table = output_address(e);
  }
  w.status = WalkStatus::NotPresent;
  return w;
}

std::vector<std::string> Arm64PageTableWalker::decode_flags(uint64_t e, bool block) const {
  std::vector<std::string> f;
  if (e & kValid) f.emplace_back("VALID");
  if (block) f.emplace_back("BLOCK");
  f.emplace_back((e & kApRo) ? "RDONLY" : "RW");
  if (e & kApEl0) f.emplace_back("EL0");
  if (e & kAf) f.emplace_back("AF");
  if (e & kNg) f.emplace_back("NG");
  if (e & kPxn) f.emplace_back("PXN");
  if (e & kUxn) f.emplace_back("UXN");
  if (e & kCont) f.emplace_back("CONT");
  if (e & kDbm) f.emplace_back("DBM");
  if (e & kSwDirty) f.emplace_back("DIRTY");
  f.push_back(fmt::format("ATTRINDX={}", (e & kAttrIdx) >> 2));
  return f;
}

Translation Arm64PageTableWalker::explain(uint64_t vaddr) const {
  Translation t;
  t.vaddr = vaddr;
  t.walked_vaddr = untag(cfg_, vaddr);
  if (t.walked_vaddr != vaddr)
    t.notes.push_back(fmt::format("tag stripped: walked {:#x}", t.walked_vaddr));
  t.region = region_of(t.walked_vaddr);
  RawWalk w = walk_raw(t.walked_vaddr);
  t.status = w.status;
  for (unsigned i = 0; i < w.nlevels; ++i) {
    const RawWalkLevel& l = w.levels[i];
    t.levels.push_back({level_name(l.level), l.table, l.entry_addr, l.entry});
  }
  std::string last = w.nlevels ? level_name(w.levels[w.nlevels - 1].level) : "";
  switch (w.status) {
    case WalkStatus::Mapped: {
      const RawWalkLevel& l = w.levels[w.nlevels - 1];
      bool block = unsigned(l.level) + 1 != nlevels_;
      t.flags = decode_flags(l.entry, block);
      t.paddr = w.paddr;
      t.page_size = w.page_size;
      if (l.entry & kCont) {
        // The contiguous hint covers 16 (4K), 128/32 (16K PTE/PMD) or 32 (64K) entries.
        unsigned n = page_shift_ == 12 ? 16 : page_shift_ == 16 ? 32 : (block ? 32 : 128);
        t.notes.push_back(fmt::format("contiguous range: {} entries, {:#x} bytes", n, uint64_t(n) * w.page_size));
      }
      // Table descriptors can take permissions away from everything below them.
      for (unsigned i = 0; i + 1 < w.nlevels; ++i) {
        uint64_t e = w.levels[i].entry;
        if (e & (0xfULL << 59))
          t.notes.push_back(fmt::format("{} table limits access:{}{}{}{}", level_name(i),
                                        (e >> 59) & 1 ? " PXNTable" : "", (e >> 60) & 1 ? " UXNTable" : "",
                                        (e >> 61) & 1 ? " APTable[0](no EL0)" : "",
                                        (e >> 62) & 1 ? " APTable[1](read-only)" : ""));
      }
      break;
    }
    case WalkStatus::NonCanonical:
      t.error = (t.walked_vaddr & (1ULL << 55))
                    ? fmt::format("{:#x} is outside the kernel (TTBR1) range: bits 63..{} must all be 1",
                                  t.walked_vaddr, cfg_.kernel_va_bits())
                    : fmt::format("{:#x} is outside the user (TTBR0) range: bits 63..{} must all be 0",
                                  t.walked_vaddr, cfg_.va_bits);
      break;
    case WalkStatus::NoUserRoot:
      t.error = fmt::format("{:#x} is a user address: needs a task's page table (TTBR0); give a task "
                            "(vtop -u / -c PID, rd -u --pid N)",
                            t.walked_vaddr);
      break;
    case WalkStatus::NotPresent:
      t.flags = {};
      t.error = arch_detail::describe_stop(*phys_, w, last) + " (descriptor bit 0 clear)";
      break;
    case WalkStatus::ReservedBits: {
      const RawWalkLevel& l = w.levels[w.nlevels - 1];
      uint64_t type = l.entry & 3;
      bool lastlvl = unsigned(l.level) + 1 == nlevels_;
      if (lastlvl && type == 1)
        t.error = fmt::format("{} entry {:#x} at {:#x} uses the reserved descriptor type 0b01 at the last level",
                              last, l.entry, l.entry_addr);
      else if (type == 1 && !block_allowed(shift_of(l.level)))
        t.error = fmt::format("{} entry {:#x} at {:#x} is a block descriptor where this granule allows none", last,
                              l.entry, l.entry_addr);
      else
        t.error = fmt::format("{} entry {:#x} at {:#x} sets reserved bits {:#x}", last, l.entry, l.entry_addr,
                              reserved_bits(l.entry, l.level));
      break;
    }
    default:
      t.error = arch_detail::describe_stop(*phys_, w, last);
  }
  return t;
}

std::string Arm64PageTableWalker::region_of(uint64_t v) const {
  v = untag(cfg_, v);
  if (!in_range(v)) return "non-canonical";
  if (!(v & (1ULL << 55))) return "user";
  if (v >= cfg_.page_offset && (cfg_.page_end == 0 || v < cfg_.page_end)) return "direct map";
  if (cfg_.kernel_image_end && v >= cfg_.kernel_image_start && v < cfg_.kernel_image_end) {
    const KernelSection* best = nullptr;
    for (const KernelSection& s : cfg_.kernel_sections)
      if (v >= s.start && v < s.end && (!best || s.end - s.start < best->end - best->start)) best = &s;
    return best ? "kernel " + best->name : "kernel image";
  }
  if (cfg_.modules_end && v >= cfg_.modules_vaddr && v < cfg_.modules_end) return "module";
  if (cfg_.vmemmap_end && v >= cfg_.vmemmap_start && v < cfg_.vmemmap_end) return "vmemmap";
  if (cfg_.vmalloc_end && v >= cfg_.vmalloc_start && v < cfg_.vmalloc_end) return "vmalloc";
  return "unknown";
}

std::optional<uint64_t> Arm64PageTableWalker::direct_map_to_phys(uint64_t v) const {
  v = untag(cfg_, v);
  if (!(v >= cfg_.page_offset && (cfg_.page_end == 0 || v < cfg_.page_end))) return std::nullopt;
  // PHYS_OFFSET may be "negative" (memstart_addr with a randomized linear map): the
  // arithmetic is modulo 2^64 on purpose.
  return v - cfg_.page_offset + cfg_.phys_offset;
}

std::optional<uint64_t> Arm64PageTableWalker::phys_to_direct_map(uint64_t p) const {
  uint64_t v = p - cfg_.phys_offset + cfg_.page_offset;
  if (v < cfg_.page_offset || (cfg_.page_end && v >= cfg_.page_end)) return std::nullopt;
  return v;
}

std::optional<uint64_t> Arm64PageTableWalker::kernel_image_to_phys(uint64_t v) const {
  v = untag(cfg_, v);
  if (!cfg_.kimage_voffset) return std::nullopt;
  if (cfg_.kernel_image_end) {
    if (v < cfg_.kernel_image_start || v >= cfg_.kernel_image_end) return std::nullopt;
  } else if (!(v & (1ULL << 55)) || direct_map_to_phys(v)) {
    return std::nullopt;
  }
  return v - cfg_.kimage_voffset;
}

std::optional<uint64_t> Arm64PageTableWalker::phys_to_kernel_image(uint64_t p) const {
  if (!cfg_.kimage_voffset) return std::nullopt;
  uint64_t v = p + cfg_.kimage_voffset;
  if (!cfg_.kernel_image_end || v < cfg_.kernel_image_start || v >= cfg_.kernel_image_end) return std::nullopt;
  return v;
}

}  // namespace kdx
