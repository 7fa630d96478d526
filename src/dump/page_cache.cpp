// LRU bookkeeping for PageCache: an intrusive doubly linked list over slots allocated on demand.
#include "page_cache.hpp"

#include <algorithm>

namespace kdx::dump {

PageCache::PageCache(uint64_t block_size, uint64_t capacity_bytes)
    : block_size_(block_size), nslots_(static_cast<uint32_t>(std::max<uint64_t>(4, capacity_bytes / block_size))) {}

void PageCache::unlink(uint32_t i) {
  Slot& s = slots_[i];
  if (s.prev != kNone) slots_[s.prev].next = s.next; else head_ = s.next;
  if (s.next != kNone) slots_[s.next].prev = s.prev; else tail_ = s.prev;
  s.prev = s.next = kNone;
}

void PageCache::push_front(uint32_t i) {
  Slot& s = slots_[i];
  s.prev = kNone;
  s.next = head_;
  if (head_ != kNone) slots_[head_].prev = i;
  head_ = i;
  if (tail_ == kNone) tail_ = i;
}

std::span<const uint8_t> PageCache::find(uint64_t key) {
  auto it = index_.find(key);
  if (it == index_.end()) return {};
  uint32_t i = it->second;
  if (head_ != i) {
    unlink(i);
    push_front(i);
  }
  return std::span<const uint8_t>(slots_[i].data.get(), block_size_);
}

std::span<uint8_t> PageCache::insert(uint64_t key) {
  uint32_t i;
  if (auto it = index_.find(key); it != index_.end()) {
    i = it->second;
    unlink(i);
  } else if (tail_ != kNone && !slots_[tail_].used) {
    i = tail_;  // a dropped slot waiting for reuse
    unlink(i);
  } else if (slots_.size() < nslots_) {
    i = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
    slots_.back().data.reset(new uint8_t[block_size_]);
  } else {
    i = tail_;
    unlink(i);
    index_.erase(slots_[i].key);
  }
  slots_[i].key = key;
  slots_[i].used = true;
  index_[key] = i;
  push_front(i);
  return std::span<uint8_t>(slots_[i].data.get(), block_size_);
}

void PageCache::drop(uint64_t key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  uint32_t i = it->second;
  unlink(i);
  index_.erase(it);
  slots_[i].used = false;
  // Reuse: move the freed slot to the tail so it is evicted (refilled) first.
  Slot& s = slots_[i];
  s.prev = tail_;
  s.next = kNone;
  if (tail_ != kNone) slots_[tail_].next = i;
  tail_ = i;
  if (head_ == kNone) head_ = i;
}

}  // namespace kdx::dump
