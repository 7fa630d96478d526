// VMCOREINFO -> TranslationConfig for x86_64 and arm64: required keys, KASLR bases read through the image, layout detection.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/arch/page_table_walker.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "arch/vmcoreinfo_reader.hpp"
#include "support/pagetable_fake_phys.hpp"

using namespace kdx;
using kdx::pagetable_test::Arm64PageTableBuilder;
using kdx::pagetable_test::FakePhysMemory;
using kdx::pagetable_test::X86PageTableBuilder;

TEST(ArchConfig, VmcoreinfoNumbersParse) {
  dump::Vmcoreinfo kv = dump::Vmcoreinfo::parse(
      "OSRELEASE=6.1.0-13-arm64\nNUMBER(PHYS_OFFSET)=0xffffa87e40000000\nNUMBER(phys_base)=-2097152\n"
      "NUMBER(VA_BITS)=48\nSYMBOL(swapper_pg_dir)=ffff800009f1e000\nKERNELOFFSET=1234\nbroken line\n"
      "NUMBER(bad)=12x\nPAGESIZE=4k\n");
  SymbolLookup none;
  arch_detail::VmcoreinfoReader in(kv, nullptr, none);
  EXPECT_EQ(*in.required_number("PHYS_OFFSET"), 0xffffa87e40000000ULL);
  EXPECT_EQ(*in.required_number("phys_base"), uint64_t(0) - 2097152);
  EXPECT_EQ(*in.required_number("VA_BITS"), 48u);
  EXPECT_EQ(*in.symbol("swapper_pg_dir"), 0xffff800009f1e000ULL);
  EXPECT_EQ(*in.kernel_offset(), 0x1234u);
  EXPECT_EQ(*in.kernel_version(), 601u);
  auto bad = in.number("bad");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("NUMBER(bad)"), std::string::npos);
  auto badpage = in.page_size();
  ASSERT_FALSE(badpage);
  EXPECT_NE(badpage.error().message.find("PAGESIZE"), std::string::npos);
  auto missing = in.required_number("nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("NUMBER(nope)"), std::string::npos);
  EXPECT_FALSE(*in.number("nope"));
  // vmlinux symbols win over SYMBOL() (they know every symbol; VMCOREINFO exports a few).
  SymbolLookup syms = [](std::string_view n) -> std::optional<uint64_t> {
    return n == "swapper_pg_dir" ? std::optional<uint64_t>(0x1000) : std::nullopt;
  };
  arch_detail::VmcoreinfoReader with(kv, nullptr, syms);
  EXPECT_EQ(*with.symbol("swapper_pg_dir"), 0x1000u);
  EXPECT_EQ(with.vmcoreinfo_symbol("swapper_pg_dir"), 0xffff800009f1e000ULL);
  // A present but unparsable key is an error naming it from the config builders too.
  auto cfg = config_from_vmcoreinfo(*find_arch("arm64"),
                                    dump::Vmcoreinfo::parse("NUMBER(VA_BITS)=forty-eight\nNUMBER(kimage_voffset)=0\n"));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("NUMBER(VA_BITS)"), std::string::npos) << cfg.error().message;
}

TEST(ArchRegistry, FindsBackendsByNameAliasAndElfMachine) {
  EXPECT_EQ(find_arch("x86_64"), find_arch_by_elf_machine(62));
  EXPECT_EQ(find_arch("AMD64"), find_arch("x86_64"));
  EXPECT_EQ(find_arch("aarch64"), find_arch_by_elf_machine(183));
  EXPECT_EQ(find_arch("arm64")->name, "arm64");
  EXPECT_EQ(find_arch("mips"), nullptr);
  EXPECT_EQ(find_arch_by_elf_machine(8), nullptr);
  EXPECT_EQ(all_arches().size(), 2u);
  const ArchBackend& x = *find_arch("x86_64");
  ASSERT_EQ(x.prstatus_regs.size(), 27u);
  EXPECT_EQ(x.prstatus_regs[x.prstatus_pc].name, "rip");
  EXPECT_EQ(x.prstatus_regs[x.prstatus_sp].name, "rsp");
  EXPECT_EQ(x.prstatus_regs[x.prstatus_fp].name, "rbp");
  EXPECT_EQ(x.prstatus_regs_offset + 27 * 8 + 8, x.prstatus_size);
  const ArchBackend& a = *find_arch("arm64");
  ASSERT_EQ(a.prstatus_regs.size(), 34u);
  EXPECT_EQ(a.prstatus_regs[a.prstatus_pc].name, "pc");
  EXPECT_EQ(a.prstatus_regs[a.prstatus_sp].name, "sp");
  EXPECT_EQ(a.prstatus_regs[a.prstatus_fp].name, "x29");
  EXPECT_EQ(a.prstatus_regs_offset + 34 * 8 + 8, a.prstatus_size);
  EXPECT_EQ(a.capstone_arch, CS_ARCH_ARM64);
  EXPECT_EQ(x.capstone_mode, CS_MODE_64);
}

