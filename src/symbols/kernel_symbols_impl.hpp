// Private state of KernelSymbols, shared by the files that implement its parts (symbols, types, modules).
#pragma once

#include <elfutils/libdwfl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kdx/symbols/kernel_symbols.hpp"
#include "type_index.hpp"

namespace kdx::symbols {

// One ELF symbol of vmlinux, at its link address. name points into libelf's string table,
// which lives as long as the Dwfl.
struct LinkSymbol {
  uint64_t address;
  uint64_t size;
  const char* name;
  uint8_t type;     // STT_*
  uint8_t binding;  // STB_*
};

// "x86_64", "aarch64", ... for an ELF e_machine (as KernelSymbols::machine() spells it).
std::string elf_machine_name(int em);

struct LoadedModule {
  std::string name;
  std::string path;       // the file handed to libdwfl (decompressed if needed)
  SectionAddresses sections;
  uint64_t start = 0, end = 0;
  Dwfl_Module* dwfl_module = nullptr;
};

struct DwflDeleter {
  void operator()(Dwfl* d) const {
    if (d) dwfl_end(d);
  }
};

struct KernelSymbols::Impl {
  OpenOptions opts;
  std::string path;        // as given
  std::string elf_path;    // decompressed copy or path
  std::string debug_path;  // where DWARF came from
  std::vector<std::string> debuginfo_dirs;  // storage behind debuginfo_path
  std::string debuginfo_path_str;
  char* debuginfo_path_ptr = nullptr;
  Dwfl_Callbacks callbacks{};
  std::unique_ptr<Dwfl, DwflDeleter> dwfl;
  Dwfl_Module* module = nullptr;
  uint64_t low = 0, high = 0;  // link-time address range of vmlinux
  uint64_t kaslr = 0;
  std::string machine;

  // Lazily built symbol tables.
  bool symbols_built = false;
  std::vector<LinkSymbol> by_address;
  std::unordered_map<std::string_view, size_t> by_name;
  size_t name_lookups = 0;

  // Lazily opened DWARF.
  bool dwarf_tried = false;
  Dwarf* dwarf = nullptr;
  Dwarf_Addr dwarf_bias = 0;
  std::optional<Error> dwarf_error;
  std::unique_ptr<TypeIndex> types;

  // Modules, relocated at their runtime addresses in a Dwfl of their own (so a module's
  // runtime range can never collide with vmlinux's link-time range).
  Dwfl_Callbacks module_callbacks{};
  std::unique_ptr<Dwfl, DwflDeleter> module_dwfl;
  std::vector<std::unique_ptr<LoadedModule>> modules;

  void build_symbols();
  const LinkSymbol* find_by_name(std::string_view name);
  Result<Dwarf*> ensure_dwarf();
  Result<TypeIndex*> type_index();
  // Finds a named type from a user spelling ("struct x", "x"); sets *typedef_name when the
  // name resolved to a typedef.
  Result<Dwarf_Die> find_type(std::string_view spec, std::string* typedef_name, std::string_view want_kind);
  std::optional<SymbolHit> vmlinux_symbol(uint64_t runtime) const;
  std::optional<SourceLocation> source_for(Dwfl_Module* mod, uint64_t dwfl_addr, bool inline_chain) const;
  const LoadedModule* module_at(uint64_t runtime) const;
};

}  // namespace kdx::symbols
