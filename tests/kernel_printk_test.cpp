// Tests of the printk ring-buffer and legacy log_buf readers on synthetic kernel memory.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "kdx/kernel/printk.hpp"
#include "support/fake_virt_memory.hpp"

using namespace kdx;
using namespace kdx::kernel;
using kdx::test::FakeVirtMemory;

namespace {

// VMCOREINFO as Linux 6.1 x86_64 writes it for the ring buffer (values from a real dump).
const char* kVmcoreinfo61 =
    "OSRELEASE=6.1.0\n"
    "SYMBOL(prb)=ffffffff82a1b0c8\n"
    "SIZE(printk_ringbuffer)=88\nOFFSET(printk_ringbuffer.desc_ring)=0\n"
    "OFFSET(printk_ringbuffer.text_data_ring)=48\nOFFSET(printk_ringbuffer.fail)=80\n"
    "SIZE(prb_desc_ring)=48\nOFFSET(prb_desc_ring.count_bits)=0\nOFFSET(prb_desc_ring.descs)=8\n"
    "OFFSET(prb_desc_ring.infos)=16\nOFFSET(prb_desc_ring.head_id)=24\nOFFSET(prb_desc_ring.tail_id)=32\n"
    "SIZE(prb_desc)=24\nOFFSET(prb_desc.state_var)=0\nOFFSET(prb_desc.text_blk_lpos)=8\n"
    "SIZE(prb_data_blk_lpos)=16\nOFFSET(prb_data_blk_lpos.begin)=0\nOFFSET(prb_data_blk_lpos.next)=8\n"
    "SIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\nOFFSET(printk_info.ts_nsec)=8\n"
    "OFFSET(printk_info.text_len)=16\nOFFSET(printk_info.caller_id)=20\nOFFSET(printk_info.dev_info)=24\n"
    "SIZE(dev_printk_info)=64\nOFFSET(dev_printk_info.subsystem)=0\nOFFSET(dev_printk_info.device)=16\n"
    "SIZE(prb_data_ring)=32\nOFFSET(prb_data_ring.size_bits)=0\nOFFSET(prb_data_ring.data)=8\n"
    "OFFSET(prb_data_ring.head_lpos)=16\nOFFSET(prb_data_ring.tail_lpos)=24\n"
    "SIZE(atomic_long_t)=8\nOFFSET(atomic_long_t.counter)=0\n";

constexpr uint64_t kPrbPtr = 0xffffffff82a1b0c8, kRb = 0xffffffff82a20000, kDescs = 0xffffffff82a30000,
                   kInfos = 0xffffffff82a40000, kData = 0xffffffff82a50000;
constexpr unsigned kCountBits = 3, kSizeBits = 8;  // 8 descriptors, 256 bytes of text

struct RingBuilder {
  FakeVirtMemory mem;
  uint64_t next_lpos = 0;
  RingBuilder() {
    mem.put<uint64_t>(kPrbPtr, kRb);
    mem.put<uint32_t>(kRb + 0, kCountBits);
    mem.put<uint64_t>(kRb + 8, kDescs);
    mem.put<uint64_t>(kRb + 16, kInfos);
    mem.put<uint32_t>(kRb + 48, kSizeBits);
    mem.put<uint64_t>(kRb + 56, kData);
    mem.fill(kDescs, 24 << kCountBits);
    mem.fill(kInfos, 88 << kCountBits);
    mem.fill(kData, 1 << kSizeBits);
  }
  void set_ids(uint64_t tail, uint64_t head) {
    mem.put<uint64_t>(kRb + 24, head);
    mem.put<uint64_t>(kRb + 32, tail);
  }
  // Adds record `id` with text; state 2 = finalized. wrap=true forces the block to wrap.
  void add(uint64_t id, uint64_t seq, uint64_t ts, std::string text, uint64_t state = 2, int level = 6,
           uint32_t caller = 42, bool wrap = false) {
    const uint64_t size = 1 << kSizeBits;
    uint64_t len = (8 + text.size() + 7) & ~7ull;
    uint64_t begin = next_lpos, next;
    uint64_t start;
    if (wrap || (begin % size) + len > size) {
      // The kernel leaves the tail unused and puts the block at the start of the next wrap.
      uint64_t wrap_base = (begin / size + 1) * size;
      start = 0;
      next = wrap_base + len;
    } else {
      start = begin % size;
      next = begin + len;
    }
    next_lpos = next;
    mem.put<uint64_t>(kData + start, id);
    mem.write(kData + start + 8, text.data(), text.size());
    uint64_t idx = id & ((1 << kCountBits) - 1);
    uint64_t d = kDescs + idx * 24, inf = kInfos + idx * 88;
    mem.put<uint64_t>(d, (state << 62) | id);
    mem.put<uint64_t>(d + 8, begin);
    mem.put<uint64_t>(d + 16, next);
    mem.put<uint64_t>(inf, seq);
    mem.put<uint64_t>(inf + 8, ts);
    mem.put<uint16_t>(inf + 16, uint16_t(text.size()));
    mem.put<uint8_t>(inf + 18, 0);
    mem.put<uint8_t>(inf + 19, uint8_t(level << 5));
    mem.put<uint32_t>(inf + 20, caller);
  }
};

}  // namespace

