// kdump-compressed reader: every codec, header versions, excluded/incomplete pages, split and flattened files.
#include <gtest/gtest.h>

#include "support/dump_writer_check.hpp"

using namespace kdx;
using namespace kdx::test;

static KdumpOptions with_codec(const char* c) {
  KdumpOptions o;
  o.codec = c;
  return o;
}

class KdumpCodec : public ::testing::TestWithParam<std::string> {};

TEST_P(KdumpCodec, EveryPageReadsBack) {
  auto m = make_memory("x86_64", 300);
  KdumpOptions o;
  o.codec = GetParam();
  auto d = open_bytes({write_kdump(m, o)}, "codec-" + GetParam());
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->format(), dump::DumpFormat::Kdump);
  EXPECT_FALSE((*d)->flattened());
  EXPECT_FALSE((*d)->split());
  expect_same_memory(**d, m);
  auto counts = (*d)->page_counts();
  EXPECT_EQ(counts.present, m.pages.size());
  EXPECT_EQ(counts.excluded, m.excluded.size());
  EXPECT_EQ(counts.missing, 0u);
  if (GetParam() != "mixed" && GetParam() != "raw") {
    ASSERT_EQ((*d)->codecs().size(), 1u);
    EXPECT_EQ(dump::codec_name((*d)->codecs()[0]), GetParam());
  }
}
INSTANTIATE_TEST_SUITE_P(AllCodecs, KdumpCodec, ::testing::Values("zlib", "lzo", "snappy", "zstd", "raw", "mixed"));

class KdumpVersion : public ::testing::TestWithParam<int> {};
TEST_P(KdumpVersion, HeaderVersionsOpen) {
  auto m = make_memory("x86_64", 100);
  KdumpOptions o;
  o.header_version = GetParam();
  auto d = open_bytes({write_kdump(m, o)}, "ver" + std::to_string(GetParam()));
  ASSERT_TRUE(d) << d.error().to_string();
  expect_same_memory(**d, m);
  // VMCOREINFO appears with version 3 (its own area); notes with version 4.
  EXPECT_EQ((*d)->vmcoreinfo() != nullptr, GetParam() >= 3);
  EXPECT_EQ((*d)->cpus().size(), GetParam() >= 4 ? 2u : 0u);
  EXPECT_EQ((*d)->arch(), dump::Arch::X86_64);
}
INSTANTIATE_TEST_SUITE_P(Versions, KdumpVersion, ::testing::Values(1, 2, 3, 4, 5, 6, 7));

TEST(Kdump, MetadataFromHeadersAndNotes) {
  auto m = make_memory("x86_64", 64);
  KdumpOptions o;
  o.dump_level = 17;
  o.sub_phys_base = 0x1200000;  // VMCOREINFO says 18874368 = 0x1200000
  auto d = open_bytes({write_kdump(m, o)}, "meta");
  ASSERT_TRUE(d) << d.error().to_string();
  const auto& dd = **d;
  EXPECT_EQ(dd.release(), "6.1.0-test");
  EXPECT_EQ(dd.page_size(), 4096u);
  EXPECT_EQ(dd.dump_level(), 17);
  EXPECT_EQ(dump::dump_level_description(17), "excludes zero pages, free pages");
  EXPECT_EQ(dd.crash_time(), 1733400000);
  ASSERT_EQ(dd.cpus().size(), 2u);
  EXPECT_EQ(dd.cpus()[1].pid, 4242u);
  EXPECT_EQ(dd.cpus()[1].regs.size(), 27u);
  EXPECT_EQ(dd.cpus()[1].pc(dump::Arch::X86_64), 0x2000u + 16);
  ASSERT_TRUE(dd.crashed_cpu());
  EXPECT_EQ(dd.crashed_cpu()->cpu, 1);
  EXPECT_EQ(dd.phys_base(), 0x1200000u);
  EXPECT_TRUE(dd.warnings().empty()) << dd.warnings()[0];
  EXPECT_EQ(dd.producer(), dump::Producer::Kernel);
  // Holes split the physical ranges.
  ASSERT_EQ(dd.phys_ranges().size(), 2u);
  EXPECT_EQ(dd.phys_ranges()[0].start, 0u);
  EXPECT_EQ(dd.phys_ranges()[0].end, 32u * 4096);
}

