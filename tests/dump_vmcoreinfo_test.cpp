// Vmcoreinfo parsing: typed lookups, hex/decimal/negative numbers, malformed lines.
#include <gtest/gtest.h>

#include "kdx/dump/vmcoreinfo.hpp"

using kdx::dump::Vmcoreinfo;

TEST(Vmcoreinfo, TypedLookups) {
  auto vi = Vmcoreinfo::parse(
      "OSRELEASE=6.1.0-28-amd64\nPAGESIZE=4096\nBUILD-ID=abc\nSYMBOL(prb)=ffffffff8299f2d8\n"
      "SIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\nLENGTH(free_area)=11\nNUMBER(phys_base)=18874368\n"
      "NUMBER(PHYS_OFFSET)=0xffffa87e40000000\nNUMBER(neg)=-2\nKERNELOFFSET=1e000000\nCRASHTIME=1733400000\n"
      "CONFIG_KALLSYMS=y\nnot a key line\n\0garbage after NUL=1");
  EXPECT_EQ(vi.osrelease(), "6.1.0-28-amd64");
  EXPECT_EQ(vi.page_size(), 4096u);
  EXPECT_EQ(vi.build_id(), "abc");
  EXPECT_EQ(vi.symbol("prb"), 0xffffffff8299f2d8u);
  EXPECT_EQ(vi.size("printk_info"), 88u);
  EXPECT_EQ(vi.offset("printk_info.seq"), 0u);
  EXPECT_EQ(vi.length("free_area"), 11u);
  EXPECT_EQ(vi.number("phys_base"), 18874368);
  EXPECT_EQ(vi.number_u64("PHYS_OFFSET"), 0xffffa87e40000000u);
  EXPECT_LT(*vi.number("PHYS_OFFSET"), 0);
  EXPECT_EQ(vi.number("neg"), -2);
  EXPECT_EQ(vi.kernel_offset(), 0x1e000000u);
  EXPECT_EQ(vi.crash_time(), 1733400000);
  EXPECT_TRUE(vi.config("KALLSYMS"));
  EXPECT_FALSE(vi.config("KASAN"));
  EXPECT_FALSE(vi.symbol("missing"));
  EXPECT_FALSE(vi.get("garbage after NUL"));
  EXPECT_EQ(vi.get("SYMBOL(prb)"), "ffffffff8299f2d8");
}

TEST(Vmcoreinfo, MalformedValuesAreAbsentNotWrong) {
  auto vi = Vmcoreinfo::parse("PAGESIZE=4k\nSYMBOL(x)=zz\nSIZE(y)=99999999999999999999999\nCRASHTIME=\n");
  EXPECT_FALSE(vi.page_size());
  EXPECT_FALSE(vi.symbol("x"));
  EXPECT_FALSE(vi.size("y"));
  EXPECT_FALSE(vi.crash_time());
}