TEST(PrintkRing, ReadsRecordsInOrderWithLevelsAndCaller) {
  RingBuilder b;
  b.add(0, 0, 1000, "Linux version 6.1.0", 2, 5, 0);
  b.add(1, 1, 2'500'000'000, "BUG: kernel NULL pointer dereference, address: 0000000000000008", 2, 1, 0x80000001);
  b.add(2, 2, 2'600'000'000, "Kernel panic - not syncing: Fatal exception", 1, 0, 77);
  b.set_ids(0, 2);
  auto vmi = kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61);
  auto log = read_kernel_log(b.mem, vmi);
  ASSERT_TRUE(log) << log.error().to_string();
  ASSERT_EQ(log->records.size(), 3u);
  EXPECT_EQ(log->source, "printk_ringbuffer");
  EXPECT_EQ(log->records[0].text, "Linux version 6.1.0");
  EXPECT_EQ(log->records[1].level, 1);
  EXPECT_EQ(log->records[1].caller_id, 0x80000001u);
  EXPECT_EQ(log->records[2].text, "Kernel panic - not syncing: Fatal exception");
  EXPECT_EQ(log->skipped, 0u);
  std::string text = format_kernel_log(*log, {});
  EXPECT_NE(text.find("[    2.500000] BUG: kernel NULL pointer"), std::string::npos) << text;
  LogFormat m;
  m.show_level = true;
  m.no_timestamps = true;
  EXPECT_EQ(format_kernel_log(*log, m).substr(0, 4), "<5>L");
}

TEST(PrintkRing, WrappedBlockAndOverwrittenDescriptorsAreHandled) {
  RingBuilder b;
  // Fill more than the 256-byte data ring so later blocks wrap to offset 0.
  std::string filler(100, 'x');
  for (uint64_t id = 0; id < 4; id++) b.add(id, id, id, filler + std::to_string(id));
  b.add(4, 4, 4, "wrapped record", 2, 6, 1, /*wrap=*/true);
  // Descriptor 1's slot now claims a different id (as after reuse): must be skipped.
  b.mem.put<uint64_t>(kDescs + 1 * 24, (uint64_t(2) << 62) | 9);
  b.set_ids(0, 4);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61));
  ASSERT_TRUE(log) << log.error().to_string();
  // Records 0 and 2 had their text overwritten by 4 and 3 (block ids differ); 1 was reused.
  EXPECT_EQ(log->skipped, 3u);
  ASSERT_EQ(log->records.size(), 2u);
  EXPECT_EQ(log->records[0].text, filler + "3");
  EXPECT_EQ(log->records[1].text, "wrapped record");
}

TEST(PrintkRing, ReservedRecordIsSkipped) {
  RingBuilder b;
  b.add(0, 0, 0, "done");
  b.add(1, 1, 0, "still being written", 0);
  b.set_ids(0, 1);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61));
  ASSERT_TRUE(log);
  ASSERT_EQ(log->records.size(), 1u);
  // The head record being written is not a lost record, but the user is told.
  EXPECT_EQ(log->skipped, 0u);
  ASSERT_EQ(log->notes.size(), 1u);
  EXPECT_NE(log->notes[0].find("still being written"), std::string::npos);
}

