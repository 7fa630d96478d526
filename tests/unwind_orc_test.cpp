// ORC table decoding, loading (bytes, ELF, memory) and lookup, on tables written by the test builder.
#include <gtest/gtest.h>

#include "kdx/unwind/orc_table.hpp"
#include "support/paths.hpp"
#include "support/synthetic_stack.hpp"

using namespace kdx::unwind;
using kdx::test::SynthOrcRow;

namespace {

constexpr uint64_t kText = 0xffffffff81000000ull;
constexpr uint64_t kIpSection = 0xffffffff82000000ull;

std::vector<SynthOrcRow> sample_rows() {
  return {
      {.ip = kText + 0x00, .sp_reg = 5, .sp_offset = 8, .type = 0},
      {.ip = kText + 0x04, .sp_reg = 5, .sp_offset = 16, .bp_reg = 1, .bp_offset = -16, .type = 0},
      {.ip = kText + 0x40, .sp_reg = 4, .sp_offset = 16, .bp_reg = 1, .bp_offset = -16, .type = 0},
      {.ip = kText + 0x80, .sp_reg = 5, .sp_offset = 0, .type = 1},
      {.ip = kText + 0x90, .sp_reg = 5, .sp_offset = 0, .type = 2},
      {.ip = kText + 0xa0, .sp_reg = 0, .type = 0, .end = true},
      {.ip = kText + 0xb0, .sp_reg = 0, .type = 0},  // terminator
  };
}

OrcTable load(const kdx::test::SynthOrcSections& s, OrcFormat f, uint64_t bias = 0) {
  auto t = OrcTable::from_bytes(s.ip_bytes, s.ip_section_addr, s.orc_bytes, f, bias);
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().to_string());
  return t ? std::move(*t) : OrcTable{};
}

}  // namespace

TEST(UnwindOrc, DecodesV1BitfieldsAsIn61) {
  auto t = load(kdx::test::write_orc_v1(kIpSection, sample_rows()), OrcFormat::V1);
  ASSERT_EQ(t.size(), 7u);
  const OrcEntry& e1 = t.entry(1);
  EXPECT_EQ(e1.sp_reg, OrcReg::Sp);
  EXPECT_EQ(e1.sp_offset, 16);
  EXPECT_EQ(e1.bp_reg, OrcReg::PrevSp);
  EXPECT_EQ(e1.bp_offset, -16);
  EXPECT_EQ(e1.type, OrcType::Call);
  EXPECT_FALSE(e1.signal);
  EXPECT_EQ(t.entry(2).sp_reg, OrcReg::Bp);
  EXPECT_EQ(t.entry(3).type, OrcType::Regs);
  EXPECT_TRUE(t.entry(3).signal);  // v1: REGS implies an exact ip
  EXPECT_EQ(t.entry(4).type, OrcType::RegsPartial);
  EXPECT_TRUE(t.entry(4).signal);
  EXPECT_EQ(t.entry(5).type, OrcType::EndOfStack);
  EXPECT_EQ(t.entry(6).type, OrcType::Undefined);
}

TEST(UnwindOrc, DecodesV3Types) {
  std::vector<SynthOrcRow> rows = {
      {.ip = kText, .sp_reg = 5, .sp_offset = 8, .type = 2},
      {.ip = kText + 8, .sp_reg = 5, .sp_offset = 0, .type = 3, .signal = true},
      {.ip = kText + 16, .type = 1},
      {.ip = kText + 24, .sp_reg = 5, .sp_offset = 8, .type = 2, .signal = true},
      {.ip = kText + 32, .type = 0},
  };
  auto t = load(kdx::test::write_orc_v3(kIpSection, rows), OrcFormat::V3);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t.entry(0).type, OrcType::Call);
  EXPECT_EQ(t.entry(1).type, OrcType::Regs);
  EXPECT_EQ(t.entry(2).type, OrcType::EndOfStack);
  EXPECT_TRUE(t.entry(3).signal);
  EXPECT_EQ(t.entry(4).type, OrcType::Undefined);
  // The same bytes read with the 6.1 layout mean something else: the format matters.
  auto v1 = load(kdx::test::write_orc_v3(kIpSection, rows), OrcFormat::V1);
  EXPECT_NE(v1.entry(0).type, OrcType::Call);
}

