// Hostile inputs: each corrupt or truncated dump gives one clear error line and exit 3, never a crash.
#include <gtest/gtest.h>

#include "support/dump_writer_check.hpp"

using namespace kdx;
using namespace kdx::test;

namespace {

// Runs `kdx CMD FILE` on bytes and checks: exit 3, one stderr line naming the file and
// containing every fragment.
void expect_cli_error(const Bytes& bytes, const std::string& stem, const std::vector<std::string>& fragments,
                      const std::string& cmd = "info") {
  std::string path = temp_path(stem);
  write_file(path, bytes);
  auto r = run_kdx(cmd + " " + path);
  EXPECT_EQ(r.exit_code, 3) << stem << ": " << r.err << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << stem << ": " << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << stem << ": " << r.err;
  for (const auto& f : fragments) EXPECT_NE(r.err.find(f), std::string::npos) << stem << ": wanted '" << f << "' in " << r.err;
}

// Opening must fail cleanly (no crash, no out-of-bounds read under ASan).
void expect_open_fails(const Bytes& bytes, const std::string& what) {
  auto src = dump::memory_source("mem-" + what, bytes);
  auto d = dump::open_dump_sources({src});
  EXPECT_FALSE(d) << what << " opened";
  if (!d) {
    EXPECT_EQ(d.error().file, "mem-" + what);
    EXPECT_FALSE(d.error().message.empty());
  }
}

Bytes small_kdump(const std::string& codec = "zlib") {
  KdumpOptions o;
  o.codec = codec;
  return write_kdump(make_memory("x86_64", 40), o);
}

}  // namespace

TEST(Hostile, EmptyFile) { expect_cli_error({}, "empty", {"empty file"}); }

TEST(Hostile, WrongMagic) {
  Bytes b(8192, 'x');
  expect_cli_error(b, "wrongmagic", {"not a dump", "expected"});
}

TEST(Hostile, NotADumpButAVmlinuxIsAUsageError) {
  Bytes elf = write_elf(make_memory("x86_64", 8));
  put_le(elf, 16, 2, 2);  // ET_EXEC: a vmlinux, not a dump
  std::string path = temp_path("vmlinux-only");
  write_file(path, elf);
  auto r = run_kdx("info " + path);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no dump"), std::string::npos) << r.err;
}

TEST(Hostile, KdumpTruncatedAtEveryHeaderField) {
  Bytes full = small_kdump();
  // Every field boundary of disk_dump_header, then of the sub-header (block 1), then inside
  // the bitmaps and the page_desc table.
  std::vector<uint64_t> cuts = {1, 7, 8, 11, 12, 100, 407, 408, 423, 424, 427, 428, 431, 432, 435, 436, 439, 440,
                                443, 456, 460, 463, 464, 4096, 4100, 4104, 4108, 4112, 4120, 4128, 4136, 4144,
                                4152, 4160, 4176, 4184, 4192, 4199, 8192, 8200};
  for (uint64_t c : cuts) {
    Bytes b(full.begin(), full.begin() + std::min<uint64_t>(c, full.size()));
    expect_open_fails(b, "kdump-cut-" + std::to_string(c));
  }
  expect_cli_error(Bytes(full.begin(), full.begin() + 430), "kdump-cut-430", {"block_size", "needs 4 bytes"});
  expect_cli_error(Bytes(full.begin(), full.begin() + 4100), "kdump-cut-4100", {"sub-header"});
}

TEST(Hostile, KdumpDescTablePastEnd) {
  Bytes full = small_kdump();
  uint64_t sub = get_le(full, 432, 4), bm = get_le(full, 436, 4);
  uint64_t desc = (1 + sub + bm) * 4096;
  Bytes b(full.begin(), full.begin() + desc + 30);
  expect_cli_error(b, "kdump-desc-past-end", {"page_desc table", "expected inside the file"});
}

TEST(Hostile, KdumpBlockSizeZeroOrAbsurd) {
  for (uint64_t v : {0ull, 3ull, 4097ull, 1ull << 30, 0xffffffffull}) {
    Bytes b = small_kdump();
    put_le(b, 428, v, 4);
    expect_open_fails(b, "bs" + std::to_string(v));
  }
  Bytes b = small_kdump();
  put_le(b, 428, 0, 4);
  expect_cli_error(b, "kdump-bs0", {"block_size", "expected a power of two", "found 0"});
}

