// Lazy, incremental CU walk that indexes named types (see type_index.hpp for why).
#include "type_index.hpp"

#include <dwarf.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace kdx::symbols {
namespace {

int kind_slot(int tag) {
  switch (tag) {
    case DW_TAG_structure_type: return static_cast<int>(TypeKind::Struct);
    case DW_TAG_union_type: return static_cast<int>(TypeKind::Union);
    case DW_TAG_enumeration_type: return static_cast<int>(TypeKind::Enum);
    case DW_TAG_typedef: return static_cast<int>(TypeKind::Typedef);
    case DW_TAG_base_type: return static_cast<int>(TypeKind::Base);
    default: return -1;
  }
}

bool is_declaration(Dwarf_Die* die) {
  Dwarf_Attribute a;
  bool flag = false;
  return dwarf_attr(die, DW_AT_declaration, &a) && dwarf_formflag(&a, &flag) == 0 && flag;
}

}  // namespace

TypeIndex::TypeIndex(Dwarf* dwarf, std::string cache_file, std::string stamp)
    : dwarf_(dwarf), cache_file_(std::move(cache_file)), stamp_(std::move(stamp)) {}

// Text file: a header naming the format and the debug file stamp, then one line per name:
// "name<TAB>off0 off1 off2 off3 off4" (hex DIE offsets per TypeKind, 0 = none; base type
// names contain spaces).
void TypeIndex::save_cache() const {
  if (cache_file_.empty()) return;
  std::string tmp = cache_file_ + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return;
    out << "kdx-type-index 1 " << stamp_ << "\n";
    for (auto& [name, e] : names_) {
      out << name << '\t';
      for (Dwarf_Off o : e.offset) out << std::hex << o << ' ';
      out << '\n';
    }
    if (!out) {
      std::remove(tmp.c_str());
      return;
    }
  }
  if (std::rename(tmp.c_str(), cache_file_.c_str()) != 0) std::remove(tmp.c_str());
}

bool TypeIndex::load_cache() {
  if (cache_file_.empty()) return false;
  std::ifstream in(cache_file_);
  std::string header;
  if (!in || !std::getline(in, header) || header != "kdx-type-index 1 " + stamp_) return false;
  std::unordered_map<std::string, Entry> names;
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) return false;
    std::string name = line.substr(0, tab);
    std::istringstream ls(line.substr(tab + 1));
    Entry e;
    for (auto& o : e.offset) ls >> std::hex >> o;
    if (!ls || name.empty()) return false;  // damaged: fall back to walking the DWARF
    names.emplace(std::move(name), e);
  }
  names_ = std::move(names);
  done_ = true;
  return true;
}

bool TypeIndex::lookup(std::string_view name, std::initializer_list<TypeKind> kinds, Dwarf_Die* out) {
  auto it = names_.find(std::string(name));
  if (it == names_.end()) return false;
  for (TypeKind k : kinds) {
    Dwarf_Off off = it->second.offset[static_cast<int>(k)];
    // The offset may come from the disk cache: accept it only if it names this type.
    if (off != 0 && dwarf_offdie(dwarf_, off, out) != nullptr && kind_slot(dwarf_tag(out)) == static_cast<int>(k)) {
      const char* n = dwarf_diename(out);
      if (n && name == n) return true;
    }
  }
  return false;
}

Result<bool> TypeIndex::scan_next_unit() {
  if (done_) return false;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  uint8_t unit_type = 0;
  Dwarf_Die cudie, subdie;
  int rc = dwarf_get_units(dwarf_, cursor_, &next, &version, &unit_type, &cudie, &subdie);
  if (rc == 1) {
    done_ = true;
    save_cache();
    return false;
  }
  if (rc != 0) {
    done_ = true;
    return make_error(ErrorCode::Corrupt, ".debug_info: cannot read unit {} header: {}", units_scanned_,
                      dwarf_errmsg(-1));
  }
  cursor_ = next;
  ++units_scanned_;
  Dwarf_Die* root = unit_type == DW_UT_type || unit_type == DW_UT_split_type ? &subdie : &cudie;
  if (unit_type == DW_UT_type || unit_type == DW_UT_split_type) {
    // A type unit holds exactly one type; index it directly.
    const char* n = dwarf_diename(root);
    int slot = kind_slot(dwarf_tag(root));
    if (n && slot >= 0 && !is_declaration(root)) {
      Entry& e = names_[n];
      if (e.offset[slot] == 0) e.offset[slot] = dwarf_dieoffset(root);
    }
    return true;
  }
  Dwarf_Die child;
  int c = dwarf_child(root, &child);
  if (c < 0) return make_error(ErrorCode::Corrupt, ".debug_info: unit {} has unreadable DIEs: {}", units_scanned_ - 1, dwarf_errmsg(-1));
  while (c == 0) {
    int slot = kind_slot(dwarf_tag(&child));
    if (slot >= 0) {
      const char* n = dwarf_diename(&child);
      if (n && !is_declaration(&child)) {
        Entry& e = names_[n];
        if (e.offset[slot] == 0) e.offset[slot] = dwarf_dieoffset(&child);
      }
    }
    c = dwarf_siblingof(&child, &child);
    if (c < 0)
      return make_error(ErrorCode::Corrupt, ".debug_info: unit {} is truncated or corrupt: {}", units_scanned_ - 1,
                        dwarf_errmsg(-1));
  }
  return true;
}

Result<Dwarf_Die> TypeIndex::find(std::string_view name, std::initializer_list<TypeKind> kinds) {
  Dwarf_Die die;
  if (lookup(name, kinds, &die)) return die;
  // A miss among the first units: a complete index from an earlier full walk answers at once.
  if (!done_ && !cache_tried_) {
    cache_tried_ = true;
    if (load_cache() && lookup(name, kinds, &die)) return die;
  }
  while (!done_) {
    auto more = scan_next_unit();
    if (!more) return std::unexpected(more.error());
    if (lookup(name, kinds, &die)) return die;
  }
  return make_error(ErrorCode::NotPresent, "no type named '{}' in the debug info", name);
}

Result<Dwarf_Die> TypeIndex::find_variable(std::string_view name, uint64_t link_address) {
  auto scan_cu = [&](Dwarf_Die* cu, Dwarf_Die* out) -> bool {
    Dwarf_Die child;
    if (dwarf_child(cu, &child) != 0) return false;
    Dwarf_Die decl{};
    bool have_decl = false;
    do {
      if (dwarf_tag(&child) != DW_TAG_variable) continue;
      const char* n = dwarf_diename(&child);
      if (!n || name != n) continue;
      if (!is_declaration(&child)) {
        *out = child;
        return true;
      }
      decl = child;
      have_decl = true;
    } while (dwarf_siblingof(&child, &child) == 0);
    if (have_decl) {
      *out = decl;
      return true;
    }
    return false;
  };
  Dwarf_Die out;
  if (link_address != 0) {
    Dwarf_Die cu;
    if (dwarf_addrdie(dwarf_, link_address, &cu) != nullptr && scan_cu(&cu, &out)) return out;
  }
  Dwarf_CU* it = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version;
  uint8_t unit_type;
  Dwarf_Die cudie, subdie;
  while (dwarf_get_units(dwarf_, it, &next, &version, &unit_type, &cudie, &subdie) == 0) {
    it = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    if (scan_cu(&cudie, &out)) return out;
  }
  return make_error(ErrorCode::NotPresent, "no variable named '{}' in the debug info", name);
}

}  // namespace kdx::symbols
