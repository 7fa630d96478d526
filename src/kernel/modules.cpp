// Loaded-module reader: struct module list, per-version core layouts, sect_attrs and mod_kallsyms.
#include "kdx/kernel/modules.hpp"

#include <algorithm>
#include <cstring>
#include <set>

namespace kdx::kernel {
namespace {

constexpr size_t kMaxModules = 65536;
constexpr uint32_t kMaxSections = 4096, kMaxSyms = 1 << 20;

// Fills base/size/text_size from whichever layout this kernel has.
void read_core_region(VirtReader& mem, TypeLayout& L, ModuleInfo& m) {
  if (auto memo = L.member_offset("module", "mem")) {
    // 6.4+: struct module_memory mem[MOD_MEM_NUM_TYPES]; MOD_TEXT = 0.
    auto b = L.member_offset("module_memory", "base"), s = L.member_offset("module_memory", "size");
    auto msz = L.type_size("module_memory");
    if (b && s) {
      m.layout = "mem[]";
      if (auto v = mem.read_u64(m.addr + *memo + *b)) m.base = *v;
      if (auto v = mem.read<uint32_t>(m.addr + *memo + *s)) m.size = m.text_size = *v;
      if (msz) {  // MOD_INIT_TEXT = 4 in enum mod_mem_type
        if (auto v = mem.read_u64(m.addr + *memo + 4 * *msz + *b)) m.init_base = *v;
        if (auto v = mem.read<uint32_t>(m.addr + *memo + 4 * *msz + *s)) m.init_size = *v;
      }
    }
    return;
  }
  if (auto cl = L.member_offset("module", "core_layout")) {
    auto b = L.member_offset("module_layout", "base"), s = L.member_offset("module_layout", "size"),
         t = L.member_offset("module_layout", "text_size");
    if (b && s) {
      m.layout = "core_layout";
      if (auto v = mem.read_u64(m.addr + *cl + *b)) m.base = *v;
      if (auto v = mem.read<uint32_t>(m.addr + *cl + *s)) m.size = *v;
      if (t)
        if (auto v = mem.read<uint32_t>(m.addr + *cl + *t)) m.text_size = *v;
      if (auto il = L.member_offset("module", "init_layout")) {
        if (auto v = mem.read_u64(m.addr + *il + *b)) m.init_base = *v;
        if (auto v = mem.read<uint32_t>(m.addr + *il + *s)) m.init_size = *v;
      }
    }
    return;
  }
  if (auto mc = L.member_offset("module", "module_core")) {
    m.layout = "module_core";
    if (auto v = mem.read_u64(m.addr + *mc)) m.base = *v;
    if (auto cs = L.member_offset("module", "core_size"))
      if (auto v = mem.read<uint32_t>(m.addr + *cs)) m.size = *v;
  }
}

void read_sections(VirtReader& mem, TypeLayout& L, ModuleInfo& m, std::vector<std::string>& notes) {
  auto sa = L.member_offset("module", "sect_attrs");
  auto nsec = L.member_offset("module_sect_attrs", "nsections");
  auto attrs = L.member_offset("module_sect_attrs", "attrs");
  auto attr_size = L.type_size("module_sect_attr");
  auto addr_off = L.member_offset("module_sect_attr", "address");
  auto name_off = L.member_offset("module_sect_attr", "battr.attr.name");
  if (!sa || !nsec || !attrs || !attr_size || !addr_off || !name_off) return;
  auto p = mem.read_u64(m.addr + *sa);
  if (!p || !*p) return;
  auto n = mem.read<uint32_t>(*p + *nsec);
  if (!n || *n > kMaxSections) {
    notes.push_back(fmt::format("module {}: section attributes unreadable", m.name));
    return;
  }
  for (uint32_t i = 0; i < *n; i++) {
    uint64_t a = *p + *attrs + uint64_t(i) * *attr_size;
    auto addr = mem.read_u64(a + *addr_off);
    auto np = mem.read_u64(a + *name_off);
    if (!addr || !np) continue;
    auto name = mem.read_cstring(*np, 128);
    if (name) m.sections[*name] = *addr;
  }
}

void read_kallsyms(VirtReader& mem, TypeLayout& L, ModuleInfo& m, std::vector<std::string>& notes) {
  auto ko = L.member_offset("module", "kallsyms");
  auto st = L.member_offset("mod_kallsyms", "symtab"), ns = L.member_offset("mod_kallsyms", "num_symtab"),
       str = L.member_offset("mod_kallsyms", "strtab"), tt = L.member_offset("mod_kallsyms", "typetab");
  if (!ko || !st || !ns || !str) return;
  auto ks = mem.read_u64(m.addr + *ko);
  if (!ks || !*ks) return;
  auto symtab = mem.read_u64(*ks + *st);
  auto num = mem.read<uint32_t>(*ks + *ns);
  auto strtab = mem.read_u64(*ks + *str);
  if (!symtab || !num || !strtab || *num > kMaxSyms) {
    notes.push_back(fmt::format("module {}: kallsyms unreadable", m.name));
    return;
  }
  uint64_t typetab = 0;
  if (tt)
    if (auto v = mem.read_u64(*ks + *tt)) typetab = *v;
  // Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64.
  for (uint32_t i = 1; i < *num; i++) {
    uint8_t raw[24];
    if (!mem.read_virt(*symtab + uint64_t(i) * 24, raw)) break;
    uint32_t name_off;
    uint64_t value, size;
    std::memcpy(&name_off, raw, 4);
    std::memcpy(&value, raw + 8, 8);
    std::memcpy(&size, raw + 16, 8);
    if (!value) continue;
    auto name = mem.read_cstring(*strtab + name_off, 256);
    if (!name || name->empty()) continue;
    ModuleSymbol s{*name, value, size, '?'};
    if (typetab)
      if (auto t = mem.read<char>(typetab + i)) s.type = *t;
    m.symbols.push_back(std::move(s));
  }
  std::sort(m.symbols.begin(), m.symbols.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
}

}  // namespace

Result<std::vector<ModuleInfo>> list_modules(VirtReader& mem, TypeLayout& L, std::vector<std::string>& notes) {
  auto head = L.symbol_address("modules");
  if (!head) return std::unexpected(head.error());
  auto list_off = L.member_offset("module", "list");
  auto name_off = L.member_offset("module", "name");
  if (!list_off) return std::unexpected(list_off.error());
  if (!name_off) return std::unexpected(name_off.error());
  std::vector<ModuleInfo> out;
  std::set<uint64_t> seen;
  auto next = mem.read_u64(*head);
  if (!next) return std::unexpected(next.error());
  for (uint64_t p = *next; p != *head;) {
    if (!seen.insert(p).second || out.size() >= kMaxModules) {
      notes.push_back(fmt::format("module list loops at {:#x}; stopped", p));
      break;
    }
    ModuleInfo m;
    m.addr = p - *list_off;
    auto name = mem.read_cstring(m.addr + *name_off, 56);
    if (!name) {
      notes.push_back(fmt::format("module at {:#x}: name unreadable ({}); stopped", m.addr, name.error().message));
      break;
    }
    m.name = *name;
    read_core_region(mem, L, m);
    read_sections(mem, L, m, notes);
    read_kallsyms(mem, L, m, notes);
    out.push_back(std::move(m));
    auto n = mem.read_u64(p);
    if (!n) {
      notes.push_back(fmt::format("module list entry {:#x} unreadable; stopped", p));
      break;
    }
    p = *n;
  }
  return out;
}

const ModuleInfo* module_for_address(const std::vector<ModuleInfo>& mods, uint64_t addr) {
  for (const auto& m : mods) {
    if (m.size && addr >= m.base && addr < m.base + m.size) return &m;
    if (m.init_size && m.init_base && addr >= m.init_base && addr < m.init_base + m.init_size) return &m;
  }
  return nullptr;
}

const ModuleSymbol* module_symbol_for_address(const ModuleInfo& m, uint64_t addr) {
  auto it = std::upper_bound(m.symbols.begin(), m.symbols.end(), addr,
                             [](uint64_t a, const ModuleSymbol& s) { return a < s.value; });
  if (it == m.symbols.begin()) return nullptr;
  --it;
  if (it->size && addr >= it->value + it->size) return nullptr;
  return &*it;
}

}  // namespace kdx::kernel