namespace {
constexpr uint64_t kPhysBase = 0x2c800000;      // NUMBER(phys_base)
constexpr uint64_t kTopPgt = 0xffffffffa7a0a000ULL;  // SYMBOL(init_top_pgt), KASLR'd
constexpr uint64_t kPob = 0xffff9c8000000000ULL;     // page_offset_base (KASLR)

// A KASLR x86_64 dump in miniature: init_top_pgt at its image address's physical
// location, the direct map at kPob (1G pages), and page_offset_base/vmalloc_base variables.
dump::Vmcoreinfo x86_dump(FakePhysMemory& mem) {
  const uint64_t root = kTopPgt - 0xffffffff80000000ULL + kPhysBase;
  mem.set_next_alloc(root);
  X86PageTableBuilder b(mem, false);
  EXPECT_EQ(b.root(), root);
  for (uint64_t g = 0; g < 4; ++g) b.map(kPob + (g << 30), g << 30, 1 << 30);
  mem.write_u64(0xffffffffa8100000ULL - 0xffffffff80000000ULL + kPhysBase, kPob);
  mem.write_u64(0xffffffffa8100008ULL - 0xffffffff80000000ULL + kPhysBase, 0xffffb40000000000ULL);
  return dump::Vmcoreinfo::parse(
      "OSRELEASE=6.1.0-13-amd64\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffffa7a0a000\n"
      "NUMBER(phys_base)=746586112\nKERNELOFFSET=26600000\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
      "NUMBER(pgtable_l5_enabled)=0\nNUMBER(sme_mask)=0\n");
}
}  // namespace

TEST(ArchConfig, X86RootAndKaslrBasesFromSymbols) {
  FakePhysMemory mem;
  dump::Vmcoreinfo kv = x86_dump(mem);
  SymbolLookup syms = [](std::string_view n) -> std::optional<uint64_t> {
    if (n == "page_offset_base") return 0xffffffffa8100000ULL;
    if (n == "vmalloc_base") return 0xffffffffa8100008ULL;
    return std::nullopt;
  };
  auto cfg = config_from_vmcoreinfo(*find_arch("x86_64"), kv, &mem, syms);
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_EQ(cfg->root, kTopPgt - 0xffffffff80000000ULL + kPhysBase);
  EXPECT_EQ(cfg->phys_base, kPhysBase);
  EXPECT_EQ(cfg->kernel_offset, 0x26600000u);
  EXPECT_EQ(cfg->page_offset_base, kPob);
  EXPECT_EQ(cfg->vmalloc_base, 0xffffb40000000000ULL);
  EXPECT_EQ(cfg->vmemmap_base, 0xffffea0000000000ULL);  // no symbol: default kept
  EXPECT_FALSE(cfg->l5);
}

TEST(ArchConfig, X86PageOffsetBaseDiscoveredFromTablesWithoutSymbols) {
  FakePhysMemory mem;
  dump::Vmcoreinfo kv = x86_dump(mem);
  auto cfg = config_from_vmcoreinfo(*find_arch("x86_64"), kv, &mem);
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_EQ(cfg->page_offset_base, kPob);
  bool noted = false;
  for (auto& n : cfg->notes) noted |= n.find("from the page tables") != std::string::npos;
  EXPECT_TRUE(noted);
  // Without the dump, the default stays and is noted.
  auto bare = config_from_vmcoreinfo(*find_arch("x86_64"), kv);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->page_offset_base, 0xffff888000000000ULL);
}

TEST(ArchConfig, X86MissingRootIsAnErrorNamingTheKey) {
  auto cfg = config_from_vmcoreinfo(*find_arch("x86_64"), dump::Vmcoreinfo::parse("NUMBER(phys_base)=0\n"));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("init_top_pgt"), std::string::npos);
  auto cfg2 = config_from_vmcoreinfo(*find_arch("x86_64"), dump::Vmcoreinfo::parse("SYMBOL(init_top_pgt)=ffffffff82000000\n"));
  ASSERT_FALSE(cfg2);
  EXPECT_NE(cfg2.error().message.find("phys_base"), std::string::npos);
  auto l5 = config_from_vmcoreinfo(*find_arch("x86_64"),
                                   dump::Vmcoreinfo::parse("SYMBOL(init_top_pgt)=ffffffff82000000\nNUMBER(phys_base)=0\n"
                                                         "NUMBER(pgtable_l5_enabled)=1\n"));
  ASSERT_TRUE(l5);
  EXPECT_TRUE(l5->l5);
  EXPECT_EQ(l5->va_bits, 57u);
  EXPECT_EQ(l5->page_offset_base, 0xff11000000000000ULL);
}

