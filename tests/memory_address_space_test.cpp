// KernelAddressSpace: reads crossing pages, the per-root translation cache, errors with addresses, excluded pages.
#include <gtest/gtest.h>

#include <cstring>

#include "kdx/memory/kernel_address_space.hpp"
#include "support/pagetable_fake_phys.hpp"

using namespace kdx;
using kdx::pagetable_test::Arm64PageTableBuilder;
using kdx::pagetable_test::FakePhysMemory;
using kdx::pagetable_test::X86PageTableBuilder;

namespace {
TranslationConfig x86_config(uint64_t root) {
  TranslationConfig c;
  c.root = root;
  return c;
}
}  // namespace

TEST(MemoryAddressSpace, ReadCrossesPagesMappedToScatteredFrames) {
  FakePhysMemory mem;
  X86PageTableBuilder b(mem, false);
  const uint64_t va = 0xffffc90000010000ULL;
  b.map(va, 0x5000000, 4096);
  b.map(va + 4096, 0x3000000, 4096);  // the next virtual page lives below the first
  const char text[] = "hello, page boundary";
  mem.write(0x5000000 + 4096 - 7, text, 7);
  mem.write(0x3000000, text + 7, sizeof text - 7);
  KernelAddressSpace as(*find_arch("x86_64"), mem, x86_config(b.root()));
  char out[sizeof text] = {};
  auto r = as.read_virt(va + 4096 - 7, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out), sizeof out));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_STREQ(out, text);
  auto s = as.read_cstring(va + 4096 - 7);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, text);
  mem.write_u64(0x3000000 + 64, 0xfeedfacecafebeefULL);
  EXPECT_EQ(*as.read_u64(va + 4096 + 64), 0xfeedfacecafebeefULL);
}

TEST(MemoryAddressSpace, CacheAvoidsRewalkingAndIsPerRoot) {
  FakePhysMemory mem;
  X86PageTableBuilder k(mem, false), u(mem, false);
  k.map(0xffff888000001000ULL, 0x1000, 4096);
  u.map(0x0000555500001000ULL, 0x7000, 4096);
  u.map(0xffff888000001000ULL, 0x9000, 4096);  // same VA, different table, different frame
  KernelAddressSpace as(*find_arch("x86_64"), mem, x86_config(k.root()));
  ASSERT_EQ(*as.translate(0xffff888000001010ULL), 0x1010u);
  uint64_t reads = mem.reads;
  ASSERT_EQ(*as.translate(0xffff888000001ff8ULL), 0x1ff8u);
  EXPECT_EQ(mem.reads, reads) << "a cached translation must not read the tables";
  EXPECT_EQ(as.cache_hits(), 1u);
  EXPECT_EQ(as.cache_misses(), 1u);
  auto task = as.with_root(u.root());
  EXPECT_EQ(*task->translate(0xffff888000001010ULL), 0x9010u);
  EXPECT_EQ(*task->translate(0x0000555500001008ULL), 0x7008u);
  EXPECT_EQ(*as.translate(0xffff888000001010ULL), 0x1010u);
  EXPECT_EQ(*as.translate_uncached(0xffff888000001010ULL), 0x1010u);
  as.clear_cache();
  EXPECT_EQ(as.cache_hits(), 0u);
}

TEST(MemoryAddressSpace, UnmappedReadFailsAtTheFirstBadByte) {
  FakePhysMemory mem;
  X86PageTableBuilder b(mem, false);
  const uint64_t va = 0xffffc90000010000ULL;
  b.map(va, 0x5000000, 4096);
  mem.write_u64(0x5000000, 1);
  KernelAddressSpace as(*find_arch("x86_64"), mem, x86_config(b.root()));
  uint8_t buf[32];
  auto r = as.read_virt(va + 4096 - 16, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::NotPresent);
  ASSERT_TRUE(r.error().address);
  EXPECT_EQ(*r.error().address, va + 4096);
  EXPECT_NE(r.error().message.find("not present"), std::string::npos) << r.error().message;
  auto nc = as.read_u64(0xdead000000000100ULL);
  ASSERT_FALSE(nc);
  EXPECT_NE(nc.error().message.find("non-canonical"), std::string::npos);
}

