// libFuzzer target: content classification, then open_dump over one or two sources, then reads and note lookups.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kdx/dump/dump.hpp"
#include "kdx/dump/file_kind.hpp"

using namespace kdx;

// Input: byte 0 = mode. Mode bit 0 set: the rest is cut in two at the position in bytes
// 1-2 and opened as a two-part (split) dump; otherwise the rest is one file.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  uint8_t mode = data[0];
  std::span<const uint8_t> body(data + 3, size - 3);
  (void)dump::classify_bytes(body);
  std::vector<std::shared_ptr<dump::ByteSource>> sources;
  if (mode & 1) {
    size_t cut = (static_cast<size_t>(data[1]) << 8 | data[2]) % (body.size() + 1);
    sources.push_back(dump::memory_source("a", body.first(cut)));
    sources.push_back(dump::memory_source("b", body.subspan(cut)));
  } else {
    sources.push_back(dump::memory_source("a", body));
  }
  auto d = dump::open_dump_sources(sources);
  if (!d) return 0;
  dump::Dump& dd = **d;
  std::vector<uint8_t> buf(dd.block_size() > (1u << 20) ? 4096 : dd.block_size() + 16);
  int reads = 0;
  for (const auto& r : dd.phys_ranges()) {
    for (uint64_t a = r.start; a < r.end && reads < 64; a += dd.block_size(), ++reads) {
      (void)dd.page_state(a);
      (void)dd.read_phys(a, buf);  // crosses into the next block too
    }
  }
  (void)dd.read_phys(~0ull - 8, std::span<uint8_t>(buf.data(), 8));
  if (auto* vi = dd.vmcoreinfo()) {
    (void)vi->symbol("prb");
    (void)vi->number("PHYS_OFFSET");
    (void)vi->page_size();
    (void)vi->crash_time();
  }
  for (const auto& c : dd.cpus()) (void)c.pc(dd.arch());
  return 0;
}