TEST(PrintkRing, ReservedRecordInTheMiddleIsCounted) {
  RingBuilder b;
  b.add(0, 0, 0, "done");
  b.add(1, 1, 0, "never finished", 0);
  b.add(2, 2, 0, "after");
  b.set_ids(0, 2);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61));
  ASSERT_TRUE(log);
  ASSERT_EQ(log->records.size(), 2u);
  EXPECT_EQ(log->skipped, 1u);
}

TEST(PrintkRing, MissingLayoutKeyIsNamed) {
  std::string v = kVmcoreinfo61;
  v.erase(v.find("OFFSET(prb_desc.state_var)=0\n"), strlen("OFFSET(prb_desc.state_var)=0\n"));
  RingBuilder b;
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(v));
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("OFFSET(prb_desc.state_var)"), std::string::npos);
}

TEST(PrintkRing, AbsurdCountBitsIsCorruptNotAHang) {
  RingBuilder b;
  b.mem.put<uint32_t>(kRb + 0, 60);
  b.set_ids(0, 1);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::Corrupt);
}

TEST(PrintkLegacy, ReadsPrintkLogRecordsAndWraps) {
  FakeVirtMemory mem;
  const uint64_t buf = 0xffff888000100000, len = 128;
  const char* vmi =
      "SYMBOL(log_buf)=ffffffff81000000\nSYMBOL(log_buf_len)=ffffffff81000008\n"
      "SYMBOL(log_first_idx)=ffffffff81000010\nSYMBOL(log_next_idx)=ffffffff81000018\n"
      "SIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\nOFFSET(printk_log.len)=8\n"
      "OFFSET(printk_log.text_len)=10\nOFFSET(printk_log.dict_len)=12\n";
  mem.put<uint64_t>(0xffffffff81000000, buf);
  mem.put<uint32_t>(0xffffffff81000008, len);
  mem.fill(buf, len);
  auto rec = [&](uint64_t at, uint64_t ts, const std::string& t, int level) {
    uint16_t rl = uint16_t((16 + t.size() + 7) & ~7u);
    mem.put<uint64_t>(buf + at, ts);
    mem.put<uint16_t>(buf + at + 8, rl);
    mem.put<uint16_t>(buf + at + 10, uint16_t(t.size()));
    mem.put<uint16_t>(buf + at + 12, 0);
    mem.put<uint8_t>(buf + at + 14, 0);
    mem.put<uint8_t>(buf + at + 15, uint8_t(level << 5));
    mem.write(buf + at + 16, t.data(), t.size());
    return at + rl;
  };
  uint64_t first = 80;
  rec(first, 5, "old one", 4);  // occupies 80..104; a zero len at 104 means wrap
  mem.put<uint16_t>(buf + 104 + 8, 0);
  uint64_t next = rec(0, 7, "after wrap", 3);
  mem.put<uint32_t>(0xffffffff81000010, uint32_t(first));
  mem.put<uint32_t>(0xffffffff81000018, uint32_t(next));
  auto log = read_kernel_log(mem, kdx::dump::Vmcoreinfo::parse(vmi));
  ASSERT_TRUE(log) << log.error().to_string();
  ASSERT_EQ(log->records.size(), 2u);
  EXPECT_EQ(log->records[0].text, "old one");
  EXPECT_EQ(log->records[1].text, "after wrap");
  EXPECT_EQ(log->records[1].level, 3);
}

// ---- crash's text format (printk.c dump_record), on records built by hand ----

