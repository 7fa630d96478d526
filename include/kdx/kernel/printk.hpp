// Readers of the kernel log from a dump: the lockless printk ring buffer (>= 5.10) and legacy log_buf.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kdx/error.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/kernel/type_layout.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx::kernel {

struct LogRecord {
  uint64_t seq = 0;
  uint64_t ts_nsec = 0;
  std::optional<int> level;     // 0..7, when the layout lets us read it
  std::optional<int> facility;  // when the layout lets us read it
  std::optional<uint32_t> caller_id;  // bit 31 set: CPU number, else task id
  std::string text;             // may hold several lines
  std::string subsystem;        // dev_printk_info / dictionary
  std::string device;
  // The record's dictionary in the kernel's order: dev_printk_info's SUBSYSTEM and DEVICE
  // (ring buffer; empty ones left out) or the legacy record's KEY=VALUE pairs.
  std::vector<std::pair<std::string, std::string>> dict;
  bool no_data = false;         // a data-less record (crash prints an empty line for it)
};

struct KernelLog {
  std::string source;          // "printk_ringbuffer" or "log_buf"
  std::vector<LogRecord> records;
  uint64_t skipped = 0;        // records that were overwritten, unfinished or unreadable
  std::vector<std::string> notes;  // what was skipped and why, for the user
};

// Byte offsets of the ring-buffer structures, taken from VMCOREINFO (OFFSET()/SIZE()).
struct PrintkRingLayout {
  uint64_t prb_desc_ring = 0, prb_text_data_ring = 0;
  uint64_t desc_ring_count_bits = 0, desc_ring_descs = 0, desc_ring_infos = 0, desc_ring_head_id = 0,
           desc_ring_tail_id = 0;
  uint64_t desc_size = 0, desc_state_var = 0, desc_text_blk_lpos = 0;
  uint64_t lpos_begin = 0, lpos_next = 0;
  uint64_t info_size = 0, info_seq = 0, info_ts_nsec = 0, info_text_len = 0, info_caller_id = 0,
           info_dev_info = 0;
  std::optional<uint64_t> dev_subsystem, dev_device;
  uint64_t data_ring_size_bits = 0, data_ring_data = 0, data_ring_head_lpos = 0, data_ring_tail_lpos = 0;
  uint64_t atomic_long_counter = 0;
};

// Fails (NotPresent) naming the first missing VMCOREINFO key.
Result<PrintkRingLayout> printk_ring_layout_from_vmcoreinfo(const dump::Vmcoreinfo& vmi);
// The same from any TypeLayout (VmcoreinfoLayout: VMCOREINFO first, DWARF second); the
// error names the first member or size neither source knows.
Result<PrintkRingLayout> printk_ring_layout(TypeLayout& layout);

// Reads the lockless ring buffer at ringbuffer_addr (the value of `prb`). Records that were
// overwritten or not yet finalized are skipped and counted; fails only when the ring itself
// (its header) cannot be read or is absurd.
Result<KernelLog> read_printk_ringbuffer(VirtReader& mem, uint64_t ringbuffer_addr, const PrintkRingLayout& layout);

// Reads the legacy log_buf (struct printk_log records, Linux 3.11..5.9; `struct log` in
// 3.5..3.10) using SYMBOL(log_buf), log_buf_len, log_first_idx, log_next_idx and
// OFFSET(printk_log.*), from VMCOREINFO first and the layout's DWARF second. A corrupt record
// is skipped and counted: the reader resynchronises on the next plausible header.
Result<KernelLog> read_legacy_log_buf(VirtReader& mem, const dump::Vmcoreinfo& vmi);
Result<KernelLog> read_legacy_log_buf(VirtReader& mem, TypeLayout& layout);

// Picks the reader the dump calls for (symbol prb first, then log_buf).
Result<KernelLog> read_kernel_log(VirtReader& mem, const dump::Vmcoreinfo& vmi);
Result<KernelLog> read_kernel_log(VirtReader& mem, TypeLayout& layout);

// crash-style rendering options of `log`. The output is crash 8.0.2's byte for byte (see
// docs/log.md): "[%5llu.%06lu] " timestamps, "<%x>" levels, continuation lines and
// dictionary lines indented by the width of the prefix, non-printable bytes as '.', and an
// empty line for a record without text.
struct LogFormat {
  bool no_timestamps = false;   // -t
  bool human_time = false;      // -T (needs boot_time)
  bool show_level = false;      // -m
  bool show_dict = false;       // -d
  bool show_caller = false;     // -c (later crash versions): "[    T1] " or "[    C0] "
  int caller_width = 6;         // crash's width for pid_max <= 99999
  std::optional<int64_t> boot_time;  // seconds since the epoch at ts 0, for -T
};
std::string format_kernel_log(const KernelLog& log, const LogFormat& fmt);
// One record as format_kernel_log prints it (with its trailing newline).
std::string format_log_record(const LogRecord& r, const LogFormat& fmt);
// "T123" or "C0" (crash, dmesg --caller).
std::string caller_string(uint32_t caller_id);

}  // namespace kdx::kernel
