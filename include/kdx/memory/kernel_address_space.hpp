// A virtual address space (the kernel's, or a task's) read through the arch page-table walker, with a per-root translation cache.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/arch/page_table_walker.hpp"
#include "kdx/arch/translation_config.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/phys_reader.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx {

// Not thread-safe: the cache is mutated by reads. One object per page table (root): a task's
// address space is another object from with_root(), with its own cache, so translations of
// different tables never mix.
class KernelAddressSpace : public VirtReader {
 public:
  // phys must outlive this object.
  KernelAddressSpace(const ArchBackend& arch, PhysReader& phys, TranslationConfig cfg);

  // The usual way in: builds the config from the dump's VMCOREINFO (reading KASLR'd
  // variables through phys; symbols may be empty) and the kernel's address space. Fails with
  // the config builder's Format error naming the missing/bad VMCOREINFO key.
  static Result<std::unique_ptr<KernelAddressSpace>> from_vmcoreinfo(const ArchBackend& arch, PhysReader& phys,
                                                                     const dump::Vmcoreinfo& vi,
                                                                     const SymbolLookup& symbols = {});

  // Copies out.size() bytes from vaddr (tags stripped first); reads crossing pages translate
  // each page. Fails with NotPresent (address = first unreadable virtual byte, message says
  // why: not mapped, reserved bits, table or page not in the dump) or Corrupt (cycle).
  // Excluded pages read as zeros, as PhysReader does; use page_state() to tell them apart.
  Result<void> read_virt(uint64_t vaddr, std::span<uint8_t> out) override;

  // vaddr -> paddr through the cache. Fails like read_virt for unmapped addresses.
  Result<uint64_t> translate(uint64_t vaddr);
  // Same, bypassing (and not filling) the cache: for benchmarks and cross-checks.
  Result<uint64_t> translate_uncached(uint64_t vaddr) const;
  // The full explanation (levels, flags, region); never cached, never fails.
  Translation explain(uint64_t vaddr) const { return walker_->explain(vaddr); }
  // The dump's state of the page vaddr maps to; fails when vaddr is not mapped.
  Result<PageState> page_state(uint64_t vaddr);

  // Another address space over the same dump and config but rooted at root_paddr (e.g. a
  // task's mm->pgd converted to physical). Has its own cache.
  std::unique_ptr<KernelAddressSpace> with_root(uint64_t root_paddr) const;
  // A task's view: user addresses through user_root_paddr (its mm->pgd as physical), kernel
  // addresses through the kernel's tables. Has its own cache. This is what `rd -u` reads.
  std::unique_ptr<KernelAddressSpace> with_user_root(uint64_t user_root_paddr) const;

  const ArchBackend& arch() const { return *arch_; }
  const TranslationConfig& config() const { return walker_->config(); }
  const PageTableWalker& walker() const { return *walker_; }
  PhysReader& phys() const { return *phys_; }

  void clear_cache();
  uint64_t cache_hits() const { return hits_; }
  uint64_t cache_misses() const { return misses_; }

 private:
  KernelAddressSpace(const ArchBackend& arch, PhysReader& phys, std::unique_ptr<PageTableWalker> walker);
  Error walk_error(const RawWalk& w, uint64_t vaddr) const;

  // Direct-mapped caches: one of 4 KiB virtual pages, one of 2 MiB virtual blocks filled by
  // huge/block mappings (the direct map and kernel image are mostly 2M/1G, so one slot
  // covers 512 pages). A slot holds the virtual page number + 1 (0 = empty) and the physical
  // address of that page or block.
  struct Slot {
    uint64_t vpn_plus1 = 0;
    uint64_t ppage = 0;
  };
  static constexpr unsigned kCacheBits = 16;
  static constexpr size_t kCacheSlots = size_t(1) << kCacheBits;
  static constexpr unsigned kHugeCacheBits = 12;
  static constexpr size_t kHugeCacheSlots = size_t(1) << kHugeCacheBits;

  const ArchBackend* arch_;
  PhysReader* phys_;
  std::unique_ptr<PageTableWalker> walker_;
  std::vector<Slot> cache_;
  std::vector<Slot> huge_cache_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace kdx