TEST(PrintkFormat, MatchesCrashForMultiLineDictionaryNonPrintableAndDataless) {
  KernelLog log;
  LogRecord a;
  a.ts_nsec = 1'500'000'000;
  a.level = 4;
  a.caller_id = 0x80000001;
  a.text = std::string("line one\nline two\x01\xff\ttab");
  a.dict = {{"SUBSYSTEM", "pci"}, {"DEVICE", "+pci:0000:00:01.0"}};
  LogRecord b;  // printk("") or a record whose text did not fit: no data block
  b.no_data = true;
  b.level = 6;
  LogRecord c;
  c.ts_nsec = 2'000'001'999;
  c.level = 6;
  c.caller_id = 42;
  c.text = "x";
  log.records = {a, b, c};
  LogFormat md;
  md.show_level = md.show_dict = true;
  const std::string ind(18, ' ');  // "[    1.500000] <4>"
  EXPECT_EQ(format_kernel_log(log, md), "[    1.500000] <4>line one\n" + ind + "line two..\ttab\n" + ind + "SUBSYSTEM=pci\n" + ind +
                                            "DEVICE=+pci:0000:00:01.0\n\n[    2.000001] <6>x\n");
  LogFormat plain;
  EXPECT_EQ(format_kernel_log(log, plain), "[    1.500000] line one\n               line two..\ttab\n\n[    2.000001] x\n");
  LogFormat t;
  t.no_timestamps = true;
  t.show_dict = true;
  EXPECT_EQ(format_kernel_log(log, t), "line one\nline two..\ttab\nSUBSYSTEM=pci\nDEVICE=+pci:0000:00:01.0\n\nx\n");
  LogFormat cf;
  cf.show_caller = true;
  cf.show_level = true;
  EXPECT_EQ(format_log_record(a, cf).substr(0, 38), "[    1.500000] [    C1] <4>line one\n  ");
  EXPECT_EQ(format_log_record(c, cf), "[    2.000001] [   T42] <6>x\n");
  LogFormat human;
  human.human_time = true;
  human.boot_time = 1796509830;  // Sat Dec  5 22:30:30 UTC 2026
  EXPECT_EQ(format_log_record(c, human), "[Sat Dec  5 22:30:32 UTC 2026] x\n");
  human.boot_time.reset();  // no boot time known: seconds since boot, not a made-up date
  EXPECT_EQ(format_log_record(c, human), "[    2.000001] x\n");
  EXPECT_EQ(caller_string(0x80000003), "C3");
  EXPECT_EQ(caller_string(1234), "T1234");
}

// ---- ring buffer: dictionary, data-less records, damaged ids, layout sources ----

TEST(PrintkRing, DevInfoDictionaryAndDatalessRecords) {
  RingBuilder b;
  b.add(0, 0, 1000, "pci 0000:00:01.0: [8086:7000] type 00 class 0x060100");
  b.mem.write(kInfos + 0 * 88 + 24, "pci", 4);
  b.mem.write(kInfos + 0 * 88 + 40, "+pci:0000:00:01.0", 18);
  b.add(1, 1, 2000, "");
  // A data-less record: NO_LPOS in both lpos (as the kernel writes for an empty text).
  b.mem.put<uint64_t>(kDescs + 1 * 24 + 8, 3);
  b.mem.put<uint64_t>(kDescs + 1 * 24 + 16, 3);
  b.add(2, 2, 3000, "after");
  b.set_ids(0, 2);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61));
  ASSERT_TRUE(log) << log.error().to_string();
  ASSERT_EQ(log->records.size(), 3u);
  EXPECT_EQ(log->records[0].subsystem, "pci");
  EXPECT_EQ(log->records[0].device, "+pci:0000:00:01.0");
  ASSERT_EQ(log->records[0].dict.size(), 2u);
  EXPECT_EQ(log->records[0].dict[1].first, "DEVICE");
  EXPECT_TRUE(log->records[1].no_data);
  EXPECT_TRUE(log->records[2].dict.empty());
  EXPECT_EQ(log->skipped, 0u);
  LogFormat d;
  d.show_dict = true;
  EXPECT_EQ(format_kernel_log(*log, d),
            "[    0.000001] pci 0000:00:01.0: [8086:7000] type 00 class 0x060100\n"
            "               SUBSYSTEM=pci\n               DEVICE=+pci:0000:00:01.0\n\n[    0.000003] after\n");
}

TEST(PrintkRing, DamagedHeadTailIsBoundedAndCounted) {
  RingBuilder b;
  for (uint64_t id = 0; id < 3; id++) b.add(id, id, id, "r" + std::to_string(id));
  // tail..head spans far more ids than the ring holds (a damaged head_id).
  b.set_ids(0, 1000);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61));
  ASSERT_TRUE(log) << log.error().to_string();
  ASSERT_FALSE(log->notes.empty());
  EXPECT_NE(log->notes[0].find("spans more than 8"), std::string::npos) << log->notes[0];
  // The 8 slots hold ids 0..2, not the 993..1000 the head asks for: all skipped, none invented.
  EXPECT_TRUE(log->records.empty());
  EXPECT_EQ(log->skipped, 8u);
}

