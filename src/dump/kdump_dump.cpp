// kdump-compressed reader: headers, both bitmaps, page_desc lookup by rank, codecs, split parts.
#include <algorithm>
#include <bit>
#include <cstring>

#include "codec.hpp"
#include "kdump_layout.hpp"
#include "notes.hpp"
#include "page_cache.hpp"
#include "readers.hpp"

namespace kdx::dump {
namespace {

constexpr uint64_t kCacheBytes = 32ull << 20;  // decompressed blocks kept (bounded LRU)

std::unexpected<Error> fail(const ByteSource& s, ErrorCode c, uint64_t off, std::string msg) {
  return std::unexpected(Error{c, std::move(msg), s.name(), off, {}});
}

struct Part {
  std::shared_ptr<ByteSource> src;
  KdumpHeader h;
  uint64_t desc_table = 0;  // file offset of page_desc[0]
  uint64_t rank_base = 0;   // rank of start_pfn in the merged bitmap 2
  uint64_t ndesc = 0;
};

class KdumpDump : public Dump {
 public:
  Result<void> load(const Sources& sources);

  Result<void> read_phys(uint64_t paddr, std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      uint64_t a = paddr + done;
      uint64_t pfn = a / block_size_, in = a % block_size_;
      size_t n = static_cast<size_t>(std::min<uint64_t>(block_size_ - in, out.size() - done));
      auto st = state(pfn);
      if (st == PageState::Excluded) {
        // Excluded by the dump level: an excluded zero page cannot be told from any other
        // excluded page, so like crash and drgn we show zeros (page_state() tells the truth).
        std::memset(out.data() + done, 0, n);
      } else if (st != PageState::Present) {
        return error_at_address(ErrorCode::NotPresent, a,
                                fmt::format("page {} in the dump (pfn {:#x})", page_state_name(st), pfn));
      } else {
        auto blk = block(pfn);
        if (!blk) return std::unexpected(blk.error());
        std::memcpy(out.data() + done, blk->data() + in, n);
      }
      done += n;
    }
    return {};
  }

  PageState page_state(uint64_t paddr) override { return state(paddr / block_size_); }

  // The decompressed block for pfn (Present pages only), through the cache.
  Result<std::span<const uint8_t>> block(uint64_t pfn);

 private:
  bool bit(const std::vector<uint8_t>& bm, uint64_t pfn) const {
    return pfn / 8 < bm.size() && ((bm[pfn / 8] >> (pfn % 8)) & 1);
  }
  PageState state(uint64_t pfn) {
    if (pfn >= max_mapnr_) return PageState::Hole;
    if (bit(bitmap2_, pfn)) {
      if (!incomplete_) return PageState::Present;
      const Part* p = part_for(pfn);
      if (!p) return PageState::Missing;
      auto d = desc(*p, pfn);
      return d && d->offset != 0 ? PageState::Present : PageState::Missing;
    }
    return bit(bitmap1_, pfn) ? PageState::Excluded : PageState::Hole;
  }
  const Part* part_for(uint64_t pfn) const {
    for (const Part& p : parts_)
      if (pfn >= p.h.start_pfn && pfn < p.h.end_pfn) return &p;
    return nullptr;
  }
  uint64_t rank(uint64_t pfn) const {  // set bits of bitmap 2 below pfn
    uint64_t chunk = pfn / 512;
    uint64_t r = rank_[chunk];
    uint64_t b = chunk * 64;
    for (; b + 8 <= pfn / 8; b += 8) {
      uint64_t w;
      std::memcpy(&w, bitmap2_.data() + b, 8);
      r += static_cast<uint64_t>(std::popcount(w));
    }
    for (; b < pfn / 8; ++b) r += static_cast<uint64_t>(std::popcount(bitmap2_[b]));
    uint8_t last = bitmap2_[pfn / 8] & static_cast<uint8_t>((1u << (pfn % 8)) - 1);
    return r + static_cast<uint64_t>(std::popcount(last));
  }
  struct Desc {
    uint64_t offset;
    uint32_t size, flags;
    uint64_t at;  // file offset of the entry
  };
  std::optional<Desc> desc(const Part& p, uint64_t pfn) const {
    uint64_t idx = rank(pfn) - p.rank_base;
    uint64_t at = p.desc_table + idx * kPageDescSize;
    uint8_t b[kPageDescSize];
    if (auto v = p.src->view(at, kPageDescSize)) std::memcpy(b, v->data(), kPageDescSize);
    else if (!p.src->read(at, b, "page_desc")) return std::nullopt;  // cut short: missing
    Desc d;
    std::memcpy(&d.offset, b + 0, 8);
    std::memcpy(&d.size, b + 8, 4);
    std::memcpy(&d.flags, b + 12, 4);
    d.at = at;
    return d;
  }
  Result<void> load_part(std::shared_ptr<ByteSource> src, Part& part);
  void count_pages();