TEST(MemoryAddressSpace, ExcludedAndMissingDataPages) {
  FakePhysMemory mem;
  X86PageTableBuilder b(mem, false);
  b.map(0xffff888000001000ULL, 0x6000000, 4096);
  b.map(0xffff888000002000ULL, 0x6100000, 4096);
  mem.write_u64(0x6000000, 0x1122334455667788ULL);
  mem.set_state(0x6000000, PageState::Excluded);
  KernelAddressSpace as(*find_arch("x86_64"), mem, x86_config(b.root()));
  EXPECT_EQ(*as.read_u64(0xffff888000001000ULL), 0u);  // excluded reads as zeros
  EXPECT_EQ(*as.page_state(0xffff888000001000ULL), PageState::Excluded);
  auto missing = as.read_u64(0xffff888000002000ULL);  // mapped, but the frame is not in the dump
  ASSERT_FALSE(missing);
  EXPECT_EQ(*missing.error().address, 0xffff888000002000ULL);
  EXPECT_EQ(*as.page_state(0xffff888000002000ULL), PageState::Hole);
}

TEST(MemoryAddressSpace, CycleIsACorruptError) {
  FakePhysMemory mem;
  X86PageTableBuilder b(mem, false);
  b.map(0xffff888000001000ULL, 0x1000, 4096);
  mem.write_u64(b.entry_addr(0xffff888000001000ULL, 1), b.root() | 1);
  KernelAddressSpace as(*find_arch("x86_64"), mem, x86_config(b.root()));
  auto r = as.read_u64(0xffff888000001000ULL);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Corrupt);
}

TEST(MemoryAddressSpace, Arm64TaggedPointersReadThroughTheUntaggedMapping) {
  FakePhysMemory mem;
  Arm64PageTableBuilder b(mem, 16384, 47, 47);
  b.map(0xffff800008000000ULL, 0x48000000, 16384);
  mem.write_u64(0x48000000 + 0x100, 42);
  TranslationConfig c;
  c.page_size = 16384;
  c.va_bits = 47;
  c.root = b.root();
  KernelAddressSpace as(*find_arch("arm64"), mem, c);
  EXPECT_EQ(*as.read_u64(0xffff800008000100ULL), 42u);
  EXPECT_EQ(*as.read_u64(0xf4ff800008000100ULL), 42u);
  // 16K pages: every 4K piece of the page is served, including through the cache.
  mem.write_u64(0x48000000 + 0x3ff8, 7);
  EXPECT_EQ(*as.read_u64(0xffff800008003ff8ULL), 7u);
}

TEST(MemoryAddressSpace, HugeMappingsAreCachedPerBlock) {
  FakePhysMemory mem;
  X86PageTableBuilder b(mem, false);
  b.map(0xffff888040000000ULL, 0x80000000, 1 << 30);        // 1G page
  b.map(0xffff888000200000ULL, 0x00400000, 2 << 20);        // 2M page
  b.map(0xffff888000400000ULL, 0x12345000, 4096);           // 4K page right after it
  KernelAddressSpace as(*find_arch("x86_64"), mem, x86_config(b.root()));
  EXPECT_EQ(*as.translate(0xffff888000200010ULL), 0x400010u);
  uint64_t reads = mem.reads;
  EXPECT_EQ(*as.translate(0xffff8880003ffff8ULL), 0x5ffff8u);  // same 2M block: no walk
  EXPECT_EQ(mem.reads, reads);
  EXPECT_EQ(*as.translate(0xffff888000400008ULL), 0x12345008u);  // the 4K page is its own
  EXPECT_EQ(*as.translate(0xffff888047654321ULL), 0x87654321u);
  EXPECT_EQ(*as.translate(0xffff888047600000ULL), 0x87600000u);  // same 2M piece of the 1G page
  EXPECT_EQ(*as.translate(0xffff888047800000ULL), 0x87800000u);  // next 2M piece: new walk, right answer
  EXPECT_EQ(as.cache_hits(), 2u);
  EXPECT_EQ(as.cache_misses(), 4u);
}
