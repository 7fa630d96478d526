// Parsing of VMCOREINFO values (SYMBOL hex, NUMBER decimal-or-hex, OSRELEASE) shared by the arch config builders.
#include <charconv>
#include <string>

#include "kdx/arch/translation_config.hpp"

namespace kdx {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_hex(std::string_view s) {
  s = trim(s);
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Kernel prints NUMBER() with %ld (so it may be negative) and some with 0x%llx.
std::optional<uint64_t> parse_number(std::string_view s) {
  s = trim(s);
  if (s.starts_with("0x") || s.starts_with("0X")) return parse_hex(s);
  bool neg = false;
  if (s.starts_with("-")) {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return neg ? uint64_t(0) - v : v;
}

}  // namespace

Result<std::optional<uint64_t>> vmcoreinfo_optional_hex(const VmcoreinfoMap& kv, const std::string& key) {
  auto it = kv.find(key);
  if (it == kv.end()) return std::optional<uint64_t>{};
  auto v = parse_hex(it->second);
  if (!v) return make_error(ErrorCode::Format, "VMCOREINFO {}: expected a hex number, found \"{}\"", key, it->second);
  return v;
}

Result<std::optional<uint64_t>> vmcoreinfo_optional_number(const VmcoreinfoMap& kv, const std::string& key) {
  auto it = kv.find(key);
  if (it == kv.end()) return std::optional<uint64_t>{};
  auto v = parse_number(it->second);
  if (!v) return make_error(ErrorCode::Format, "VMCOREINFO {}: expected a number, found \"{}\"", key, it->second);
  return v;
}

Result<uint64_t> vmcoreinfo_hex(const VmcoreinfoMap& kv, const std::string& key) {
  auto v = vmcoreinfo_optional_hex(kv, key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return make_error(ErrorCode::Format, "VMCOREINFO has no {}", key);
  return **v;
}

Result<uint64_t> vmcoreinfo_number(const VmcoreinfoMap& kv, const std::string& key) {
  auto v = vmcoreinfo_optional_number(kv, key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return make_error(ErrorCode::Format, "VMCOREINFO has no {}", key);
  return **v;
}

VmcoreinfoMap parse_vmcoreinfo_text(std::string_view text) {
  VmcoreinfoMap kv;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    kv[std::string(line.substr(0, eq))] = std::string(trim(line.substr(eq + 1)));
  }
  return kv;
}

std::optional<unsigned> vmcoreinfo_kernel_version(const VmcoreinfoMap& kv) {
  auto it = kv.find("OSRELEASE");
  if (it == kv.end()) return std::nullopt;
  std::string_view s = it->second;
  unsigned major = 0, minor = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), major);
  if (ec != std::errc() || p == s.data() + s.size() || *p != '.') return std::nullopt;
  auto [p2, ec2] = std::from_chars(p + 1, s.data() + s.size(), minor);
  if (ec2 != std::errc()) return std::nullopt;
  return major * 100 + minor;
}

}  // namespace kdx
