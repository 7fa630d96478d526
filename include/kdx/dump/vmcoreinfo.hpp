// VMCOREINFO: the kernel's KEY=VALUE note describing its own layout, parsed into typed lookups.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kdx::dump {

class Vmcoreinfo {
 public:
  // Parses the note text; lines without '=' are ignored (they occur as NUL padding).
  // Never fails: a garbled note simply yields fewer keys.
  static Vmcoreinfo parse(std::string_view text);

  // Raw value for an exact key ("OSRELEASE", "SYMBOL(prb)", "CONFIG_KASAN"); nullopt if absent.
  std::optional<std::string> get(std::string_view key) const;
  const std::map<std::string, std::string, std::less<>>& entries() const { return entries_; }
  const std::string& text() const { return text_; }

  std::optional<std::string> osrelease() const { return get("OSRELEASE"); }
  std::optional<std::string> build_id() const { return get("BUILD-ID"); }
  std::optional<uint64_t> page_size() const;      // PAGESIZE (decimal)
  std::optional<uint64_t> kernel_offset() const;  // KERNELOFFSET (hex without 0x)
  std::optional<int64_t> crash_time() const;      // CRASHTIME (seconds since the epoch)
  // SYMBOL(name)=hex address. nullopt if absent or not hex.
  std::optional<uint64_t> symbol(std::string_view name) const;
  // SIZE(type)=decimal; OFFSET(type.member)=decimal; LENGTH(x)=decimal.
  std::optional<uint64_t> size(std::string_view type) const;
  std::optional<uint64_t> offset(std::string_view type_dot_member) const;
  std::optional<uint64_t> length(std::string_view name) const;
  // NUMBER(x): decimal (possibly negative) or 0x-hex. Hex values keep all 64 bits, so a
  // "negative" address such as arm64 KASLR's PHYS_OFFSET 0xffffa87e40000000 round-trips:
  // use number_u64 for addresses and masks, number for counts.
  std::optional<int64_t> number(std::string_view name) const;
  std::optional<uint64_t> number_u64(std::string_view name) const;
  // CONFIG_X=y present.
  bool config(std::string_view name) const;

 private:
  std::string text_;
  std::map<std::string, std::string, std::less<>> entries_;
};

// Integer parsing shared with the notes code: nullopt on any non-digit or overflow.
std::optional<uint64_t> parse_dec_u64(std::string_view s);
std::optional<uint64_t> parse_hex_u64(std::string_view s);  // optional 0x prefix

}  // namespace kdx::dump
