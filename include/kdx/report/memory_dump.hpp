// crash-style memory display (rd): hex words in 8/16/32/64-bit units with an ASCII column, or ASCII only.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace kdx::report {

struct MemoryDumpOptions {
  int unit_bytes = 8;       // 1, 2, 4 or 8 (crash's -8/-16/-32/-64; 64-bit by default)
  bool ascii_column = true; // crash shows it unless -x
  bool ascii_only = false;  // crash's -a: printable text, stopping at the first NUL
};

// Formats bytes that were read starting at start_addr, 16 bytes per line:
// "            1000:  0000000000000000 0000000000000000   ................".
// Values are little-endian. A trailing partial unit is dropped. Never fails.
std::string format_memory(uint64_t start_addr, std::span<const uint8_t> bytes, const MemoryDumpOptions& o);

}  // namespace kdx::report
