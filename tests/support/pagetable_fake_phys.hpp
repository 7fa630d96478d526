// Test support: a fake physical memory (PhysReader) and x86_64 / arm64 page-table builders that write entries byte by byte.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "kdx/phys_reader.hpp"

// The builders deliberately share no code or constants with arch/: a layout mistake must
// not hide in both the writer and the walker.
namespace kdx::pagetable_test {

class FakePhysMemory : public PhysReader {
 public:
  // Writes bytes at paddr, creating zeroed present 4 KiB pages as needed.
  void write(uint64_t paddr, const void* data, size_t len);
  void write_u64(uint64_t paddr, uint64_t value);  // little-endian
  uint64_t read_u64(uint64_t paddr) const;         // 0 for absent pages
  // Returns a zeroed, present region of size bytes aligned to align, above every earlier one.
  uint64_t alloc(uint64_t size, uint64_t align);
  // Marks the 4 KiB page holding paddr: Excluded pages read as zeros, Missing/Hole fail.
  void set_state(uint64_t paddr, PageState s);
  void set_next_alloc(uint64_t paddr) { next_ = paddr; }

  Result<void> read_phys(uint64_t paddr, std::span<uint8_t> out) override;
  PageState page_state(uint64_t paddr) override;

  uint64_t reads = 0;  // read_phys calls, to check the cache

 private:
  std::vector<uint8_t>& page(uint64_t pfn);
  std::unordered_map<uint64_t, std::vector<uint8_t>> pages_;
  std::unordered_map<uint64_t, PageState> states_;
  uint64_t next_ = 0x100000;
};

// x86_64 4-level or 5-level tables. Intermediate entries get PRESENT|RW|USER|ACCESSED.
class X86PageTableBuilder {
 public:
  static constexpr uint64_t P = 1, RW = 2, US = 4, PWT = 8, PCD = 16, A = 32, D = 64, PS = 128, G = 256,
                            NX = 1ULL << 63;
  X86PageTableBuilder(FakePhysMemory& mem, bool five_level);
  uint64_t root() const { return root_; }
  // Maps [vaddr, vaddr+size) to paddr with one 4K, 2M or 1G entry carrying leaf_flags (PS is
  // added for 2M/1G).
  void map(uint64_t vaddr, uint64_t paddr, uint64_t size, uint64_t leaf_flags = P | RW | A | D);
  // Physical address of the entry for vaddr at depth level (0 = top); the tables must exist.
  uint64_t entry_addr(uint64_t vaddr, unsigned level) const;

 private:
  FakePhysMemory& mem_;
  bool five_;
  uint64_t root_;
};

// arm64 stage-1 tables for a granule (4K/16K/64K) and VA size. index_va_bits > va_bits
// models a 52-bit kernel on 48-bit hardware (top table sized for 52 bits).
class Arm64PageTableBuilder {
 public:
  static constexpr uint64_t VALID = 1, TABLE = 3, PAGE = 3, BLOCK = 1, AF = 1ULL << 10, NG = 1ULL << 11,
                            AP_EL0 = 1ULL << 6, AP_RO = 1ULL << 7, SH_INNER = 3ULL << 8, PXN = 1ULL << 53,
                            UXN = 1ULL << 54, CONT = 1ULL << 52, DBM = 1ULL << 51;
  Arm64PageTableBuilder(FakePhysMemory& mem, uint64_t granule, unsigned va_bits, unsigned index_va_bits = 0);
  uint64_t root() const { return root_; }
  unsigned levels() const { return unsigned(shifts_.size()); }
  uint64_t level_size(unsigned level) const { return 1ULL << shifts_[level]; }
  // Maps one page (size == granule) or one block (size == a level's size) to paddr.
  void map(uint64_t vaddr, uint64_t paddr, uint64_t size, uint64_t attrs = AF | SH_INNER | (4 << 2));
  uint64_t entry_addr(uint64_t vaddr, unsigned level) const;

 private:
  uint64_t index(uint64_t vaddr, unsigned level) const;
  FakePhysMemory& mem_;
  uint64_t granule_;
  std::vector<unsigned> shifts_;  // top level first
  unsigned top_bits_;
  uint64_t root_;
};

}  // namespace kdx::pagetable_test