  std::vector<Part> parts_;
  uint64_t max_mapnr_ = 0;
  std::vector<uint8_t> bitmap1_, bitmap2_;  // merged over all parts, padded to 64 bytes
  std::vector<uint64_t> rank_;              // rank_[i] = set bits of bitmap 2 below pfn 512*i
  PageCache cache_{4096, kCacheBytes};
  Decompressor decomp_;
  std::vector<uint8_t> scratch_;
};

Result<std::span<const uint8_t>> KdumpDump::block(uint64_t pfn) {
  if (auto hit = cache_.find(pfn); !hit.empty()) return hit;
  const Part* p = part_for(pfn);
  if (!p) return error_at_address(ErrorCode::NotPresent, pfn * block_size_, "no split part covers this page");
  const ByteSource& s = *p->src;
  auto d = desc(*p, pfn);
  if (!d || (incomplete_ && d->offset == 0)) {
    return error_at_address(ErrorCode::NotPresent, pfn * block_size_, "page missing: the dump is incomplete");
  }
  auto codec = codec_from_page_flags(d->flags);
  if (!codec) {
    return fail(s, ErrorCode::Unsupported, d->at + 12,
                fmt::format("page_desc for pfn {:#x}: flags {:#x}: expected 0 (raw), 0x1 (zlib), 0x2 (lzo), "
                            "0x4 (snappy) or 0x20 (zstd)",
                            pfn, d->flags));
  }
  if (d->size == 0 || d->size > block_size_ || (*codec == Codec::Raw && d->size != block_size_)) {
    return fail(s, ErrorCode::Corrupt, d->at + 8,
                fmt::format("page_desc for pfn {:#x}: size {}: expected {} for {} block size {}", pfn, d->size,
                            *codec == Codec::Raw ? "exactly" : "1 to", codec_name(*codec), block_size_));
  }
  if (d->offset > s.size() || d->size > s.size() - d->offset) {
    return fail(s, ErrorCode::Corrupt, d->at,
                fmt::format("page_desc for pfn {:#x}: data at {:#x} + {}: expected inside the file ({:#x} bytes)",
                            pfn, d->offset, d->size, s.size()));
  }
  std::span<const uint8_t> in;
  if (auto v = s.view(d->offset, d->size)) {
    in = *v;
  } else {
    scratch_.resize(d->size);
    auto r = s.read(d->offset, scratch_, "page data");
    if (!r) return std::unexpected(r.error());
    in = scratch_;
  }
  auto slot = cache_.insert(pfn);
  if (auto err = decomp_.decompress(*codec, in, slot)) {
    cache_.drop(pfn);
    return fail(s, ErrorCode::Corrupt, d->offset,
                fmt::format("page for pfn {:#x} ({} bytes of {}): {}", pfn, d->size, codec_name(*codec), *err));
  }
  return std::span<const uint8_t>(slot);
}

Result<void> KdumpDump::load_part(std::shared_ptr<ByteSource> src, Part& part) {
  auto h = read_kdump_header(*src);
  if (!h) return std::unexpected(h.error());
  part.src = std::move(src);
  part.h = *h;
  return {};
}

Result<void> KdumpDump::load(const Sources& sources) {
  format_ = DumpFormat::Kdump;
  parts_.resize(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    files_.push_back(sources[i]->name());
    flattened_ = flattened_ || sources[i]->flattened();
    auto r = load_part(sources[i], parts_[i]);
    if (!r) return r;
  }
  // Split parts: same machine and geometry, each a pfn range, together [0, max_mapnr).
  std::sort(parts_.begin(), parts_.end(), [](const Part& a, const Part& b) { return a.h.start_pfn < b.h.start_pfn; });
  const KdumpHeader& h0 = parts_[0].h;
  if (parts_.size() > 1) {
    for (const Part& p : parts_) {
      if (!p.h.split) {
        return fail(*p.src, ErrorCode::Mismatch, kSubHeaderSplit + p.h.block_size,
                    "given with other dump files but its sub-header split flag is 0: not a part of a split dump");
      }
      auto mismatch = [&](const char* field, uint64_t a, uint64_t b) {
        return fail(*p.src, ErrorCode::Mismatch, 0,
                    fmt::format("split part does not match {}: {} {} vs {}", parts_[0].src->name(), field, b, a));
      };
      if (p.h.block_size != h0.block_size) return mismatch("block_size", h0.block_size, p.h.block_size);
      if (p.h.max_mapnr != h0.max_mapnr) return mismatch("max_mapnr", h0.max_mapnr, p.h.max_mapnr);
      if (p.h.bitmap_blocks != h0.bitmap_blocks) return mismatch("bitmap_blocks", h0.bitmap_blocks, p.h.bitmap_blocks);
      if (p.h.release != h0.release || p.h.machine != h0.machine || p.h.nodename != h0.nodename ||
          p.h.timestamp != h0.timestamp) {
        return fail(*p.src, ErrorCode::Mismatch, 12,
                    fmt::format("split part is from another dump than {}: utsname/timestamp '{}' '{}' {} vs '{}' '{}' {}",
                                parts_[0].src->name(), p.h.nodename, p.h.release, p.h.timestamp, h0.nodename,
                                h0.release, h0.timestamp));
      }
    }
  }
  if (parts_.size() > 1 || h0.split) {
    uint64_t expect = 0;
    for (size_t i = 0; i < parts_.size(); ++i) {
      const Part& p = parts_[i];
      if (p.h.start_pfn > expect) {
        return fail(*p.src, ErrorCode::Mismatch, kSubHeaderStartPfn64 + p.h.block_size,
                    fmt::format("split dump: no part given covers pfns [{:#x}, {:#x}) before this part: a part is "
                                "missing",
                                expect, p.h.start_pfn));
      }
      if (p.h.start_pfn < expect) {
        return fail(*p.src, ErrorCode::Mismatch, kSubHeaderStartPfn64 + p.h.block_size,
                    fmt::format("split part starts at pfn {:#x}, overlapping {} which ends at {:#x}", p.h.start_pfn,
                                parts_[i - 1].src->name(), expect));
      }
      expect = p.h.end_pfn;
    }
    if (expect < h0.max_mapnr) {
      return fail(*parts_.back().src, ErrorCode::Mismatch, kSubHeaderEndPfn64 + h0.block_size,
                  fmt::format("split dump: no part given covers pfns [{:#x}, {:#x}) after this part: a part is missing",
                              expect, h0.max_mapnr));
    }
  }
  block_size_ = h0.block_size;
  max_mapnr_ = h0.max_mapnr;
  dump_level_ = h0.dump_level;
  incomplete_ = std::any_of(parts_.begin(), parts_.end(), [](const Part& p) { return p.h.status & kStatusIncomplete; });
  if (h0.status & kStatusZlib) codecs_.push_back(Codec::Zlib);
  if (h0.status & kStatusLzo) codecs_.push_back(Codec::Lzo);
  if (h0.status & kStatusSnappy) codecs_.push_back(Codec::Snappy);
  if (h0.status & kStatusZstd) codecs_.push_back(Codec::Zstd);
  if (codecs_.empty()) codecs_.push_back(Codec::Raw);

  // Bitmaps: each part contributes its own pfn range.
  uint64_t nbytes = (max_mapnr_ + 7) / 8;
  bitmap1_.assign(nbytes + 64, 0);
  bitmap2_.assign(nbytes + 64, 0);
  for (Part& p : parts_) {
    uint64_t half = p.h.bitmap_blocks * p.h.block_size / 2;
    uint64_t b1 = p.h.bitmap_offset(), b2 = b1 + half;
    uint64_t lo = std::min(p.h.start_pfn, max_mapnr_) / 8, hi = (std::min(p.h.end_pfn, max_mapnr_) + 7) / 8;
    if (hi > lo) {
      std::vector<uint8_t> tmp(hi - lo);
      auto r = p.src->read(b1 + lo, tmp, "bitmap 1");
      if (!r) return r;
      for (uint64_t i = lo; i < hi; ++i) bitmap1_[i] |= tmp[i - lo];
      r = p.src->read(b2 + lo, tmp, "bitmap 2");
      if (!r) return r;
      for (uint64_t i = lo; i < hi; ++i) bitmap2_[i] |= tmp[i - lo];
    }
  }
  // Keep only each part's own pfn range (edge bytes are shared between parts).
  auto mask_range = [&](std::vector<uint8_t>& bm) {
    std::vector<uint8_t> out(bm.size(), 0);
    for (const Part& p : parts_) {
      uint64_t lo = std::min(p.h.start_pfn, max_mapnr_), hi = std::min(p.h.end_pfn, max_mapnr_);
      uint64_t pfn = lo;
      for (; pfn < hi && pfn % 8; ++pfn) out[pfn / 8] |= bm[pfn / 8] & (1u << (pfn % 8));
      for (; pfn + 8 <= hi; pfn += 8) out[pfn / 8] = bm[pfn / 8];
      for (; pfn < hi; ++pfn) out[pfn / 8] |= bm[pfn / 8] & (1u << (pfn % 8));
    }
    bm.swap(out);
  };
  mask_range(bitmap1_);
  mask_range(bitmap2_);
  rank_.assign(nbytes / 64 + 2, 0);
  uint64_t total = 0;
  for (uint64_t c = 0; c < rank_.size(); ++c) {
    rank_[c] = total;
    for (uint64_t b = c * 64; b < c * 64 + 64 && b + 8 <= bitmap2_.size(); b += 8) {
      uint64_t w;
      std::memcpy(&w, bitmap2_.data() + b, 8);
      total += static_cast<uint64_t>(std::popcount(w));
    }
  }
  for (Part& p : parts_) {
    p.desc_table = p.h.desc_offset();
    p.rank_base = rank(std::min(p.h.start_pfn, max_mapnr_));
    p.ndesc = rank(std::min(p.h.end_pfn, max_mapnr_)) - p.rank_base;
    const ByteSource& s = *p.src;
    if (!incomplete_ && (p.desc_table > s.size() || p.ndesc * kPageDescSize > s.size() - p.desc_table)) {
      return fail(s, ErrorCode::Truncated, p.desc_table,
                  fmt::format("page_desc table: {} entries of {} bytes at {:#x}: expected inside the file "
                              "({:#x} bytes)",
                              p.ndesc, kPageDescSize, p.desc_table, s.size()));
    }
  }
  cache_ = PageCache(block_size_, kCacheBytes);

  // Notes: VMCOREINFO and PRSTATUS live in the first part (every part carries a copy).
  const Part& p0 = parts_[0];
  NoteSet notes;
  if (p0.h.size_note) {
    auto r = parse_notes(*p0.src, p0.h.offset_note, p0.h.size_note, notes);
    if (!r) return r;
  }
  if (!notes.vmcoreinfo && p0.h.size_vmcoreinfo) {
    if (p0.h.offset_vmcoreinfo > p0.src->size() || p0.h.size_vmcoreinfo > p0.src->size() - p0.h.offset_vmcoreinfo) {
      return fail(*p0.src, ErrorCode::Truncated, kSubHeaderOffsetVmcoreinfo + p0.h.block_size,
                  fmt::format("offset_vmcoreinfo {:#x} + size_vmcoreinfo {:#x}: expected inside the file ({:#x})",
                              p0.h.offset_vmcoreinfo, p0.h.size_vmcoreinfo, p0.src->size()));
    }
    std::string text(p0.h.size_vmcoreinfo, '\0');
    auto r = p0.src->read(p0.h.offset_vmcoreinfo,
                          std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size()), "VMCOREINFO");
    if (!r) return r;
    notes.vmcoreinfo = Vmcoreinfo::parse(text);
  }
  vmcoreinfo_ = notes.vmcoreinfo;
  other_notes_ = notes.others;