TEST(PrintkRing, TextBlockOwnedByAnotherIdIsSkipped) {
  RingBuilder b;
  b.add(0, 0, 0, "kept");
  b.add(1, 1, 0, "overwritten");
  b.add(2, 2, 0, "kept too");
  // Block of record 1 now starts with id 9: its text was reused by a newer record.
  b.mem.put<uint64_t>(kData + 16, 9);
  b.set_ids(0, 2);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61));
  ASSERT_TRUE(log);
  ASSERT_EQ(log->records.size(), 2u);
  EXPECT_EQ(log->records[1].text, "kept too");
  EXPECT_EQ(log->skipped, 1u);
  EXPECT_NE(log->notes.back().find("1 records skipped"), std::string::npos);
}

TEST(PrintkRing, LayoutComesFromVmcoreinfoFirstAndDebugInfoSecond) {
  RingBuilder b;
  b.add(0, 0, 5, "hello");
  b.set_ids(0, 0);
  // VMCOREINFO without any printk entry (and without SYMBOL(prb)): the fallback answers.
  std::string v;
  for (const auto& line : {"OSRELEASE=6.1.0\n"}) v += line;
  auto bare = kdx::dump::Vmcoreinfo::parse(v);
  TableLayout dwarf;
  auto full = kdx::dump::Vmcoreinfo::parse(kVmcoreinfo61);
  for (const auto& [k, val] : full.entries()) {
    auto dot = k.find('(');
    if (k.rfind("OFFSET(", 0) == 0) dwarf.offsets[k.substr(dot + 1, k.size() - dot - 2)] = std::stoull(val);
    if (k.rfind("SIZE(", 0) == 0) dwarf.sizes[k.substr(dot + 1, k.size() - dot - 2)] = std::stoull(val);
  }
  dwarf.symbols["prb"] = kPrbPtr;
  VmcoreinfoLayout chain(bare, &dwarf);
  auto log = read_kernel_log(b.mem, chain);
  ASSERT_TRUE(log) << log.error().to_string();
  ASSERT_EQ(log->records.size(), 1u);
  EXPECT_EQ(log->records[0].text, "hello");
  // Neither source: the error names what is missing.
  VmcoreinfoLayout none(bare, nullptr);
  auto miss = read_kernel_log(b.mem, none);
  ASSERT_FALSE(miss);
  EXPECT_NE(miss.error().message.find("prb or log_buf"), std::string::npos) << miss.error().message;
  // VMCOREINFO wins over a fallback that disagrees.
  TableLayout wrong = dwarf;
  wrong.offsets["printk_info.text_len"] = 0;
  wrong.symbols["prb"] = 0x1234;
  VmcoreinfoLayout first(full, &wrong);
  auto ok = read_kernel_log(b.mem, first);
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->records.at(0).text, "hello");
}

// ---- legacy log_buf (struct printk_log, Linux 3.5 .. 5.9) ----

namespace {

constexpr uint64_t kLegBufPtr = 0xffffffff81000000, kLegLen = 0xffffffff81000008, kLegFirst = 0xffffffff81000010,
                   kLegNext = 0xffffffff81000018, kLegBuf = 0xffff888000100000;

// struct printk_log { u64 ts_nsec; u16 len, text_len, dict_len; u8 facility; u8 flags:5, level:3; }
struct LegacyBuilder {
  FakeVirtMemory mem;
  uint64_t size;
  explicit LegacyBuilder(uint64_t n, bool map_all = true) : size(n) {
    mem.put<uint64_t>(kLegBufPtr, kLegBuf);
    mem.put<uint32_t>(kLegLen, uint32_t(n));
    if (map_all) mem.fill(kLegBuf, n);
  }
  uint64_t rec(uint64_t at, uint64_t ts, const std::string& text, int level, const std::string& dict = "") {
    uint16_t rl = uint16_t((16 + text.size() + dict.size() + 7) & ~7u);
    mem.put<uint64_t>(kLegBuf + at, ts);
    mem.put<uint16_t>(kLegBuf + at + 8, rl);
    mem.put<uint16_t>(kLegBuf + at + 10, uint16_t(text.size()));
    mem.put<uint16_t>(kLegBuf + at + 12, uint16_t(dict.size()));
    mem.put<uint8_t>(kLegBuf + at + 14, 0);
    mem.put<uint8_t>(kLegBuf + at + 15, uint8_t(level << 5));
    mem.write(kLegBuf + at + 16, text.data(), text.size());
    mem.write(kLegBuf + at + 16 + text.size(), dict.data(), dict.size());
    return at + rl;
  }
  void ends(uint64_t first, uint64_t next) {
    mem.put<uint32_t>(kLegFirst, uint32_t(first));
    mem.put<uint32_t>(kLegNext, uint32_t(next));
  }
};

std::string legacy_vmcoreinfo(const char* name = "printk_log") {
  return fmt::format(
      "SYMBOL(log_buf)=ffffffff81000000\nSYMBOL(log_buf_len)=ffffffff81000008\n"
      "SYMBOL(log_first_idx)=ffffffff81000010\nSYMBOL(log_next_idx)=ffffffff81000018\n"
      "SIZE({0})=16\nOFFSET({0}.ts_nsec)=0\nOFFSET({0}.len)=8\nOFFSET({0}.text_len)=10\nOFFSET({0}.dict_len)=12\n",
      name);
}

}  // namespace

