// Decodes the kernel's compressed kallsyms table from the dump's memory (layout of scripts/kallsyms.c, 4.6 .. 6.1).
#include "kdx/symbols/kallsyms.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

namespace kdx::symbols {
namespace {

constexpr uint32_t kMaxSymbols = 4u << 20;         // a distro kernel has ~200k
constexpr uint64_t kMaxNamesBytes = 64ull << 20;
constexpr uint64_t kMaxTokenTableBytes = 64 * 1024;  // 256 tokens, each shorter than a name
constexpr size_t kMaxNameLen = 1024;                 // KSYM_NAME_LEN is 512 since 6.1 (128 before)

const char* mode_name(KallsymsAddressMode m) {
  switch (m) {
    case KallsymsAddressMode::Absolute: return "absolute addresses";
    case KallsymsAddressMode::BaseRelative: return "base-relative";
    case KallsymsAddressMode::BaseRelativeAbsolutePercpu: return "base-relative with absolute per-CPU symbols";
  }
  return "?";
}

bool is_text_type(char t) { return t == 'T' || t == 't' || t == 'W' || t == 'w'; }

// Reads kernel memory in chunks on demand, so a names array needs no known length.
class ChunkReader {
 public:
  ChunkReader(VirtReader& mem, uint64_t start, uint64_t limit) : mem_(mem), start_(start), limit_(limit) {}
  Result<uint8_t> byte(uint64_t pos) {
    if (pos >= limit_) return error_at_address(ErrorCode::Corrupt, start_ + pos, "kallsyms_names runs past its end");
    while (pos >= buf_.size()) {
      size_t n = size_t(std::min<uint64_t>(kChunk, limit_ - buf_.size()));
      // Never read across a page we do not need: the last chunk is cut at the limit.
      size_t old = buf_.size();
      buf_.resize(old + n);
      if (auto r = mem_.read_virt(start_ + old, std::span<uint8_t>(buf_.data() + old, n)); !r) {
        // The chunk may reach past the array into memory that is not there: keep what lies
        // before the first unreadable byte, and fail only when that is nothing.
        uint64_t bad = r.error().address.value_or(start_ + old);
        size_t m = bad > start_ + old && bad < start_ + old + n ? size_t(bad - (start_ + old)) : 0;
        if (m) {
          buf_.resize(old + m);
          if (auto r2 = mem_.read_virt(start_ + old, std::span<uint8_t>(buf_.data() + old, m)); r2) continue;
        }
        buf_.resize(old);
        return std::unexpected(r.error());
      }
    }
    return buf_[pos];
  }

