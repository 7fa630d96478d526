// Legacy kernel log reader: variable-length records in log_buf (struct printk_log, Linux 3.11 .. 5.9;
// `struct log` in 3.5 .. 3.10).
#include <algorithm>
#include <cstring>

#include "kdx/kernel/printk.hpp"

namespace kdx::kernel {
namespace {

// Bounds on what we accept as a log buffer (CONFIG_LOG_BUF_SHIFT <= 25; log_buf_len= boot
// option allows more, but not gigabytes).
constexpr uint64_t kMaxLogBuf = uint64_t(1) << 28;
constexpr uint64_t kChunk = 4096;

struct LegacyLayout {
  uint64_t hdr = 0;  // sizeof(struct printk_log)
  uint64_t ts = 0, len = 0, text_len = 0, dict_len = 0, facility = 0;
  std::optional<uint64_t> caller_id;  // CONFIG_PRINTK_CALLER (5.1+)
};

Result<LegacyLayout> legacy_layout(TypeLayout& t) {
  // 3.11 renamed struct log to struct printk_log; VMCOREINFO names whichever the kernel has.
  for (const char* name : {"printk_log", "log"}) {
    auto hdr = t.type_size(name);
    if (!hdr) continue;
    auto ts = t.member_offset(name, "ts_nsec");
    auto len = t.member_offset(name, "len");
    auto tl = t.member_offset(name, "text_len");
    if (!ts || !len || !tl)
      return make_error(ErrorCode::NotPresent, "struct {} lacks ts_nsec, len or text_len (VMCOREINFO and debug info)", name);
    LegacyLayout l;
    l.hdr = *hdr;
    l.ts = *ts;
    l.len = *len;
    l.text_len = *tl;
    // u16 len, text_len, dict_len; u8 facility; u8 flags:5, level:3 -- the order has not
    // changed since 3.5, so what VMCOREINFO leaves out follows text_len.
    auto dl = t.member_offset(name, "dict_len");
    l.dict_len = dl ? *dl : l.text_len + 2;
    auto fac = t.member_offset(name, "facility");
    l.facility = fac ? *fac : l.dict_len + 2;
    if (auto c = t.member_offset(name, "caller_id")) l.caller_id = *c;
    if (l.hdr < 12 || l.hdr > 64 || std::max({l.ts + 8, l.len + 2, l.text_len + 2, l.dict_len + 2, l.facility + 2}) > l.hdr)
      return make_error(ErrorCode::Corrupt, "struct {}: size {} does not hold its members", name, l.hdr);
    if (l.caller_id && *l.caller_id + 4 > l.hdr) l.caller_id.reset();
    return l;
  }
  return make_error(ErrorCode::NotPresent, "SIZE(printk_log) is in neither VMCOREINFO nor the debug info");
}

// The buffer as read from the dump, with the 4 KiB chunks that could not be read.
struct Ring {
  std::vector<uint8_t> bytes;
  std::vector<bool> bad;  // per chunk
  uint64_t size() const { return bytes.size(); }
  bool readable(uint64_t off, uint64_t n) const {
    for (uint64_t c = off / kChunk; c <= (off + n - 1) / kChunk; c++)
      if (bad[c]) return false;
    return true;
  }
  uint64_t u(uint64_t off, int n) const {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | bytes[off + i];
    return v;
  }
};

// A header at `at` that could be a record: sane lengths, inside the buffer, readable.
bool plausible(const Ring& r, const LegacyLayout& l, uint64_t at) {
  if (at + l.hdr > r.size() || !r.readable(at, l.hdr)) return false;
  uint64_t len = r.u(at + l.len, 2), tl = r.u(at + l.text_len, 2), dl = r.u(at + l.dict_len, 2);
  // Records are LOG_ALIGN-aligned (4 or 8); the kernel never writes a shorter one.
  return len >= l.hdr && len % 4 == 0 && at + len <= r.size() && l.hdr + tl + dl <= len && r.readable(at, len);
}

}  // namespace

Result<KernelLog> read_legacy_log_buf(VirtReader& mem, TypeLayout& t) {
  auto sym_buf = t.symbol_address("log_buf"), sym_len = t.symbol_address("log_buf_len");
  auto sym_first = t.symbol_address("log_first_idx"), sym_next = t.symbol_address("log_next_idx");
  if (!sym_buf || !sym_len || !sym_first || !sym_next)
    return make_error(ErrorCode::NotPresent,
                      "the legacy kernel log needs the symbols log_buf, log_buf_len, log_first_idx and log_next_idx");
  auto l = legacy_layout(t);
  if (!l) return std::unexpected(l.error());
  auto buf = mem.read_u64(*sym_buf);  // char *log_buf
  auto len = mem.read<uint32_t>(*sym_len);
  auto first = mem.read<uint32_t>(*sym_first);
  auto next = mem.read<uint32_t>(*sym_next);
  for (auto* r : {&len, &first, &next})
    if (!*r) return std::unexpected(r->error());
  if (!buf) return std::unexpected(buf.error());
  if (*len < l->hdr || *len > kMaxLogBuf || *first >= *len || *next >= *len)
    return error_at_address(ErrorCode::Corrupt, *sym_buf,
                            fmt::format("log_buf_len {} / log_first_idx {} / log_next_idx {} out of range", *len, *first, *next));
  // log_first_seq numbers the first record (not in VMCOREINFO; from the vmlinux when given).
  uint64_t seq = 0;
  if (auto s = t.symbol_address("log_first_seq"))
    if (auto v = mem.read_u64(*s)) seq = *v;

  Ring ring;
  ring.bytes.assign(*len, 0);
  ring.bad.assign((*len + kChunk - 1) / kChunk, false);
  KernelLog log;
  log.source = "log_buf";
  if (!mem.read_virt(*buf, ring.bytes)) {
    // Read what can be read; records touching a missing chunk are skipped below.
    uint64_t nbad = 0;
    for (uint64_t c = 0; c < ring.bad.size(); c++) {
      uint64_t off = c * kChunk, n = std::min<uint64_t>(kChunk, *len - off);
      std::span<uint8_t> part(ring.bytes.data() + off, n);
      if (!mem.read_virt(*buf + off, part)) {
        ring.bad[c] = true;
        std::fill(part.begin(), part.end(), 0);
        nbad++;
      }
    }
    if (nbad == ring.bad.size())
      return error_at_address(ErrorCode::NotPresent, *buf, "log_buf is not in the dump");
    log.notes.push_back(fmt::format("{} of {} KiB of log_buf are not in the dump", nbad * kChunk / 1024, *len / 1024));
  }

  uint64_t idx = *first;
  int wraps = 0;
  auto wrap = [&]() {  // the chain from first to next wraps at most once
    idx = 0;
    return ++wraps <= 1;
  };
  // Every step consumes at least 4 bytes or wraps once: bounded by the buffer size.
  for (uint64_t guard = 0; idx != *next && guard <= *len; guard++) {
    // The kernel zeroes a header where the next record would not fit, then wraps: a zero
    // len, or no room left for a header, means "continue at the start of the buffer".
    if (idx + l->hdr > *len || (ring.readable(idx, l->hdr) && ring.u(idx + l->len, 2) == 0)) {
      if (!wrap()) break;
      continue;
    }
    if (!plausible(ring, *l, idx)) {
      // Skip to the next offset that looks like a record followed by another record (or by
      // the end of the log), so one damaged header costs the records in between, not the rest.
      log.skipped++;
      const bool missing = !ring.readable(idx, l->hdr);
      uint64_t from = idx, j = idx + 4;
      bool found = false;
      for (uint64_t g = 0; g <= *len / 4 + 1; g++, j += 4) {
        if (j + l->hdr > *len) {
          if (!wrap()) break;
          j = 0;
        }
        if (j == *next) break;
        if (!plausible(ring, *l, j)) continue;
        uint64_t after = j + ring.u(j + l->len, 2);
        if (after == *next || after + l->hdr > *len || plausible(ring, *l, after) ||
            (ring.readable(after, l->hdr) && ring.u(after + l->len, 2) == 0)) {
          found = true;
          break;
        }
      }
      log.notes.push_back(fmt::format("{} at log_buf+{:#x}: {}", missing ? "record not in the dump" : "corrupt record", from,
                                      found ? fmt::format("skipped to +{:#x}", j) : std::string("no later record found")));
      if (!found) break;
      idx = j;
      continue;
    }
    const uint64_t rlen = ring.u(idx + l->len, 2), tl = ring.u(idx + l->text_len, 2), dl = ring.u(idx + l->dict_len, 2);
    LogRecord rec;
    rec.seq = seq++;
    rec.ts_nsec = ring.u(idx + l->ts, 8);
    rec.facility = ring.bytes[idx + l->facility];
    rec.level = ring.bytes[idx + l->facility + 1] >> 5;
    if (l->caller_id) rec.caller_id = uint32_t(ring.u(idx + *l->caller_id, 4));
    const char* text = reinterpret_cast<const char*>(ring.bytes.data() + idx + l->hdr);
    rec.text.assign(text, tl);
    // The dictionary follows the text: "KEY=VALUE" strings separated by NUL.
    std::string_view dict(text + tl, dl);
    while (!dict.empty()) {
      size_t end = dict.find('\0');
      std::string_view kv = dict.substr(0, end);
      if (!kv.empty()) {
        size_t eq = kv.find('=');
        std::string key(kv.substr(0, eq)), val(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
        if (key == "SUBSYSTEM") rec.subsystem = val;
        if (key == "DEVICE") rec.device = val;
        rec.dict.emplace_back(std::move(key), std::move(val));
      }
      if (end == std::string_view::npos) break;
      dict.remove_prefix(end + 1);
    }
    log.records.push_back(std::move(rec));
    idx += rlen;
  }
  if (idx != *next && log.notes.empty()) log.notes.push_back("log_buf: the record chain did not reach log_next_idx");
  if (log.skipped) log.notes.push_back(fmt::format("{} damaged or missing log_buf stretches skipped", log.skipped));
  return log;
}

Result<KernelLog> read_legacy_log_buf(VirtReader& mem, const dump::Vmcoreinfo& vmi) {
  VmcoreinfoLayout layout(vmi, nullptr);
  return read_legacy_log_buf(mem, layout);
}

}  // namespace kdx::kernel
