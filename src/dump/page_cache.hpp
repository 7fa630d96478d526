// A bounded LRU cache of decompressed dump blocks, keyed by block number.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

namespace kdx::dump {

class PageCache {
 public:
  // Holds at most max(4, capacity_bytes / block_size) blocks; memory is taken as blocks
  // are first used, so a dump that reads little costs little.
  PageCache(uint64_t block_size, uint64_t capacity_bytes);
  // The cached block, or an empty span when absent; a hit becomes most recently used.
  std::span<const uint8_t> find(uint64_t key);
  // A slot to fill for key, evicting the least recently used block. The caller must fill
  // it completely or call drop(key) if filling fails.
  std::span<uint8_t> insert(uint64_t key);
  void drop(uint64_t key);

 private:
  static constexpr uint32_t kNone = ~uint32_t{0};
  struct Slot {
    uint64_t key = 0;
    uint32_t prev = kNone, next = kNone;  // LRU list: head = most recent
    bool used = false;
    std::unique_ptr<uint8_t[]> data;
  };
  void unlink(uint32_t i);
  void push_front(uint32_t i);
  uint64_t block_size_;
  uint32_t nslots_;
  std::vector<Slot> slots_;
  std::unordered_map<uint64_t, uint32_t> index_;
  uint32_t head_ = kNone, tail_ = kNone;
};

}  // namespace kdx::dump
