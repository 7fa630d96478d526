// Read-only mappings and memory views behind ByteSource.
#include "kdx/dump/byte_source.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kdx::dump {
namespace {

class SpanSource : public ByteSource {
 public:
  SpanSource(std::string name, std::span<const uint8_t> bytes, void* map = nullptr, size_t map_len = 0)
      : ByteSource(std::move(name)), bytes_(bytes), map_(map), map_len_(map_len) {}
  ~SpanSource() override {
    if (map_) ::munmap(map_, map_len_);
  }
  uint64_t size() const override { return bytes_.size(); }
  Result<void> read(uint64_t off, std::span<uint8_t> out, const char* what) const override {
    if (off > bytes_.size() || out.size() > bytes_.size() - off) {
      return std::unexpected(Error{ErrorCode::Truncated,
                                   fmt::format("{}: needs {} bytes at offset {:#x}, file has {:#x}", what,
                                               out.size(), off, bytes_.size()),
                                   name(), off, {}});
    }
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + off, out.size());
    return {};
  }
  std::optional<std::span<const uint8_t>> view(uint64_t off, uint64_t len) const override {
    if (off > bytes_.size() || len > bytes_.size() - off) return std::nullopt;
    return bytes_.subspan(off, len);
  }
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  std::span<const uint8_t> bytes_;
  void* map_;
  size_t map_len_;
};

}  // namespace

Result<std::shared_ptr<ByteSource>> map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(Error{ErrorCode::Io, fmt::format("cannot open: {}", std::strerror(errno)), path, {}, {}});
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = errno;
    ::close(fd);
    return std::unexpected(Error{ErrorCode::Io,
                                 S_ISDIR(st.st_mode) ? std::string("is a directory")
                                                     : fmt::format("cannot stat: {}", std::strerror(e)),
                                 path, {}, {}});
  }
  size_t len = static_cast<size_t>(st.st_size);
  void* map = nullptr;
  if (len > 0) {
    map = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return std::unexpected(Error{ErrorCode::Io, fmt::format("cannot map: {}", std::strerror(e)), path, {}, {}});
    }
  }
  ::close(fd);
  std::span<const uint8_t> bytes(static_cast<const uint8_t*>(map), len);
  return std::shared_ptr<ByteSource>(std::make_shared<SpanSource>(path, bytes, map, len));
}

std::shared_ptr<ByteSource> memory_source(std::string name, std::span<const uint8_t> bytes) {
  return std::make_shared<SpanSource>(std::move(name), bytes);
}

std::span<const uint8_t> contiguous_bytes(const ByteSource& src) {
  if (auto* s = dynamic_cast<const SpanSource*>(&src)) return s->bytes();
  return {};
}

}  // namespace kdx::dump
