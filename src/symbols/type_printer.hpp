// C type spelling and layouts from DWARF DIEs, printed the way gdb's ptype/whatis (and so crash) print them.
#pragma once

#include <elfutils/libdw.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/error.hpp"
#include "kdx/symbols/kernel_symbols.hpp"

namespace kdx::symbols {

// The DIE's DW_AT_type target; false for void (no DW_AT_type) or an unreadable reference.
bool die_type(Dwarf_Die* die, Dwarf_Die* out);
// Follows typedefs and const/volatile/restrict/atomic qualifiers.
Dwarf_Die strip_typedefs(Dwarf_Die die);
// Byte size of a type (arrays, typedefs, qualifiers followed); nullopt for void/flexible arrays.
std::optional<uint64_t> type_byte_size(Dwarf_Die* type);

// gdb's name for a type as `whatis` prints it: "struct list_head *", "char [16]", "void (*)(int)".
// type == nullptr means void.
std::string gdb_type_name(Dwarf_Die* type);
// A declaration of `var` with that type: "char comm[16]", "void (*func)(struct callback_head *)".
std::string gdb_declaration(Dwarf_Die* type, std::string_view var);
// The lines of gdb's `ptype` for a struct/union/enum/typedef DIE, without the "type = " prefix
// and without newlines. Anonymous nested types are expanded at every depth, as crash's gdb does.
std::vector<std::string> gdb_ptype_lines(Dwarf_Die* type);

// Byte offset of the member line's member in the outer type, as crash's MEMBER_OFFSET /
// ANON_MEMBER_OFFSET find it: by name among the members of `outer` and, through anonymous
// struct/union members, of their members. nullopt when no such name.
std::optional<uint64_t> crash_member_offset(Dwarf_Die* outer, std::string_view name);

// Resolves "a.b[2].c" inside a struct/union type. Fails with NotPresent naming the missing
// component, or Unsupported for an index into a non-array.
Result<MemberInfo> resolve_member_path(Dwarf_Die* outer, std::string_view type_label, std::string_view path);

// A member found by a dotted path of names ("se.exec_start"; anonymous members searched
// through; no array indexes): its DIE, bit position from the start of outer, bit size (0 when
// not a bit field). Fails with NotPresent naming the missing component, Usage for '['.
struct MemberDie {
  Dwarf_Die die;
  uint64_t bit_position = 0;
  uint64_t bit_size = 0;
  std::string name;  // the last component
};
Result<MemberDie> find_member_path(Dwarf_Die* outer, std::string_view type_label, std::string_view path);

// crash's `struct NAME.member` line: "   [912] pid_t pid;" (width from the outer size as in
// crash_layout).
std::string crash_member_line(Dwarf_Die* outer, const MemberDie& m, bool hex);

// crash's `struct`/`union`/`whatis` output for a type DIE: the ptype lines, with member offsets
// (`-o`) inserted the way crash's show_member_offset() does, and "SIZE: n". typedef_name is
// non-empty when the user named a typedef (crash then prints "typedef struct {...} name;").
std::string crash_layout(Dwarf_Die* type, std::string_view typedef_name, bool offsets, bool hex);

}  // namespace kdx::symbols
