// Field-by-field reading of the kdump-compressed headers, with the version rules for which fields exist.
#include "kdump_layout.hpp"

#include <cstring>

namespace kdx::dump {
namespace {

constexpr uint64_t kMaxVmcoreinfoArea = 1 << 20;  // the kernel's VMCOREINFO fits in one page

std::unexpected<Error> bad(const ByteSource& s, ErrorCode c, uint64_t off, std::string msg) {
  return std::unexpected(Error{c, std::move(msg), s.name(), off, {}});
}

Result<std::string> uts_field(const ByteSource& s, uint64_t off, const char* what) {
  char b[65];
  auto r = s.read(off, std::span<uint8_t>(reinterpret_cast<uint8_t*>(b), 65), what);
  if (!r) return std::unexpected(r.error());
  return std::string(b, strnlen(b, 65));
}

}  // namespace

#define KDX_TRY_ASSIGN(var, expr)                          \
  do {                                                     \
    auto kdx_tmp_ = (expr);                                \
    if (!kdx_tmp_) return std::unexpected(kdx_tmp_.error()); \
    var = *kdx_tmp_;                                       \
  } while (0)

Result<KdumpHeader> read_kdump_header(const ByteSource& s) {
  KdumpHeader h;
  KDX_TRY_ASSIGN(h.header_version, s.u32(8, "header_version"));
  if (h.header_version < 1) {
    return bad(s, ErrorCode::Format, 8, fmt::format("header_version: expected 1 or more, found {}", h.header_version));
  }
  KDX_TRY_ASSIGN(h.sysname, uts_field(s, 12, "utsname.sysname"));
  KDX_TRY_ASSIGN(h.nodename, uts_field(s, 12 + 65, "utsname.nodename"));
  KDX_TRY_ASSIGN(h.release, uts_field(s, 12 + 2 * 65, "utsname.release"));
  KDX_TRY_ASSIGN(h.machine, uts_field(s, 12 + 4 * 65, "utsname.machine"));
  uint64_t ts;
  KDX_TRY_ASSIGN(ts, s.u64(408, "timestamp"));
  h.timestamp = static_cast<int64_t>(ts);
  KDX_TRY_ASSIGN(h.status, s.u32(424, "status"));
  uint32_t v;
  KDX_TRY_ASSIGN(v, s.u32(428, "block_size"));
  if (v < 1024 || v > (1u << 20) || (v & (v - 1)) != 0) {
    return bad(s, ErrorCode::Corrupt, 428,
               fmt::format("block_size: expected a power of two from 1 KiB to 1 MiB, found {}", static_cast<int32_t>(v)));
  }
  h.block_size = v;
  KDX_TRY_ASSIGN(v, s.u32(432, "sub_hdr_size"));
  if (v == 0 || v > 1024) {
    return bad(s, ErrorCode::Corrupt, 432,
               fmt::format("sub_hdr_size: expected 1 to 1024 blocks, found {}", static_cast<int32_t>(v)));
  }
  h.sub_hdr_size = v;
  KDX_TRY_ASSIGN(v, s.u32(436, "bitmap_blocks"));
  if (v == 0) return bad(s, ErrorCode::Corrupt, 436, "bitmap_blocks: expected at least 1, found 0");
  h.bitmap_blocks = v;
  KDX_TRY_ASSIGN(v, s.u32(440, "max_mapnr"));
  h.max_mapnr = v;
  KDX_TRY_ASSIGN(h.current_cpu, s.u32(456, "current_cpu"));
  KDX_TRY_ASSIGN(v, s.u32(460, "nr_cpus"));
  h.nr_cpus = static_cast<int32_t>(v);

  const uint64_t sub = h.block_size;  // the sub-header is block 1
  KDX_TRY_ASSIGN(h.phys_base, s.u64(sub + 0, "sub-header phys_base"));
  KDX_TRY_ASSIGN(v, s.u32(sub + 8, "sub-header dump_level"));
  h.dump_level = static_cast<int32_t>(v);
  if (h.header_version >= 2) {
    KDX_TRY_ASSIGN(v, s.u32(sub + 12, "sub-header split"));
    h.split = v != 0;
    KDX_TRY_ASSIGN(h.start_pfn, s.u64(sub + 16, "sub-header start_pfn"));
    KDX_TRY_ASSIGN(h.end_pfn, s.u64(sub + 24, "sub-header end_pfn"));
  }
  if (h.header_version >= 3) {
    KDX_TRY_ASSIGN(h.offset_vmcoreinfo, s.u64(sub + 32, "sub-header offset_vmcoreinfo"));
    KDX_TRY_ASSIGN(h.size_vmcoreinfo, s.u64(sub + 40, "sub-header size_vmcoreinfo"));
  }
  if (h.header_version >= 4) {
    KDX_TRY_ASSIGN(h.offset_note, s.u64(sub + 48, "sub-header offset_note"));
    KDX_TRY_ASSIGN(h.size_note, s.u64(sub + 56, "sub-header size_note"));
  }
  if (h.header_version >= 5) {
    KDX_TRY_ASSIGN(h.offset_eraseinfo, s.u64(sub + 64, "sub-header offset_eraseinfo"));
    KDX_TRY_ASSIGN(h.size_eraseinfo, s.u64(sub + 72, "sub-header size_eraseinfo"));
  }
  if (h.header_version >= 6) {
    // Version 6 widened the pfn fields for machines with more than 2^32 pages.
    KDX_TRY_ASSIGN(h.start_pfn, s.u64(sub + 80, "sub-header start_pfn_64"));
    KDX_TRY_ASSIGN(h.end_pfn, s.u64(sub + 88, "sub-header end_pfn_64"));
    KDX_TRY_ASSIGN(h.max_mapnr, s.u64(sub + 96, "sub-header max_mapnr_64"));
  }
  if (!h.split) {
    h.start_pfn = 0;
    h.end_pfn = h.max_mapnr;
  } else if (h.start_pfn > h.end_pfn || h.end_pfn > h.max_mapnr) {
    return bad(s, ErrorCode::Corrupt, sub + (h.header_version >= 6 ? 80 : 16),
               fmt::format("split pfn range [{:#x}, {:#x}): expected start <= end <= max_mapnr {:#x}", h.start_pfn,
                           h.end_pfn, h.max_mapnr));
  }
  // The sub-header, bitmaps and page_desc table sit at block boundaries; none may leave the file.
  if (h.bitmap_offset() > s.size()) {
    return bad(s, ErrorCode::Truncated, 432,
               fmt::format("sub_hdr_size {} blocks: bitmaps would start at {:#x}, past the end of the file ({:#x})",
                           h.sub_hdr_size, h.bitmap_offset(), s.size()));
  }
  uint64_t bitmap_len = h.bitmap_blocks * h.block_size;
  if (bitmap_len > s.size() - h.bitmap_offset()) {
    return bad(s, ErrorCode::Truncated, 436,
               fmt::format("bitmap_blocks {}: {:#x} bytes of bitmaps at {:#x} run past the end of the file ({:#x})",
                           h.bitmap_blocks, bitmap_len, h.bitmap_offset(), s.size()));
  }
  if (bitmap_len > s.backing_size()) {
    return bad(s, ErrorCode::Corrupt, 436,
               fmt::format("bitmap_blocks {}: {:#x} bytes of bitmaps, more than the file stores ({:#x})",
                           h.bitmap_blocks, bitmap_len, s.backing_size()));
  }
  if (h.max_mapnr > bitmap_len / 2 * 8) {  // compared in bits: max_mapnr + 7 could wrap
    return bad(s, ErrorCode::Corrupt, h.header_version >= 6 ? sub + 96 : 440,
               fmt::format("max_mapnr {:#x}: expected at most {:#x} pages, the bits in half of the bitmap blocks",
                           h.max_mapnr, bitmap_len / 2 * 8));
  }
  auto check_area = [&](uint64_t off, uint64_t size, uint64_t field, const char* name) -> Result<void> {
    if (size && (off > s.size() || size > s.size() - off)) {
      return bad(s, ErrorCode::Truncated, sub + field,
                 fmt::format("{} area {:#x} + {:#x}: expected inside the file ({:#x} bytes)", name, off, size,
                             s.size()));
    }
    return {};
  };
  if (auto r = check_area(h.offset_note, h.size_note, 48, "offset_note/size_note"); !r) return std::unexpected(r.error());
  if (h.size_vmcoreinfo > kMaxVmcoreinfoArea) {
    return bad(s, ErrorCode::Corrupt, sub + 40,
               fmt::format("size_vmcoreinfo {:#x}: expected at most {:#x}", h.size_vmcoreinfo, kMaxVmcoreinfoArea));
  }
  if (auto r = check_area(h.offset_vmcoreinfo, h.size_vmcoreinfo, 32, "offset_vmcoreinfo/size_vmcoreinfo"); !r)
    return std::unexpected(r.error());
  return h;
}

}  // namespace kdx::dump
