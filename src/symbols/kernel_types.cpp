// KernelSymbols' type queries: named type lookup, member offsets and sizes, crash-style layouts, whatis.
#include <dwarf.h>

#include "kdx/symbols/kernel_symbols.hpp"
#include "kernel_symbols_impl.hpp"
#include "type_printer.hpp"

namespace kdx::symbols {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Dwarf_Die> KernelSymbols::Impl::find_type(std::string_view spec, std::string* typedef_name, std::string_view want_kind) {
  auto idx = type_index();
  if (!idx) return std::unexpected(idx.error());
  spec = trim(spec);
  std::string_view kind = want_kind;
  for (std::string_view k : {"struct ", "union ", "enum "}) {
    if (spec.substr(0, k.size()) == k) {
      kind = k.substr(0, k.size() - 1);
      spec = trim(spec.substr(k.size()));
    }
  }
  if (spec.empty()) return make_error(ErrorCode::Usage, "empty type name");
  Result<Dwarf_Die> die = std::unexpected(Error{});
  if (kind == "struct")
    die = (*idx)->find(spec, {TypeKind::Struct, TypeKind::Typedef, TypeKind::Union});
  else if (kind == "union")
    die = (*idx)->find(spec, {TypeKind::Union, TypeKind::Typedef, TypeKind::Struct});
  else if (kind == "enum")
    die = (*idx)->find(spec, {TypeKind::Enum, TypeKind::Typedef});
  else
    die = (*idx)->find(spec, {TypeKind::Struct, TypeKind::Union, TypeKind::Typedef, TypeKind::Enum, TypeKind::Base});
  if (!die) {
    std::string what = kind.empty() ? std::string(spec) : fmt::format("{} {}", kind, spec);
    return make_error(die.error().code, "{}: {}", path,
                      die.error().code == ErrorCode::NotPresent ? fmt::format("no type named '{}' in the debug info", what)
                                                                : die.error().message);
  }
  if (typedef_name) *typedef_name = dwarf_tag(&*die) == DW_TAG_typedef ? std::string(spec) : std::string();
  if (!kind.empty()) {
    Dwarf_Die s = strip_typedefs(*die);
    int tag = dwarf_tag(&s);
    int want = kind == "struct" ? DW_TAG_structure_type : kind == "union" ? DW_TAG_union_type : DW_TAG_enumeration_type;
    if (tag != want) return make_error(ErrorCode::Mismatch, "data type mismatch: {} is not a {}", spec, kind);
  }
  return die;
}

Result<MemberInfo> KernelSymbols::member_info(std::string_view type, std::string_view member_path) const {
  auto die = impl_->find_type(type, nullptr, "");
  if (!die) return std::unexpected(die.error());
  return resolve_member_path(&*die, type, member_path);
}

Result<uint64_t> KernelSymbols::member_offset(std::string_view type, std::string_view member_path) const {
  auto m = member_info(type, member_path);
  if (!m) return std::unexpected(m.error());
  return m->offset;
}

Result<uint64_t> KernelSymbols::type_size(std::string_view type) const {
  auto die = impl_->find_type(type, nullptr, "");
  if (!die) return std::unexpected(die.error());
  auto sz = type_byte_size(&*die);
  if (!sz) return make_error(ErrorCode::NotPresent, "type '{}' has no size (incomplete or void)", type);
  return *sz;
}

Result<std::string> KernelSymbols::variable_declaration(std::string_view variable) const {
  auto idx = impl_->type_index();
  if (!idx) return std::unexpected(idx.error());
  uint64_t link = 0;
  if (const LinkSymbol* s = impl_->find_by_name(variable)) link = s->address;
  auto die = (*idx)->find_variable(variable, link);
  if (!die) return std::unexpected(die.error());
  Dwarf_Die t;
  bool has = die_type(&*die, &t);
  return gdb_declaration(has ? &t : nullptr, variable) + ";";
}

Result<std::string> KernelSymbols::format_layout(std::string_view kind, std::string_view type, bool offsets, bool hex) const {
  std::string typedef_name;
  auto die = impl_->find_type(type, &typedef_name, kind);
  if (!die) return std::unexpected(die.error());
  Dwarf_Die s = strip_typedefs(*die);
  int tag = dwarf_tag(&s);
  if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type)
    return crash_layout(&*die, typedef_name, offsets, hex);
  // Not an aggregate: what crash's whatis prints for enums, base types and typedefs of them.
  auto sz = type_byte_size(&*die);
  std::string out;
  if (dwarf_tag(&*die) == DW_TAG_typedef) {
    Dwarf_Die t;
    bool has = die_type(&*die, &t);
    out = "typedef " + gdb_declaration(has ? &t : nullptr, typedef_name) + ";\n";
  } else {
    for (auto& l : gdb_ptype_lines(&*die)) out += l + "\n";
  }
  if (sz) out += hex ? fmt::format("SIZE: {:#x}\n", *sz) : fmt::format("SIZE: {}\n", *sz);
  return out;
}

Result<std::string> KernelSymbols::format_member_layout(std::string_view kind, std::string_view type,
                                                       const std::vector<std::string>& members, bool hex) const {
  std::string typedef_name;
  auto die = impl_->find_type(type, &typedef_name, kind);
  if (!die) return std::unexpected(die.error());
  Dwarf_Die s = strip_typedefs(*die);
  int tag = dwarf_tag(&s);
  if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
    return make_error(ErrorCode::Usage, "{} is not a struct or union: it has no members", type);
  std::string label = typedef_name.empty() ? std::string(tag == DW_TAG_union_type ? "union " : "struct ") + std::string(type)
                                           : std::string(type);
  if (auto p = label.find("struct struct "); p == 0) label = label.substr(7);
  if (auto p = label.find("union union "); p == 0) label = label.substr(6);
  auto lines = gdb_ptype_lines(&s);
  std::string out = (lines.empty() ? label + " {" : lines.front()) + "\n";
  for (const auto& m : members) {
    auto md = find_member_path(&s, label, m);
    if (!md) return std::unexpected(md.error());
    out += crash_member_line(&s, *md, hex) + "\n";
  }
  return out + "}\n";
}

}  // namespace kdx::symbols