TEST(PrintkLegacy, DictionaryLevelsAndOlderStructName) {
  for (const char* name : {"printk_log", "log"}) {  // `struct log` before 3.11
    SCOPED_TRACE(name);
    LegacyBuilder b(256);
    uint64_t n = b.rec(0, 1'000'000, "e1000 0000:00:03.0: eth0: link up", 6, std::string("SUBSYSTEM=pci\0DEVICE=+pci:0000:00:03.0", 38));
    n = b.rec(n, 2'000'000, "second\nline", 3);
    b.ends(0, n);
    auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(legacy_vmcoreinfo(name)));
    ASSERT_TRUE(log) << log.error().to_string();
    EXPECT_EQ(log->source, "log_buf");
    ASSERT_EQ(log->records.size(), 2u);
    EXPECT_EQ(log->records[0].subsystem, "pci");
    EXPECT_EQ(log->records[0].device, "+pci:0000:00:03.0");
    EXPECT_EQ(log->records[1].level, 3);
    EXPECT_EQ(log->records[1].seq, 1u);
    EXPECT_EQ(log->skipped, 0u);
    LogFormat f;
    f.show_dict = f.show_level = true;
    EXPECT_EQ(format_kernel_log(*log, f),
              "[    0.001000] <6>e1000 0000:00:03.0: eth0: link up\n                  SUBSYSTEM=pci\n"
              "                  DEVICE=+pci:0000:00:03.0\n[    0.002000] <3>second\n                  line\n");
  }
}

TEST(PrintkLegacy, CorruptRecordIsSkippedCountedAndTheRestIsRead) {
  LegacyBuilder b(512);
  uint64_t r1 = b.rec(0, 1, "first record", 6);
  uint64_t r2 = b.rec(r1, 2, "this header gets smashed", 6);
  uint64_t r3 = b.rec(r2, 3, "third record", 6);
  uint64_t n = b.rec(r3, 4, "fourth record", 4);
  b.ends(0, n);
  b.mem.put<uint16_t>(kLegBuf + r1 + 8, 3);  // len 3: shorter than a header
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(legacy_vmcoreinfo()));
  ASSERT_TRUE(log) << log.error().to_string();
  ASSERT_EQ(log->records.size(), 3u);
  EXPECT_EQ(log->records[0].text, "first record");
  EXPECT_EQ(log->records[1].text, "third record");
  EXPECT_EQ(log->records[2].text, "fourth record");
  EXPECT_EQ(log->skipped, 1u);
  ASSERT_FALSE(log->notes.empty());
  EXPECT_NE(log->notes[0].find(fmt::format("corrupt record at log_buf+{:#x}: skipped to +{:#x}", r1, r2)), std::string::npos)
      << log->notes[0];
}

