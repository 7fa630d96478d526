// Reader of the loaded-module list: names, load addresses, section addresses and in-memory kallsyms.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kdx/error.hpp"
#include "kdx/kernel/type_layout.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx::kernel {

struct ModuleSymbol {
  std::string name;
  uint64_t value = 0, size = 0;
  char type = '?';  // kallsyms type letter when the typetab is there
};

struct ModuleInfo {
  uint64_t addr = 0;                        // struct module *
  std::string name;
  uint64_t base = 0, size = 0, text_size = 0;  // core text region
  uint64_t init_base = 0, init_size = 0;    // init region (freed after init; live while loading)
  std::string layout;                       // "mem[]" (6.4+), "core_layout" (4.5-6.3), "module_core"
  std::map<std::string, uint64_t> sections; // ".text" -> address, from sect_attrs
  std::vector<ModuleSymbol> symbols;        // from the module's own kallsyms
};

// Walks the `modules` list. Per module, failures to read sections or kallsyms are notes; a
// module whose name cannot be read ends the walk with a note. Fails only when the list head
// or the layout of struct module is unknown.
Result<std::vector<ModuleInfo>> list_modules(VirtReader& mem, TypeLayout& layout, std::vector<std::string>& notes);

// The module whose core (or still-loaded init) region holds addr, or nullptr.
const ModuleInfo* module_for_address(const std::vector<ModuleInfo>& mods, uint64_t addr);

// The nearest module kallsyms symbol at or below addr within `m`, or nullptr.
const ModuleSymbol* module_symbol_for_address(const ModuleInfo& m, uint64_t addr);

}  // namespace kdx::kernel
