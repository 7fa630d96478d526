// arm64 page-table walker on synthetic tables: every granule and VA size, blocks, contiguous hint, faults, cycles, tags, linear map.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/arch/page_table_walker.hpp"
#include "support/pagetable_fake_phys.hpp"

using namespace kdx;
using kdx::pagetable_test::Arm64PageTableBuilder;
using kdx::pagetable_test::FakePhysMemory;
using A = Arm64PageTableBuilder;

namespace {

const ArchBackend& arm64() {
  const ArchBackend* a = find_arch("aarch64");
  EXPECT_NE(a, nullptr);
  return *a;
}

bool has_flag(const Translation& t, const std::string& f) {
  return std::find(t.flags.begin(), t.flags.end(), f) != t.flags.end();
}

struct Geometry {
  uint64_t granule;
  unsigned va_bits;         // NUMBER(VA_BITS)
  unsigned va_bits_actual;  // 64 - TCR_EL1.T1SZ
  unsigned levels;
  std::vector<std::string> names;
  uint64_t block;  // a block size this granule allows (0 = none tested)
};

std::string geometry_name(const testing::TestParamInfo<Geometry>& i) {
  return fmt::format("g{}k_va{}_act{}", i.param.granule / 1024, i.param.va_bits, i.param.va_bits_actual);
}

class Arm64Geometry : public testing::TestWithParam<Geometry> {};

}  // namespace