TEST(PrintkLegacy, WrappedChainAndUnreadablePart) {
  // 8 KiB buffer whose second 4 KiB page is not in the dump. The chain starts at the end
  // of the first page; what followed (records, then the kernel's zero-len wrap marker) lies
  // in the missing page: one skipped stretch, then the chain resumes at offset 0.
  LegacyBuilder b(8192, /*map_all=*/false);
  b.mem.fill(kLegBuf, 4096);
  const uint64_t first = 4064;
  EXPECT_EQ(b.rec(first, 10, "before the gap", 5), 4096u);
  uint64_t n = b.rec(0, 20, "after the wrap", 5);
  n = b.rec(n, 30, "last", 5);
  b.ends(first, n);
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(legacy_vmcoreinfo()));
  ASSERT_TRUE(log) << log.error().to_string();
  std::vector<std::string> texts;
  for (const auto& r : log->records) texts.push_back(r.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"before the gap", "after the wrap", "last"}));
  EXPECT_EQ(log->skipped, 1u);
  std::string notes;
  for (const auto& note : log->notes) notes += note + "\n";
  EXPECT_NE(notes.find("4 of 8 KiB of log_buf are not in the dump"), std::string::npos) << notes;
  EXPECT_NE(notes.find("record not in the dump at log_buf+0x1000: skipped to +0x0"), std::string::npos) << notes;
}

TEST(PrintkLegacy, HostileHeaderValuesAreErrorsNotCrashes) {
  LegacyBuilder b(128);
  b.ends(0, 200);  // next beyond the buffer
  auto log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(legacy_vmcoreinfo()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::Corrupt);
  b.mem.put<uint32_t>(kLegLen, 0xffffffffu);  // absurd length
  b.ends(0, 8);
  log = read_kernel_log(b.mem, kdx::dump::Vmcoreinfo::parse(legacy_vmcoreinfo()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::Corrupt);
  // A buffer full of garbage: bounded, every damaged stretch counted, nothing invented.
  LegacyBuilder g(256);
  for (uint64_t i = 0; i < 256; i += 8) g.mem.put<uint64_t>(kLegBuf + i, 0x4141414141414141ull);
  g.ends(0, 128);
  log = read_kernel_log(g.mem, kdx::dump::Vmcoreinfo::parse(legacy_vmcoreinfo()));
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_TRUE(log->records.empty());
  EXPECT_GE(log->skipped, 1u);
}

TEST(PrintkLegacy, CallerIdAndFirstSeqFromDebugInfo) {
  // CONFIG_PRINTK_CALLER (5.1 .. 5.9): u32 caller_id after the level byte; SIZE 24 in DWARF.
  FakeVirtMemory mem;
  mem.put<uint64_t>(kLegBufPtr, kLegBuf);
  mem.put<uint32_t>(kLegLen, 128);
  mem.fill(kLegBuf, 128);
  std::string text = "caller test";
  mem.put<uint64_t>(kLegBuf, 7);
  mem.put<uint16_t>(kLegBuf + 8, 40);
  mem.put<uint16_t>(kLegBuf + 10, uint16_t(text.size()));
  mem.put<uint8_t>(kLegBuf + 15, uint8_t(4 << 5));
  mem.put<uint32_t>(kLegBuf + 16, 0x80000002);
  mem.write(kLegBuf + 24, text.data(), text.size());
  mem.put<uint32_t>(kLegFirst, 0);
  mem.put<uint32_t>(kLegNext, 40);
  mem.put<uint64_t>(0xffffffff81000020, 5000);  // log_first_seq
  auto vmi = kdx::dump::Vmcoreinfo::parse(
      "SYMBOL(log_buf)=ffffffff81000000\nSYMBOL(log_buf_len)=ffffffff81000008\n"
      "SYMBOL(log_first_idx)=ffffffff81000010\nSYMBOL(log_next_idx)=ffffffff81000018\n"
      "SIZE(printk_log)=24\nOFFSET(printk_log.ts_nsec)=0\nOFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n");
  TableLayout dwarf;
  dwarf.offsets["printk_log.caller_id"] = 16;
  dwarf.symbols["log_first_seq"] = 0xffffffff81000020;
  VmcoreinfoLayout chain(vmi, &dwarf);
  auto log = read_kernel_log(mem, chain);
  ASSERT_TRUE(log) << log.error().to_string();
  ASSERT_EQ(log->records.size(), 1u);
  EXPECT_EQ(log->records[0].text, text);
  EXPECT_EQ(log->records[0].seq, 5000u);
  EXPECT_EQ(log->records[0].caller_id, 0x80000002u);
  EXPECT_EQ(log->records[0].level, 4);
}
