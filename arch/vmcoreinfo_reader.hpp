// What both arch config builders read from VMCOREINFO and vmlinux, in one place: typed values with errors naming the key, symbols, image variables, kernel sections.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kdx/arch/page_table_walker.hpp"
#include "kdx/arch/translation_config.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/error.hpp"
#include "kdx/phys_reader.hpp"

namespace kdx::arch_detail {

#define KDX_TRY_ASSIGN(var, expr)                        \
  auto var##_r = (expr);                                 \
  if (!var##_r) return std::unexpected(var##_r.error()); \
  auto var = *var##_r

// Parsing is dump::Vmcoreinfo's; this adds what a config builder needs on top: "absent" and
// "present but unparsable" told apart (the latter fails with Format naming the key), the
// vmlinux symbol lookup in front of SYMBOL(), and reads of image variables.
class VmcoreinfoReader {
 public:
  VmcoreinfoReader(const dump::Vmcoreinfo& vi, PhysReader* phys, const SymbolLookup& symbols)
      : vi_(vi), phys_(phys), symbols_(symbols) {}

  // NUMBER(name): decimal (may be negative, two's complement) or 0x-hex. nullopt when absent.
  Result<std::optional<uint64_t>> number(std::string_view name) const;
  // Same, but absence is a Format error naming the key.
  Result<uint64_t> required_number(std::string_view name) const;
  // PAGESIZE (decimal); nullopt when absent.
  Result<std::optional<uint64_t>> page_size() const;
  // KERNELOFFSET (hex without 0x); 0 when absent.
  Result<uint64_t> kernel_offset() const;
  // SYMBOL(name) only (the running kernel's own, already relocated address).
  std::optional<uint64_t> vmcoreinfo_symbol(std::string_view name) const { return vi_.symbol(name); }
  // The vmlinux's runtime address when symbols were given (it knows every symbol), else SYMBOL().
  std::optional<uint64_t> symbol(std::string_view name) const;
  // vmlinux symbols only (section bounds VMCOREINFO never exports).
  std::optional<uint64_t> vmlinux_symbol(std::string_view name) const {
    return symbols_ ? symbols_(name) : std::nullopt;
  }
  bool has_symbols() const { return bool(symbols_); }
  // OSRELEASE's "major.minor" as major*100+minor.
  std::optional<unsigned> kernel_version() const { return vmcoreinfo_kernel_version(vi_); }
  PhysReader* phys() const { return phys_; }

  // Reads an unsigned long variable of the kernel image at vaddr without a table walk: the
  // image maps linearly (walker.kernel_image_to_phys), which is how the root itself is found.
  // nullopt without a dump, outside the image, or when the bytes are not in the dump.
  std::optional<uint64_t> read_image_u64(const PageTableWalker& walker, uint64_t vaddr) const;

  // The image's sections (text from text_start, rodata, ro_after_init, data, init, bss) and
  // its bounds (_text.._end) from the vmlinux symbols; nothing without symbols.
  void add_kernel_sections(TranslationConfig& cfg, std::string_view text_start) const;

 private:
  Result<std::optional<uint64_t>> parsed(const std::string& key, std::optional<uint64_t> value,
                                         const char* expected) const;
  const dump::Vmcoreinfo& vi_;
  PhysReader* phys_;
  const SymbolLookup& symbols_;
};

}  // namespace kdx::arch_detail
