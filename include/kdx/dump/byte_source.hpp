// Bounds-checked access to the bytes of one dump file: a read-only mapping, a caller's buffer, or a flattened file's records.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kdx/error.hpp"

namespace kdx::dump {

// A file's bytes as the format readers see them (for a flattened file: the reassembled
// file, indexed in place). Every access is checked against size(); nothing reads past it.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The name used in error messages (the path as given).
  const std::string& name() const { return name_; }
  // Logical size in bytes.
  virtual uint64_t size() const = 0;
  // Copies out.size() bytes at off. Fails with Truncated (offset = off, naming `what`)
  // when [off, off+size) is not inside the source.
  virtual Result<void> read(uint64_t off, std::span<uint8_t> out, const char* what) const = 0;
  // A zero-copy view of [off, off+len) when those bytes are contiguous in memory;
  // nullopt when out of range or (flattened) split across records.
  virtual std::optional<std::span<const uint8_t>> view(uint64_t off, uint64_t len) const = 0;
  // Whether this source reassembles a flattened (makedumpfile -F) file.
  virtual bool flattened() const { return false; }
  // Bytes actually stored behind this source. For a flattened file the logical size() can
  // be far larger (unwritten gaps read as zeros), so anything a reader allocates from file
  // fields is capped by this instead.
  virtual uint64_t backing_size() const { return size(); }

  // Little-endian integer reads with the field name in the error.
  Result<uint16_t> u16(uint64_t off, const char* what) const { return get<uint16_t>(off, what); }
  Result<uint32_t> u32(uint64_t off, const char* what) const { return get<uint32_t>(off, what); }
  Result<uint64_t> u64(uint64_t off, const char* what) const { return get<uint64_t>(off, what); }

 protected:
  explicit ByteSource(std::string name) : name_(std::move(name)) {}

 private:
  template <typename T>
  Result<T> get(uint64_t off, const char* what) const {
    uint8_t b[sizeof(T)];
    auto r = read(off, std::span<uint8_t>(b, sizeof b), what);
    if (!r) return std::unexpected(r.error());
    T v = 0;
    for (size_t i = sizeof(T); i-- > 0;) v = static_cast<T>((v << 8) | b[i]);
    return v;
  }
  std::string name_;
};

// A whole file mapped read-only (PROT_READ, MAP_PRIVATE: the input is never written).
// Fails with Io naming the path when it cannot be opened or mapped.
Result<std::shared_ptr<ByteSource>> map_file(const std::string& path);
// A source over memory the caller keeps alive (fuzzing, tests). Never fails.
std::shared_ptr<ByteSource> memory_source(std::string name, std::span<const uint8_t> bytes);
// The contiguous bytes of a mapped or memory source, or an empty span for other sources.
std::span<const uint8_t> contiguous_bytes(const ByteSource& src);

}  // namespace kdx::dump