TEST(Hostile, KdumpHeaderSizesZeroOrAbsurd) {
  Bytes b = small_kdump();
  put_le(b, 432, 0, 4);
  expect_cli_error(b, "kdump-subhdr0", {"sub_hdr_size", "found 0"});
  b = small_kdump();
  put_le(b, 432, 1000, 4);
  expect_cli_error(b, "kdump-subhdr-big", {"sub_hdr_size", "past the end"});
  b = small_kdump();
  put_le(b, 436, 0, 4);
  expect_cli_error(b, "kdump-bitmap0", {"bitmap_blocks", "found 0"});
  b = small_kdump();
  put_le(b, 436, 0x7fffffff, 4);
  expect_cli_error(b, "kdump-bitmap-huge", {"bitmap_blocks", "past the end"});
  b = small_kdump();
  put_le(b, 4096 + 96, 1ull << 40, 8);  // max_mapnr_64 larger than the bitmap
  expect_cli_error(b, "kdump-maxmapnr", {"max_mapnr", "bitmap"});
  b = small_kdump();
  put_le(b, 4096 + 96, ~0ull, 8);  // found by the fuzzer: max_mapnr + 7 wrapped to a tiny bitmap
  expect_cli_error(b, "kdump-maxmapnr-wrap", {"max_mapnr", "bitmap"});
  b = small_kdump();
  put_le(b, 8, 0, 4);
  expect_cli_error(b, "kdump-version0", {"header_version", "found 0"});
  b = small_kdump();
  put_le(b, 4096 + 48, 1ull << 50, 8);  // offset_note
  expect_cli_error(b, "kdump-note-off", {"offset_note", "expected inside the file"});
}

TEST(Hostile, KdumpPageDataOffsetPastEnd) {
  Bytes b = small_kdump();
  uint64_t sub = get_le(b, 432, 4), bm = get_le(b, 436, 4);
  uint64_t desc = (1 + sub + bm) * 4096;
  put_le(b, desc, 1ull << 40, 8);  // page_desc[0].offset: pfn 0
  expect_cli_error(b, "kdump-data-off", {"page_desc for pfn 0x0", "expected inside the file"}, "rd -p 0");
}

TEST(Hostile, KdumpCorruptCompressedPage) {
  for (std::string codec : {"zlib", "lzo", "snappy", "zstd"}) {
    Bytes b = small_kdump(codec);
    uint64_t sub = get_le(b, 432, 4), bm = get_le(b, 436, 4);
    uint64_t desc = (1 + sub + bm) * 4096;
    uint64_t off = get_le(b, desc, 8), size = get_le(b, desc + 8, 4);
    for (uint64_t i = 0; i < size; ++i) b[off + i] ^= static_cast<uint8_t>(0x5a + i);
    expect_cli_error(b, "kdump-badpage-" + codec, {codec, "pfn 0x0"}, "rd -p 0");
  }
}

TEST(Hostile, KdumpUnknownCodecFlag) {
  KdumpOptions o;
  o.override_page_flags = 0x40;
  Bytes b = write_kdump(make_memory("x86_64", 20), o);
  expect_cli_error(b, "kdump-codec40", {"flags 0x40", "expected"}, "rd -p 0");
}

TEST(Hostile, ElfTruncatedAtEveryHeaderField) {
  Bytes full = write_elf(make_memory("x86_64", 16));
  for (uint64_t c : {1, 4, 5, 16, 18, 20, 32, 40, 48, 52, 54, 56, 58, 63, 64, 100, 120, 200, 300}) {
    Bytes b(full.begin(), full.begin() + c);
    expect_open_fails(b, "elf-cut-" + std::to_string(c));
  }
  expect_cli_error(Bytes(full.begin(), full.begin() + 40), "elf-cut-40", {"ELF header", "expected 64"});
  expect_cli_error(Bytes(full.begin(), full.begin() + 100), "elf-cut-100", {"program headers"});
}

