// VMCOREINFO parsing: KEY=VALUE lines into a map, typed accessors on top.
#include "kdx/dump/vmcoreinfo.hpp"

#include <limits>

namespace kdx::dump {

std::optional<uint64_t> parse_dec_u64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<uint64_t> parse_hex_u64(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

Vmcoreinfo Vmcoreinfo::parse(std::string_view text) {
  Vmcoreinfo vi;
  // The note descriptor is NUL-padded; the text ends at the first NUL.
  if (auto nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  vi.text_ = std::string(text);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t eq = line.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      // First definition wins, as in makedumpfile's read_vmcoreinfo lookups.
      vi.entries_.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    }
    pos = eol + 1;
  }
  return vi;
}

std::optional<std::string> Vmcoreinfo::get(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

static std::string wrap(std::string_view kind, std::string_view name) {
  std::string k(kind);
  k += '(';
  k += name;
  k += ')';
  return k;
}

std::optional<uint64_t> Vmcoreinfo::page_size() const {
  auto v = get("PAGESIZE");
  return v ? parse_dec_u64(*v) : std::nullopt;
}
std::optional<uint64_t> Vmcoreinfo::kernel_offset() const {
  auto v = get("KERNELOFFSET");
  return v ? parse_hex_u64(*v) : std::nullopt;
}
std::optional<int64_t> Vmcoreinfo::crash_time() const {
  auto v = get("CRASHTIME");
  if (!v) return std::nullopt;
  auto u = parse_dec_u64(*v);
  if (!u || *u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(*u);
}
std::optional<uint64_t> Vmcoreinfo::symbol(std::string_view name) const {
  auto v = get(wrap("SYMBOL", name));
  return v ? parse_hex_u64(*v) : std::nullopt;
}
std::optional<uint64_t> Vmcoreinfo::size(std::string_view type) const {
  auto v = get(wrap("SIZE", type));
  return v ? parse_dec_u64(*v) : std::nullopt;
}
std::optional<uint64_t> Vmcoreinfo::offset(std::string_view tm) const {
  auto v = get(wrap("OFFSET", tm));
  return v ? parse_dec_u64(*v) : std::nullopt;
}
std::optional<uint64_t> Vmcoreinfo::length(std::string_view name) const {
  auto v = get(wrap("LENGTH", name));
  return v ? parse_dec_u64(*v) : std::nullopt;
}
std::optional<uint64_t> Vmcoreinfo::number_u64(std::string_view name) const {
  auto v = get(wrap("NUMBER", name));
  if (!v) return std::nullopt;
  std::string_view s = *v;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return parse_hex_u64(s);
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  auto u = parse_dec_u64(s);
  if (!u) return std::nullopt;
  return neg ? ~*u + 1 : *u;
}
std::optional<int64_t> Vmcoreinfo::number(std::string_view name) const {
  auto u = number_u64(name);
  if (!u) return std::nullopt;
  return static_cast<int64_t>(*u);
}
bool Vmcoreinfo::config(std::string_view name) const {
  std::string k = "CONFIG_";
  k += name;
  auto v = get(k);
  return v && *v == "y";
}

}  // namespace kdx::dump