TEST(ArchConfig, Arm64FlippedLayoutWithKaslr) {
  dump::Vmcoreinfo kv = dump::Vmcoreinfo::parse(
      "OSRELEASE=6.1.0-13-arm64\nPAGESIZE=4096\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xffffd0a187e00000\n"
      "NUMBER(PHYS_OFFSET)=0xffffa87e40000000\nNUMBER(TCR_EL1_T1SZ)=0x10\nNUMBER(KERNELPACMASK)=0xff7f000000000000\n"
      "SYMBOL(swapper_pg_dir)=ffffd0a1c9f1e000\nSYMBOL(_stext)=ffffd0a1c8010000\nKERNELOFFSET=50a140000000\n");
  auto cfg = config_from_vmcoreinfo(*find_arch("arm64"), kv);
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_TRUE(cfg->flipped_layout);
  EXPECT_EQ(cfg->root, 0xffffd0a1c9f1e000ULL - 0xffffd0a187e00000ULL);
  EXPECT_EQ(cfg->phys_offset, 0xffffa87e40000000ULL);
  EXPECT_EQ(cfg->page_offset, 0xffff000000000000ULL);
  EXPECT_EQ(cfg->page_end, 0xffff800000000000ULL);
  EXPECT_EQ(cfg->va_bits_actual, 48u);
  EXPECT_EQ(cfg->kernel_pac_mask, 0xff7f000000000000ULL);
  FakePhysMemory mem;
  auto w = find_arch("arm64")->make_walker(*cfg, mem);
  EXPECT_EQ(w->region_of(0xffffd0a1c8123456ULL), "kernel image");
  EXPECT_EQ(*w->kernel_image_to_phys(0xffffd0a1c8010000ULL), 0x40210000u);
  EXPECT_EQ(w->region_of(0xffff0a0000000000ULL), "direct map");
  EXPECT_EQ(w->region_of(0xffff800000100000ULL), "module");
  EXPECT_EQ(w->region_of(0xffff800100000000ULL), "vmalloc");
  EXPECT_EQ(w->region_of(0xfffffc0000001000ULL), "vmemmap");
  EXPECT_EQ(w->region_of(0x0000ffffa0000000ULL), "user");
}

TEST(ArchConfig, Arm64OldLayoutFromStext) {
  dump::Vmcoreinfo kv = dump::Vmcoreinfo::parse(
      "NUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xfffeffffc8000000\nNUMBER(PHYS_OFFSET)=0x40000000\n"
      "SYMBOL(swapper_pg_dir)=ffff000009a1e000\nSYMBOL(_stext)=ffff000008081000\n");
  auto cfg = config_from_vmcoreinfo(*find_arch("arm64"), kv);
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_FALSE(cfg->flipped_layout);
  EXPECT_EQ(cfg->page_offset, 0xffff800000000000ULL);
  EXPECT_EQ(cfg->page_end, 0u);
  FakePhysMemory mem;
  auto w = find_arch("arm64")->make_walker(*cfg, mem);
  EXPECT_EQ(*w->phys_to_direct_map(0x40001000), 0xffff800000001000ULL);
  EXPECT_EQ(w->region_of(0xffff000000100000ULL), "module");
}

// 52-bit kernel on 48-bit hardware (64K pages): PAGE_OFFSET is -(1 << 52) on 5.11+ but the
// version string claims 5.8, so the builder must let the tables decide.
TEST(ArchConfig, Arm64PageOffsetVerifiedAgainstTables) {
  FakePhysMemory mem;
  const uint64_t ram = 0x40000000;
  mem.set_next_alloc(ram + 0x200000);
  Arm64PageTableBuilder b(mem, 65536, 48, 52);
  const uint64_t root = b.root();
  const uint64_t phys_offset = ram - ((1ULL << 52) - (1ULL << 48));
  b.map(0xffff000000000000ULL + (root - ram), root, 65536);
  const uint64_t kimage_voffset = 0xffff800008000000ULL - ram;
  dump::Vmcoreinfo kv = dump::Vmcoreinfo::parse(fmt::format(
      "OSRELEASE=5.8.0\nPAGESIZE=65536\nNUMBER(VA_BITS)=52\nNUMBER(TCR_EL1_T1SZ)=0x10\n"
      "NUMBER(kimage_voffset)={:#x}\nNUMBER(PHYS_OFFSET)={:#x}\nSYMBOL(swapper_pg_dir)={:x}\n"
      "SYMBOL(_stext)=ffff800008010000\n",
      kimage_voffset, phys_offset, root + kimage_voffset));
  auto cfg = config_from_vmcoreinfo(*find_arch("arm64"), kv, &mem);
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_EQ(cfg->root, root);
  EXPECT_EQ(cfg->page_offset, 0xfff0000000000000ULL);
  auto w = find_arch("arm64")->make_walker(*cfg, mem);
  EXPECT_EQ(*w->phys_to_direct_map(root), 0xffff000000000000ULL + (root - ram));
}
