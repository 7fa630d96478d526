// The page-table walker interface every arch implements, and the walk result it returns.
#pragma once

#include <array>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/arch/translation_config.hpp"
#include "kdx/error.hpp"

namespace kdx {

// Why a walk ended.
enum class WalkStatus : uint8_t {
  Mapped,           // a leaf entry was found: paddr is valid
  NonCanonical,     // x86_64 non-canonical / arm64 outside both TTBR ranges: no table applies
  NotPresent,       // an entry's present/valid bit is clear
  ReservedBits,     // an entry sets bits the architecture reserves (or a reserved encoding)
  TableNotInDump,   // a table page could not be read (hole, missing, or excluded from the dump)
  Cycle,            // a table was reached twice in one walk: corrupt tables
  NoUserRoot,       // a user address, but no user table was given (arm64 TTBR0: a task's mm->pgd)
};
const char* walk_status_name(WalkStatus s);

// One table step of a walk, allocation-free.
struct RawWalkLevel {
  uint8_t level = 0;       // 0 = top-level table; the walker names it
  uint64_t table = 0;      // physical address of the table
  uint64_t entry_addr = 0; // physical address of the entry read
  uint64_t entry = 0;      // the entry (0 when it could not be read)
};

// What the walk found, without strings: the hot path of translation uses only this.
struct RawWalk {
  uint64_t vaddr = 0;
  uint64_t paddr = 0;      // valid when status == Mapped
  uint64_t page_size = 0;  // size of the leaf mapping (4K, 2M, 1G, 64K, 512M, ...)
  WalkStatus status = WalkStatus::NotPresent;
  uint8_t nlevels = 0;     // entries used in levels
  std::array<RawWalkLevel, 6> levels{};
};

// One level, as shown to people and scripts (`vtop`).
struct WalkLevel {
  std::string name;        // PGD, P4D, PUD, PMD, PTE
  uint64_t table = 0;      // table physical address
  uint64_t entry_addr = 0; // entry physical address
  uint64_t entry = 0;
};

// The full explanation of one translation.
struct Translation {
  uint64_t vaddr = 0;                // as asked (before untagging)
  uint64_t walked_vaddr = 0;         // after untagging
  std::optional<uint64_t> paddr;     // nullopt when not mapped
  uint64_t page_size = 0;            // 0 when not mapped
  std::vector<WalkLevel> levels;
  std::vector<std::string> flags;    // decoded leaf flags ("PRESENT", "RW", "NX", ...)
  std::string region;                // "direct map", "vmalloc", "kernel text", "user", ...
  WalkStatus status = WalkStatus::NotPresent;
  std::string error;                 // empty when mapped: where and why the walk stopped
  std::vector<std::string> notes;    // extra facts (tag stripped, contiguous range, ...)
};

class PageTableWalker {
 public:
  virtual ~PageTableWalker() = default;
  // Walks the tables for vaddr (already untagged). Never fails: the status says where and
  // why the walk stopped.
  virtual RawWalk walk_raw(uint64_t vaddr) const = 0;
  // Walks and explains: level names, decoded flags, region, error text. Untags first.
  virtual Translation explain(uint64_t vaddr) const = 0;
  // Names the region holding vaddr ("direct map", "vmalloc", ...); "unknown" when none.
  virtual std::string region_of(uint64_t vaddr) const = 0;
  // Direct-map (arm64: linear map) and kernel-image conversions without a walk: nullopt when
  // vaddr/paddr is outside the direct map / kernel image.
  virtual std::optional<uint64_t> direct_map_to_phys(uint64_t vaddr) const = 0;
  virtual std::optional<uint64_t> phys_to_direct_map(uint64_t paddr) const = 0;
  virtual std::optional<uint64_t> kernel_image_to_phys(uint64_t vaddr) const = 0;
  // The kernel-image virtual address of paddr (x86_64: __START_KERNEL_map + paddr - phys_base;
  // arm64: paddr + kimage_voffset) when paddr lies in the image ([_text, _end) when known).
  virtual std::optional<uint64_t> phys_to_kernel_image(uint64_t paddr) const = 0;
  // The physical address of the top-level table this walker starts from.
  virtual uint64_t root() const = 0;
  virtual const TranslationConfig& config() const = 0;
  // A walker over cfg and the same physical memory (the arch's constructor).
  virtual std::unique_ptr<PageTableWalker> with_config(const TranslationConfig& cfg) const = 0;
  // A walker over the same config but another root for every address (`vtop --root`).
  std::unique_ptr<PageTableWalker> with_root(uint64_t root_paddr) const {
    TranslationConfig c = config();
    c.root = root_paddr;
    return with_config(c);
  }
  // A walker whose user addresses go through user_root_paddr (a task's mm->pgd, physical);
  // kernel addresses keep the kernel root. x86_64: one table maps both halves, so this only
  // moves user addresses; arm64: TTBR0 gets the task's table, TTBR1 keeps swapper_pg_dir.
  std::unique_ptr<PageTableWalker> with_user_root(uint64_t user_root_paddr) const {
    TranslationConfig c = config();
    c.user_root = user_root_paddr;
    return with_config(c);
  }
};

}  // namespace kdx
