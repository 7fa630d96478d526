// open_dump: maps the files, unwraps flattened ones, and asks each format reader in turn.
#include "kdx/dump/dump.hpp"

#include <cstring>

#include "flattened_source.hpp"
#include "readers.hpp"

namespace kdx::dump {

const char* format_name(DumpFormat f) { return f == DumpFormat::Elf ? "elf" : "kdump"; }

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::Raw: return "raw";
    case Codec::Zlib: return "zlib";
    case Codec::Lzo: return "lzo";
    case Codec::Snappy: return "snappy";
    case Codec::Zstd: return "zstd";
  }
  return "unknown";
}

const char* producer_name(Producer p) {
  switch (p) {
    case Producer::Kernel: return "kernel";
    case Producer::Qemu: return "qemu";
    case Producer::Unknown: break;
  }
  return "unknown";
}

std::string dump_level_description(int level) {
  static const char* names[] = {"zero pages", "non-private cache pages", "private cache pages", "user pages",
                                "free pages"};
  std::string out;
  for (int i = 0; i < 5; ++i) {
    if (level & (1 << i)) {
      if (!out.empty()) out += ", ";
      out += names[i];
    }
  }
  return out.empty() ? std::string("nothing excluded") : "excludes " + out;
}

Result<std::unique_ptr<Dump>> open_dump_sources(std::vector<std::shared_ptr<ByteSource>> sources) {
  if (sources.empty()) return make_error(ErrorCode::Usage, "no dump file given");
  for (auto& s : sources) {
    if (s->size() == 0) return std::unexpected(Error{ErrorCode::Format, "empty file: expected a dump", s->name(), 0, {}});
    if (is_flattened(*s)) {
      auto f = open_flattened(s);
      if (!f) return std::unexpected(f.error());
      s = *f;
    }
  }
  using TryOpen = std::optional<Result<std::unique_ptr<Dump>>> (*)(const Sources&);
  for (TryOpen t : {try_open_elf, try_open_kdump}) {
    if (auto r = t(sources)) return std::move(*r);
  }
  uint8_t head[8] = {};
  size_t n = std::min<uint64_t>(8, sources[0]->size());
  (void)sources[0]->read(0, std::span<uint8_t>(head, n), "magic");
  std::string found;
  for (size_t i = 0; i < n; ++i) found += fmt::format("{:02x}", head[i]);
  const char* what = std::memcmp(head, "DISKDUMP", 8) == 0 ? " (the old diskdump format is not supported)" : "";
  return std::unexpected(Error{ErrorCode::Format,
                               fmt::format("not a dump: expected ELF magic 7f454c46, \"KDUMP   \" or a flattened "
                                           "\"makedumpfile\" header, found {}{}",
                                           found, what),
                               sources[0]->name(), 0, {}});
}

Result<std::unique_ptr<Dump>> open_dump(const std::vector<std::string>& paths) {
  std::vector<std::shared_ptr<ByteSource>> sources;
  for (const auto& p : paths) {
    auto m = map_file(p);
    if (!m) return std::unexpected(m.error());
    sources.push_back(*m);
  }
  return open_dump_sources(std::move(sources));
}

}  // namespace kdx::dump
