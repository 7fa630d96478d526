// Error values for everything in kdx that can fail: a code, a message, and where known the file, offset or address.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace kdx {

enum class ErrorCode {
  Usage,        // bad arguments
  Io,           // the file could not be opened, mapped or read
  Format,       // the bytes are not what the format says (magic, field, size)
  Truncated,    // the file ends before a structure it declares
  Corrupt,      // a value is impossible (offset past end, cycle, bad checksum)
  Unsupported,  // valid but not handled (codec, arch, version)
  NotPresent,   // the data is legitimately absent (excluded page, no such symbol)
  Mismatch,     // two inputs do not belong together
};

struct Error {
  ErrorCode code = ErrorCode::Format;
  std::string message;
  std::string file;                 // the file the error is about, if any
  std::optional<uint64_t> offset;   // file offset, if known
  std::optional<uint64_t> address;  // physical or virtual address, if known

  // One line for people: "FILE: at offset 0x..: message".
  std::string to_string() const {
    std::string out;
    if (!file.empty()) out += file + ": ";
    if (offset) out += fmt::format("at offset {:#x}: ", *offset);
    if (address && !offset) out += fmt::format("at address {:#x}: ", *address);
    out += message;
    return out;
  }
  Error&& in_file(std::string f) && {
    if (file.empty()) file = std::move(f);
    return std::move(*this);
  }
};

template <typename T>
using Result = std::expected<T, Error>;

template <typename... Args>
std::unexpected<Error> make_error(ErrorCode code, fmt::format_string<Args...> f, Args&&... args) {
  return std::unexpected(Error{code, fmt::format(f, std::forward<Args>(args)...), {}, {}, {}});
}

inline std::unexpected<Error> error_at(ErrorCode code, uint64_t offset, std::string message) {
  return std::unexpected(Error{code, std::move(message), {}, offset, {}});
}

inline std::unexpected<Error> error_at_address(ErrorCode code, uint64_t address, std::string message) {
  return std::unexpected(Error{code, std::move(message), {}, {}, address});
}

}  // namespace kdx
