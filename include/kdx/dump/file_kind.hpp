// Recognising an input file by its content: dump, vmlinux, kernel module, .xz of those, console log.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kdx/error.hpp"

namespace kdx::dump {

enum class FileKind {
  Dump,        // ELF ET_CORE, "KDUMP   ", or flattened "makedumpfile"
  Vmlinux,     // ELF ET_EXEC / ET_DYN
  Module,      // ELF ET_REL (.ko)
  ConsoleLog,  // text (a saved dmesg / serial console)
  Unknown,
};
const char* file_kind_name(FileKind k);

struct FileClass {
  FileKind kind = FileKind::Unknown;
  bool xz = false;  // the file is xz-compressed; kind is what is inside
};

// Classifies from the first bytes of a file (64 KiB is plenty). Never fails.
FileClass classify_bytes(std::span<const uint8_t> head);
// Reads the head of path (decompressing the start of an .xz) and classifies it.
// Fails with Io naming the path when it cannot be read.
Result<FileClass> classify_file(const std::string& path);

}  // namespace kdx::dump