 private:
  static constexpr uint64_t kChunk = 64 * 1024;
  VirtReader& mem_;
  uint64_t start_, limit_;
  std::vector<uint8_t> buf_;
};

Result<std::vector<uint8_t>> read_bytes(VirtReader& mem, uint64_t addr, uint64_t n, const char* what) {
  std::vector<uint8_t> b(n);
  if (auto r = mem.read_virt(addr, b); !r) {
    Error e = r.error();
    e.message = fmt::format("{} (reading {} bytes of {})", e.message, n, what);
    return std::unexpected(e);
  }
  return b;
}

}  // namespace

Result<KallsymsLocation> kallsyms_location(const dump::Vmcoreinfo& vmi) {
  KallsymsLocation at;
  for (auto [key, field] : {std::pair{"kallsyms_names", &at.names}, std::pair{"kallsyms_num_syms", &at.num_syms},
                            std::pair{"kallsyms_token_table", &at.token_table},
                            std::pair{"kallsyms_token_index", &at.token_index}}) {
    auto v = vmi.symbol(key);
    if (!v)
      return make_error(ErrorCode::NotPresent,
                        "VMCOREINFO has no SYMBOL({}) (kernels before 6.0 do not export kallsyms)", key);
    *field = *v;
  }
  at.offsets = vmi.symbol("kallsyms_offsets");
  at.relative_base = vmi.symbol("kallsyms_relative_base");
  at.addresses = vmi.symbol("kallsyms_addresses");
  at.markers = vmi.symbol("kallsyms_markers");
  if (!(at.offsets && at.relative_base) && !at.addresses)
    return make_error(ErrorCode::NotPresent,
                      "VMCOREINFO has neither SYMBOL(kallsyms_offsets)+SYMBOL(kallsyms_relative_base) nor "
                      "SYMBOL(kallsyms_addresses)");
  return at;
}

Result<KallsymsTable> KallsymsTable::read(VirtReader& mem, const KallsymsLocation& at, std::optional<uint64_t> stext,
                                          bool absolute_percpu_hint) {
  auto num = mem.read<uint32_t>(at.num_syms);
  if (!num) return std::unexpected(num.error());
  if (*num == 0 || *num > kMaxSymbols)
    return error_at_address(ErrorCode::Corrupt, at.num_syms,
                            fmt::format("kallsyms_num_syms is {} (expected 1..{})", *num, kMaxSymbols));
  const uint32_t n = *num;

  // Tokens: 256 u16 offsets into the token table; each token is a NUL-terminated string.
  auto idx_bytes = read_bytes(mem, at.token_index, 512, "kallsyms_token_index");
  if (!idx_bytes) return std::unexpected(idx_bytes.error());
  std::array<uint16_t, 256> idx{};
  std::memcpy(idx.data(), idx_bytes->data(), 512);
  uint64_t table_len = *std::max_element(idx.begin(), idx.end()) + 256ull;  // last token: < KSYM_NAME_LEN
  if (at.token_index > at.token_table) table_len = std::min(table_len, at.token_index - at.token_table);
  table_len = std::min(table_len, kMaxTokenTableBytes);
  ChunkReader table_reader(mem, at.token_table, table_len);
  std::array<std::string, 256> tokens;
  for (size_t i = 0; i < 256; i++) {
    for (uint64_t p = idx[i];; p++) {
      auto c = table_reader.byte(p);
      if (!c)
        return error_at_address(ErrorCode::Corrupt, at.token_index + 2 * i,
                                fmt::format("kallsyms token {} (offset {}) is not terminated inside the token table", i,
                                            idx[i]));
      if (*c == 0) break;
      tokens[i].push_back(char(*c));
      if (tokens[i].size() > kMaxNameLen)
        return error_at_address(ErrorCode::Corrupt, at.token_table + idx[i],
                                fmt::format("kallsyms token {} is longer than any symbol name", i));
    }
  }

  // Names. The array ends before the next array the kernel emits after it (markers, then
  // the token table); without either, only the count bounds it.
  uint64_t names_limit = kMaxNamesBytes;
  for (auto next : {at.markers, std::optional<uint64_t>(at.token_table), std::optional<uint64_t>(at.token_index)})
    if (next && *next > at.names) names_limit = std::min(names_limit, *next - at.names);
  if (names_limit < 2ull * n)
    return error_at_address(ErrorCode::Corrupt, at.num_syms,
                            fmt::format("kallsyms_num_syms is {} but kallsyms_names has room for {} bytes", n, names_limit));
  ChunkReader names(mem, at.names, names_limit);
  std::vector<KallsymsSymbol> syms(n);
  uint64_t pos = 0;
  for (uint32_t i = 0; i < n; i++) {
    auto len0 = names.byte(pos);
    if (!len0) return std::unexpected(len0.error());
    uint64_t len = *len0;
    pos++;
    if (len & 0x80) {  // 6.1+: "big" symbols carry a second length byte
      auto len1 = names.byte(pos);
      if (!len1) return std::unexpected(len1.error());
      len = (len & 0x7f) | (uint64_t(*len1) << 7);
      pos++;
    }
    if (len == 0)
      return error_at_address(ErrorCode::Corrupt, at.names + pos - 1, fmt::format("kallsyms symbol {} has length 0", i));
    std::string full;
    for (uint64_t k = 0; k < len; k++) {
      auto t = names.byte(pos++);
      if (!t) return std::unexpected(t.error());
      full += tokens[*t];
      if (full.size() > kMaxNameLen)
        return error_at_address(ErrorCode::Corrupt, at.names + pos - 1,
                                fmt::format("kallsyms symbol {} expands past {} characters", i, kMaxNameLen));
    }
    if (full.size() < 2)
      return error_at_address(ErrorCode::Corrupt, at.names + pos - len,
                              fmt::format("kallsyms symbol {} expands to \"{}\"", i, full));
    syms[i].type = full[0];
    syms[i].name = full.substr(1);
  }

  // Addresses, in every mode the VMCOREINFO allows; the right one puts _stext where it is.
  std::vector<std::pair<KallsymsAddressMode, std::vector<uint64_t>>> candidates;
  if (at.offsets && at.relative_base) {
    auto base = mem.read_u64(*at.relative_base);
    if (!base) return std::unexpected(base.error());
    auto raw = read_bytes(mem, *at.offsets, uint64_t(n) * 4, "kallsyms_offsets");
    if (!raw) return std::unexpected(raw.error());
    std::vector<int32_t> off(n);
    std::memcpy(off.data(), raw->data(), raw->size());
    std::vector<uint64_t> rel(n), pcpu(n);
    for (uint32_t i = 0; i < n; i++) {
      rel[i] = *base + uint32_t(off[i]);
      pcpu[i] = off[i] >= 0 ? uint64_t(off[i]) : *base - 1 - int64_t(off[i]);
    }
    if (absolute_percpu_hint) {
      candidates.push_back({KallsymsAddressMode::BaseRelativeAbsolutePercpu, std::move(pcpu)});
      candidates.push_back({KallsymsAddressMode::BaseRelative, std::move(rel)});
    } else {
      candidates.push_back({KallsymsAddressMode::BaseRelative, std::move(rel)});
      candidates.push_back({KallsymsAddressMode::BaseRelativeAbsolutePercpu, std::move(pcpu)});
    }
  } else {
    auto raw = read_bytes(mem, *at.addresses, uint64_t(n) * 8, "kallsyms_addresses");
    if (!raw) return std::unexpected(raw.error());
    std::vector<uint64_t> a(n);
    std::memcpy(a.data(), raw->data(), raw->size());
    candidates.push_back({KallsymsAddressMode::Absolute, std::move(a)});
  }
  std::optional<size_t> stext_i;
  for (size_t i = 0; i < n; i++)
    if (syms[i].name == "_stext") stext_i = i;
  const std::pair<KallsymsAddressMode, std::vector<uint64_t>>* chosen = nullptr;
  if (stext && stext_i) {
    for (const auto& c : candidates)
      if (c.second[*stext_i] == *stext) {
        chosen = &c;
        break;
      }
    if (!chosen)
      return make_error(ErrorCode::Mismatch,
                        "kallsyms puts _stext at {:#x} ({}) but VMCOREINFO says {:#x}", candidates.front().second[*stext_i],
                        mode_name(candidates.front().first), *stext);
  } else {
    // No reference: text symbols must lie in the upper (kernel) half.
    for (const auto& c : candidates) {
      size_t text = 0, high = 0;
      for (size_t i = 0; i < n; i++)
        if (is_text_type(syms[i].type)) {
          text++;
          high += c.second[i] >> 63;
        }
      if (text && high == text) {
        chosen = &c;
        break;
      }
    }
    if (!chosen) return make_error(ErrorCode::Corrupt, "kallsyms text symbols do not decode to kernel addresses in any mode");
  }

  KallsymsTable t;
  t.mode_ = chosen->first;
  for (size_t i = 0; i < n; i++) syms[i].address = chosen->second[i];
  t.syms_ = std::move(syms);
  for (size_t i = 0; i < n; i++) t.by_name_.emplace(t.syms_[i].name, i);
  auto addr_of = [&](const char* name) -> std::optional<uint64_t> {
    auto it = t.by_name_.find(name);
    return it == t.by_name_.end() ? std::nullopt : std::optional<uint64_t>(t.syms_[it->second].address);
  };
  // The image: [_text, _end]; absolute per-CPU symbols (offsets, not addresses) lie below it.
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& s : t.syms_)
    if (is_text_type(s.type)) {
      lo = std::min(lo, s.address);
      hi = std::max(hi, s.address);
    }
  if (auto a = addr_of("_text")) lo = std::min(lo, *a);
  if (t.mode_ == KallsymsAddressMode::BaseRelativeAbsolutePercpu) {
    // Everything decoded relative to the base belongs to the image.
    for (const auto& s : t.syms_)
      if (s.address >= (1ull << 63)) lo = std::min(lo, s.address);
  } else {
    for (const auto& s : t.syms_) lo = std::min(lo, s.address);
  }
  for (const auto& s : t.syms_) hi = std::max(hi, s.address);
  if (auto e = addr_of("_end")) hi = std::max(hi, *e);
  t.image_lo_ = lo;
  t.image_hi_ = hi;
  for (size_t i = 0; i < n; i++)
    if (t.syms_[i].address >= lo && t.syms_[i].address <= hi) t.by_address_.push_back(i);
  std::stable_sort(t.by_address_.begin(), t.by_address_.end(),
                   [&](size_t a, size_t b) { return t.syms_[a].address < t.syms_[b].address; });
  if (auto s = addr_of("_stext"), e = addr_of("_etext"); s && e && *s < *e) t.text_ = {*s, *e};
  if (auto s = addr_of("_sinittext"), e = addr_of("_einittext"); s && e && *s < *e) t.inittext_ = {*s, *e};
  return t;
}

