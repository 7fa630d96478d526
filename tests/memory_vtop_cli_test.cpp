// End-to-end `kdx vtop` on synthetic ELF vmcores (x86_64 and arm64); skipped while the dump reader is not in the build.
#include <gtest/gtest.h>

#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/pagetable_fake_phys.hpp"
#include "support/pagetable_vmcore_writer.hpp"
#include "support/paths.hpp"

using namespace kdx::pagetable_test;
using kdx::test::run_kdx;
using kdx::test::temp_path;
using B = X86PageTableBuilder;
using A = Arm64PageTableBuilder;

namespace {

constexpr uint64_t kPob = 0xffff9c8000000000ULL;  // a KASLR'd page_offset_base

// 8 MiB x86_64 machine, phys_base 0: direct map in 2M pages, one vmalloc page, image in 2M pages.
std::string x86_core() {
  FakePhysMemory mem;
  mem.set_next_alloc(6ULL << 20);
  B b(mem, false);
  for (uint64_t pa = 0; pa < (8ULL << 20); pa += 2ULL << 20) b.map(kPob + pa, pa, 2ULL << 20, B::P | B::RW | B::A | B::D | B::NX);
  b.map(0xffffc90000123000ULL, 0x345000, 4096, B::P | B::RW | B::A | B::D | B::G | B::NX);
  for (uint64_t pa = 0; pa < (8ULL << 20); pa += 2ULL << 20) b.map(0xffffffff80000000ULL + pa, pa, 2ULL << 20, B::P | B::A | B::G);
  std::string vi = fmt::format(
      "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSYMBOL(init_top_pgt)={:x}\nNUMBER(phys_base)=0\nKERNELOFFSET=0\n"
      "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\nNUMBER(pgtable_l5_enabled)=0\n",
      0xffffffff80000000ULL + b.root());
  std::string path = temp_path("vtop-x86.vmcore");
  EXPECT_TRUE(write_pagetable_vmcore(mem, 62, vi, {{0, kPob, 8ULL << 20}}, path));
  return path;
}

bool dump_reader_missing(const kdx::test::RunResult& r) {
  return r.err.find("no dump reader") != std::string::npos;
}

}  // namespace

TEST(MemoryVtopCli, X86DirectMapVmallocTextAndUnmapped) {
  std::string core = x86_core();
  auto r = run_kdx(fmt::format("vtop ffffc90000123abc {} --json", core));
  if (dump_reader_missing(r)) GTEST_SKIP() << "dump reader not merged yet";
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["paddr"], "0x345abc");
  EXPECT_EQ(j["region"], "vmalloc");
  EXPECT_EQ(j["levels"].size(), 4u);
  EXPECT_TRUE(j["error"].is_null());

  r = run_kdx(fmt::format("vtop {:x} {} --json", kPob + 0x456789, core));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["paddr"], "0x456789");
  EXPECT_EQ(j["page_size"], 2 << 20);
  EXPECT_EQ(j["region"], "direct map");  // page_offset_base found from the tables

  r = run_kdx(fmt::format("vtop 0xffffffff80345678 {}", core));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ffffffff80345678  345678"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(PRESENT|ACCESSED|PSE|GLOBAL)"), std::string::npos) << r.out;

  r = run_kdx(fmt::format("vtop ffffc90000124000 {}", core));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("STOPPED: PTE entry 0x0"), std::string::npos) << r.out;

  r = run_kdx(fmt::format("vtop dead000000000100 {} --json", core));
  EXPECT_EQ(r.exit_code, 1);
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["paddr"].is_null());
  EXPECT_EQ(j["region"], "non-canonical");

  r = run_kdx(fmt::format("vtop notanaddress {}", core));
  EXPECT_EQ(r.exit_code, 2);
  std::remove(core.c_str());
}

TEST(MemoryVtopCli, Arm64KaslrLinearMapAndImage) {
  FakePhysMemory mem;
  const uint64_t ram = 0x40000000, phys_offset = 0xffffa87e40000000ULL;
  const uint64_t page_offset = 0xffff000000000000ULL;
  const uint64_t kimage = 0xffffd0a1c8000000ULL, kimage_voffset = kimage - (ram + 0x200000);
  mem.set_next_alloc(ram + 0x600000);
  A b(mem, 4096, 48);
  auto linear = [&](uint64_t pa) { return pa - phys_offset + page_offset; };
  for (uint64_t pa = ram; pa < ram + (8ULL << 20); pa += 2ULL << 20) b.map(linear(pa), pa, 2ULL << 20);
  for (uint64_t off = 0; off < (4ULL << 20); off += 2ULL << 20)
    b.map(kimage + off, ram + 0x200000 + off, 2ULL << 20, A::AF | A::SH_INNER | A::AP_RO | (4 << 2));
  std::string vi = fmt::format(
      "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)={:#x}\n"
      "NUMBER(PHYS_OFFSET)={:#x}\nNUMBER(TCR_EL1_T1SZ)=0x10\nSYMBOL(swapper_pg_dir)={:x}\nSYMBOL(_stext)={:x}\n"
      "KERNELOFFSET=50a140000000\n",
      kimage_voffset, phys_offset, b.root() + kimage_voffset, kimage + 0x10000);
  std::string core = temp_path("vtop-arm64.vmcore");
  ASSERT_TRUE(write_pagetable_vmcore(mem, 183, vi, {{ram, linear(ram), 8ULL << 20}}, core));

  auto r = run_kdx(fmt::format("vtop {:x} {} --json", linear(ram + 0x123456), core));
  if (dump_reader_missing(r)) GTEST_SKIP() << "dump reader not merged yet";
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["paddr"], fmt::format("{:#x}", ram + 0x123456));
  EXPECT_EQ(j["region"], "direct map");
  EXPECT_EQ(j["levels"].size(), 3u);  // PGD PUD PMD(block)

  // A tagged pointer to the image.
  r = run_kdx(fmt::format("vtop {:x} {} --json", (kimage + 0x10008) & 0xf4ffffffffffffffULL, core));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["paddr"], fmt::format("{:#x}", ram + 0x210008));
  EXPECT_EQ(j["region"], "kernel image");
  EXPECT_NE(j["flags"].dump().find("RDONLY"), std::string::npos);
  std::remove(core.c_str());
}
