// x86_64 page-table walker on synthetic tables: 4/5-level, huge pages, flags, faults, cycles, regions, and seed 003's real entries.
#include <gtest/gtest.h>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/arch/page_table_walker.hpp"
#include "support/pagetable_fake_phys.hpp"

using namespace kdx;
using kdx::pagetable_test::FakePhysMemory;
using kdx::pagetable_test::X86PageTableBuilder;
using B = X86PageTableBuilder;

namespace {

const ArchBackend& x86() {
  const ArchBackend* a = find_arch("x86_64");
  EXPECT_NE(a, nullptr);
  return *a;
}

TranslationConfig config(uint64_t root, bool l5 = false) {
  TranslationConfig c;
  c.root = root;
  c.l5 = l5;
  c.va_bits = l5 ? 57 : 48;
  return c;
}

std::vector<std::string> names(const Translation& t) {
  std::vector<std::string> n;
  for (auto& l : t.levels) n.push_back(l.name);
  return n;
}

bool has_flag(const Translation& t, const std::string& f) {
  return std::find(t.flags.begin(), t.flags.end(), f) != t.flags.end();
}

}  // namespace

// Seed 003: crash's vtop of ffffffffaa6f0210 on a 4.19 kernel. The entries are written at
// the addresses crash printed, and the walk must visit exactly those addresses.
TEST(ArchX86_64, Seed003EntriesGiveCrashsTranslation) {
  FakePhysMemory mem;
  const uint64_t cr3 = 0x77222004;  // PCID 4 in the low bits, as in the oops' CR3
  mem.write_u64(0x77222ff8, 0x3fc0e067);
  mem.write_u64(0x3fc0eff0, 0x3fc0f063);
  mem.write_u64(0x3fc0fa98, 0x34367063);
  mem.write_u64(0x34367780, 0x800000003faf0061ULL);
  auto walker = x86().make_walker(config(cr3), mem);
  Translation t = walker->explain(0xffffffffaa6f0210ULL);
  ASSERT_EQ(t.status, WalkStatus::Mapped) << t.error;
  ASSERT_TRUE(t.paddr);
  EXPECT_EQ(*t.paddr, 0x3faf0210u);
  EXPECT_EQ(t.page_size, 4096u);
  ASSERT_EQ(t.levels.size(), 4u);
  EXPECT_EQ(names(t), (std::vector<std::string>{"PGD", "PUD", "PMD", "PTE"}));
  EXPECT_EQ(t.levels[1].entry_addr, 0x3fc0eff0u);
  EXPECT_EQ(t.levels[2].entry_addr, 0x3fc0fa98u);
  EXPECT_EQ(t.levels[3].entry_addr, 0x34367780u);
  EXPECT_EQ(t.levels[3].entry, 0x800000003faf0061ULL);
  EXPECT_EQ(t.levels[3].table, 0x34367000u);
  EXPECT_EQ(t.flags, (std::vector<std::string>{"PRESENT", "ACCESSED", "DIRTY", "NX"}));
  EXPECT_EQ(t.region, "kernel image");
  EXPECT_TRUE(t.error.empty());
}

TEST(ArchX86_64, FourLevel4K2M1GPages) {
  FakePhysMemory mem;
  B b(mem, false);
  b.map(0xffff888000001000ULL, 0x1234000, 4096, B::P | B::RW | B::A | B::D | B::G | B::NX);
  b.map(0xffffc90000200000ULL, 0x40000000, 2 << 20);
  b.map(0xffff888040000000ULL, 0x80000000, 1 << 30);
  auto w = x86().make_walker(config(b.root()), mem);

  Translation t4 = w->explain(0xffff888000001abcULL);
  ASSERT_EQ(t4.status, WalkStatus::Mapped) << t4.error;
  EXPECT_EQ(*t4.paddr, 0x1234abcu);
  EXPECT_EQ(t4.page_size, 4096u);
  EXPECT_EQ(t4.levels.size(), 4u);
  EXPECT_TRUE(has_flag(t4, "GLOBAL"));
  EXPECT_TRUE(has_flag(t4, "NX"));
  EXPECT_TRUE(has_flag(t4, "RW"));
  EXPECT_FALSE(has_flag(t4, "USER"));

  Translation t2 = w->explain(0xffffc900002fedcbULL);
  ASSERT_EQ(t2.status, WalkStatus::Mapped) << t2.error;
  EXPECT_EQ(*t2.paddr, 0x400fedcbu);
  EXPECT_EQ(t2.page_size, 2u << 20);
  EXPECT_EQ(names(t2), (std::vector<std::string>{"PGD", "PUD", "PMD"}));
  EXPECT_TRUE(has_flag(t2, "PSE"));

  Translation t1 = w->explain(0xffff888043456789ULL);
  ASSERT_EQ(t1.status, WalkStatus::Mapped) << t1.error;
  EXPECT_EQ(*t1.paddr, 0x83456789u);
  EXPECT_EQ(t1.page_size, 1u << 30);
  EXPECT_EQ(t1.levels.size(), 2u);
}

