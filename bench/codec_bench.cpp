// Codec benchmark: read every present page of a synthetic kdump-compressed dump through kdx, per codec,
// against the codec library alone decompressing the same page data (the limit).
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kdx/dump/dump.hpp"
#include "support/dump_writer.hpp"

using namespace kdx;
using Clock = std::chrono::steady_clock;

namespace {

struct PageRef {
  uint64_t pfn, offset, size;
  uint32_t flags;
};

// The bench reads the page_desc table itself (documented offsets), not through kdx.
std::vector<PageRef> page_refs(const test::Bytes& f, const test::SynthMemory& m) {
  uint64_t bs = test::get_le(f, 428, 4), sub = test::get_le(f, 432, 4), bm = test::get_le(f, 436, 4);
  uint64_t desc = (1 + sub + bm) * bs;
  std::vector<PageRef> refs;
  size_t i = 0;
  for (auto& [pfn, _] : m.pages) {
    uint64_t at = desc + 24 * i++;
    refs.push_back({pfn, test::get_le(f, at, 8), test::get_le(f, at + 8, 4), static_cast<uint32_t>(test::get_le(f, at + 12, 4))});
  }
  return refs;
}

// The limit: the codec library alone, same inputs, same output buffer size.
double limit_seconds(const test::Bytes& f, const std::vector<PageRef>& refs, uint64_t bs, uint64_t& checksum) {
  std::vector<uint8_t> out(bs);
  ZSTD_DCtx* z = ZSTD_createDCtx();
  auto t0 = Clock::now();
  for (const auto& r : refs) {
    const uint8_t* in = f.data() + r.offset;
    switch (r.flags) {
      case 0x1: {
        uLongf n = bs;
        uncompress(out.data(), &n, in, r.size);
        break;
      }
      case 0x2: {
        lzo_uint n = bs;
        lzo1x_decompress_safe(in, r.size, out.data(), &n, nullptr);
        break;
      }
      case 0x4: {
        size_t n = bs;
        snappy_uncompress(reinterpret_cast<const char*>(in), r.size, reinterpret_cast<char*>(out.data()), &n);
        break;
      }
      case 0x20: ZSTD_decompressDCtx(z, out.data(), bs, in, r.size); break;
      default: std::memcpy(out.data(), in, bs);
    }
    checksum += out[r.pfn % bs];
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  ZSTD_freeDCtx(z);
  return s;
}

double kdx_seconds(dump::Dump& d, const std::vector<PageRef>& refs, uint64_t bs, uint64_t& checksum) {
  std::vector<uint8_t> out(bs);
  auto t0 = Clock::now();
  for (const auto& r : refs) {
    auto ok = d.read_phys(r.pfn * bs, out);
    if (!ok) {
      std::fprintf(stderr, "read failed: %s\n", ok.error().to_string().c_str());
      std::exit(1);
    }
    checksum += out[r.pfn % bs];
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t npages = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : 16384;
  int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  std::string tmp = argc > 3 ? argv[3] : "/tmp";
  lzo_init();
  auto m = test::make_memory("x86_64", npages, 4096, 11);
  const uint64_t bs = m.page_size;
  std::printf("kdx codec bench: %zu present pages of %llu bytes, best of %d runs (cold kdx cache each run)\n",
              m.pages.size(), static_cast<unsigned long long>(bs), reps);
  std::printf("%-7s %9s %12s %12s %7s\n", "codec", "ratio", "kdx MB/s", "limit MB/s", "kdx/lim");
  for (const char* codec : {"raw", "zlib", "lzo", "snappy", "zstd"}) {
    test::KdumpOptions o;
    o.codec = codec;
    test::Bytes f = test::write_kdump(m, o);
    std::string path = tmp + "/kdx-bench-" + codec + ".kdump";
    test::write_file(path, f);
    auto refs = page_refs(f, m);
    double best_kdx = 1e9, best_lim = 1e9;
    uint64_t c1 = 0, c2 = 0;
    for (int i = 0; i < reps; ++i) {
      auto d = dump::open_dump({path});  // fresh dump = cold page cache
      if (!d) {
        std::fprintf(stderr, "%s\n", d.error().to_string().c_str());
        return 1;
      }
      best_kdx = std::min(best_kdx, kdx_seconds(**d, refs, bs, c1));
      best_lim = std::min(best_lim, limit_seconds(f, refs, bs, c2));
    }
    if (c1 != c2) {
      std::fprintf(stderr, "%s: kdx and the library disagree on the page bytes\n", codec);
      return 1;
    }
    double mb = static_cast<double>(refs.size() * bs) / 1e6;
    std::printf("%-7s %8.2fx %12.0f %12.0f %6.0f%%\n", codec, static_cast<double>(refs.size() * bs) / static_cast<double>(f.size()),
                mb / best_kdx, mb / best_lim, 100.0 * best_lim / best_kdx);
    std::remove(path.c_str());
  }
  return 0;
}
