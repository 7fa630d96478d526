// Per-page decompression for kdump-compressed dumps through zlib, lzo2, snappy and zstd.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kdx/dump/dump.hpp"

struct ZSTD_DCtx_s;

namespace kdx::dump {

// The codec a page_desc flags word names: 0 raw, 0x1 zlib, 0x2 lzo, 0x4 snappy, 0x20 zstd
// (makedumpfile's DUMP_DH_COMPRESSED_*). nullopt for any other value.
std::optional<Codec> codec_from_page_flags(uint32_t flags);

// Holds per-codec state (a zstd context) so decompressing many pages reuses it.
class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  // Decompresses in into exactly out.size() bytes. On failure returns a message saying
  // what the codec reported or how many bytes it produced versus expected.
  std::optional<std::string> decompress(Codec c, std::span<const uint8_t> in, std::span<uint8_t> out);

 private:
  ZSTD_DCtx_s* zstd_ = nullptr;
};

}  // namespace kdx::dump
