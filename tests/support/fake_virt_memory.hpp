// A sparse fake kernel virtual memory for tests: bytes written at addresses, reads fail elsewhere.
#pragma once

#include <cstring>
#include <map>
#include <vector>

#include "kdx/virt_reader.hpp"

namespace kdx::test {

class FakeVirtMemory : public VirtReader {
 public:
  void write(uint64_t addr, const void* data, size_t n) {
    auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; i++) bytes_[addr + i] = p[i];
  }
  template <typename T>
  void put(uint64_t addr, T v) { write(addr, &v, sizeof v); }
  void fill(uint64_t addr, size_t n, uint8_t v = 0) {
    for (size_t i = 0; i < n; i++) bytes_[addr + i] = v;
  }
  Result<void> read_virt(uint64_t vaddr, std::span<uint8_t> out) override {
    for (size_t i = 0; i < out.size(); i++) {
      auto it = bytes_.find(vaddr + i);
      if (it == bytes_.end()) return error_at_address(ErrorCode::NotPresent, vaddr + i, "not mapped in fake memory");
      out[i] = it->second;
    }
    return {};
  }

 private:
  std::map<uint64_t, uint8_t> bytes_;
};

}  // namespace kdx::test
