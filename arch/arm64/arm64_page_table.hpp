// arm64 page-table walker for 4K/16K/64K granules and 39..52-bit VAs (private to arch/arm64).
#pragma once

#include <memory>

#include "kdx/arch/page_table_walker.hpp"
#include "kdx/phys_reader.hpp"

namespace kdx {

class Arm64PageTableWalker final : public PageTableWalker {
 public:
  Arm64PageTableWalker(const TranslationConfig& cfg, PhysReader& phys);
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
    return std::make_unique<Arm64PageTableWalker>(cfg, *phys_);
  }

  unsigned levels() const { return nlevels_; }
  const char* level_name(unsigned level) const;
  // True when vaddr lies in the TTBR0 (user) or TTBR1 (kernel) range the tables cover.
  bool in_range(uint64_t vaddr) const;
  static uint64_t untag(const TranslationConfig& cfg, uint64_t ptr);

 private:
  unsigned shift_of(unsigned level) const { return page_shift_ + (nlevels_ - 1 - level) * (page_shift_ - 3); }
  bool block_allowed(unsigned shift) const;
  uint64_t output_address(uint64_t entry) const;
  uint64_t reserved_bits(uint64_t entry, unsigned level) const;
  std::vector<std::string> decode_flags(uint64_t entry, bool block) const;

  TranslationConfig cfg_;
  PhysReader* phys_;
  unsigned page_shift_;
  unsigned nlevels_;
  unsigned top_index_bits_;
  bool lpa2_;  // 52-bit PA in the 4K/16K LPA2 format (OA[51:50] in bits 9:8)
};

}  // namespace kdx
