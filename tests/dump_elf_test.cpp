// ELF vmcore reader: PT_LOAD mapping, zero fill past p_filesz, QEMU layout, aliases, incomplete dumps.
#include <gtest/gtest.h>

#include "support/dump_writer_check.hpp"

using namespace kdx;
using namespace kdx::test;

static ElfOptions elf_opts(bool qemu, bool incomplete, uint64_t truncate_to, bool alias, std::vector<int> overlap = {}) {
  ElfOptions o;
  o.qemu_layout = qemu;
  o.incomplete = incomplete;
  o.truncate_to = truncate_to;
  o.kernel_text_alias = alias;
  o.overlap_segment = std::move(overlap);
  return o;
}

TEST(ElfDump, EveryPageReadsBack) {
  auto m = make_memory("x86_64", 200);
  auto d = open_bytes({write_elf(m)}, "elf");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->format(), dump::DumpFormat::Elf);
  EXPECT_EQ((*d)->arch(), dump::Arch::X86_64);
  EXPECT_TRUE((*d)->codecs().empty());
  expect_same_memory(**d, m);
  EXPECT_EQ((*d)->page_counts().present, m.pages.size());
  EXPECT_EQ((*d)->page_counts().excluded, m.excluded.size());
  EXPECT_EQ((*d)->release(), "6.1.0-test");
  ASSERT_EQ((*d)->cpus().size(), 2u);
  EXPECT_EQ((*d)->cpus()[1].pid, 4242u);
  ASSERT_TRUE((*d)->crashed_cpu());
  EXPECT_EQ((*d)->crashed_cpu()->cpu, 1);
  EXPECT_FALSE((*d)->load_segments().empty());
  EXPECT_EQ((*d)->load_segments()[0].vaddr, 0xffff888000000000u);
}

TEST(ElfDump, Arm64) {
  auto m = make_memory("arm64", 64);
  auto d = open_bytes({write_elf(m)}, "elf-arm64");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->arch(), dump::Arch::Arm64);
  ASSERT_EQ((*d)->cpus().size(), 2u);
  EXPECT_EQ((*d)->cpus()[0].regs.size(), 34u);
  EXPECT_EQ((*d)->cpus()[0].sp(dump::Arch::Arm64), 0x1000u + 31);
  expect_same_memory(**d, m);
}

TEST(ElfDump, QemuLayoutEhsize8PhdrsAt192) {
  auto m = make_memory("x86_64", 64);
  m.qemu_note = true;
  for (uint32_t i = 0; i < m.cpus.size(); ++i) m.cpus[i].pid = i + 1;
  auto d = open_bytes({write_elf(m, elf_opts(true, false, 0, false))}, "elf-qemu");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->producer(), dump::Producer::Qemu);
  EXPECT_TRUE((*d)->cpus()[0].pid_is_vcpu);
  EXPECT_FALSE((*d)->crashed_cpu());
  expect_same_memory(**d, m);
}

TEST(ElfDump, QemuPidsAreVcpuNumbersEvenWithoutQemuNote) {
  auto m = make_memory("arm64", 16);
  for (uint32_t i = 0; i < m.cpus.size(); ++i) m.cpus[i].pid = i + 1;
  auto d = open_bytes({write_elf(m)}, "elf-vcpu");
  ASSERT_TRUE(d);
  EXPECT_TRUE((*d)->cpus()[1].pid_is_vcpu);
}

TEST(ElfDump, KernelTextAliasSegmentIsAccepted) {
  auto m = make_memory("x86_64", 64);
  auto d = open_bytes({write_elf(m, elf_opts(false, false, 0, true))}, "elf-alias");
  ASSERT_TRUE(d) << d.error().to_string();
  expect_same_memory(**d, m);
}

TEST(ElfDump, PartiallyOverlappingSegmentsAreAnErrorNamingTheSegment) {
  auto m = make_memory("x86_64", 64);
  auto d = open_bytes({write_elf(m, elf_opts(false, false, 0, false, {2}))}, "elf-overlap");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("PT_LOAD segment"), std::string::npos) << d.error().to_string();
  EXPECT_NE(d.error().message.find("overlaps"), std::string::npos) << d.error().to_string();
}

TEST(ElfDump, TruncatedCompleteDumpIsAnError) {
  auto m = make_memory("x86_64", 64);
  auto full = write_elf(m);
  auto d = open_bytes({write_elf(m, elf_opts(false, false, full.size() - 4096 * 3, false))}, "elf-trunc");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("PT_LOAD segment"), std::string::npos) << d.error().to_string();
  EXPECT_NE(d.error().message.find("expected inside the file"), std::string::npos);
}

TEST(ElfDump, IncompleteFlagMakesCutPagesMissing) {
  auto m = make_memory("x86_64", 64);
  auto full = write_elf(m);
  auto d = open_bytes({write_elf(m, elf_opts(false, true, full.size() - 4096 * 3, false))}, "elf-inc");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE((*d)->incomplete());
  EXPECT_EQ((*d)->page_counts().missing, 3u);
  uint64_t last = m.pages.rbegin()->first;
  EXPECT_EQ((*d)->page_state(last * 4096), PageState::Missing);
  std::vector<uint8_t> buf(8);
  EXPECT_FALSE((*d)->read_phys(last * 4096, buf));
  EXPECT_TRUE((*d)->read_phys(0, buf));
}

TEST(ElfDump, NoVmcoreinfoStillOpens) {
  auto m = make_memory("x86_64", 16);
  m.vmcoreinfo.clear();
  auto d = open_bytes({write_elf(m)}, "elf-novi");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ((*d)->vmcoreinfo(), nullptr);
  EXPECT_FALSE((*d)->warnings().empty());
}
