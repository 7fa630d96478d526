// Rust "v0" symbol demangling (RFC 2603), enough to print kernel Rust frames the way rustc-demangle
// does without the hash: "_RNvXs1_Cs..._11ashmem_rustNtB5_6AshmemNtNtCs..._6kernel10miscdevice10MiscDevice4mmap"
// -> "<ashmem_rust::Ashmem as kernel::miscdevice::MiscDevice>::mmap". Written from the grammar in the
// RFC; bounded recursion and bounds checks throughout, since symbols come from untrusted logs.
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kdx/analysis/oops_lines.hpp"

namespace kdx::analysis {
namespace {

class V0Parser {
 public:
  explicit V0Parser(std::string_view sym) : s_(sym) {}

  bool symbol(std::string& out) {
    // Optional encoding version (decimal) before the path.
    if (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) return false;
    if (!path(out, true)) return false;
    // An instantiating crate may follow; it is not printed.
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;

  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& depth) : d(depth) { ++d; }
    ~DepthGuard() { --d; }
  };

  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<char> next() {
    if (pos_ >= s_.size()) return std::nullopt;
    return s_[pos_++];
  }

  // <base-62-number> = {0-9a-zA-Z} "_": "_" is 0, otherwise the value plus one.
  std::optional<uint64_t> base62() {
    if (eat('_')) return 0;
    uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] != '_') {
      char c = s_[pos_++];
      uint64_t d;
      if (c >= '0' && c <= '9') d = static_cast<uint64_t>(c - '0');
      else if (c >= 'a' && c <= 'z') d = 10 + static_cast<uint64_t>(c - 'a');
      else if (c >= 'A' && c <= 'Z') d = 36 + static_cast<uint64_t>(c - 'A');
      else return std::nullopt;
      if (v > (UINT64_MAX - d) / 62) return std::nullopt;
      v = v * 62 + d;
    }
    if (!eat('_')) return std::nullopt;
    return v + 1;
  }
  bool disambiguator() {
    if (eat('s')) return base62().has_value();
    return true;
  }
  std::optional<uint64_t> decimal() {
    if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) return std::nullopt;
    if (s_[pos_] == '0') {
      ++pos_;
      return 0;
    }
    uint64_t v = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      if (v > 1'000'000) return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(s_[pos_++] - '0');
    }
    return v;
  }
  // <identifier> = [<disambiguator>] ["u"] <decimal> ["_"] <bytes>
  bool identifier(std::string& out) {
    if (!disambiguator()) return false;
    bool puny = eat('u');
    auto len = decimal();
    if (!len) return false;
    eat('_');
    if (pos_ + *len > s_.size()) return false;
    std::string_view id = s_.substr(pos_, *len);
    pos_ += *len;
    // Punycode identifiers are rare in the kernel; keep them recognisable rather than decoding.
    out += puny ? "punycode{" + std::string(id) + "}" : std::string(id);
    return true;
  }
  bool backref(std::string& out, bool in_value, bool as_type) {
    size_t start = pos_ - 1;  // at the 'B'
    auto target = base62();
    if (!target || *target >= start) return false;
    size_t saved = pos_;
    pos_ = static_cast<size_t>(*target);
    bool ok = as_type ? type(out) : path(out, in_value);
    pos_ = saved;
    return ok;
  }

  bool path(std::string& out, bool in_value) {
    DepthGuard g(depth_);
    if (depth_ > 64) return false;
    auto c = next();
    if (!c) return false;
    switch (*c) {
      case 'C':
        return identifier(out);
      case 'M': {  // inherent impl: <Type>
        if (!disambiguator()) return false;
        std::string ignored;
        if (!path(ignored, false)) return false;
        out += '<';
        if (!type(out)) return false;
        out += '>';
        return true;
      }
      case 'X': {  // trait impl: <Type as Trait>
        if (!disambiguator()) return false;
        std::string ignored;
        if (!path(ignored, false)) return false;
        out += '<';
        if (!type(out)) return false;
        out += " as ";
        if (!path(out, false)) return false;
        out += '>';
        return true;
      }
      case 'Y': {  // trait definition: <Type as Trait>
        out += '<';
        if (!type(out)) return false;
        out += " as ";
        if (!path(out, false)) return false;
        out += '>';
        return true;
      }
      case 'N': {
        auto ns = next();
        if (!ns || !std::isalpha(static_cast<unsigned char>(*ns))) return false;
        if (!path(out, in_value)) return false;
        std::string id;
        size_t before = pos_;
        if (!disambiguator()) return false;
        std::string_view dis = s_.substr(before, pos_ - before);
        pos_ = before;
        if (!identifier(id)) return false;
        if (std::isupper(static_cast<unsigned char>(*ns))) {
          // Special namespaces: closures and shims, numbered by their disambiguator.
          uint64_t n = 0;
          if (dis.size() > 1) {
            V0Parser d(dis.substr(1));
            n = d.base62().value_or(0);
          }
          out += "::{";
          out += *ns == 'C' ? "closure" : *ns == 'S' ? "shim" : std::string(1, *ns);
          if (!id.empty()) out += ":" + id;
          out += "#" + std::to_string(n) + "}";
        } else if (!id.empty()) {
          out += "::" + id;
        }
        return true;
      }
      case 'I': {  // generic arguments
        if (!path(out, in_value)) return false;
        out += in_value ? "::<" : "<";
        bool first = true;
        while (!eat('E')) {
          if (pos_ >= s_.size()) return false;
          if (!first) out += ", ";
          first = false;
          if (!generic_arg(out)) return false;
        }
        out += '>';
        return true;
      }
      case 'B':
        return backref(out, in_value, false);
      default:
        return false;
    }
  }

  bool generic_arg(std::string& out) {
    if (eat('L')) {
      auto l = base62();
      if (!l) return false;
      out += "'_";
      return true;
    }
    if (eat('K')) return konst(out);
    return type(out);
  }

  bool konst(std::string& out) {
    if (eat('p')) {
      out += '_';
      return true;
    }
    if (eat('B')) return backref(out, false, false);
    std::string ty;
    if (!type(ty)) return false;
    bool neg = eat('n');
    size_t start = pos_;
    while (pos_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    std::string_view hex = s_.substr(start, pos_ - start);
    if (!eat('_')) return false;
    if (ty == "bool") {
      out += hex == "1" ? "true" : "false";
      return true;
    }
    if (hex.size() <= 16) {
      uint64_t v = hex.empty() ? 0 : parse_hex(hex).value_or(0);
      out += (neg ? "-" : "") + std::to_string(v);
    } else {
      out += "0x" + std::string(hex);
    }
    return true;
  }

  bool type(std::string& out) {
    DepthGuard g(depth_);
    if (depth_ > 64) return false;
    auto c = next();
    if (!c) return false;
    static constexpr struct {
      char c;
      const char* name;
    } kBasic[] = {{'a', "i8"},    {'b', "bool"}, {'c', "char"}, {'d', "f64"},  {'e', "str"},  {'f', "f32"},
                  {'h', "u8"},    {'i', "isize"}, {'j', "usize"}, {'l', "i32"}, {'m', "u32"}, {'n', "i128"},
                  {'o', "u128"},  {'s', "i16"},  {'t', "u16"},  {'u', "()"},   {'v', "..."},  {'x', "i64"},
                  {'y', "u64"},   {'z', "!"},    {'p', "_"}};
    for (const auto& b : kBasic) {
      if (*c == b.c) {
        out += b.name;
        return true;
      }
    }
    switch (*c) {
      case 'A':
        out += '[';
        if (!type(out)) return false;
        out += "; ";
        if (!konst(out)) return false;
        out += ']';
        return true;
      case 'S':
        out += '[';
        if (!type(out)) return false;
        out += ']';
        return true;
      case 'T': {
        out += '(';
        bool first = true;
        size_t n = 0;
        while (!eat('E')) {
          if (pos_ >= s_.size()) return false;
          if (!first) out += ", ";
          first = false;
          if (!type(out)) return false;
          ++n;
        }
        if (n == 1) out += ',';
        out += ')';
        return true;
      }
      case 'R':
      case 'Q':
        out += *c == 'R' ? "&" : "&mut ";
        if (eat('L') && !base62()) return false;
        return type(out);
      case 'P':
        out += "*const ";
        return type(out);
      case 'O':
        out += "*mut ";
        return type(out);
      case 'F': {  // fn(args) -> ret
        if (eat('G') && !base62()) return false;
        if (eat('U')) out += "unsafe ";
        if (eat('K')) {
          std::string abi;
          if (eat('C')) abi = "C";
          else if (!identifier(abi)) return false;
          out += "extern \"" + abi + "\" ";
        }
        out += "fn(";
        bool first = true;
        while (!eat('E')) {
          if (pos_ >= s_.size()) return false;
          if (!first) out += ", ";
          first = false;
          if (!type(out)) return false;
        }
        out += ')';
        std::string ret;
        if (!type(ret)) return false;
        if (ret != "()") out += " -> " + ret;
        return true;
      }
      case 'D': {  // dyn Trait + ... + 'a
        if (eat('G') && !base62()) return false;
        out += "dyn ";
        bool first = true;
        while (!eat('E')) {
          if (pos_ >= s_.size()) return false;
          if (!first) out += " + ";
          first = false;
          if (!path(out, false)) return false;
          while (eat('p')) {  // associated type binding: Name = Type
            std::string name;
            if (!identifier(name)) return false;
            out += "<" + name + " = ";
            if (!type(out)) return false;
            out += ">";
          }
        }
        if (!eat('L') || !base62()) return false;
        return true;
      }
      case 'B':
        return backref(out, false, true);
      default:
        --pos_;
        return path(out, false);
    }
  }
};

}  // namespace

std::optional<std::string> demangle_rust_v0(std::string_view sym) {
  if (!sym.starts_with("_R")) return std::nullopt;
  sym.remove_prefix(2);
  // Compiler suffixes (".llvm.123") are not part of the mangling.
  if (auto dot = sym.find('.'); dot != std::string_view::npos) sym = sym.substr(0, dot);
  if (sym.empty() || sym.size() > 4096) return std::nullopt;
  std::string out;
  V0Parser p(sym);
  if (!p.symbol(out) || out.empty()) return std::nullopt;
  return out;
}

}  // namespace kdx::analysis
