// KernelAddressSpace: VirtReader over PhysReader via the arch walker, with a direct-mapped per-root translation cache.
#include "kdx/memory/kernel_address_space.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace kdx {

namespace {
constexpr uint64_t kCachePage = 4096;      // cache granule: the smallest page size of every arch
constexpr uint64_t kHugePage = 2ULL << 20;  // huge cache granule: x86 2M, arm64 4K-granule PMD block
// Fibonacci hashing: kernel regions share their low VPN bits (direct map, vmalloc and the
// image all start on large alignments), so the low bits alone would collide.
inline size_t slot_of(uint64_t vpn, unsigned bits) { return size_t((vpn * 0x9e3779b97f4a7c15ULL) >> (64 - bits)); }
}

KernelAddressSpace::KernelAddressSpace(const ArchBackend& arch, PhysReader& phys, TranslationConfig cfg)
    : KernelAddressSpace(arch, phys, arch.make_walker(cfg, phys)) {}

KernelAddressSpace::KernelAddressSpace(const ArchBackend& arch, PhysReader& phys,
                                       std::unique_ptr<PageTableWalker> walker)
    : arch_(&arch), phys_(&phys), walker_(std::move(walker)), cache_(kCacheSlots), huge_cache_(kHugeCacheSlots) {}

Result<std::unique_ptr<KernelAddressSpace>> KernelAddressSpace::from_vmcoreinfo(const ArchBackend& arch,
                                                                                PhysReader& phys,
                                                                                const dump::Vmcoreinfo& vi,
                                                                                const SymbolLookup& symbols) {
  auto cfg = arch.config_from_vmcoreinfo(vi, &phys, symbols);
  if (!cfg) return std::unexpected(cfg.error());
  return std::make_unique<KernelAddressSpace>(arch, phys, std::move(*cfg));
}

std::unique_ptr<KernelAddressSpace> KernelAddressSpace::with_root(uint64_t root_paddr) const {
  return std::unique_ptr<KernelAddressSpace>(new KernelAddressSpace(*arch_, *phys_, walker_->with_root(root_paddr)));
}

std::unique_ptr<KernelAddressSpace> KernelAddressSpace::with_user_root(uint64_t user_root_paddr) const {
  return std::unique_ptr<KernelAddressSpace>(
      new KernelAddressSpace(*arch_, *phys_, walker_->with_user_root(user_root_paddr)));
}

void KernelAddressSpace::clear_cache() {
  std::fill(cache_.begin(), cache_.end(), Slot{});
  std::fill(huge_cache_.begin(), huge_cache_.end(), Slot{});
  hits_ = misses_ = 0;
}

Error KernelAddressSpace::walk_error(const RawWalk& w, uint64_t vaddr) const {
  ErrorCode code = w.status == WalkStatus::Cycle ? ErrorCode::Corrupt : ErrorCode::NotPresent;
  // Failures are rare next to hits, so re-walking once for a sentence that names the level
  // and the entry is worth it.
  Translation t = walker_->explain(vaddr);
  std::string why = t.error.empty() ? walk_status_name(w.status) : t.error;
  return Error{code, fmt::format("cannot read {:#x}: {}", vaddr, why), {}, {}, vaddr};
}

Result<uint64_t> KernelAddressSpace::translate_uncached(uint64_t vaddr) const {
  uint64_t v = arch_->untag_pointer(walker_->config(), vaddr);
  RawWalk w = walker_->walk_raw(v);
  if (w.status != WalkStatus::Mapped) return std::unexpected(walk_error(w, vaddr));
  return w.paddr;
}

Result<uint64_t> KernelAddressSpace::translate(uint64_t vaddr) {
  uint64_t v = arch_->untag_pointer(walker_->config(), vaddr);
  uint64_t vpn = v / kCachePage;
  Slot& slot = cache_[slot_of(vpn, kCacheBits)];
  if (slot.vpn_plus1 == vpn + 1) {
    ++hits_;
    return slot.ppage | (v & (kCachePage - 1));
  }
  uint64_t hpn = v / kHugePage;
  Slot& huge = huge_cache_[slot_of(hpn, kHugeCacheBits)];
  if (huge.vpn_plus1 == hpn + 1) {
    ++hits_;
    return huge.ppage | (v & (kHugePage - 1));
  }
  ++misses_;
  RawWalk w = walker_->walk_raw(v);
  // Failures are not cached: negative entries would keep "absent" for tables a caller may
  // be about to look at with explain(), and failing reads are rare.
  if (w.status != WalkStatus::Mapped) return std::unexpected(walk_error(w, vaddr));
  if (w.page_size >= kHugePage) {
    huge.vpn_plus1 = hpn + 1;
    huge.ppage = w.paddr & ~(kHugePage - 1);
  } else {
    slot.vpn_plus1 = vpn + 1;
    slot.ppage = w.paddr & ~(kCachePage - 1);
  }
  return w.paddr;
}

Result<void> KernelAddressSpace::read_virt(uint64_t vaddr, std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    uint64_t va = vaddr + done;
    size_t chunk = std::min<uint64_t>(out.size() - done, kCachePage - (va & (kCachePage - 1)));
    auto pa = translate(va);
    if (!pa) return std::unexpected(pa.error());
    auto r = phys_->read_phys(*pa, out.subspan(done, chunk));
    if (!r) {
      Error e = r.error();
      e.message = fmt::format("{:#x} (physical {:#x}): {}", va, *pa, e.message);
      // The reader names the first bad physical byte; report the matching virtual byte.
      e.address = (e.address && *e.address >= *pa && *e.address - *pa < chunk) ? va + (*e.address - *pa) : va;
      return std::unexpected(std::move(e));
    }
    done += chunk;
  }
  return {};
}

Result<PageState> KernelAddressSpace::page_state(uint64_t vaddr) {
  auto pa = translate(vaddr);
  if (!pa) return std::unexpected(pa.error());
  return phys_->page_state(*pa);
}

}  // namespace kdx
