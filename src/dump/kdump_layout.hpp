// The kdump-compressed header and sub-header (64-bit layout, makedumpfile's diskdump_mod.h), validated.
#pragma once

#include <cstdint>
#include <string>

#include "kdx/dump/byte_source.hpp"

namespace kdx::dump {

inline constexpr char kKdumpSignature[] = "KDUMP   ";
inline constexpr uint64_t kPageDescSize = 24;
inline constexpr uint32_t kStatusZlib = 0x1, kStatusLzo = 0x2, kStatusSnappy = 0x4, kStatusIncomplete = 0x8,
                          kStatusZstd = 0x20;
// Sub-header field offsets (relative to the sub-header, which starts at block 1).
inline constexpr uint64_t kSubHeaderSplit = 12, kSubHeaderOffsetVmcoreinfo = 32, kSubHeaderStartPfn64 = 80,
                          kSubHeaderEndPfn64 = 88;

struct KdumpHeader {
  int32_t header_version = 0;
  std::string sysname, nodename, release, machine;
  int64_t timestamp = 0;
  uint32_t status = 0;
  uint64_t block_size = 0;
  uint64_t sub_hdr_size = 0;   // blocks
  uint64_t bitmap_blocks = 0;  // blocks, both bitmaps
  uint64_t max_mapnr = 0;      // 64-bit value from version 6 on
  uint32_t current_cpu = 0;
  int32_t nr_cpus = 0;
  // sub-header
  uint64_t phys_base = 0;
  int32_t dump_level = 0;
  bool split = false;
  uint64_t start_pfn = 0, end_pfn = 0;  // [start, end): the pfns this file holds
  uint64_t offset_vmcoreinfo = 0, size_vmcoreinfo = 0;
  uint64_t offset_note = 0, size_note = 0;
  uint64_t offset_eraseinfo = 0, size_eraseinfo = 0;

  uint64_t bitmap_offset() const { return (1 + sub_hdr_size) * block_size; }
  uint64_t desc_offset() const { return (1 + sub_hdr_size + bitmap_blocks) * block_size; }
};

// Reads and validates both headers. Fails naming the field, its offset, and what was
// expected versus found: a zero or absurd block_size / sub_hdr_size / bitmap_blocks, a
// bitmap too small for max_mapnr, bitmaps or note areas past the end of the file.
Result<KdumpHeader> read_kdump_header(const ByteSource& s);

}  // namespace kdx::dump
