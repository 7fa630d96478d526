// Typed look-ups over VMCOREINFO's raw KEY=VALUE text, shared by readers that only need a few keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kdx::kernel {

// A parsed VMCOREINFO note: raw key -> value strings, with helpers that decode the key
// families the kernel writes (SYMBOL() hex, OFFSET()/SIZE()/LENGTH() decimal, NUMBER()
// decimal or 0x-hex; KERNELOFFSET is hex without 0x).
class VmcoreinfoMap {
 public:
  VmcoreinfoMap() = default;
  explicit VmcoreinfoMap(std::map<std::string, std::string> kv) : kv_(std::move(kv)) {}
  // Parses the note text; lines without '=' are ignored.
  static VmcoreinfoMap parse(std::string_view text);

  const std::map<std::string, std::string>& raw() const { return kv_; }
  bool empty() const { return kv_.empty(); }
  // Each returns nullopt when the key is absent or its value does not parse.
  std::optional<std::string> get(std::string_view key) const;
  std::optional<uint64_t> symbol(std::string_view name) const;   // SYMBOL(name), hex
  std::optional<uint64_t> offset(std::string_view type_member) const;  // OFFSET(t.m)
  std::optional<uint64_t> size(std::string_view type) const;     // SIZE(type)
  std::optional<uint64_t> length(std::string_view name) const;   // LENGTH(name)
  std::optional<uint64_t> number(std::string_view name) const;   // NUMBER(name)
  std::optional<uint64_t> kernel_offset() const;                 // KERNELOFFSET, hex

 private:
  std::map<std::string, std::string> kv_;
};

}  // namespace kdx::kernel
