// The narrow interface every layer above the dump uses to read physical memory.
#pragma once

#include <cstdint>
#include <span>

#include "kdx/error.hpp"

namespace kdx {

// What a dump knows about one physical page.
enum class PageState {
  Present,   // the page's bytes are in the dump
  Excluded,  // filtered out by the dump level (makedumpfile -d): reads as zeros
  Missing,   // should be there but is not (incomplete dump, p_filesz cut short)
  Hole,      // not RAM in the dumped machine / outside every range
};

const char* page_state_name(PageState s);

class PhysReader {
 public:
  virtual ~PhysReader() = default;
  // Copies out.size() bytes starting at paddr. Excluded pages read as zeros (makedumpfile
  // cannot tell an excluded zero page from another excluded page, so zeros are what crash
  // and drgn show too). Fails with NotPresent (address = first bad byte) for holes and
  // missing pages, or Corrupt/Io when a page cannot be decoded.
  virtual Result<void> read_phys(uint64_t paddr, std::span<uint8_t> out) = 0;
  // The state of the page holding paddr; never fails.
  virtual PageState page_state(uint64_t paddr) = 0;
};

}  // namespace kdx
