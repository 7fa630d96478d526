// Test support: fake physical memory and hand-written page-table builders for the arch walker tests.
#include "support/pagetable_fake_phys.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace kdx::pagetable_test {

std::vector<uint8_t>& FakePhysMemory::page(uint64_t pfn) {
  auto& p = pages_[pfn];
  if (p.empty()) p.assign(4096, 0);
  return p;
}

void FakePhysMemory::write(uint64_t paddr, const void* data, size_t len) {
  const uint8_t* src = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < len; ++i) page((paddr + i) >> 12)[(paddr + i) & 4095] = src[i];
}

void FakePhysMemory::write_u64(uint64_t paddr, uint64_t value) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = uint8_t(value >> (8 * i));
  write(paddr, b, 8);
}

uint64_t FakePhysMemory::read_u64(uint64_t paddr) const {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    auto it = pages_.find((paddr + i) >> 12);
    v = (v << 8) | (it == pages_.end() ? 0 : it->second[(paddr + i) & 4095]);
  }
  return v;
}

uint64_t FakePhysMemory::alloc(uint64_t size, uint64_t align) {
  uint64_t a = (next_ + align - 1) & ~(align - 1);
  next_ = a + size;
  for (uint64_t p = a; p < a + size; p += 4096) page(p >> 12);
  return a;
}

void FakePhysMemory::set_state(uint64_t paddr, PageState s) { states_[paddr >> 12] = s; }

PageState FakePhysMemory::page_state(uint64_t paddr) {
  auto it = states_.find(paddr >> 12);
  if (it != states_.end()) return it->second;
  return pages_.count(paddr >> 12) ? PageState::Present : PageState::Hole;
}

Result<void> FakePhysMemory::read_phys(uint64_t paddr, std::span<uint8_t> out) {
  ++reads;
  size_t done = 0;
  while (done < out.size()) {
    uint64_t a = paddr + done;
    size_t n = std::min<uint64_t>(out.size() - done, 4096 - (a & 4095));
    PageState st = page_state(a);
    if (st == PageState::Excluded) {
      std::fill_n(out.begin() + done, n, 0);
    } else if (st != PageState::Present) {
      return error_at_address(ErrorCode::NotPresent, a, "fake memory: no page");
    } else {
      const auto& p = pages_.at(a >> 12);
      std::copy_n(p.begin() + (a & 4095), n, out.begin() + done);
    }
    done += n;
  }
  return {};
}

// ---- x86_64 ----

X86PageTableBuilder::X86PageTableBuilder(FakePhysMemory& mem, bool five_level)
    : mem_(mem), five_(five_level), root_(mem.alloc(4096, 4096)) {}

uint64_t X86PageTableBuilder::entry_addr(uint64_t vaddr, unsigned level) const {
  // Level shifts listed by hand: PML5 48, PML4 39, PDPT 30, PD 21, PT 12.
  static const unsigned k5[] = {48, 39, 30, 21, 12};
  static const unsigned k4[] = {39, 30, 21, 12};
  const unsigned* shifts = five_ ? k5 : k4;
  uint64_t table = root_;
  for (unsigned l = 0;; ++l) {
    uint64_t ea = table + ((vaddr >> shifts[l]) & 0x1ff) * 8;
    if (l == level) return ea;
    table = mem_.read_u64(ea) & 0x000ffffffffff000ULL;
    if (!table) throw std::logic_error("x86 builder: no table at that level");
  }
}

void X86PageTableBuilder::map(uint64_t vaddr, uint64_t paddr, uint64_t size, uint64_t leaf_flags) {
  static const unsigned k5[] = {48, 39, 30, 21, 12};
  static const unsigned k4[] = {39, 30, 21, 12};
  const unsigned* shifts = five_ ? k5 : k4;
  unsigned n = five_ ? 5 : 4;
  unsigned leaf_shift = size == (1ULL << 30) ? 30 : size == (2ULL << 20) ? 21 : 12;
  uint64_t table = root_;
  for (unsigned l = 0; l < n; ++l) {
    uint64_t ea = table + ((vaddr >> shifts[l]) & 0x1ff) * 8;
    if (shifts[l] == leaf_shift) {
      mem_.write_u64(ea, (paddr & ~(size - 1)) | leaf_flags | (leaf_shift != 12 ? PS : 0));
      return;
    }
    uint64_t e = mem_.read_u64(ea);
    if (!(e & P)) {
      uint64_t t = mem_.alloc(4096, 4096);
      e = t | P | RW | US | A;
      mem_.write_u64(ea, e);
    }
    table = e & 0x000ffffffffff000ULL;
  }
}

// ---- arm64 ----

Arm64PageTableBuilder::Arm64PageTableBuilder(FakePhysMemory& mem, uint64_t granule, unsigned va_bits,
                                             unsigned index_va_bits)
    : mem_(mem), granule_(granule) {
  unsigned g = granule == 65536 ? 16 : granule == 16384 ? 14 : 12;
  // Resolve levels from the page up until the VA is covered (ARM ARM "translation granule").
  std::vector<unsigned> up{g};
  while (up.back() + (g - 3) < va_bits) up.push_back(up.back() + (g - 3));
  shifts_.assign(up.rbegin(), up.rend());
  unsigned idx_va = index_va_bits ? index_va_bits : va_bits;
  top_bits_ = std::min(idx_va - shifts_.front(), g - 3);
  uint64_t top_size = std::max<uint64_t>((1ULL << top_bits_) * 8, 64);
  root_ = mem.alloc(std::max<uint64_t>(top_size, 4096), std::max<uint64_t>(top_size, 64));
}

uint64_t Arm64PageTableBuilder::index(uint64_t vaddr, unsigned level) const {
  unsigned bits = level == 0 ? top_bits_ : (shifts_.back() - 3);
  return (vaddr >> shifts_[level]) & ((1ULL << bits) - 1);
}

uint64_t Arm64PageTableBuilder::entry_addr(uint64_t vaddr, unsigned level) const {
  uint64_t table = root_;
  for (unsigned l = 0;; ++l) {
    uint64_t ea = table + index(vaddr, l) * 8;
    if (l == level) return ea;
    uint64_t e = mem_.read_u64(ea);
    if ((e & 3) != 3) throw std::logic_error("arm64 builder: no table at that level");
    table = e & 0x0000fffffffff000ULL & ~(granule_ - 1);
  }
}

void Arm64PageTableBuilder::map(uint64_t vaddr, uint64_t paddr, uint64_t size, uint64_t attrs) {
  uint64_t table = root_;
  for (unsigned l = 0; l < shifts_.size(); ++l) {
    uint64_t ea = table + index(vaddr, l) * 8;
    bool last = l + 1 == shifts_.size();
    if ((1ULL << shifts_[l]) == size) {
      mem_.write_u64(ea, (paddr & ~(size - 1)) | attrs | (last ? PAGE : BLOCK));
      return;
    }
    uint64_t e = mem_.read_u64(ea);
    if ((e & 3) != 3) {
      uint64_t t = mem_.alloc(granule_, granule_);
      e = t | TABLE;
      mem_.write_u64(ea, e);
    }
    table = e & 0x0000fffffffff000ULL & ~(granule_ - 1);
  }
  throw std::logic_error("arm64 builder: size is not a page or block size");
}

}  // namespace kdx::pagetable_test
