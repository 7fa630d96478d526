// Console-log line splitting, prefix stripping, frame parsing and title normalisation.
#include "kdx/analysis/oops_lines.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace kdx::analysis {
namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// "[  123.456789]" at the start of s: returns the length consumed, 0 when absent.
size_t timestamp_len(std::string_view s) {
  if (s.empty() || s[0] != '[') return 0;
  size_t i = 1;
  while (i < s.size() && s[i] == ' ') ++i;
  size_t digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits || i >= s.size() || s[i] != '.') return 0;
  ++i;
  size_t frac = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == frac || i >= s.size() || s[i] != ']') return 0;
  return i + 1;
}

// "[ T123]" / "[  C1]" caller id (CONFIG_PRINTK_CALLER): returns length consumed, 0 if absent.
size_t caller_len(std::string_view s, std::string* caller) {
  if (s.empty() || s[0] != '[') return 0;
  size_t i = 1;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size() || (s[i] != 'T' && s[i] != 'C')) return 0;
  size_t start = i++;
  size_t digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits || i >= s.size() || s[i] != ']') return 0;
  if (caller) *caller = std::string(s.substr(start, i - start));
  return i + 1;
}

// "Nov 22 06:53:47 " or "2019-11-22T06:53:47": the start of a syslog/journal line.
bool looks_like_syslog_date(std::string_view s) {
  if (s.size() < 16) return false;
  bool bsd = std::isupper(static_cast<unsigned char>(s[0])) && std::islower(static_cast<unsigned char>(s[1])) &&
             s[3] == ' ' && s[6] == ' ' && s[9] == ':' && s[12] == ':';
  bool iso = is_digit(s[0]) && is_digit(s[3]) && s[4] == '-' && s[7] == '-' && s[10] == 'T';
  return bsd || iso;
}

