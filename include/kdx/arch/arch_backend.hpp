// One constant description per CPU architecture (drgn-style): data + function pointers, found by name or ELF machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include <capstone/capstone.h>

#include "kdx/arch/translation_config.hpp"
#include "kdx/error.hpp"

namespace kdx {

class PhysReader;
class PageTableWalker;

// Filled by the unwinder and fault-decoder layers (other branches). They are declared here
// only so that ArchBackend has a typed slot; each arch's backend file sets the pointer to
// the constant the other layer defines (one line per arch, see docs/address-translation.md).
struct ArchUnwinder;
struct ArchFaultDecoder;

// One register of the NT_PRSTATUS pr_reg array, in file order.
struct PrstatusRegister {
  std::string_view name;
  int dwarf_regno;  // DWARF register number, or -1 when DWARF has none for it
};

struct ArchBackend {
  std::string_view name;            // canonical name: "x86_64", "arm64"
  std::span<const std::string_view> aliases;  // other spellings (uname -m, kdump header): "aarch64"
  uint16_t elf_machine;             // EM_X86_64 (62), EM_AARCH64 (183)
  unsigned pointer_size;            // bytes
  bool little_endian;
  cs_arch capstone_arch;
  cs_mode capstone_mode;

  // NT_PRSTATUS layout: pr_reg starts at prstatus_regs_offset, then prstatus_regs in order,
  // each 8 bytes. The whole note descriptor is prstatus_size bytes.
  size_t prstatus_regs_offset;
  size_t prstatus_size;
  std::span<const PrstatusRegister> prstatus_regs;
  size_t prstatus_pc;  // index into prstatus_regs
  size_t prstatus_sp;
  size_t prstatus_fp;

  // Builds the page-table walker for cfg over phys. Never fails: a bad config shows up as
  // errors in the walks.
  std::unique_ptr<PageTableWalker> (*make_walker)(const TranslationConfig& cfg, PhysReader& phys);

  // Builds the translation config from the dump's VMCOREINFO. phys (may be null)
  // lets it read KASLR'd variables (page_offset_base, ...) through the kernel image mapping;
  // symbols (may be empty) gives runtime addresses of vmlinux symbols. Fails with Format when
  // a required key is missing or unparsable, naming the key.
  Result<TranslationConfig> (*config_from_vmcoreinfo)(const dump::Vmcoreinfo& vi, PhysReader* phys,
                                                      const SymbolLookup& symbols);

  // Strips tags from a pointer value (arm64: top byte / MTE tag and PAC signature; x86_64:
  // identity) so it can be translated or symbolized. Never fails.
  uint64_t (*untag_pointer)(const TranslationConfig& cfg, uint64_t ptr);

  const ArchUnwinder* unwinder = nullptr;          // null until the unwinder layer fills it
  const ArchFaultDecoder* fault_decoder = nullptr; // null until the fault layer fills it
};

// Returns the backend for an architecture name ("x86_64", "amd64", "arm64", "aarch64"), or
// nullptr when unknown.
const ArchBackend* find_arch(std::string_view name);
// Returns the backend for an ELF e_machine value, or nullptr when unsupported.
const ArchBackend* find_arch_by_elf_machine(uint16_t e_machine);
// Every registered backend.
std::span<const ArchBackend* const> all_arches();

// Convenience: the backend's config_from_vmcoreinfo.
inline Result<TranslationConfig> config_from_vmcoreinfo(const ArchBackend& arch, const dump::Vmcoreinfo& vi,
                                                        PhysReader* phys = nullptr,
                                                        const SymbolLookup& symbols = {}) {
  return arch.config_from_vmcoreinfo(vi, phys, symbols);
}

}  // namespace kdx
