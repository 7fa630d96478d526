// Line layout of crash's rd output, shared by physical (rd -p) and virtual reads.
#include "kdx/report/memory_dump.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kdx::report {

static char printable(uint8_t c) { return c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.'; }

std::string format_memory(uint64_t start_addr, std::span<const uint8_t> bytes, const MemoryDumpOptions& o) {
  std::string out;
  if (o.ascii_only) {
    constexpr size_t kPerLine = 60;
    size_t n = std::find(bytes.begin(), bytes.end(), uint8_t{0}) - bytes.begin();
    for (size_t i = 0; i < n; i += kPerLine) {
      out += fmt::format("{:>16x}:  ", start_addr + i);
      for (size_t j = i; j < std::min(n, i + kPerLine); ++j) out += printable(bytes[j]);
      out += '\n';
    }
    return out;
  }
  const int unit = (o.unit_bytes == 1 || o.unit_bytes == 2 || o.unit_bytes == 4) ? o.unit_bytes : 8;
  const size_t usable = bytes.size() / unit * unit;
  const size_t per_line = 16 / unit;
  const size_t width = per_line * (unit * 2 + 1);  // hex digits plus one space per unit
  for (size_t i = 0; i < usable; i += 16) {
    std::string line = fmt::format("{:>16x}:  ", start_addr + i);
    size_t end = std::min(usable, i + 16);
    std::string hex;
    for (size_t k = i; k < end; k += unit) {
      uint64_t v = 0;
      for (int b = unit - 1; b >= 0; --b) v = (v << 8) | bytes[k + b];
      hex += fmt::format("{:0{}x} ", v, unit * 2);
    }
    line += hex;
    if (o.ascii_column) {
      line.append(width - hex.size(), ' ');
      line += "  ";
      for (size_t k = i; k < end; ++k) line += printable(bytes[k]);
    } else {
      while (!line.empty() && line.back() == ' ') line.pop_back();
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace kdx::report
