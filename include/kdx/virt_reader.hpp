// The narrow interface for reading kernel virtual memory, used by kernel-structure readers.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "kdx/error.hpp"

namespace kdx {

class VirtReader {
 public:
  virtual ~VirtReader() = default;
  // Copies out.size() bytes from kernel virtual address vaddr; fails with NotPresent
  // (address = first unreadable byte) when a page is not mapped or not in the dump.
  virtual Result<void> read_virt(uint64_t vaddr, std::span<uint8_t> out) = 0;

  template <typename T>
  Result<T> read(uint64_t vaddr) {
    T v{};
    auto r = read_virt(vaddr, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof v));
    if (!r) return std::unexpected(r.error());
    return v;
  }
  Result<uint64_t> read_u64(uint64_t vaddr) { return read<uint64_t>(vaddr); }
  // Reads a NUL-terminated string of at most max bytes.
  Result<std::string> read_cstring(uint64_t vaddr, size_t max = 4096) {
    std::string s;
    while (s.size() < max) {
      char c;
      auto r = read_virt(vaddr + s.size(), std::span<uint8_t>(reinterpret_cast<uint8_t*>(&c), 1));
      if (!r) return std::unexpected(r.error());
      if (c == 0) break;
      s.push_back(c);
    }
    return s;
  }
};

}  // namespace kdx
