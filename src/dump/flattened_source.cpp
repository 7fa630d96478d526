// Flattened-format index: records sorted by their offset in the reassembled file, later records winning.
#include "flattened_source.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

namespace kdx::dump {
namespace {

constexpr uint64_t kHeaderSize = 4096;  // the flattened header is padded to one 4 KiB block
constexpr uint64_t kRecordHeader = 16;  // int64 offset, int64 size, big-endian

struct Piece {
  uint64_t dst;  // offset in the reassembled file
  uint64_t len;
  uint64_t src;  // offset in the flattened file
};

Result<uint64_t> be64(const ByteSource& s, uint64_t off, const char* what) {
  uint8_t b[8];
  auto r = s.read(off, b, what);
  if (!r) return std::unexpected(r.error());
  uint64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  return v;
}

class FlattenedSource : public ByteSource {
 public:
  FlattenedSource(std::shared_ptr<ByteSource> raw, std::vector<Piece> pieces, uint64_t size)
      : ByteSource(raw->name()), raw_(std::move(raw)), pieces_(std::move(pieces)), size_(size) {}
  uint64_t size() const override { return size_; }
  bool flattened() const override { return true; }
  uint64_t backing_size() const override { return raw_->size(); }

  Result<void> read(uint64_t off, std::span<uint8_t> out, const char* what) const override {
    if (off > size_ || out.size() > size_ - off) {
      return std::unexpected(Error{ErrorCode::Truncated,
                                   fmt::format("{}: needs {} bytes at offset {:#x} of the reassembled file, "
                                               "its records end at {:#x}",
                                               what, out.size(), off, size_),
                                   name(), off, {}});
    }
    uint64_t pos = off;
    size_t done = 0;
    auto it = find(pos);
    while (done < out.size()) {
      if (it == pieces_.end() || it->dst > pos) {
        // Bytes no record wrote: makedumpfile -R leaves a sparse hole, which reads as zeros.
        uint64_t gap_end = it == pieces_.end() ? off + out.size() : std::min(it->dst, off + out.size());
        size_t n = static_cast<size_t>(gap_end - pos);
        std::memset(out.data() + done, 0, n);
        done += n;
        pos += n;
        continue;
      }
      uint64_t in_piece = pos - it->dst;
      size_t n = static_cast<size_t>(std::min<uint64_t>(it->len - in_piece, out.size() - done));
      auto r = raw_->read(it->src + in_piece, out.subspan(done, n), what);
      if (!r) return r;
      done += n;
      pos += n;
      ++it;
    }
    return {};
  }

  std::optional<std::span<const uint8_t>> view(uint64_t off, uint64_t len) const override {
    auto it = find(off);
    if (it == pieces_.end() || it->dst > off) return std::nullopt;
    uint64_t in_piece = off - it->dst;
    if (len > it->len - in_piece) return std::nullopt;
    return raw_->view(it->src + in_piece, len);
  }