TEST(ArchX86_64, FiveLevelPaging) {
  FakePhysMemory mem;
  B b(mem, true);
  b.map(0xff11000000005000ULL, 0x777000, 4096);
  b.map(0xffffffff81000000ULL, 0x1000000, 2 << 20, B::P | B::A | B::G);
  auto w = x86().make_walker(config(b.root(), true), mem);
  Translation t = w->explain(0xff11000000005008ULL);
  ASSERT_EQ(t.status, WalkStatus::Mapped) << t.error;
  EXPECT_EQ(*t.paddr, 0x777008u);
  EXPECT_EQ(names(t), (std::vector<std::string>{"PGD", "P4D", "PUD", "PMD", "PTE"}));
  EXPECT_EQ(t.region, "direct map");
  Translation k = w->explain(0xffffffff81123456ULL);
  ASSERT_EQ(k.status, WalkStatus::Mapped) << k.error;
  EXPECT_EQ(*k.paddr, 0x1123456u);
  EXPECT_FALSE(has_flag(k, "RW"));
  // An address canonical for 5-level paging but not for 4-level.
  EXPECT_EQ(w->walk_raw(0xff11000000005000ULL).status, WalkStatus::Mapped);
  auto w4 = x86().make_walker(config(b.root(), false), mem);
  EXPECT_EQ(w4->walk_raw(0xff11000000005000ULL).status, WalkStatus::NonCanonical);
}

TEST(ArchX86_64, NonCanonicalAddressIsReportedAsSuch) {
  FakePhysMemory mem;
  B b(mem, false);
  auto w = x86().make_walker(config(b.root()), mem);
  Translation t = w->explain(0xdead000000000100ULL);  // LIST_POISON1: the classic GPF
  EXPECT_EQ(t.status, WalkStatus::NonCanonical);
  EXPECT_FALSE(t.paddr);
  EXPECT_TRUE(t.levels.empty());
  EXPECT_EQ(t.region, "non-canonical");
  EXPECT_NE(t.error.find("non-canonical"), std::string::npos) << t.error;
  EXPECT_EQ(w->walk_raw(0x0000800000000000ULL).status, WalkStatus::NonCanonical);
  EXPECT_NE(w->walk_raw(0x00007fffffffffffULL).status, WalkStatus::NonCanonical);
}

TEST(ArchX86_64, NotPresentStopsAtTheLevelThatIsMissing) {
  FakePhysMemory mem;
  B b(mem, false);
  b.map(0xffff888000001000ULL, 0x1000, 4096);
  auto w = x86().make_walker(config(b.root()), mem);
  // Same PMD table, neighbouring PTE empty.
  Translation t = w->explain(0xffff888000002000ULL);
  EXPECT_EQ(t.status, WalkStatus::NotPresent);
  ASSERT_EQ(t.levels.size(), 4u);
  EXPECT_EQ(t.levels[3].entry, 0u);
  EXPECT_NE(t.error.find("PTE"), std::string::npos) << t.error;
  EXPECT_NE(t.error.find("not present"), std::string::npos) << t.error;
  // Empty PGD slot.
  Translation g = w->explain(0xffffc90000000000ULL);
  EXPECT_EQ(g.status, WalkStatus::NotPresent);
  EXPECT_EQ(g.levels.size(), 1u);
  // A PROT_NONE-style entry: present clear, so not mapped, and flagged.
  mem.write_u64(b.entry_addr(0xffff888000001000ULL, 3), 0x1000 | B::G | B::A);
  Translation p = w->explain(0xffff888000001000ULL);
  EXPECT_EQ(p.status, WalkStatus::NotPresent);
  EXPECT_TRUE(has_flag(p, "PROTNONE"));
}