  // Arch: utsname.machine, else (QEMU arm64 writes "Unknown") the PRSTATUS size, else VMCOREINFO.
  if (h0.machine == "x86_64") arch_ = Arch::X86_64;
  else if (h0.machine == "aarch64" || h0.machine == "arm64") arch_ = Arch::Arm64;
  if (arch_ == Arch::Unknown) arch_ = arch_from_prstatus(notes);
  if (arch_ == Arch::Unknown && vmcoreinfo_) arch_ = arch_from_vmcoreinfo(*vmcoreinfo_);
  if (arch_ == Arch::Unknown) warnings_.push_back(fmt::format("unknown architecture (utsname.machine '{}')", h0.machine));

  // QEMU leaves utsname empty except machine; makedumpfile copies the kernel's.
  producer_ = (notes.qemu_notes || h0.sysname.empty()) ? Producer::Qemu : Producer::Kernel;
  page_size_ = block_size_;
  if (vmcoreinfo_) {
    if (auto ps = vmcoreinfo_->page_size(); ps && *ps >= 1024 && (*ps & (*ps - 1)) == 0) page_size_ = *ps;
    release_ = vmcoreinfo_->osrelease().value_or("");
    crash_time_ = vmcoreinfo_->crash_time();
  } else {
    warnings_.push_back("no VMCOREINFO: kernel release, page size and symbol offsets come from the header only");
  }
  if (release_.empty()) release_ = h0.release;
  if (!crash_time_ && h0.timestamp > 0) crash_time_ = h0.timestamp;
  if (arch_ == Arch::X86_64) {
    auto vi = vmcoreinfo_ ? vmcoreinfo_->number_u64("phys_base") : std::nullopt;
    // QEMU parses VMCOREINFO's decimal phys_base as hex into the sub-header: trust VMCOREINFO.
    if (vi && h0.header_version >= 1 && *vi != h0.phys_base) {
      warnings_.push_back(fmt::format("kdump sub-header phys_base {:#x} disagrees with VMCOREINFO {:#x}; using "
                                      "VMCOREINFO",
                                      h0.phys_base, *vi));
    }
    phys_base_ = vi ? vi : std::optional<uint64_t>(h0.phys_base);
  }
  cpus_ = decode_prstatus(*p0.src, notes, arch_, warnings_);
  decide_cpus(cpus_, producer_ == Producer::Qemu, crashed_cpu_);
  if (!cpus_.empty() && cpus_[0].pid_is_vcpu) producer_ = Producer::Qemu;
  if (incomplete_) warnings_.push_back("the dump is incomplete (header status flag 0x8): missing pages cannot be read");
  count_pages();
  return {};
}

