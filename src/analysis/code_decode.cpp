// Capstone decoding of "Code:" lines (x86 byte lists with <xx>, arm/arm64 words with (xxxxxxxx)).
#include "kdx/analysis/code_decode.hpp"

#include <capstone/capstone.h>
#include <fmt/format.h>

#include <cstdint>
#include <memory>

#include "kdx/analysis/oops_lines.hpp"

namespace kdx::analysis {
namespace {

struct Token {
  std::vector<uint8_t> bytes;  // in memory order
  bool marked = false;
};

// Splits "48 89 <0a> 48" or "d503201f (f9400000)" into tokens; words are stored little-endian, as the
// kernel prints them as native 32-bit (or 16-bit thumb) values.
std::optional<std::vector<Token>> tokenize(std::string_view body, std::string* err) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && body[i] == ' ') ++i;
    if (i >= body.size()) break;
    size_t j = body.find(' ', i);
    if (j == std::string_view::npos) j = body.size();
    std::string_view tok = body.substr(i, j - i);
    i = j;
    Token t;
    if ((tok.front() == '<' && tok.back() == '>') || (tok.front() == '(' && tok.back() == ')')) {
      t.marked = true;
      tok = tok.substr(1, tok.size() - 2);
    }
    if (tok.size() % 2 != 0 || tok.empty() || tok.size() > 8) {
      *err = fmt::format("bad Code: token '{}'", tok);
      return std::nullopt;
    }
    auto v = parse_hex(tok);
    if (!v) {
      // "Bad RIP value." and similar: the kernel could not read the code bytes.
      *err = fmt::format("Code: line holds no bytes ('{}')", tok);
      return std::nullopt;
    }
    for (size_t b = 0; b < tok.size() / 2; ++b) t.bytes.push_back(static_cast<uint8_t>((*v >> (8 * b)) & 0xff));
    out.push_back(std::move(t));
  }
  if (out.empty()) {
    *err = "empty Code: line";
    return std::nullopt;
  }
  return out;
}

struct CsHandle {
  csh h = 0;
  bool ok = false;
  CsHandle(cs_arch a, cs_mode m) { ok = cs_open(a, m, &h) == CS_ERR_OK; }
  ~CsHandle() {
    if (ok) cs_close(&h);
  }
};

// Decodes code[from, to) at a virtual base; returns false when an instruction straddles `to`
// or a byte cannot be decoded.
bool decode_range(csh h, const std::vector<uint8_t>& code, size_t from, size_t to, int64_t rel_base,
                  std::vector<CodeInsn>* out) {
  size_t pos = from;
  while (pos < to) {
    cs_insn* insn = nullptr;
    size_t n = cs_disasm(h, code.data() + pos, to - pos, static_cast<uint64_t>(0x1000 + pos), 1, &insn);
    if (n == 0) return false;
    CodeInsn ci;
    ci.offset = static_cast<int64_t>(pos) - rel_base;
    for (size_t b = 0; b < insn[0].size; ++b) ci.bytes += fmt::format("{:02x}", insn[0].bytes[b]);
    ci.text = std::string(insn[0].mnemonic) + (insn[0].op_str[0] ? " " : "") + insn[0].op_str;
    pos += insn[0].size;
    cs_free(insn, n);
    out->push_back(std::move(ci));
  }
  return pos == to;
}

}  // namespace

CodeDecode decode_code_line(std::string_view line, std::string_view arch) {
  CodeDecode cd;
  cd.raw = std::string(trim(line));
  auto p = line.find("Code:");
  std::string_view body = trim(p == std::string_view::npos ? line : line.substr(p + 5));
  std::string err;
  auto toks = tokenize(body, &err);
  if (!toks) {
    cd.error = err;
    return cd;
  }
  size_t width = (*toks)[0].bytes.size();
  std::string a(arch);
  if (a.empty()) a = width == 4 ? "arm64" : width == 2 ? "arm" : "x86_64";
  if (width == 1 && (a == "arm64" || a == "arm")) a = "x86_64";
  cd.arch = a;
  std::vector<uint8_t> code;
  std::optional<size_t> mark;
  bool thumb = false;
  for (const auto& t : *toks) {
    if (t.marked) {
      mark = code.size();
      thumb = t.bytes.size() == 2;
    }
    code.insert(code.end(), t.bytes.begin(), t.bytes.end());
  }
  cs_arch csa = CS_ARCH_X86;
  cs_mode csm = CS_MODE_64;
  if (a == "x86") {
    csm = CS_MODE_32;
  } else if (a == "arm64") {
    csa = CS_ARCH_ARM64;
    csm = CS_MODE_ARM;
  } else if (a == "arm") {
    csa = CS_ARCH_ARM;
    csm = thumb || width == 2 ? CS_MODE_THUMB : CS_MODE_ARM;
  }
  CsHandle cs(csa, csm);
  if (!cs.ok) {
    cd.error = "capstone cannot open " + a;
    return cd;
  }
  size_t m = mark.value_or(0);
  std::vector<CodeInsn> before;
  if (m > 0) {
    // x86 lines start mid-instruction; the first start that decodes exactly up to the marker is
    // the one scripts/decodecode would agree with. Fixed-width ISAs align at 0.
    for (size_t start = 0; start < m && start < 16; ++start) {
      std::vector<CodeInsn> tmp;
      if (decode_range(cs.h, code, start, m, static_cast<int64_t>(m), &tmp)) {
        before = std::move(tmp);
        break;
      }
    }
  }
  std::vector<CodeInsn> after;
  // After the marker, decode as far as the bytes go; a trailing partial instruction is dropped.
  for (size_t pos = m; pos < code.size();) {
    size_t before_count = after.size();
    cs_insn* insn = nullptr;
    size_t n = cs_disasm(cs.h, code.data() + pos, code.size() - pos, 0x1000 + pos, 1, &insn);
    if (n == 0) break;
    size_t sz = insn[0].size;
    cs_free(insn, n);
    if (!decode_range(cs.h, code, pos, pos + sz, static_cast<int64_t>(m), &after) || after.size() == before_count)
      break;
    pos += sz;
  }
  if (after.empty() && before.empty()) {
    cd.error = "capstone decoded no instruction";
    return cd;
  }
  if (mark && !after.empty()) after.front().faulting = true;
  if (a == "arm64" || a == "arm") {
    // Show fixed-width instructions as the words the kernel printed, not in memory order.
    for (auto* v : {&before, &after}) {
      for (auto& i : *v) {
        std::string w;
        for (size_t k = i.bytes.size(); k >= 2; k -= 2) w += i.bytes.substr(k - 2, 2);
        i.bytes = w;
      }
    }
  }
  cd.insns = std::move(before);
  cd.insns.insert(cd.insns.end(), after.begin(), after.end());
  return cd;
}

std::optional<CodeDecode> find_and_decode_code(const std::vector<std::string>& report, std::string_view arch) {
  for (size_t i = 0; i < report.size(); ++i) {
    auto t = trim(report[i]);
    if (!t.starts_with("Code:")) continue;
    // Skip the user-mode Code: of the syscall return frame ("RIP: 0033:") on x86.
    if (i > 0 && trim(report[i - 1]).starts_with("RIP: 0033:")) continue;
    return decode_code_line(t, arch);
  }
  return std::nullopt;
}

}  // namespace kdx::analysis