TEST(Kdump, QemuX86PhysBaseQuirkPrefersVmcoreinfo) {
  auto m = make_memory("x86_64", 64);
  m.qemu_note = true;
  KdumpOptions o;
  o.empty_sysname = true;
  o.sub_phys_base = 0x18874368;  // QEMU parsed the decimal VMCOREINFO value as hex
  auto d = open_bytes({write_kdump(m, o)}, "qemu-physbase");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->phys_base(), 18874368u);
  EXPECT_EQ((*d)->producer(), dump::Producer::Qemu);
  ASSERT_FALSE((*d)->warnings().empty());
  EXPECT_NE((*d)->warnings()[0].find("phys_base"), std::string::npos);
}

TEST(Kdump, QemuArm64UnknownMachineAnd64KBlocks) {
  // QEMU's arm64 kdump: machine "Unknown", block_size 64 KiB, kernel pages 4 KiB.
  auto m = make_memory("arm64", 40, 65536);
  m.vmcoreinfo = make_vmcoreinfo("arm64", 4096);
  for (uint32_t i = 0; i < m.cpus.size(); ++i) m.cpus[i].pid = i + 1;  // QEMU: vCPU numbers
  KdumpOptions o;
  o.machine = "Unknown";
  o.empty_sysname = true;
  auto d = open_bytes({write_kdump(m, o)}, "qemu-arm64");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->arch(), dump::Arch::Arm64);
  EXPECT_EQ((*d)->page_size(), 4096u);
  EXPECT_EQ((*d)->block_size(), 65536u);
  EXPECT_EQ((*d)->page_counts().present, m.pages.size() * 16);
  ASSERT_EQ((*d)->cpus().size(), 2u);
  EXPECT_TRUE((*d)->cpus()[0].pid_is_vcpu);
  EXPECT_FALSE((*d)->crashed_cpu());
  EXPECT_EQ((*d)->cpus()[0].pc(dump::Arch::Arm64), 0x1000u + 32);
  // PHYS_OFFSET is a "negative" hex number: all 64 bits survive.
  EXPECT_EQ((*d)->vmcoreinfo()->number_u64("PHYS_OFFSET"), 0xffffa87e40000000u);
  expect_same_memory(**d, m);
}

TEST(Kdump, ArchFromVmcoreinfoWhenMachineUnknownAndNoNotes) {
  auto m = make_memory("arm64", 16);
  KdumpOptions o;
  o.machine = "Unknown";
  o.header_version = 3;  // VMCOREINFO area but no notes
  auto d = open_bytes({write_kdump(m, o)}, "arch-vi");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->arch(), dump::Arch::Arm64);
}

TEST(Kdump, NoVmcoreinfoStillOpensAndSaysSo) {
  auto m = make_memory("x86_64", 32);
  m.vmcoreinfo.clear();
  auto d = open_bytes({write_kdump(m, {})}, "novi");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->vmcoreinfo(), nullptr);
  EXPECT_EQ((*d)->release(), "6.1.0-test");  // from utsname
  ASSERT_FALSE((*d)->warnings().empty());
  EXPECT_NE((*d)->warnings()[0].find("VMCOREINFO"), std::string::npos);
  expect_same_memory(**d, m);
}

TEST(Kdump, IncompleteDumpMarksUnwrittenPagesMissing) {
  auto m = make_memory("x86_64", 80);
  KdumpOptions o;
  o.incomplete = true;
  o.written_pages = 20;
  auto d = open_bytes({write_kdump(m, o)}, "incomplete");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE((*d)->incomplete());
  auto c = (*d)->page_counts();
  EXPECT_EQ(c.present, 20u);
  EXPECT_EQ(c.missing, m.pages.size() - 20);
  size_t i = 0;
  std::vector<uint8_t> buf(4096);
  for (auto& [pfn, bytes] : m.pages) {
    auto r = (*d)->read_phys(pfn * 4096, buf);
    if (i++ < 20) {
      ASSERT_TRUE(r) << r.error().to_string();
      EXPECT_EQ(buf, bytes);
    } else {
      EXPECT_EQ((*d)->page_state(pfn * 4096), PageState::Missing);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, ErrorCode::NotPresent);
    }
  }
}