TEST(UnwindOrc, IpsAreSelfRelativeAndBiased) {
  auto rows = sample_rows();
  auto s = kdx::test::write_orc_v1(kIpSection, rows);
  auto t = load(s, OrcFormat::V1);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(t.ip(i), rows[i].ip) << i;
  const uint64_t kaslr = 0x1e000000;
  auto shifted = load(s, OrcFormat::V1, kaslr);
  EXPECT_EQ(shifted.min_ip(), kText + kaslr);
  EXPECT_EQ(shifted.max_ip(), kText + 0xb0 + kaslr);
}

TEST(UnwindOrc, FindPicksLastEntryAtOrBelow) {
  auto t = load(kdx::test::write_orc_v1(kIpSection, sample_rows()), OrcFormat::V1);
  EXPECT_FALSE(t.find(kText - 1).has_value());
  EXPECT_EQ(t.find(kText)->sp_offset, 8);
  EXPECT_EQ(t.find(kText + 3)->sp_offset, 8);
  EXPECT_EQ(t.find(kText + 4)->sp_offset, 16);
  EXPECT_EQ(t.find(kText + 0x3f)->sp_offset, 16);
  EXPECT_EQ(t.find(kText + 0x40)->sp_reg, OrcReg::Bp);
}

TEST(UnwindOrc, UnsortedTablesAreSortedAndTerminatorsLoseTies) {
  std::vector<SynthOrcRow> rows = {
      {.ip = kText + 0x40, .sp_reg = 5, .sp_offset = 24, .type = 0},
      {.ip = kText + 0x00, .sp_reg = 5, .sp_offset = 8, .type = 0},
      {.ip = kText + 0x20, .sp_reg = 5, .sp_offset = 16, .type = 0},
      {.ip = kText + 0x20, .sp_reg = 0, .type = 0},  // terminator of the previous unit at the same ip
  };
  auto t = load(kdx::test::write_orc_v1(kIpSection, rows), OrcFormat::V1);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t.ip(0), kText);
  EXPECT_EQ(t.ip(3), kText + 0x40);
  EXPECT_EQ(t.find(kText + 0x28)->sp_offset, 16);
  EXPECT_EQ(t.find(kText + 0x28)->type, OrcType::Call);
}

TEST(UnwindOrc, RejectsMismatchedSizes) {
  auto s = kdx::test::write_orc_v1(kIpSection, sample_rows());
  auto short_orc = s.orc_bytes;
  short_orc.resize(short_orc.size() - 6);
  auto r = OrcTable::from_bytes(s.ip_bytes, kIpSection, short_orc, OrcFormat::V1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kdx::ErrorCode::Format);
  auto odd = s.ip_bytes;
  odd.pop_back();
  EXPECT_FALSE(OrcTable::from_bytes(odd, kIpSection, s.orc_bytes, OrcFormat::V1));
  EXPECT_FALSE(OrcTable::from_bytes({}, kIpSection, {}, OrcFormat::V1));
}

TEST(UnwindOrc, FormatFromRelease) {
  EXPECT_EQ(*orc_format_for_release("6.1.0-18-amd64"), OrcFormat::V1);
  EXPECT_EQ(*orc_format_for_release("5.10.0"), OrcFormat::V1);
  EXPECT_EQ(*orc_format_for_release("6.3.7"), OrcFormat::V2);
  EXPECT_EQ(*orc_format_for_release("6.4.0"), OrcFormat::V3);
  EXPECT_EQ(*orc_format_for_release("6.12.1"), OrcFormat::V3);
  EXPECT_EQ(*orc_format_for_release("7.0"), OrcFormat::V3);
  EXPECT_FALSE(orc_format_for_release("linux"));
  EXPECT_FALSE(orc_format_for_release("6"));
}

TEST(UnwindOrc, LoadsFromElfFile) {
  auto s = kdx::test::write_orc_v1(kIpSection, sample_rows());
  std::string path = kdx::test::temp_path("orc.elf");
  ASSERT_TRUE(kdx::test::write_orc_elf(path, s));
  auto t = OrcTable::from_elf(path, 0x200000, OrcFormat::V1);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->size(), 7u);
  EXPECT_EQ(t->min_ip(), kText + 0x200000);
  EXPECT_EQ(t->find(kText + 0x200000 + 0x41)->sp_reg, OrcReg::Bp);
}

