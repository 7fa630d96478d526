// Page decompression: each codec through its own library, output size checked exactly.
#include "codec.hpp"

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

namespace kdx::dump {

std::optional<Codec> codec_from_page_flags(uint32_t flags) {
  switch (flags) {
    case 0x0: return Codec::Raw;
    case 0x1: return Codec::Zlib;
    case 0x2: return Codec::Lzo;
    case 0x4: return Codec::Snappy;
    case 0x20: return Codec::Zstd;
  }
  return std::nullopt;
}

Decompressor::Decompressor() {
  static const bool lzo_ok = lzo_init() == LZO_E_OK;
  (void)lzo_ok;
}
Decompressor::~Decompressor() {
  if (zstd_) ZSTD_freeDCtx(zstd_);
}

std::optional<std::string> Decompressor::decompress(Codec c, std::span<const uint8_t> in, std::span<uint8_t> out) {
  switch (c) {
    case Codec::Raw:
      if (in.size() != out.size()) return fmt::format("raw page of {} bytes, expected {}", in.size(), out.size());
      std::memcpy(out.data(), in.data(), out.size());
      return std::nullopt;
    case Codec::Zlib: {
      uLongf n = out.size();
      int rc = ::uncompress(out.data(), &n, in.data(), in.size());
      if (rc != Z_OK) return fmt::format("zlib: {} (code {})", zError(rc), rc);
      if (n != out.size()) return fmt::format("zlib produced {} bytes, expected {}", n, out.size());
      return std::nullopt;
    }
    case Codec::Lzo: {
      lzo_uint n = out.size();
      int rc = lzo1x_decompress_safe(in.data(), in.size(), out.data(), &n, nullptr);
      if (rc != LZO_E_OK) return fmt::format("lzo: error {}", rc);
      if (n != out.size()) return fmt::format("lzo produced {} bytes, expected {}", n, out.size());
      return std::nullopt;
    }
    case Codec::Snappy: {
      size_t n = 0;
      auto cin = reinterpret_cast<const char*>(in.data());
      if (snappy_uncompressed_length(cin, in.size(), &n) != SNAPPY_OK) return std::string("snappy: bad length header");
      if (n != out.size()) return fmt::format("snappy would produce {} bytes, expected {}", n, out.size());
      if (snappy_uncompress(cin, in.size(), reinterpret_cast<char*>(out.data()), &n) != SNAPPY_OK)
        return std::string("snappy: corrupt data");
      return std::nullopt;
    }
    case Codec::Zstd: {
      if (!zstd_) zstd_ = ZSTD_createDCtx();
      if (!zstd_) return std::string("zstd: cannot allocate a context");
      size_t n = ZSTD_decompressDCtx(zstd_, out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(n)) return fmt::format("zstd: {}", ZSTD_getErrorName(n));
      if (n != out.size()) return fmt::format("zstd produced {} bytes, expected {}", n, out.size());
      return std::nullopt;
    }
  }
  return std::string("unknown codec");
}

}  // namespace kdx::dump