std::string KallsymsTable::describe() const { return fmt::format("{} symbols, {}", syms_.size(), mode_name(mode_)); }

SymbolHit KallsymsTable::hit(size_t i, uint64_t addr) const {
  const auto& s = syms_[i];
  SymbolHit h;
  h.name = s.name;
  h.address = s.address;
  h.offset = addr - s.address;
  h.type_char = s.type;
  // Size: up to the next higher address, as kallsyms_lookup_size_offset() computes it.
  auto it = std::upper_bound(by_address_.begin(), by_address_.end(), s.address,
                             [&](uint64_t a, size_t j) { return a < syms_[j].address; });
  if (it != by_address_.end() && s.address >= image_lo_) h.size = syms_[*it].address - s.address;
  return h;
}

Result<SymbolHit> KallsymsTable::symbolize(uint64_t addr) const {
  if (addr < image_lo_ || addr > image_hi_ || by_address_.empty())
    return error_at_address(ErrorCode::NotPresent, addr, "address is outside the kernel image (kallsyms)");
  auto it = std::upper_bound(by_address_.begin(), by_address_.end(), addr,
                             [&](uint64_t a, size_t j) { return a < syms_[j].address; });
  if (it == by_address_.begin())
    return error_at_address(ErrorCode::NotPresent, addr, "no kallsyms symbol at or below the address");
  uint64_t start = syms_[*(it - 1)].address;
  // Among aliases, the first in table order: scripts/kallsyms.c already sorted them by
  // preference (strong before weak, not linker-script provided, fewer leading underscores),
  // which is what the kernel's %pS prints. Mapping symbols ("$x", arm64's "__pi_$x") last.
  auto first = std::lower_bound(by_address_.begin(), it, start, [&](size_t j, uint64_t a) { return syms_[j].address < a; });
  size_t best = *first;
  for (auto p = first; p != it; ++p)
    if (syms_[*p].name.find('$') == std::string::npos) {
      best = *p;
      break;
    }
  return hit(best, addr);
}

Result<SymbolHit> KallsymsTable::lookup(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return make_error(ErrorCode::NotPresent, "no symbol {} in the kernel's kallsyms", name);
  return hit(it->second, syms_[it->second].address);
}

bool KallsymsTable::is_text(uint64_t addr) const {
  if (text_ || inittext_) {
    if (text_ && addr >= text_->first && addr < text_->second) return true;
    if (inittext_ && addr >= inittext_->first && addr < inittext_->second) return true;
    return false;
  }
  auto h = symbolize(addr);
  return h && is_text_type(h->type_char);
}

}  // namespace kdx::symbols