TEST_P(Arm64Geometry, TranslatesPagesAndBlocksInBothHalves) {
  const Geometry& g = GetParam();
  FakePhysMemory mem;
  A b(mem, g.granule, g.va_bits_actual, g.va_bits);
  ASSERT_EQ(b.levels(), g.levels);
  const bool lpa2 = g.granule != 65536 && g.va_bits_actual == 52;
  // LPA2 descriptors hold OA[51:50] where SH used to be, so such kernels leave SH out.
  const uint64_t attrs = A::AF | (lpa2 ? 0 : A::SH_INNER) | (4 << 2) | A::PXN | A::UXN;
  const uint64_t kbase = uint64_t(0) - (uint64_t(1) << g.va_bits_actual);  // lowest kernel VA
  const uint64_t kva = kbase + 0x123ULL * g.granule;
  b.map(kva, 0x4000000 + 7 * g.granule, g.granule, attrs);
  const uint64_t uva = 0x0000aaaa00000000ULL & ((uint64_t(1) << g.va_bits_actual) - 1) & ~(g.granule - 1);
  // The kernel's table holds garbage at the user index (as swapper_pg_dir's TTBR0 half
  // means nothing); the task's own table maps the page.
  b.map(uva, 0x9000000, g.granule, A::AF | A::AP_EL0 | A::NG | A::UXN);
  A ub(mem, g.granule, g.va_bits_actual, g.va_bits);
  ub.map(uva, 0x8000000, g.granule, A::AF | A::AP_EL0 | A::NG | A::UXN);

  TranslationConfig c;
  c.page_size = g.granule;
  c.va_bits = g.va_bits;
  c.va_bits_actual = g.va_bits_actual;
  c.root = b.root();
  auto w = arm64().make_walker(c, mem);

  Translation t = w->explain(kva + 0x10);
  ASSERT_EQ(t.status, WalkStatus::Mapped) << t.error;
  EXPECT_EQ(*t.paddr, 0x4000000 + 7 * g.granule + 0x10);
  EXPECT_EQ(t.page_size, g.granule);
  std::vector<std::string> names;
  for (auto& l : t.levels) names.push_back(l.name);
  EXPECT_EQ(names, g.names);
  EXPECT_TRUE(has_flag(t, "RW"));
  EXPECT_TRUE(has_flag(t, "PXN"));
  EXPECT_TRUE(has_flag(t, "UXN"));
  EXPECT_TRUE(has_flag(t, "ATTRINDX=4"));
  EXPECT_FALSE(has_flag(t, "EL0"));

  // TTBR0: swapper_pg_dir (the kernel root) never maps user addresses; the walker refuses
  // them until a task's table is given.
  Translation nu = w->explain(uva + 8);
  EXPECT_EQ(nu.status, WalkStatus::NoUserRoot);
  EXPECT_FALSE(nu.paddr);
  EXPECT_NE(nu.error.find("needs a task's page table (TTBR0)"), std::string::npos) << nu.error;
  EXPECT_EQ(w->walk_raw(uva + 8).nlevels, 0u);
  auto uw = w->with_user_root(ub.root());
  Translation u = uw->explain(uva + 8);
  ASSERT_EQ(u.status, WalkStatus::Mapped) << u.error;
  EXPECT_EQ(u.levels.front().table, ub.root());
  // Kernel addresses keep TTBR1 (the kernel's table) in the task's view.
  Translation ku = uw->explain(kva + 0x10);
  ASSERT_EQ(ku.status, WalkStatus::Mapped) << ku.error;
  EXPECT_EQ(ku.levels.front().table, b.root());
  EXPECT_EQ(*u.paddr, 0x8000008u);
  EXPECT_TRUE(has_flag(u, "EL0"));
  EXPECT_TRUE(has_flag(u, "NG"));
  EXPECT_EQ(u.region, "user");

  // A neighbouring page is not mapped; the walk stops at the last level.
  Translation n = w->explain(kva + g.granule);
  EXPECT_EQ(n.status, WalkStatus::NotPresent);
  EXPECT_EQ(n.levels.size(), g.levels);

  if (g.block) {
    const uint64_t bva = kbase + 4 * g.block;
    b.map(bva, 16 * g.block, g.block, attrs | A::AP_RO);
    Translation bt = w->explain(bva + g.block - 8);
    ASSERT_EQ(bt.status, WalkStatus::Mapped) << bt.error;
    EXPECT_EQ(*bt.paddr, 17 * g.block - 8);
    EXPECT_EQ(bt.page_size, g.block);
    EXPECT_TRUE(has_flag(bt, "BLOCK"));
    EXPECT_TRUE(has_flag(bt, "RDONLY"));
  }
  // Outside both halves.
  if (g.va_bits_actual < 56) {
    uint64_t bad = kbase - (uint64_t(1) << 56);  // bit 55 set but not all high bits
    bad &= ~(uint64_t(1) << 60);
    EXPECT_EQ(w->walk_raw(bad).status, WalkStatus::NonCanonical);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllGranules, Arm64Geometry,
    testing::Values(Geometry{4096, 39, 39, 3, {"PGD", "PMD", "PTE"}, 2ULL << 20},
                    Geometry{4096, 48, 48, 4, {"PGD", "PUD", "PMD", "PTE"}, 1ULL << 30},
                    Geometry{4096, 52, 52, 5, {"PGD", "P4D", "PUD", "PMD", "PTE"}, 2ULL << 20},
                    Geometry{4096, 52, 48, 4, {"PGD", "PUD", "PMD", "PTE"}, 2ULL << 20},
                    Geometry{16384, 36, 36, 2, {"PGD", "PTE"}, 32ULL << 20},
                    Geometry{16384, 47, 47, 3, {"PGD", "PMD", "PTE"}, 32ULL << 20},
                    Geometry{16384, 48, 48, 4, {"PGD", "PUD", "PMD", "PTE"}, 32ULL << 20},
                    Geometry{16384, 52, 52, 4, {"PGD", "PUD", "PMD", "PTE"}, 32ULL << 20},
                    Geometry{65536, 42, 42, 2, {"PGD", "PTE"}, 512ULL << 20},
                    Geometry{65536, 48, 48, 3, {"PGD", "PMD", "PTE"}, 512ULL << 20},
                    Geometry{65536, 52, 52, 3, {"PGD", "PMD", "PTE"}, 512ULL << 20},
                    Geometry{65536, 52, 48, 3, {"PGD", "PMD", "PTE"}, 512ULL << 20}),
    geometry_name);

// A 52-bit kernel on 48-bit hardware: TTBR1 points into the tail of the 52-bit-sized top
// table, so kernel addresses must index its last entries.
TEST(ArchArm64, FiftyTwoBitKernelOn48BitHardwareUsesTopTableTail) {
  FakePhysMemory mem;
  A b(mem, 65536, 48, 52);
  b.map(0xffff000000010000ULL, 0x30000, 65536);
  EXPECT_EQ(b.entry_addr(0xffff000000010000ULL, 0) - b.root(), (1024 - 64) * 8u);
  TranslationConfig c;
  c.page_size = 65536;
  c.va_bits = 52;
  c.va_bits_actual = 48;
  c.root = b.root();
  RawWalk r = arm64().make_walker(c, mem)->walk_raw(0xffff000000010008ULL);
  ASSERT_EQ(r.status, WalkStatus::Mapped);
  EXPECT_EQ(r.paddr, 0x30008u);
}

TEST(ArchArm64, ContiguousBitAndTableLimitsAreExplained) {
  FakePhysMemory mem;
  A b(mem, 4096, 48, 48);
  b.map(0xffff800008000000ULL, 0x40000000, 4096, A::AF | A::SH_INNER | A::CONT | A::DBM | A::AP_RO);
  uint64_t pmd = b.entry_addr(0xffff800008000000ULL, 2);
  mem.write_u64(pmd, mem.read_u64(pmd) | (1ULL << 59));  // PXNTable
  TranslationConfig c;
  c.root = b.root();
  Translation t = arm64().make_walker(c, mem)->explain(0xffff800008000123ULL);
  ASSERT_EQ(t.status, WalkStatus::Mapped) << t.error;
  EXPECT_TRUE(has_flag(t, "CONT"));
  EXPECT_TRUE(has_flag(t, "DBM"));
  EXPECT_TRUE(has_flag(t, "RDONLY"));
  std::string notes;
  for (auto& n : t.notes) notes += n + ";";
  EXPECT_NE(notes.find("contiguous range: 16 entries, 0x10000"), std::string::npos) << notes;
  EXPECT_NE(notes.find("PXNTable"), std::string::npos) << notes;
}

TEST(ArchArm64, ReservedEncodingsAreErrors) {
  FakePhysMemory mem;
  A b(mem, 4096, 48, 48);
  b.map(0xffff000000001000ULL, 0x1000, 4096);
  TranslationConfig c;
  c.root = b.root();
  auto w = arm64().make_walker(c, mem);
  // Type 0b01 at the last level is reserved.
  uint64_t pte = b.entry_addr(0xffff000000001000ULL, 3);
  mem.write_u64(pte, (mem.read_u64(pte) & ~3ULL) | 1);
  Translation t = w->explain(0xffff000000001000ULL);
  EXPECT_EQ(t.status, WalkStatus::ReservedBits);
  EXPECT_NE(t.error.find("0b01"), std::string::npos) << t.error;
  // A block at level 0 does not exist with 4K pages (without LPA2).
  uint64_t pgd = b.entry_addr(0xffff000000001000ULL, 0);
  mem.write_u64(pgd, 0x8000000000ULL | A::AF | A::BLOCK);
  Translation l0 = w->explain(0xffff000000001000ULL);
  EXPECT_EQ(l0.status, WalkStatus::ReservedBits);
  EXPECT_NE(l0.error.find("block"), std::string::npos) << l0.error;
  // A 2M block whose output address is not 2M-aligned.
  FakePhysMemory m2;
  A b2(m2, 4096, 48, 48);
  b2.map(0xffff000000200000ULL, 0x40000000, 2 << 20);
  uint64_t pmd = b2.entry_addr(0xffff000000200000ULL, 2);
  m2.write_u64(pmd, m2.read_u64(pmd) | 0x3000);
  c.root = b2.root();
  EXPECT_EQ(arm64().make_walker(c, m2)->walk_raw(0xffff000000200000ULL).status, WalkStatus::ReservedBits);
}

TEST(ArchArm64, SelfReferencingTableEndsWithCycleError) {
  FakePhysMemory mem;
  A b(mem, 4096, 48, 48);
  b.map(0xffff000000001000ULL, 0x1000, 4096);
  mem.write_u64(b.entry_addr(0xffff000000001000ULL, 1), b.root() | A::TABLE);
  TranslationConfig c;
  c.root = b.root();
  Translation t = arm64().make_walker(c, mem)->explain(0xffff000000001000ULL);
  EXPECT_EQ(t.status, WalkStatus::Cycle);
  EXPECT_NE(t.error.find("cycle"), std::string::npos) << t.error;
}

TEST(ArchArm64, TablePageNotInDump) {
  FakePhysMemory mem;
  A b(mem, 4096, 48, 48);
  b.map(0xffff000000001000ULL, 0x1000, 4096);
  mem.write_u64(b.entry_addr(0xffff000000001000ULL, 2), 0x7f00000000ULL | A::TABLE);
  TranslationConfig c;
  c.root = b.root();
  Translation t = arm64().make_walker(c, mem)->explain(0xffff000000001000ULL);
  EXPECT_EQ(t.status, WalkStatus::TableNotInDump);
  EXPECT_NE(t.error.find("not in the dump"), std::string::npos) << t.error;
}

TEST(ArchArm64, TaggedAndPacSignedPointersAreStripped) {
  TranslationConfig c;
  c.va_bits = 48;
  auto untag = arm64().untag_pointer;
  EXPECT_EQ(untag(c, 0xf2ff000012345678ULL), 0xffff000012345678ULL);  // MTE/KASAN tag in top byte
  EXPECT_EQ(untag(c, 0x0a00aaaa12345678ULL), 0x0000aaaa12345678ULL);  // user pointer with a TBI tag
  EXPECT_EQ(untag(c, 0x3f8a800008123456ULL), 0xffff800008123456ULL);  // PAC in bits 54..48 + top byte
  c.kernel_pac_mask = 0xff7f000000000000ULL;
  EXPECT_EQ(untag(c, 0x3f8a800008123456ULL), 0xffff800008123456ULL);
  EXPECT_EQ(find_arch("x86_64")->untag_pointer(c, 0xf2ff000012345678ULL), 0xf2ff000012345678ULL);

  FakePhysMemory mem;
  A b(mem, 4096, 48, 48);
  b.map(0xffff000000001000ULL, 0x9000, 4096);
  c = {};
  c.root = b.root();
  Translation t = arm64().make_walker(c, mem)->explain(0xb4ff000000001010ULL);
  ASSERT_EQ(t.status, WalkStatus::Mapped) << t.error;
  EXPECT_EQ(*t.paddr, 0x9010u);
  EXPECT_EQ(t.walked_vaddr, 0xffff000000001010ULL);
  ASSERT_FALSE(t.notes.empty());
}

TEST(ArchArm64, LinearMapWithNegativePhysOffset) {
  // Measured on a KASLR arm64 dump: PHYS_OFFSET 0xffffa87e40000000 (memstart_addr lowered
  // to randomize the linear map). The arithmetic must wrap, not saturate.
  TranslationConfig c;
  c.va_bits = 48;
  c.page_offset = 0xffff000000000000ULL;
  c.page_end = 0xffff800000000000ULL;
  c.phys_offset = 0xffffa87e40000000ULL;
  FakePhysMemory mem;
  auto w = arm64().make_walker(c, mem);
  const uint64_t pa = 0x40200000;
  auto va = w->phys_to_direct_map(pa);
  ASSERT_TRUE(va);
  EXPECT_EQ(*va, pa - 0xffffa87e40000000ULL + 0xffff000000000000ULL);
  EXPECT_EQ(*va, 0xffff578200200000ULL);
  EXPECT_EQ(*w->direct_map_to_phys(*va), pa);
  EXPECT_EQ(w->region_of(*va), "direct map");
  // Old (pre-5.4) layout: linear map in the top half.
  TranslationConfig o;
  o.va_bits = 48;
  o.flipped_layout = false;
  o.page_offset = 0xffff800000000000ULL;
  o.phys_offset = 0x80000000;
  auto wo = arm64().make_walker(o, mem);
  EXPECT_EQ(*wo->phys_to_direct_map(0x80001000), 0xffff800000001000ULL);
  EXPECT_EQ(*wo->direct_map_to_phys(0xffff800000001000ULL), 0x80001000u);
  EXPECT_FALSE(wo->direct_map_to_phys(0xffff000008080000ULL));
}