void KdumpDump::count_pages() {
  uint64_t present = 0, excluded = 0, missing = 0;
  PhysRange cur{};
  bool in_range = false;
  for (uint64_t byte = 0; byte < (max_mapnr_ + 7) / 8; ++byte) {
    uint8_t b1 = bitmap1_[byte], b2 = bitmap2_[byte];
    present += static_cast<uint64_t>(std::popcount(b2));
    excluded += static_cast<uint64_t>(std::popcount(static_cast<uint8_t>(b1 & ~b2)));
    uint8_t any = b1 | b2;
    if (any == 0xff && in_range) continue;
    if (any == 0 && !in_range) continue;
    for (int i = 0; i < 8; ++i) {
      uint64_t pfn = byte * 8 + i;
      if (pfn >= max_mapnr_) break;
      bool set = (any >> i) & 1;
      if (set && !in_range) {
        cur.start = pfn * block_size_;
        in_range = true;
      } else if (!set && in_range) {
        cur.end = pfn * block_size_;
        ranges_.push_back(cur);
        in_range = false;
      }
    }
  }
  if (in_range) ranges_.push_back({cur.start, max_mapnr_ * block_size_});
  if (incomplete_) {
    for (const Part& p : parts_) {
      for (uint64_t i = 0; i < p.ndesc; ++i) {
        uint64_t at = p.desc_table + i * kPageDescSize;
        auto off = p.src->u64(at, "page_desc offset");
        if (!off || *off == 0) ++missing;
      }
    }
    present -= std::min(present, missing);
  }
  uint64_t per = block_size_ >= page_size_ ? block_size_ / page_size_ : 1;
  counts_ = {present * per, excluded * per, missing * per};
}

}  // namespace

std::optional<Result<std::unique_ptr<Dump>>> try_open_kdump(const Sources& sources) {
  if (sources.empty()) return std::nullopt;
  uint8_t sig[8];
  if (!sources[0]->read(0, sig, "kdump signature") || std::memcmp(sig, kKdumpSignature, 8) != 0) return std::nullopt;
  for (const auto& s : sources) {
    if (!s->read(0, sig, "kdump signature") || std::memcmp(sig, kKdumpSignature, 8) != 0) {
      return std::unexpected(Error{ErrorCode::Mismatch,
                                   "given with a kdump-compressed dump but is not one: expected signature \"KDUMP   \"",
                                   s->name(), 0, {}});
    }
  }
  auto d = std::make_unique<KdumpDump>();
  auto r = d->load(sources);
  if (!r) return std::unexpected(r.error());
  return std::unique_ptr<Dump>(std::move(d));
}

}  // namespace kdx::dump