TEST(ArchX86_64, ReservedBitsAreDetected) {
  FakePhysMemory mem;
  B b(mem, false);
  b.map(0xffff888000001000ULL, 0x1000, 4096);
  b.map(0xffffc90000200000ULL, 0x40000000, 2 << 20);
  auto w = x86().make_walker(config(b.root()), mem);
  // PS in a PML4 entry is reserved.
  uint64_t pgd = b.entry_addr(0xffff888000001000ULL, 0);
  mem.write_u64(pgd, mem.read_u64(pgd) | B::PS);
  Translation t = w->explain(0xffff888000001000ULL);
  EXPECT_EQ(t.status, WalkStatus::ReservedBits);
  EXPECT_EQ(t.levels.size(), 1u);
  EXPECT_NE(t.error.find("0x80"), std::string::npos) << t.error;
  // A 2M page whose address has bit 13 set.
  uint64_t pmd = b.entry_addr(0xffffc90000200000ULL, 2);
  mem.write_u64(pmd, mem.read_u64(pmd) | (1ULL << 13));
  EXPECT_EQ(w->walk_raw(0xffffc90000200000ULL).status, WalkStatus::ReservedBits);
  // Physical bits beyond MAXPHYADDR (46 here).
  FakePhysMemory m2;
  B b2(m2, false);
  b2.map(0xffff888000001000ULL, 0x1000, 4096);
  uint64_t pte = b2.entry_addr(0xffff888000001000ULL, 3);
  m2.write_u64(pte, m2.read_u64(pte) | (1ULL << 50));
  TranslationConfig c = config(b2.root());
  EXPECT_EQ(x86().make_walker(c, m2)->walk_raw(0xffff888000001000ULL).status, WalkStatus::Mapped);
  c.pa_bits = 46;
  EXPECT_EQ(x86().make_walker(c, m2)->walk_raw(0xffff888000001000ULL).status, WalkStatus::ReservedBits);
}

TEST(ArchX86_64, SelfReferencingTableEndsWithCycleError) {
  FakePhysMemory mem;
  B b(mem, false);
  b.map(0xffff888000001000ULL, 0x1000, 4096);
  // The PGD slot points at the PGD itself (the "recursive mapping" trick, never used by Linux).
  mem.write_u64(b.entry_addr(0xffff888000001000ULL, 0), b.root() | B::P | B::RW);
  auto w = x86().make_walker(config(b.root()), mem);
  Translation t = w->explain(0xffff888000001000ULL);
  EXPECT_EQ(t.status, WalkStatus::Cycle);
  EXPECT_FALSE(t.paddr);
  EXPECT_NE(t.error.find("cycle"), std::string::npos) << t.error;
  // A PMD pointing back at its PUD table.
  FakePhysMemory m2;
  B b2(m2, false);
  b2.map(0xffff888000001000ULL, 0x1000, 4096);
  uint64_t pud_table = b2.entry_addr(0xffff888000001000ULL, 1) & ~0xfffULL;
  m2.write_u64(b2.entry_addr(0xffff888000001000ULL, 2), pud_table | B::P);
  EXPECT_EQ(x86().make_walker(config(b2.root()), m2)->walk_raw(0xffff888000001000ULL).status, WalkStatus::Cycle);
}

TEST(ArchX86_64, TablePageNotInDump) {
  FakePhysMemory mem;
  B b(mem, false);
  b.map(0xffff888000001000ULL, 0x1000, 4096);
  b.map(0xffff888000400000ULL, 0x2000, 4096);
  uint64_t pmd = b.entry_addr(0xffff888000001000ULL, 2);
  // PMD entry points at a page the dump does not contain.
  mem.write_u64(pmd, 0x7ff00000000ULL | B::P | B::RW);
  auto w = x86().make_walker(config(b.root()), mem);
  Translation t = w->explain(0xffff888000001000ULL);
  EXPECT_EQ(t.status, WalkStatus::TableNotInDump);
  EXPECT_NE(t.error.find("hole"), std::string::npos) << t.error;
  // An excluded table page reads as zeros: reported as excluded, not as "not present".
  uint64_t pte_table = b.entry_addr(0xffff888000400000ULL, 3) & ~0xfffULL;
  mem.set_state(pte_table, PageState::Excluded);
  Translation e = w->explain(0xffff888000400000ULL);
  EXPECT_EQ(e.status, WalkStatus::TableNotInDump);
  EXPECT_NE(e.error.find("excluded"), std::string::npos) << e.error;
}

