// Parsing of VMCOREINFO text into a key/value map with typed accessors.
#include "kdx/kernel/vmcoreinfo_map.hpp"

#include <charconv>

namespace kdx::kernel {
namespace {

std::optional<uint64_t> parse_uint(std::string_view s, int base) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && s.front() == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return neg ? uint64_t(0) - v : v;
}

}  // namespace

VmcoreinfoMap VmcoreinfoMap::parse(std::string_view text) {
  std::map<std::string, std::string> kv;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    // Notes are NUL-padded; stop a value at the first NUL.
    std::string_view value = line.substr(eq + 1);
    if (size_t z = value.find('\0'); z != std::string_view::npos) value = value.substr(0, z);
    kv.emplace(std::string(line.substr(0, eq)), std::string(value));
  }
  return VmcoreinfoMap(std::move(kv));
}

std::optional<std::string> VmcoreinfoMap::get(std::string_view key) const {
  auto it = kv_.find(std::string(key));
  if (it == kv_.end()) return std::nullopt;
  return it->second;
}

static std::optional<uint64_t> typed(const VmcoreinfoMap& m, std::string_view family, std::string_view name,
                                     int base) {
  auto v = m.get(std::string(family) + "(" + std::string(name) + ")");
  if (!v) return std::nullopt;
  return parse_uint(*v, base);
}

std::optional<uint64_t> VmcoreinfoMap::symbol(std::string_view name) const { return typed(*this, "SYMBOL", name, 16); }
std::optional<uint64_t> VmcoreinfoMap::offset(std::string_view tm) const { return typed(*this, "OFFSET", tm, 10); }
std::optional<uint64_t> VmcoreinfoMap::size(std::string_view type) const { return typed(*this, "SIZE", type, 10); }
std::optional<uint64_t> VmcoreinfoMap::length(std::string_view name) const { return typed(*this, "LENGTH", name, 10); }
std::optional<uint64_t> VmcoreinfoMap::number(std::string_view name) const { return typed(*this, "NUMBER", name, 10); }
std::optional<uint64_t> VmcoreinfoMap::kernel_offset() const {
  auto v = get("KERNELOFFSET");
  if (!v) return std::nullopt;
  return parse_uint(*v, 16);
}

}  // namespace kdx::kernel