TEST(Kdump, SplitPartsInAnyOrderFormOneDump) {
  auto m = make_memory("x86_64", 200);
  KdumpOptions o;
  o.codec = "zstd";
  auto parts = write_kdump_split(m, o, 3);
  auto d = open_bytes({parts[2], parts[0], parts[1]}, "split");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE((*d)->split());
  EXPECT_EQ((*d)->files().size(), 3u);
  expect_same_memory(**d, m);
  EXPECT_EQ((*d)->page_counts().present, m.pages.size());
}

TEST(Kdump, SplitMissingPartIsNamed) {
  auto m = make_memory("x86_64", 200);
  auto parts = write_kdump_split(m, {}, 3);
  auto d = open_bytes({parts[0], parts[2]}, "split-missing");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().to_string().find("missing"), std::string::npos) << d.error().to_string();
  EXPECT_NE(d.error().to_string().find("split-missing.1"), std::string::npos) << d.error().to_string();
  auto one = open_bytes({parts[0]}, "split-one");
  ASSERT_FALSE(one);
  EXPECT_NE(one.error().to_string().find("missing"), std::string::npos);
}

TEST(Kdump, SplitMismatchedPartIsNamed) {
  auto m = make_memory("x86_64", 200);
  auto parts = write_kdump_split(m, {}, 2);
  auto other = make_memory("x86_64", 256);
  auto parts2 = write_kdump_split(other, {}, 2);
  auto d = open_bytes({parts[0], parts2[1]}, "split-mismatch");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().to_string().find("split-mismatch.1"), std::string::npos) << d.error().to_string();
  EXPECT_EQ(d.error().code, ErrorCode::Mismatch);
}

TEST(Kdump, FlattenedReadsInPlace) {
  auto m = make_memory("x86_64", 120);
  auto d = open_bytes({flatten(write_kdump(m, {}))}, "flat");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE((*d)->flattened());
  expect_same_memory(**d, m);
}

TEST(Kdump, FlattenedOutOfOrderAndOverwrittenRecords) {
  auto m = make_memory("x86_64", 120);
  FlattenOptions fo;
  fo.chunk = 1000;  // records straddle pages and blocks
  fo.reverse = true;
  fo.overwrite = true;
  auto d = open_bytes({flatten(write_kdump(m, with_codec("lzo")), fo)}, "flat-ooo");
  ASSERT_TRUE(d) << d.error().to_string();
  expect_same_memory(**d, m);
}

TEST(Kdump, FlattenedSplitParts) {
  auto m = make_memory("x86_64", 150);
  auto parts = write_kdump_split(m, with_codec("snappy"), 2);
  auto d = open_bytes({flatten(parts[0]), flatten(parts[1], FlattenOptions{777, false, false, true})}, "flat-split");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE((*d)->flattened());
  EXPECT_TRUE((*d)->split());
  expect_same_memory(**d, m);
}

TEST(Kdump, CacheEvictionKeepsBytesRight) {
  // More pages than the cache holds, read twice in different orders.
  auto m = make_memory("x86_64", 300, 4096, 7);
  auto d = open_bytes({write_kdump(m, with_codec("zstd"))}, "cache");
  ASSERT_TRUE(d);
  expect_same_memory(**d, m);
  std::vector<uint8_t> buf(4096);
  for (auto it = m.pages.rbegin(); it != m.pages.rend(); ++it) {
    ASSERT_TRUE((*d)->read_phys(it->first * 4096, buf));
    ASSERT_EQ(buf, it->second) << it->first;
  }
}