TEST(UnwindOrc, ElfOrcHeaderSelectsFormat) {
  std::vector<SynthOrcRow> rows = {{.ip = kText, .sp_reg = 5, .sp_offset = 8, .type = 2}};
  auto s = kdx::test::write_orc_v3(kIpSection, rows);
  const uint8_t v64[20] = {0xfe, 0x5d, 0x32, 0xbf, 0x58, 0x1b, 0xd6, 0x3b, 0x2c, 0xa9,
                           0xa5, 0xc6, 0x5b, 0xa5, 0xa6, 0x25, 0xea, 0xb3, 0xfe, 0x24};
  std::string path = kdx::test::temp_path("orc-v3.elf");
  ASSERT_TRUE(kdx::test::write_orc_elf(path, s, v64));
  auto t = OrcTable::from_elf(path, 0, OrcFormat::V1);  // the header overrides the guess
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->format(), OrcFormat::V3);
  EXPECT_EQ(t->entry(0).type, OrcType::Call);

  uint8_t unknown[20] = {1, 2, 3};
  ASSERT_TRUE(kdx::test::write_orc_elf(path, s, unknown));
  auto bad = OrcTable::from_elf(path, 0, OrcFormat::V1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, kdx::ErrorCode::Unsupported);
}

TEST(UnwindOrc, ElfErrors) {
  auto missing = OrcTable::from_elf(kdx::test::temp_path("does-not-exist"), 0, OrcFormat::V1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, kdx::ErrorCode::Io);
  auto s = kdx::test::write_orc_v1(kIpSection, sample_rows());
  std::string path = kdx::test::temp_path("orc-rel.elf");
  ASSERT_TRUE(kdx::test::write_orc_elf(path, s, {}, true));
  auto rel = OrcTable::from_elf(path, 0, OrcFormat::V1);
  ASSERT_FALSE(rel);
  EXPECT_EQ(rel.error().code, kdx::ErrorCode::Unsupported);
}

TEST(UnwindOrc, LoadsFromDumpMemoryLikeAModule) {
  const uint64_t mod_text = 0xffffffffc0100000ull;
  const uint64_t ip_addr = 0xffffffffc0200000ull, orc_addr = 0xffffffffc0201000ull;
  std::vector<SynthOrcRow> rows = {
      {.ip = mod_text, .sp_reg = 5, .sp_offset = 8, .type = 0},
      {.ip = mod_text + 0x10, .sp_reg = 5, .sp_offset = 32, .type = 0},
  };
  auto s = kdx::test::write_orc_v1(ip_addr, rows);
  kdx::test::FakeMemory mem;
  mem.write(ip_addr, s.ip_bytes);
  mem.write(orc_addr, s.orc_bytes);
  auto t = OrcTable::from_memory(mem, ip_addr, orc_addr, 2, OrcFormat::V1);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->find(mod_text + 0x11)->sp_offset, 32);
  EXPECT_FALSE(OrcTable::from_memory(mem, ip_addr, orc_addr, 0, OrcFormat::V1));
  auto unreadable = OrcTable::from_memory(mem, ip_addr, orc_addr, 5000, OrcFormat::V1);
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, kdx::ErrorCode::NotPresent);
}

TEST(UnwindOrc, TableSetPicksTableByRangeAndKnowsNullCalls) {
  OrcTableSet set;
  set.add(load(kdx::test::write_orc_v1(kIpSection, sample_rows()), OrcFormat::V1));
  const uint64_t mod_text = 0xffffffffc0100000ull;
  std::vector<SynthOrcRow> mod_rows = {{.ip = mod_text, .sp_reg = 5, .sp_offset = 40, .type = 0}};
  set.add(load(kdx::test::write_orc_v1(kIpSection, mod_rows), OrcFormat::V1), mod_text, mod_text + 0x1000);
  EXPECT_EQ(set.find(kText + 5)->sp_offset, 16);
  EXPECT_EQ(set.find(mod_text + 0x800)->sp_offset, 40);
  EXPECT_FALSE(set.find(mod_text + 0x1000).has_value());
  EXPECT_FALSE(set.find(kText + 0x1000).has_value());  // past vmlinux's last entry
  auto null_call = set.find(0);
  ASSERT_TRUE(null_call);
  EXPECT_EQ(null_call->sp_reg, OrcReg::Sp);
  EXPECT_EQ(null_call->sp_offset, 8);
  EXPECT_EQ(null_call->type, OrcType::Call);
}