// Strips one line's prefixes in the order consoles, syslog and dmesg print them.
LogLine strip_line(std::string_view raw) {
  LogLine out;
  std::string_view s = raw;
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  // Syslog: "Nov 22 06:53:47 host kernel: ..." -- keep what follows "kernel: ".
  if (auto k = s.find(" kernel: "); k != std::string_view::npos && k < 64 && looks_like_syslog_date(s)) {
    s.remove_prefix(k + 9);
    out.kernel = true;
  }
  // printk level "<4>" (dmesg -r, /dev/kmsg style).
  if (s.size() >= 3 && s[0] == '<' && is_digit(s[1])) {
    size_t i = 1;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i < s.size() && s[i] == '>') s.remove_prefix(i + 1);
  }
  if (timestamp_len(s) == 0) {
    // Console noise can precede the timestamp ("syzkaller login: [   50.9] WARNING: ...").
    for (size_t p = s.find('['); p != std::string_view::npos && p < 80; p = s.find('[', p + 1)) {
      if (timestamp_len(s.substr(p))) {
        s.remove_prefix(p);
        break;
      }
    }
  }
  if (size_t n = timestamp_len(s)) {
    std::string ts(trim(s.substr(1, n - 2)));
    char* end = nullptr;
    double v = std::strtod(ts.c_str(), &end);
    if (end && *end == '\0') out.time = v;
    s.remove_prefix(n);
    out.kernel = true;
    if (size_t c = caller_len(s, &out.caller)) s.remove_prefix(c);
    // printk puts exactly one space after the prefix; the rest is the message's indentation.
    if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  }
  out.text = std::string(s);
  return out;
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with_word(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<LogLine> split_console_log(std::string_view text) {
  std::vector<LogLine> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(strip_line(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return lines;
}

std::optional<uint64_t> parse_hex(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string base_function(std::string_view function) {
  // Rust symbols hold "::" but never '.', C symbols only carry '.' in compiler suffixes.
  if (auto dot = function.find('.'); dot != std::string_view::npos && dot > 0) {
    function = function.substr(0, dot);
  }
  return std::string(function);
}

// Reads a symbol that ends right before position end, walking back over <...> groups so Rust
// names like "<a::B as c::D>::f" stay whole.
static std::string_view symbol_before(std::string_view line, size_t end, size_t* start_out) {
  size_t i = end;
  int depth = 0;
  while (i > 0) {
    char c = line[i - 1];
    if (c == '>') {
      ++depth;
    } else if (c == '<') {
      if (depth == 0) break;
      --depth;
    } else if (depth == 0) {
      bool single_colon = c == ':' && !(i >= 2 && line[i - 2] == ':') && !(i < line.size() && line[i] == ':');
      if (std::isspace(static_cast<unsigned char>(c)) || c == ']' || c == '[' || c == '(' || single_colon) {
        break;
      }
    }
    --i;
  }
  *start_out = i;
  return line.substr(i, end - i);
}

static std::optional<OopsFrame> parse_frame_raw(std::string_view line);

std::optional<OopsFrame> parse_frame(std::string_view line) {
  auto f = parse_frame_raw(line);
  // Kernel Rust frames are printed mangled (v0); titles and skip lists work on the demangled path.
  if (f && f->function.starts_with("_R")) {
    if (auto d = demangle_rust_v0(f->function)) f->function = *d;
  }
  return f;
}

static std::optional<OopsFrame> parse_frame_raw(std::string_view line) {
  OopsFrame f;
  // crash's "[exception RIP: kmem_cache_free+101]" (decimal offset).
  if (auto p = line.find("[exception RIP: "); p != std::string_view::npos) {
    auto rest = line.substr(p + 16);
    auto plus = rest.find('+');
    auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    f.function = std::string(rest.substr(0, std::min(plus, close)));
    if (plus != std::string_view::npos && plus < close) {
      std::from_chars(rest.data() + plus + 1, rest.data() + close, f.offset);
    }
    f.source = "ip";
    return f;
  }
  // arm's "[<80c1e5e8>] (__schedule) from [<80c1eb20>] (schedule+0x60/0xdc)": the line's own
  // frame is the first, the caller appears again on the next line.
  if (auto from = line.find(") from [<"); from != std::string_view::npos) {
    auto open = line.rfind('(', from);
    auto lb = line.find("[<");
    if (open != std::string_view::npos && lb != std::string_view::npos && lb < open) {
      f.function = std::string(line.substr(open + 1, from - open - 1));
      if (auto plus = f.function.find('+'); plus != std::string::npos) f.function.resize(plus);
      auto rb = line.find(">]", lb);
      if (rb != std::string_view::npos && rb < open) f.address = parse_hex(line.substr(lb + 2, rb - lb - 2));
      if (!f.function.empty() && f.function.find(' ') == std::string::npos) return f;
      f = OopsFrame{};
    }
  }
  // "func+0xOFF/0xSIZE": the frame form printk's %pS/%pB produce.
  size_t search = 0;
  while (true) {
    size_t plus = line.find("+0x", search);
    if (plus == std::string_view::npos) break;
    search = plus + 1;
    size_t i = plus + 3;
    size_t hs = i;
    while (i < line.size() && is_hex(line[i])) ++i;
    if (i == hs || i + 2 >= line.size() || line[i] != '/' || line[i + 1] != '0' || line[i + 2] != 'x') {
      continue;
    }
    auto off = parse_hex(line.substr(hs, i - hs));
    i += 3;
    size_t ss = i;
    while (i < line.size() && is_hex(line[i])) ++i;
    if (i == ss) continue;
    auto sz = parse_hex(line.substr(ss, i - ss));
    size_t start = 0;
    auto sym = symbol_before(line, plus, &start);
    if (sym.empty()) continue;
    f.function = std::string(sym);
    f.offset = off.value_or(0);
    f.size = sz.value_or(0);
    // " [module]" after the size.
    if (i + 2 < line.size() && line[i] == ' ' && line[i + 1] == '[') {
      auto close = line.find(']', i + 2);
      if (close != std::string_view::npos) f.module = std::string(line.substr(i + 2, close - i - 2));
    }
    auto before = trim(line.substr(0, start));
    if (before.ends_with("?")) f.reliable = false;
    // "[<ffffffff81687133>]" before the symbol.
    if (auto lb = before.rfind("[<"); lb != std::string_view::npos) {
      auto rb = before.find(">]", lb);
      if (rb != std::string_view::npos) f.address = parse_hex(before.substr(lb + 2, rb - lb - 2));
      auto tail = trim(before.substr(rb == std::string_view::npos ? before.size() : rb + 2));
      if (tail == "?") f.reliable = false;
    }
    return f;
  }
  // crash's bt: "#10 [ffff8800517bb930] PoolFree at ffffffffa08374c9 [module]".
  auto t = trim(line);
  if (t.size() > 3 && t[0] == '#' && is_digit(t[1])) {
    auto lb = t.find(" [");
    auto at = t.find(" at ");
    if (lb != std::string_view::npos && at != std::string_view::npos && at > lb) {
      auto rb = t.find("] ", lb);
      if (rb != std::string_view::npos && rb < at) {
        f.function = std::string(trim(t.substr(rb + 2, at - rb - 2)));
        auto rest = t.substr(at + 4);
        auto sp = rest.find(' ');
        f.address = parse_hex(rest.substr(0, sp));
        if (sp != std::string_view::npos && rest.substr(sp).find("[module]") == std::string_view::npos) {
          // nothing: crash prints "[module]" literally for module frames
        }
        if (rest.find("[module]") != std::string_view::npos) f.module = "module";
        if (!f.function.empty() && f.function.find(' ') == std::string::npos) return f;
      }
    }
  }
  return std::nullopt;
}

std::string normalize_title(std::string_view in) {
  std::string s;
  // Pass 1: func+0x1/0x2 -> func.
  for (size_t i = 0; i < in.size();) {
    if (in.substr(i, 3) == "+0x") {
      size_t j = i + 3;
      while (j < in.size() && is_hex(in[j])) ++j;
      if (j + 2 < in.size() && in[j] == '/' && in[j + 1] == '0' && in[j + 2] == 'x') {
        j += 3;
        while (j < in.size() && is_hex(in[j])) ++j;
        i = j;
        continue;
      }
    }
    s += in[i++];
  }
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool boundary = i == 0 || !is_ident(s[i - 1]);
    if (boundary) {
      // file.c:123 -> file.c:LINE (the number after ':' following a source file name).
      // Hex run of 6+ digits (optionally 0x) -> ADDR.
      size_t j = i;
      if (s.substr(i, 2) == "0x") j += 2;
      size_t hs = j;
      while (j < s.size() && is_hex(s[j])) ++j;
      if (j - hs >= 6 && (j == s.size() || !is_ident(s[j]))) {
        out += "ADDR";
        i = j;
        continue;
      }
      if (is_digit(s[i])) {
        size_t k = i;
        while (k < s.size() && is_digit(s[k])) ++k;
        if (k == s.size() || !is_ident(s[k])) {
          bool line_no = i >= 3 && s[i - 1] == ':' &&
                         (s.substr(0, i - 1).ends_with(".c") || s.substr(0, i - 1).ends_with(".h") ||
                          s.substr(0, i - 1).ends_with(".rs") || s.substr(0, i - 1).ends_with(".S"));
          out += line_no ? "LINE" : "NUM";
          i = k;
          continue;
        }
      }
    }
    out += s[i++];
  }
  if (out.size() > 120) out.resize(120);
  return out;
}

}  // namespace kdx::analysis
