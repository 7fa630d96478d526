// Legacy kernel log reader: struct printk_log records in log_buf (Linux 3.5 .. 5.9).
#include "kdx/kernel/printk.hpp"

namespace kdx::kernel {

Result<KernelLog> read_legacy_log_buf(VirtReader& mem, const dump::Vmcoreinfo& vmi) {
  auto sym_buf = vmi.symbol("log_buf"), sym_len = vmi.symbol("log_buf_len");
  auto sym_first = vmi.symbol("log_first_idx"), sym_next = vmi.symbol("log_next_idx");
  auto rec_size = vmi.size("printk_log");
  auto o_ts = vmi.offset("printk_log.ts_nsec"), o_len = vmi.offset("printk_log.len"),
       o_tlen = vmi.offset("printk_log.text_len");
  if (!sym_buf || !sym_len || !sym_first || !sym_next || !rec_size || !o_ts || !o_len || !o_tlen)
    return make_error(ErrorCode::NotPresent,
                      "VMCOREINFO lacks the log_buf symbols or printk_log offsets needed for the legacy kernel log");
  auto buf = mem.read_u64(*sym_buf);
  auto len = mem.read<uint32_t>(*sym_len);
  auto first = mem.read<uint32_t>(*sym_first);
  auto next = mem.read<uint32_t>(*sym_next);
  for (auto* r : {&len, &first, &next})
    if (!*r) return std::unexpected(r->error());
  if (!buf) return std::unexpected(buf.error());
  if (*len == 0 || *len > (1u << 28) || *first >= *len || *next >= *len)
    return error_at_address(ErrorCode::Corrupt, *sym_buf,
                            fmt::format("log_buf_len {} / first {} / next {} out of range", *len, *first, *next));
  std::vector<uint8_t> ring(*len);
  if (auto r = mem.read_virt(*buf, ring); !r) return std::unexpected(r.error());
  auto rd16 = [&](uint64_t off) -> uint16_t { return uint16_t(ring[off] | (ring[off + 1] << 8)); };
  KernelLog log;
  log.source = "log_buf";
  uint64_t idx = *first, seq = 0;
  // Each record is at least the header; a zero `len` means "wrap to the start of the buffer".
  for (size_t guard = 0; idx != *next && guard < *len; guard++) {
    if (idx + *rec_size > *len) { log.skipped++; break; }
    uint16_t rlen = rd16(idx + *o_len);
    if (rlen == 0) {
      idx = 0;
      continue;
    }
    if (rlen < *rec_size || idx + rlen > *len) {
      log.skipped++;
      log.notes.push_back(fmt::format("corrupt record at log_buf+{:#x} (len {}); stopped", idx, rlen));
      break;
    }
    LogRecord rec;
    rec.seq = seq++;
    uint64_t ts = 0;
    for (int i = 7; i >= 0; i--) ts = (ts << 8) | ring[idx + *o_ts + i];
    rec.ts_nsec = ts;
    uint16_t tl = std::min<uint16_t>(rd16(idx + *o_tlen), uint16_t(rlen - *rec_size));
    // facility (u8) and flags:5/level:3 follow dict_len, which follows text_len.
    uint64_t fl = idx + *o_tlen + 4;
    if (fl + 1 < idx + *rec_size) {
      rec.facility = ring[fl];
      rec.level = ring[fl + 1] >> 5;
    }
    rec.text.assign(reinterpret_cast<const char*>(ring.data() + idx + *rec_size), tl);
    log.records.push_back(std::move(rec));
    idx += rlen;
  }
  return log;
}

static std::string format_ts(const LogRecord& r, const LogFormat& f) {
  if (f.human_time && f.boot_time) {
    time_t t = time_t(*f.boot_time + int64_t(r.ts_nsec / 1000000000));
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%a %b %e %H:%M:%S UTC %Y", &tm);
    return fmt::format("[{}] ", buf);
  }
  return fmt::format("[{:5}.{:06}] ", r.ts_nsec / 1000000000, (r.ts_nsec % 1000000000) / 1000);
}

std::string format_kernel_log(const KernelLog& log, const LogFormat& f) {
  std::string out;
  for (const auto& r : log.records) {
    std::string prefix;
    if (!f.no_timestamps) prefix += format_ts(r, f);
    if (f.show_level && r.level) prefix += fmt::format("<{}>", *r.level);
    // A record may hold several lines; each gets the prefix, as crash prints them.
    size_t pos = 0;
    do {
      size_t nl = r.text.find('\n', pos);
      out += prefix;
      out += r.text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      out += '\n';
      pos = nl == std::string::npos ? r.text.size() : nl + 1;
    } while (pos < r.text.size());
    if (f.show_dict) {
      if (!r.subsystem.empty()) out += " SUBSYSTEM=" + r.subsystem + "\n";
      if (!r.device.empty()) out += " DEVICE=" + r.device + "\n";
      if (r.caller_id) {
        uint32_t c = *r.caller_id;
        out += (c & 0x80000000u) ? fmt::format(" CALLER=C{}\n", c & 0x7fffffffu) : fmt::format(" CALLER=T{}\n", c);
      }
    }
  }
  return out;
}

}  // namespace kdx::kernel
