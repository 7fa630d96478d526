// Content-based classification of command-line files (dump, vmlinux, module, console log), looking inside .xz.
#include "kdx/dump/file_kind.hpp"

#include <lzma.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace kdx::dump {

const char* file_kind_name(FileKind k) {
  switch (k) {
    case FileKind::Dump: return "dump";
    case FileKind::Vmlinux: return "vmlinux";
    case FileKind::Module: return "module";
    case FileKind::ConsoleLog: return "console-log";
    case FileKind::Unknown: break;
  }
  return "unknown";
}

static bool starts_with(std::span<const uint8_t> b, const char* magic, size_t n) {
  return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
}

static const uint8_t kXzMagic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};

static FileKind classify_plain(std::span<const uint8_t> b) {
  if (starts_with(b, "KDUMP   ", 8)) return FileKind::Dump;
  if (starts_with(b, "makedumpfile", 12) && b.size() > 12 && b[12] == 0) return FileKind::Dump;
  if (starts_with(b, "\x7f" "ELF", 4)) {
    if (b.size() < 18) return FileKind::Unknown;
    // e_type in the file's own byte order (EI_DATA: 1 little, 2 big).
    unsigned t = b[5] == 2 ? (b[16] << 8 | b[17]) : (b[17] << 8 | b[16]);
    if (t == 4) return FileKind::Dump;            // ET_CORE
    if (t == 2 || t == 3) return FileKind::Vmlinux;  // ET_EXEC, ET_DYN
    if (t == 1) return FileKind::Module;          // ET_REL
    return FileKind::Unknown;
  }
  if (b.empty()) return FileKind::Unknown;
  // Text: printable ASCII/UTF-8 and whitespace only, no NULs (a console log or dmesg file).
  size_t bad = 0;
  for (uint8_t c : b) {
    if (c == 0) return FileKind::Unknown;
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1b) ++bad;
  }
  return bad * 100 <= b.size() ? FileKind::ConsoleLog : FileKind::Unknown;
}

FileClass classify_bytes(std::span<const uint8_t> head) {
  if (head.size() >= 6 && std::memcmp(head.data(), kXzMagic, 6) == 0) {
    // Decompress just enough of the stream to see the inner magic.
    lzma_stream strm = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&strm, 256 << 20, 0) != LZMA_OK) return {FileKind::Unknown, true};
    std::vector<uint8_t> out(4096);
    strm.next_in = head.data();
    strm.avail_in = head.size();
    strm.next_out = out.data();
    strm.avail_out = out.size();
    lzma_ret rc = LZMA_OK;
    while (rc == LZMA_OK && strm.avail_out > 0 && strm.avail_in > 0) rc = lzma_code(&strm, LZMA_RUN);
    size_t got = out.size() - strm.avail_out;
    lzma_end(&strm);
    return {classify_plain(std::span<const uint8_t>(out.data(), got)), true};
  }
  return {classify_plain(head), false};
}

Result<FileClass> classify_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::unexpected(Error{ErrorCode::Io, fmt::format("cannot open: {}", std::strerror(errno)), path, {}, {}});
  std::vector<uint8_t> buf(64 * 1024);
  f.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<size_t>(f.gcount()));
  if (f.bad()) return std::unexpected(Error{ErrorCode::Io, "read error", path, {}, {}});
  return classify_bytes(buf);
}

}  // namespace kdx::dump
