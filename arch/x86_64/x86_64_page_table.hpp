// x86_64 4- and 5-level page-table walker (private to arch/x86_64).
#pragma once

#include <memory>

#include "kdx/arch/page_table_walker.hpp"
#include "kdx/phys_reader.hpp"

namespace kdx {

inline constexpr uint64_t kX86StartKernelMap = 0xffffffff80000000ULL;  // __START_KERNEL_map

class X86_64PageTableWalker final : public PageTableWalker {
 public:
  X86_64PageTableWalker(const TranslationConfig& cfg, PhysReader& phys);
  RawWalk walk_raw(uint64_t vaddr) const override;
  Translation explain(uint64_t vaddr) const override;
  std::string region_of(uint64_t vaddr) const override;
  std::optional<uint64_t> direct_map_to_phys(uint64_t vaddr) const override;
  std::optional<uint64_t> phys_to_direct_map(uint64_t paddr) const override;
  std::optional<uint64_t> kernel_image_to_phys(uint64_t vaddr) const override;
  std::optional<uint64_t> phys_to_kernel_image(uint64_t paddr) const override;
  uint64_t root() const override { return cfg_.root; }
  const TranslationConfig& config() const override { return cfg_; }
  std::unique_ptr<PageTableWalker> with_config(const TranslationConfig& cfg) const override {
    return std::make_unique<X86_64PageTableWalker>(cfg, *phys_);
  }

  bool canonical(uint64_t vaddr) const;
  // Bits of entry that the CPU reserves at a level with this shift (large = PS set at PUD/PMD).
  uint64_t reserved_mask(unsigned shift, bool large) const;
  const char* level_name(unsigned level) const;
  static std::vector<std::string> decode_flags(uint64_t entry, bool leaf_is_pte);

 private:
  uint64_t direct_map_end() const;

  TranslationConfig cfg_;
  PhysReader* phys_;
  unsigned nlevels_;
  uint64_t addr_mask_;
};

}  // namespace kdx
