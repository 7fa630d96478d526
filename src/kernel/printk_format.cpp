// Text rendering of the kernel log exactly as crash 8.0.2's `log` prints it (see docs/log.md).
#include <ctime>

#include "kdx/kernel/printk.hpp"

namespace kdx::kernel {

std::string caller_string(uint32_t caller_id) {
  return (caller_id & 0x80000000u) ? fmt::format("C{}", caller_id & 0x7fffffffu) : fmt::format("T{}", caller_id);
}

std::string format_log_record(const LogRecord& r, const LogFormat& f) {
  // crash prints only the newline for a record without text, whatever the options.
  if (r.no_data) return "\n";
  std::string out;
  if (!f.no_timestamps) {
    const uint64_t secs = r.ts_nsec / 1000000000;
    if (f.human_time && f.boot_time) {
      time_t t = time_t(*f.boot_time + int64_t(secs));
      struct tm tm {};
      char buf[64];
      if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%a %b %e %H:%M:%S UTC %Y", &tm))
        out += fmt::format("[{}] ", buf);
      else
        out += fmt::format("[{:5}.{:06}] ", secs, (r.ts_nsec % 1000000000) / 1000);
    } else {
      out += fmt::format("[{:5}.{:06}] ", secs, (r.ts_nsec % 1000000000) / 1000);
    }
  }
  if (f.show_caller && r.caller_id) out += fmt::format("[{:>{}}] ", caller_string(*r.caller_id), f.caller_width);
  if (f.show_level && r.level) out += fmt::format("<{:x}>", *r.level);
  const std::string indent(out.size(), ' ');
  // Continuation lines are indented to the text column; bytes that are neither printable
  // nor white space (C locale) print as '.', as crash does.
  for (char ch : r.text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += '\n';
      out += indent;
    } else if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\v' || c == '\f' || c == '\r') {
      out += ch;
    } else {
      out += '.';
    }
  }
  if (f.show_dict)
    for (const auto& [k, v] : r.dict) out += fmt::format("\n{}{}={}", indent, k, v);
  out += '\n';
  return out;
}

std::string format_kernel_log(const KernelLog& log, const LogFormat& f) {
  std::string out;
  for (const auto& r : log.records) out += format_log_record(r, f);
  return out;
}

}  // namespace kdx::kernel
