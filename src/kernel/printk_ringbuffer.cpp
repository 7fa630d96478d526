// Lockless printk ring buffer reader (kernel/printk/printk_ringbuffer.[ch], Linux >= 5.10).
#include <algorithm>
#include <cstring>

#include "kdx/kernel/printk.hpp"

namespace kdx::kernel {
namespace {

// state_var packs the descriptor state in its top two bits and the id in the rest
// (DESC_FLAGS_SHIFT = BITS_PER_LONG - 2 in printk_ringbuffer.h).
constexpr uint64_t kStateShift = 62;
constexpr uint64_t kIdMask = (uint64_t(1) << kStateShift) - 1;
constexpr uint64_t kStateCommitted = 1, kStateFinalized = 2;
// Records that have no data use these lpos values (NO_LPOS / FAILED_LPOS).
constexpr uint64_t kNoLpos = 0x3, kFailedLposBit = 0x1;
// Bound on a ring we will walk: 2^count_bits descriptors; the kernel uses <= 2^20 or so.
constexpr uint64_t kMaxCountBits = 24, kMaxSizeBits = 30;

// Collects layout answers; remembers the first one that neither source knows.
struct Need {
  TypeLayout& t;
  std::string missing;
  uint64_t off(std::string_view type, std::string_view member) {
    auto r = t.member_offset(type, member);
    if (!r && missing.empty()) missing = fmt::format("OFFSET({}.{}): {}", type, member, r.error().message);
    return r.value_or(0);
  }
  uint64_t size(std::string_view type) {
    auto r = t.type_size(type);
    if (!r && missing.empty()) missing = fmt::format("SIZE({}): {}", type, r.error().message);
    return r.value_or(0);
  }
};

}  // namespace

Result<PrintkRingLayout> printk_ring_layout(TypeLayout& layout) {
  Need n{layout, {}};
  PrintkRingLayout l;
  l.prb_desc_ring = n.off("printk_ringbuffer", "desc_ring");
  l.prb_text_data_ring = n.off("printk_ringbuffer", "text_data_ring");
  l.desc_ring_count_bits = n.off("prb_desc_ring", "count_bits");
  l.desc_ring_descs = n.off("prb_desc_ring", "descs");
  l.desc_ring_infos = n.off("prb_desc_ring", "infos");
  l.desc_ring_head_id = n.off("prb_desc_ring", "head_id");
  l.desc_ring_tail_id = n.off("prb_desc_ring", "tail_id");
  l.desc_size = n.size("prb_desc");
  l.desc_state_var = n.off("prb_desc", "state_var");
  l.desc_text_blk_lpos = n.off("prb_desc", "text_blk_lpos");
  l.lpos_begin = n.off("prb_data_blk_lpos", "begin");
  l.lpos_next = n.off("prb_data_blk_lpos", "next");
  l.info_size = n.size("printk_info");
  l.info_seq = n.off("printk_info", "seq");
  l.info_ts_nsec = n.off("printk_info", "ts_nsec");
  l.info_text_len = n.off("printk_info", "text_len");
  l.info_caller_id = n.off("printk_info", "caller_id");
  l.info_dev_info = n.off("printk_info", "dev_info");
  l.data_ring_size_bits = n.off("prb_data_ring", "size_bits");
  l.data_ring_data = n.off("prb_data_ring", "data");
  l.data_ring_head_lpos = n.off("prb_data_ring", "head_lpos");
  l.data_ring_tail_lpos = n.off("prb_data_ring", "tail_lpos");
  l.atomic_long_counter = n.off("atomic_long_t", "counter");
  if (!n.missing.empty())
    return make_error(ErrorCode::NotPresent, "the printk ring buffer needs {}", n.missing);
  if (auto o = layout.member_offset("dev_printk_info", "subsystem")) l.dev_subsystem = *o;
  if (auto o = layout.member_offset("dev_printk_info", "device")) l.dev_device = *o;
  return l;
}

Result<PrintkRingLayout> printk_ring_layout_from_vmcoreinfo(const dump::Vmcoreinfo& vmi) {
  VmcoreinfoLayout layout(vmi, nullptr);
  return printk_ring_layout(layout);
}

Result<KernelLog> read_printk_ringbuffer(VirtReader& mem, uint64_t rb, const PrintkRingLayout& l) {
  const uint64_t dr = rb + l.prb_desc_ring, tr = rb + l.prb_text_data_ring;
  auto count_bits = mem.read<uint32_t>(dr + l.desc_ring_count_bits);
  auto descs = mem.read_u64(dr + l.desc_ring_descs);
  auto infos = mem.read_u64(dr + l.desc_ring_infos);
  auto head = mem.read_u64(dr + l.desc_ring_head_id + l.atomic_long_counter);
  auto tail = mem.read_u64(dr + l.desc_ring_tail_id + l.atomic_long_counter);
  auto size_bits = mem.read<uint32_t>(tr + l.data_ring_size_bits);
  auto data = mem.read_u64(tr + l.data_ring_data);
  for (auto* r : {&descs, &infos, &head, &tail, &data})
    if (!*r) return std::unexpected(r->error());
  if (!count_bits) return std::unexpected(count_bits.error());
  if (!size_bits) return std::unexpected(size_bits.error());
  if (*count_bits > kMaxCountBits || *size_bits > kMaxSizeBits || *size_bits < 4)
    return error_at_address(ErrorCode::Corrupt, rb,
                            fmt::format("printk ring buffer: count_bits {} / size_bits {} out of range", *count_bits, *size_bits));

  KernelLog log;
  log.source = "printk_ringbuffer";
  const uint64_t count = uint64_t(1) << *count_bits;
  const uint64_t data_size = uint64_t(1) << *size_bits;
  const uint64_t head_id = *head & kIdMask, tail_id = *tail & kIdMask;
  // The ring holds at most `count` descriptors; ids between tail and head (mod 2^62).
  uint64_t span = (head_id - tail_id) & kIdMask;
  if (span >= count) {
    log.notes.push_back(fmt::format("tail_id {:#x} .. head_id {:#x} spans more than {} descriptors; reading the newest", tail_id, head_id, count));
    span = count - 1;
  }
  std::vector<uint8_t> blk;
  for (uint64_t i = 0; i <= span; i++) {
    const uint64_t id = (head_id - span + i) & kIdMask;
    const uint64_t idx = id & (count - 1);
    const uint64_t d = *descs + idx * l.desc_size;
    auto state_var = mem.read_u64(d + l.desc_state_var + l.atomic_long_counter);
    if (!state_var) { log.skipped++; continue; }
    const uint64_t state = *state_var >> kStateShift;
    if ((*state_var & kIdMask) != id || (state != kStateCommitted && state != kStateFinalized)) {
      // The newest record may still be reserved by the CPU that was writing it when the
      // machine stopped, and the oldest may already be reusable: neither is a lost record.
      if ((*state_var & kIdMask) == id && state == 0 && id == head_id)
        log.notes.push_back("the newest record was still being written when the dump was taken");
      else if ((*state_var & kIdMask) == id && state == 3)
        ;
      else
        log.skipped++;
      continue;
    }
    const uint64_t inf = *infos + idx * l.info_size;
    auto seq = mem.read_u64(inf + l.info_seq);
    auto ts = mem.read_u64(inf + l.info_ts_nsec);
    auto text_len = mem.read<uint16_t>(inf + l.info_text_len);
    // facility (u8) and flags:5/level:3 (one byte) follow text_len; VMCOREINFO does not
    // export bitfields, and this packing has not changed since 5.10's printk_info.
    auto fac_lvl = mem.read<uint16_t>(inf + l.info_text_len + 2);
    auto caller = mem.read<uint32_t>(inf + l.info_caller_id);
    auto begin = mem.read_u64(d + l.desc_text_blk_lpos + l.lpos_begin);
    auto next = mem.read_u64(d + l.desc_text_blk_lpos + l.lpos_next);
    if (!seq || !ts || !text_len || !begin || !next) { log.skipped++; continue; }
    LogRecord rec;
    rec.seq = *seq;
    rec.ts_nsec = *ts;
    if (fac_lvl) {
      rec.facility = *fac_lvl & 0xff;
      rec.level = (*fac_lvl >> 13) & 7;
    }
    if (caller) rec.caller_id = *caller;
    // dev_printk_info: char subsystem[16], char device[48] (PRINTK_INFO_*_LEN).
    if (l.dev_subsystem && l.dev_device) {
      auto sub = mem.read_cstring(inf + l.info_dev_info + *l.dev_subsystem, 16);
      auto dev = mem.read_cstring(inf + l.info_dev_info + *l.dev_device, 48);
      if (sub) rec.subsystem = *sub;
      if (dev) rec.device = *dev;
      if (!rec.subsystem.empty()) rec.dict.emplace_back("SUBSYSTEM", rec.subsystem);
      if (!rec.device.empty()) rec.dict.emplace_back("DEVICE", rec.device);
    }
    // Data-less records (NO_LPOS / FAILED_LPOS, or begin == next) carry no text but are
    // real records (printk of an empty string, or text that did not fit).
    rec.no_data = (*begin == kNoLpos && *next == kNoLpos) || (*begin & kFailedLposBit) || *begin == *next;
    if (!rec.no_data) {
      uint64_t b = *begin, n = *next, start, len;
      if (b / data_size == n / data_size) {  // same wrap: contiguous block
        start = b % data_size;
        len = n - b;
      } else if (b / data_size + 1 == n / data_size) {  // wrapped: the block starts at 0
        start = 0;
        len = n % data_size;
      } else {
        log.skipped++;
        continue;
      }
      if (len < 8 || len > data_size) { log.skipped++; continue; }
      blk.resize(len);
      if (!mem.read_virt(*data + start, blk)) { log.skipped++; continue; }
      // A block starts with the id of the descriptor that owns it; another id means the
      // text was overwritten after the descriptor was written.
      uint64_t blk_id = 0;
      std::memcpy(&blk_id, blk.data(), 8);
      if ((blk_id & kIdMask) != id) { log.skipped++; continue; }
      size_t tl = std::min<size_t>(*text_len, len - 8);
      rec.text.assign(reinterpret_cast<const char*>(blk.data() + 8), tl);
    }
    log.records.push_back(std::move(rec));
  }
  // Records stay in descriptor-id order, the order the kernel wrote them (and crash prints
  // them); seq follows it unless the info array is damaged, which must not reorder the log.
  if (log.skipped) log.notes.push_back(fmt::format("{} records skipped (overwritten, unfinished or unreadable)", log.skipped));
  return log;
}

Result<KernelLog> read_kernel_log(VirtReader& mem, TypeLayout& layout) {
  if (auto prb = layout.symbol_address("prb")) {
    auto l = printk_ring_layout(layout);
    if (!l) return std::unexpected(l.error());
    auto rb = mem.read_u64(*prb);  // `prb` is a pointer to the active ring buffer
    if (!rb) return std::unexpected(rb.error());
    return read_printk_ringbuffer(mem, *rb, *l);
  }
  if (layout.symbol_address("log_buf")) return read_legacy_log_buf(mem, layout);
  return make_error(ErrorCode::NotPresent,
                    "neither VMCOREINFO nor the vmlinux names prb or log_buf: cannot find the kernel log");
}

Result<KernelLog> read_kernel_log(VirtReader& mem, const dump::Vmcoreinfo& vmi) {
  VmcoreinfoLayout layout(vmi, nullptr);
  return read_kernel_log(mem, layout);
}

}  // namespace kdx::kernel
