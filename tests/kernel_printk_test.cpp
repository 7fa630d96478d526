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