TEST(ArchX86_64, RegionsFollowTheKaslrBases) {
  FakePhysMemory mem;
  TranslationConfig c = config(0x1000);
  c.page_offset_base = 0xffff9c0000000000ULL;
  c.vmalloc_base = 0xffffb40000000000ULL;
  c.vmemmap_base = 0xffffe50000000000ULL;
  c.kernel_sections = {{"text", 0xffffffffa9000000ULL, 0xffffffffa9e00000ULL},
                       {"rodata", 0xffffffffaa000000ULL, 0xffffffffaa800000ULL},
                       {"ro_after_init", 0xffffffffaa6e0000ULL, 0xffffffffaa700000ULL}};
  auto w = x86().make_walker(c, mem);
  EXPECT_EQ(w->region_of(0x00007fdf33491200ULL), "user");
  EXPECT_EQ(w->region_of(0xffff9c0012345678ULL), "direct map");
  EXPECT_EQ(w->region_of(0xffff800000001000ULL), "guard hole / LDT remap");
  EXPECT_EQ(w->region_of(0xffffb40000001000ULL), "vmalloc");
  EXPECT_EQ(w->region_of(0xffffe50000001000ULL), "vmemmap");
  EXPECT_EQ(w->region_of(0xffffffffa9123456ULL), "kernel text");
  EXPECT_EQ(w->region_of(0xffffffffaa100000ULL), "kernel rodata");
  EXPECT_EQ(w->region_of(0xffffffffaa6f0210ULL), "kernel ro_after_init");
  EXPECT_EQ(w->region_of(0xffffffffc0ae2020ULL), "module");
  EXPECT_EQ(w->region_of(0xfffffe0000001000ULL), "cpu_entry_area");
  EXPECT_EQ(w->region_of(0xffffffffff5fe000ULL), "fixmap");
  EXPECT_EQ(w->region_of(0xffffffffff600000ULL), "vsyscall");
  EXPECT_EQ(w->region_of(0xdead000000000100ULL), "non-canonical");
  EXPECT_EQ(*w->direct_map_to_phys(0xffff9c0012345678ULL), 0x12345678u);
  EXPECT_EQ(*w->phys_to_direct_map(0x12345678u), 0xffff9c0012345678ULL);
  EXPECT_FALSE(w->direct_map_to_phys(0xffffb40000001000ULL));
  c.phys_base = 0x2a000000;
  auto w2 = x86().make_walker(c, mem);
  EXPECT_EQ(*w2->kernel_image_to_phys(0xffffffff81000000ULL), 0x2b000000u);
  EXPECT_EQ(*w2->phys_to_kernel_image(0x2b000000u), 0xffffffff81000000ULL);
  EXPECT_FALSE(w2->phys_to_kernel_image(0x1000));  // below phys_base: not in the image
  // KASLR loaded the image below its link address: phys_base is "negative" (the fixture
  // null: panic at ffffffffbd9b7352 is physical 2bb7352).
  c.phys_base = uint64_t(0) - 0x3ae00000;
  auto w3 = x86().make_walker(c, mem);
  EXPECT_EQ(*w3->phys_to_kernel_image(0x2bb7352), 0xffffffffbd9b7352ULL);
  EXPECT_EQ(*w3->kernel_image_to_phys(0xffffffffbd9b7352ULL), 0x2bb7352u);
  // With the image's bounds known, only [_text, _end) has an image alias.
  c.kernel_image_start = 0xffffffffbd800000ULL;
  c.kernel_image_end = 0xffffffffbe400000ULL;
  auto w4 = x86().make_walker(c, mem);
  EXPECT_TRUE(w4->phys_to_kernel_image(0x2bb7352));
  EXPECT_FALSE(w4->phys_to_kernel_image(0x3a00000));
}

TEST(ArchX86_64, WithRootWalksAnotherTable) {
  FakePhysMemory mem;
  B kernel(mem, false), user(mem, false);
  kernel.map(0xffff888000001000ULL, 0x1000, 4096);
  user.map(0x00007f0000001000ULL, 0x5000, 4096, B::P | B::RW | B::US | B::A);
  auto w = x86().make_walker(config(kernel.root()), mem);
  EXPECT_EQ(w->walk_raw(0x00007f0000001000ULL).status, WalkStatus::NotPresent);
  auto u = w->with_root(user.root());
  RawWalk r = u->walk_raw(0x00007f0000001010ULL);
  ASSERT_EQ(r.status, WalkStatus::Mapped);
  EXPECT_EQ(r.paddr, 0x5010u);
  EXPECT_EQ(u->region_of(0x00007f0000001010ULL), "user");
  // A task's view: user addresses through its table, kernel addresses through the kernel's
  // (the task's table here maps no kernel page, so a kernel hit proves which root was used).
  auto t = w->with_user_root(user.root());
  RawWalk ur = t->walk_raw(0x00007f0000001010ULL);
  ASSERT_EQ(ur.status, WalkStatus::Mapped);
  EXPECT_EQ(ur.paddr, 0x5010u);
  EXPECT_EQ(ur.levels[0].table, user.root());
  RawWalk kr = t->walk_raw(0xffff888000001008ULL);
  ASSERT_EQ(kr.status, WalkStatus::Mapped);
  EXPECT_EQ(kr.paddr, 0x1008u);
  EXPECT_EQ(kr.levels[0].table, kernel.root());
  EXPECT_EQ(u->walk_raw(0xffff888000001008ULL).status, WalkStatus::NotPresent);
}