TEST(Hostile, ElfAbsurdHeaderValues) {
  Bytes b = write_elf(make_memory("x86_64", 16));
  put_le(b, 56, 0xfffe, 2);  // e_phnum
  expect_cli_error(b, "elf-phnum", {"program headers", "expected inside the file"});
  b = write_elf(make_memory("x86_64", 16));
  put_le(b, 54, 0, 2);  // e_phentsize
  expect_cli_error(b, "elf-phentsize", {"e_phentsize", "expected 56"});
  b = write_elf(make_memory("x86_64", 16));
  put_le(b, 32, 1ull << 62, 8);  // e_phoff
  expect_cli_error(b, "elf-phoff", {"program headers"});
  b = write_elf(make_memory("x86_64", 16));
  put_le(b, 64 + 32, 1ull << 40, 8);  // PT_NOTE p_filesz
  expect_cli_error(b, "elf-note-size", {"PT_NOTE segment 0", "expected inside the file"});
  b = write_elf(make_memory("x86_64", 16));
  put_le(b, 64 + 56 + 8, 1ull << 40, 8);  // first PT_LOAD p_offset
  expect_cli_error(b, "elf-load-off", {"PT_LOAD segment 1", "expected inside the file"});
  b = write_elf(make_memory("x86_64", 16));
  put_le(b, 18, 40, 2);  // e_machine EM_ARM
  expect_cli_error(b, "elf-machine", {"e_machine", "found 40"});
}

TEST(Hostile, ElfCorruptNote) {
  Bytes b = write_elf(make_memory("x86_64", 16));
  uint64_t notes = get_le(b, 64 + 8, 8);
  put_le(b, notes + 4, 0x7fffffff, 4);  // descsz of the first note
  expect_cli_error(b, "elf-note-desc", {"note at", "run past the end"});
}

TEST(Hostile, FlattenedRecordBackwardsOrPast2To63) {
  Bytes flat = flatten(small_kdump());
  Bytes b = flat;
  put_be(b, 4096, 0xfffffffffffff000ull, 8);  // negative offset: points backwards
  expect_cli_error(b, "flat-backwards", {"flattened record 0", "2^63"});
  b = flat;
  put_be(b, 4096, 0x7ffffffffffff000ull, 8);
  put_be(b, 4096 + 8, 0x2000, 8);  // offset + size crosses 2^63
  expect_cli_error(b, "flat-past63", {"flattened record 0", "2^63"});
  b = flat;
  put_be(b, 4096 + 8, 0x10000000, 8);  // size past the end of the file
  expect_cli_error(b, "flat-size", {"flattened record 0", "file ends"});
  b = flat;
  put_be(b, 16, 7, 8);
  expect_cli_error(b, "flat-type", {"flattened header type", "expected 1"});
  for (uint64_t c : {13, 16, 20, 24, 31, 100, 4096, 4100, 4111, 4112, 5000}) {
    Bytes t(flat.begin(), flat.begin() + c);
    expect_open_fails(t, "flat-cut-" + std::to_string(c));
  }
}

TEST(Hostile, FlattenedGapCannotInflateAllocations) {
  // Found by the fuzzer: a record far out makes the reassembled file huge and sparse; a
  // note area inside the zero gap must not make kdx allocate its size.
  Bytes k = small_kdump();
  put_le(k, 4096 + 48, 0x2000, 8);          // offset_note
  put_le(k, 4096 + 56, 1ull << 36, 8);      // size_note: 64 GiB
  Bytes flat = flatten(k);
  flat.resize(flat.size() - 16);            // drop the end marker, then add a far record
  put_be(flat, flat.size(), 1ull << 40, 8);
  put_be(flat, flat.size(), 1, 8);
  flat.push_back(0);
  expect_cli_error(flat, "flat-gap-notes", {"notes", "expected inside the file", "stored"});
  expect_open_fails(flat, "flat-gap-notes");
}

TEST(Hostile, RandomByteFlipsNeverCrash) {
  // Not a fuzzer, just a cheap sweep: flip bytes across the headers and read every page.
  Bytes base = small_kdump("mixed");
  uint32_t x = 12345;
  for (int round = 0; round < 300; ++round) {
    Bytes b = base;
    for (int k = 0; k < 4; ++k) {
      x = x * 1103515245u + 12345u;
      uint64_t pos = (x >> 8) % std::min<uint64_t>(b.size(), 3 * 4096 + 2000);
      b[pos] ^= static_cast<uint8_t>(x >> 24 | 1);
    }
    auto d = dump::open_dump_sources({dump::memory_source("flip", b)});
    if (!d) continue;
    std::vector<uint8_t> page(4096);
    for (uint64_t pfn = 0; pfn < 64; ++pfn) (void)(*d)->read_phys(pfn * 4096, page);
  }
  SUCCEED();
}
