// Register-dump parsing for x86_64 (__show_regs) and arm64 (__show_regs) console output.
#include "kdx/analysis/log_registers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace kdx::analysis {
namespace {

std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

// Drops a "[  12.345678] " timestamp and "[ T123] " / "[  C1] " caller prefixes.
std::string_view strip_prefix(std::string_view l) {
  for (int k = 0; k < 3; k++) {
    size_t i = 0;
    while (i < l.size() && l[i] == ' ') i++;
    if (i < l.size() && l[i] == '[') {
      size_t close = l.find(']', i);
      if (close == std::string_view::npos || close - i > 20) break;
      l.remove_prefix(close + 1);
      if (!l.empty() && l[0] == ' ') l.remove_prefix(1);
    } else {
      break;
    }
  }
  return l;
}

std::optional<uint64_t> hex(std::string_view s) {
  uint64_t v = 0;
  if (s.starts_with("0x")) s.remove_prefix(2);
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// Parses "NAME: value NAME: value ..." pairs; names may be padded ("x9 : 0000").
void parse_pairs(std::string_view l, RegisterValues& regs) {
  size_t i = 0;
  while (i < l.size()) {
    while (i < l.size() && l[i] == ' ') i++;
    size_t ns = i;
    while (i < l.size() && (std::isalnum(static_cast<unsigned char>(l[i])) || l[i] == '_')) i++;
    std::string_view name = l.substr(ns, i - ns);
    while (i < l.size() && l[i] == ' ') i++;
    if (i >= l.size() || l[i] != ':' || name.empty()) return;
    i++;
    while (i < l.size() && l[i] == ' ') i++;
    size_t vs = i;
    while (i < l.size() && std::isxdigit(static_cast<unsigned char>(l[i]))) i++;
    auto v = hex(l.substr(vs, i - vs));
    if (!v) return;
    regs[lower(name)] = *v;
  }
}

void parse_pc_symbol(std::string_view sym, LoggedRegisters& out) {
  out.pc_symbol = std::string(sym);
  size_t plus = sym.find('+');
  out.pc_function = std::string(sym.substr(0, plus));
  if (plus != std::string_view::npos) {
    size_t slash = sym.find('/', plus);
    if (auto v = hex(sym.substr(plus + 1, slash == std::string_view::npos ? std::string_view::npos : slash - plus - 1)))
      out.pc_offset = *v;
  }
  if (size_t lb = sym.find('['); lb != std::string_view::npos) {
    size_t rb = sym.find(']', lb);
    out.pc_module = std::string(sym.substr(lb + 1, rb == std::string_view::npos ? std::string_view::npos : rb - lb - 1));
  }
}

}  // namespace

std::optional<LoggedRegisters> parse_logged_registers(std::string_view log) {
  LoggedRegisters out;
  bool in_dump = false;
  for (std::string_view raw : lines_of(log)) {
    std::string_view l = strip_prefix(raw);
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
    if (l.starts_with("RIP: ") && out.arch.empty()) {
      // "RIP: 0010:kdxcrash_null+0x12/0x30 [kdxcrash]"
      out.arch = "x86_64";
      in_dump = true;
      std::string_view rest = l.substr(5);
      if (size_t colon = rest.find(':'); colon != std::string_view::npos && colon <= 4) rest.remove_prefix(colon + 1);
      if (auto v = hex(rest)) out.regs["rip"] = *v;
      else parse_pc_symbol(rest, out);
      continue;
    }
    if (l.starts_with("pc : ") && out.arch.empty()) {
      out.arch = "arm64";
      in_dump = true;
      parse_pc_symbol(l.substr(5), out);
      continue;
    }
    if (!in_dump) continue;
    if (out.arch == "x86_64") {
      if (l.starts_with("RSP: ")) {
        // "RSP: 0018:ffffc90000163e48 EFLAGS: 00010246"
        std::string_view rest = l.substr(5);
        if (size_t colon = rest.find(':'); colon != std::string_view::npos && colon <= 4) {
          size_t sp_end = rest.find(' ', colon);
          if (auto v = hex(rest.substr(colon + 1, sp_end == std::string_view::npos ? std::string_view::npos : sp_end - colon - 1)))
            out.regs["rsp"] = *v;
          if (sp_end != std::string_view::npos) parse_pairs(rest.substr(sp_end + 1), out.regs);
        }
      } else if (l.starts_with("RAX:") || l.starts_with("RDX:") || l.starts_with("RBP:") || l.starts_with("R10:") ||
                 l.starts_with("R13:") || l.starts_with("CR2:") || l.starts_with("FS:") || l.starts_with("CS:")) {
        parse_pairs(l, out.regs);
      } else if (l.starts_with("Call Trace:") || l.starts_with("---[")) {
        break;
      }
    } else {
      // "lr : func+0x50/0x250" is symbolic only; lr's value comes from x30 below.
      if (l.starts_with("sp : ")) {
        if (auto v = hex(l.substr(5))) out.regs["sp"] = *v;
      } else if (l.starts_with("x")) {
        parse_pairs(l, out.regs);
      } else if (l.starts_with("Call trace:") || l.starts_with("Code:")) {
        break;
      }
    }
  }
  if (out.arch.empty()) return std::nullopt;
  if (out.arch == "arm64" && out.regs.count("x30")) out.regs["lr"] = out.regs["x30"];
  return out;
}

}  // namespace kdx::analysis