 private:
  // The piece containing pos, or else the first piece after it.
  std::vector<Piece>::const_iterator find(uint64_t pos) const {
    auto it = std::upper_bound(pieces_.begin(), pieces_.end(), pos,
                               [](uint64_t p, const Piece& pc) { return p < pc.dst; });
    if (it != pieces_.begin()) {
      auto prev = std::prev(it);
      if (pos < prev->dst + prev->len) return prev;
    }
    return it;
  }
  std::shared_ptr<ByteSource> raw_;
  std::vector<Piece> pieces_;
  uint64_t size_;
};

// Records normally arrive in order without overlap; when they do not, later records
// overwrite earlier ones, exactly as makedumpfile -R would when it seeks and writes.
std::vector<Piece> resolve_overlaps(const std::vector<Piece>& records) {
  std::map<uint64_t, Piece> m;  // keyed by dst; non-overlapping
  for (const Piece& r : records) {
    if (r.len == 0) continue;
    uint64_t lo = r.dst, hi = r.dst + r.len;
    auto it = m.lower_bound(lo);
    if (it != m.begin()) {
      auto prev = std::prev(it);
      if (prev->second.dst + prev->second.len > lo) it = prev;
    }
    std::vector<Piece> keep;
    while (it != m.end() && it->second.dst < hi) {
      Piece p = it->second;
      it = m.erase(it);
      if (p.dst < lo) keep.push_back({p.dst, lo - p.dst, p.src});
      if (p.dst + p.len > hi) keep.push_back({hi, p.dst + p.len - hi, p.src + (hi - p.dst)});
    }
    for (const Piece& k : keep) m.emplace(k.dst, k);
    m.emplace(lo, r);
  }
  std::vector<Piece> out;
  out.reserve(m.size());
  for (auto& [k, p] : m) out.push_back(p);
  return out;
}

}  // namespace

bool is_flattened(const ByteSource& src) {
  uint8_t sig[16];
  if (!src.read(0, sig, "flattened signature")) return false;
  static const char kSig[] = "makedumpfile";
  return std::memcmp(sig, kSig, sizeof kSig - 1) == 0 && sig[12] == 0;
}

Result<std::shared_ptr<ByteSource>> open_flattened(std::shared_ptr<ByteSource> raw) {
  const ByteSource& s = *raw;
  auto type = be64(s, 16, "flattened header type");
  if (!type) return std::unexpected(type.error());
  if (*type != 1) {
    return std::unexpected(Error{ErrorCode::Format, fmt::format("flattened header type: expected 1, found {}", *type),
                                 s.name(), 16, {}});
  }
  auto version = be64(s, 24, "flattened header version");
  if (!version) return std::unexpected(version.error());
  if (*version != 1) {
    return std::unexpected(Error{ErrorCode::Unsupported,
                                 fmt::format("flattened header version: expected 1, found {}", *version), s.name(),
                                 24, {}});
  }
  if (s.size() < kHeaderSize) {
    return std::unexpected(Error{ErrorCode::Truncated,
                                 fmt::format("flattened header: expected {} bytes, file has {}", kHeaderSize, s.size()),
                                 s.name(), 0, {}});
  }
  std::vector<Piece> records;
  uint64_t pos = kHeaderSize, size = 0;
  bool sorted = true;
  for (size_t index = 0;; ++index) {
    if (pos == s.size()) break;  // no end marker: tolerated, the stream simply stops here
    auto off = be64(s, pos, "flattened record offset");
    if (!off) return std::unexpected(off.error());
    if (*off == std::numeric_limits<uint64_t>::max()) break;  // offset -1 ends the stream
    auto len = be64(s, pos + 8, "flattened record size");
    if (!len) return std::unexpected(len.error());
    const uint64_t lim = uint64_t{1} << 63;
    if (*off >= lim || *len >= lim || *off + *len > lim) {
      return std::unexpected(Error{ErrorCode::Corrupt,
                                   fmt::format("flattened record {}: offset {:#x} size {:#x}: expected a range "
                                               "below 2^63 (a negative value points backwards)",
                                               index, *off, *len),
                                   s.name(), pos, {}});
    }
    uint64_t data = pos + kRecordHeader;
    if (*len > s.size() - std::min(s.size(), data)) {
      return std::unexpected(Error{ErrorCode::Truncated,
                                   fmt::format("flattened record {}: expected {:#x} data bytes, file ends after {:#x}",
                                               index, *len, s.size() - std::min(s.size(), data)),
                                   s.name(), pos, {}});
    }
    if (!records.empty() && *off < records.back().dst + records.back().len) sorted = false;
    records.push_back({*off, *len, data});
    size = std::max(size, *off + *len);
    pos = data + *len;
  }
  if (!sorted) records = resolve_overlaps(records);
  std::erase_if(records, [](const Piece& p) { return p.len == 0; });
  return std::shared_ptr<ByteSource>(std::make_shared<FlattenedSource>(std::move(raw), std::move(records), size));
}

}  // namespace kdx::dump
