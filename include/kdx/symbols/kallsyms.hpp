// The kernel's own symbol table (kallsyms), decoded from the dump's memory: names without a vmlinux.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/error.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx::symbols {

// Runtime addresses of the kallsyms arrays (VMCOREINFO SYMBOL()s, 6.0+).
struct KallsymsLocation {
  uint64_t names = 0, num_syms = 0, token_table = 0, token_index = 0;
  std::optional<uint64_t> offsets, relative_base;  // CONFIG_KALLSYMS_BASE_RELATIVE
  std::optional<uint64_t> addresses;               // without it: absolute unsigned longs
  std::optional<uint64_t> markers;                 // only bounds the names array
};

// Reads the SYMBOL(kallsyms_*) entries. Fails with NotPresent naming the first missing key
// (kernels before 6.0 do not export them).
Result<KallsymsLocation> kallsyms_location(const dump::Vmcoreinfo& vmi);

// How kallsyms_offsets[] encodes addresses (scripts/kallsyms.c, kernel/kallsyms.c).
enum class KallsymsAddressMode {
  Absolute,                   // kallsyms_addresses[]: unsigned long
  BaseRelative,               // relative_base + (u32)offset
  BaseRelativeAbsolutePercpu  // offset >= 0: absolute (per-CPU); else relative_base - 1 - offset
};

struct KallsymsSymbol {
  uint64_t address = 0;
  std::string name;
  char type = '?';  // nm's letter, as the kernel stores it (first character of the entry)
};

class KallsymsTable {
 public:
  // Decodes the whole table: kallsyms_num_syms (u32), kallsyms_names (entries of a length
  // byte, or two for 6.1's "big" symbols, then token indexes; the expanded first character is
  // the type), kallsyms_token_table/index (256 NUL-terminated tokens, u16 offsets), and the
  // addresses. The address mode is chosen by checking the decoded `_stext` against
  // `stext` (VMCOREINFO SYMBOL(_stext)) when given; otherwise the mode whose text symbols lie
  // in the kernel half of the address space, absolute per-CPU first when `absolute_percpu_hint`.
  // Fails with the reader's error (NotPresent with the address), Corrupt (bad length, token
  // index or count), or Mismatch (no mode puts _stext where VMCOREINFO says).
  static Result<KallsymsTable> read(VirtReader& mem, const KallsymsLocation& at, std::optional<uint64_t> stext,
                                    bool absolute_percpu_hint);

  size_t size() const { return syms_.size(); }
  const std::vector<KallsymsSymbol>& symbols() const { return syms_; }  // kallsyms order (by address)
  KallsymsAddressMode mode() const { return mode_; }
  // "25594 symbols, base-relative with absolute per-CPU symbols"
  std::string describe() const;

  // Address -> the symbol containing it, as the kernel's kallsyms_lookup() does: the last
  // symbol at or below addr (aliases: the first in table order, which the kernel sorted by
  // preference, mapping symbols like "$x" last), size =
  // distance to the next higher address. Only addresses inside the kernel image ([_text or the
  // first non-per-CPU symbol, _end]) are answered. Fails with NotPresent.
  Result<SymbolHit> symbolize(uint64_t addr) const;
  // Name -> symbol (first in table order); offset 0. Fails with NotPresent.
  Result<SymbolHit> lookup(std::string_view name) const;
  // In [_stext, _etext) or [_sinittext, _einittext) (the kernel's is_kernel_text()), else by
  // the type letter of the containing symbol.
  bool is_text(uint64_t addr) const;

 private:
  SymbolHit hit(size_t i, uint64_t addr) const;
  std::vector<KallsymsSymbol> syms_;            // table order
  std::vector<size_t> by_address_;              // indexes of image symbols, sorted by address
  std::unordered_map<std::string, size_t> by_name_;
  uint64_t image_lo_ = 0, image_hi_ = 0;        // [lo, hi] answered by symbolize
  std::optional<std::pair<uint64_t, uint64_t>> text_, inittext_;
  KallsymsAddressMode mode_ = KallsymsAddressMode::BaseRelative;
};

}  // namespace kdx::symbols
