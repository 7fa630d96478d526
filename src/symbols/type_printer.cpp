// gdb-compatible C type printing over libdw DIEs (names, declarators, ptype bodies) and crash's -o layout.
#include "type_printer.hpp"

#include <dwarf.h>

#include <charconv>
#include <cstring>

namespace kdx::symbols {
namespace {

struct Quals {
  bool is_const = false, is_volatile = false, is_restrict = false, is_atomic = false;
  bool any() const { return is_const || is_volatile || is_restrict || is_atomic; }
};

// A type with its top-level qualifiers peeled off; is_void when the chain ends in void.
struct Peeled {
  bool is_void = true;
  Dwarf_Die die{};
  Quals q;
};

Peeled peel_cv(Dwarf_Die* die) {
  Peeled p;
  if (die == nullptr) return p;
  p.is_void = false;
  p.die = *die;
  for (int guard = 0; guard < 64; ++guard) {
    int tag = dwarf_tag(&p.die);
    if (tag == DW_TAG_const_type) p.q.is_const = true;
    else if (tag == DW_TAG_volatile_type) p.q.is_volatile = true;
    else if (tag == DW_TAG_restrict_type) p.q.is_restrict = true;
    else if (tag == DW_TAG_atomic_type) p.q.is_atomic = true;
    else break;
    Dwarf_Die t;
    if (!die_type(&p.die, &t)) {
      p.is_void = true;
      break;
    }
    p.die = t;
  }
  return p;
}

// gdb's c_type_print_modifier: "const volatile" with optional spaces around.
std::string modifiers(const Quals& q, bool pre_space, bool post_space) {
  std::string s;
  auto add = [&](const char* w) {
    if (!s.empty() || pre_space) s += ' ';
    s += w;
  };
  if (q.is_const) add("const");
  if (q.is_volatile) add("volatile");
  if (q.is_restrict) add("restrict");
  if (q.is_atomic) add("_Atomic");
  if (!s.empty() && post_space) s += ' ';
  return s;
}

// GCC names C's integer types "long unsigned int" etc.; gdb prints them the usual way.
std::string normalize_base_name(const char* n) {
  static const std::pair<const char*, const char*> table[] = {
      {"long unsigned int", "unsigned long"}, {"long int", "long"},
      {"short int", "short"}, {"short unsigned int", "unsigned short"},
      {"long long int", "long long"}, {"long long unsigned int", "unsigned long long"},
  };
  for (auto& [from, to] : table)
    if (std::strcmp(n, from) == 0) return to;
  return n;
}

std::string spaces(int n) { return std::string(static_cast<size_t>(n < 0 ? 0 : n), ' '); }

const char* die_name(Dwarf_Die* d) {
  const char* n = dwarf_diename(d);
  return n ? n : nullptr;
}

bool is_declaration(Dwarf_Die* die) {
  Dwarf_Attribute a;
  bool flag = false;
  return dwarf_attr(die, DW_AT_declaration, &a) && dwarf_formflag(&a, &flag) == 0 && flag;
}

std::string print_type(Dwarf_Die* type, std::string_view var, int show, int level);

std::string struct_body(Dwarf_Die* agg, int show, int level) {
  std::string out = "{\n";
  Dwarf_Die child;
  bool any = false;
  if (dwarf_child(agg, &child) == 0) {
    do {
      if (dwarf_tag(&child) != DW_TAG_member) continue;
      any = true;
      Dwarf_Die mt;
      bool has_type = die_type(&child, &mt);
      const char* n = die_name(&child);
      out += spaces(level + 4);
      out += print_type(has_type ? &mt : nullptr, n ? n : "", show - 1, level + 4);
      Dwarf_Attribute a;
      Dwarf_Word bits = 0;
      if (dwarf_attr(&child, DW_AT_bit_size, &a) && dwarf_formudata(&a, &bits) == 0 && bits > 0)
        out += fmt::format(" : {}", bits);
      out += ";\n";
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  if (!any) out += spaces(level + 4) + (is_declaration(agg) ? "<incomplete type>\n" : "<no data fields>\n");
  out += spaces(level) + "}";
  return out;
}

std::string enum_body(Dwarf_Die* e) {
  std::string out = "{";
  Dwarf_Die child;
  int64_t next = 0;
  bool first = true;
  if (dwarf_child(e, &child) == 0) {
    do {
      if (dwarf_tag(&child) != DW_TAG_enumerator) continue;
      if (!first) out += ", ";
      first = false;
      const char* n = die_name(&child);
      out += n ? n : "";
      Dwarf_Attribute a;
      Dwarf_Sword v = 0;
      if (dwarf_attr(&child, DW_AT_const_value, &a)) {
        Dwarf_Word u = 0;
        if (a.form == DW_FORM_sdata || a.form == DW_FORM_implicit_const) dwarf_formsdata(&a, &v);
        else if (dwarf_formudata(&a, &u) == 0) v = static_cast<Dwarf_Sword>(u);
      }
      if (v != next) out += fmt::format(" = {}", v);
      next = v + 1;
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  return out + "}";
}

// gdb's c_type_print_base: the part before the declarator.
std::string print_base(Peeled p, int show, int level) {
  if (p.is_void) return modifiers(p.q, false, true) + "void";
  int tag = dwarf_tag(&p.die);
  switch (tag) {
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_array_type:
    case DW_TAG_subroutine_type: {
      Dwarf_Die t;
      bool has = die_type(&p.die, &t);
      return print_base(peel_cv(has ? &t : nullptr), show, level);
    }
    case DW_TAG_typedef:
    case DW_TAG_unspecified_type: {
      const char* n = die_name(&p.die);
      return modifiers(p.q, false, true) + (n ? n : "<unnamed typedef>");
    }
    case DW_TAG_base_type: {
      const char* n = die_name(&p.die);
      return modifiers(p.q, false, true) + (n ? normalize_base_name(n) : "<unnamed>");
    }
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_class_type:
    case DW_TAG_enumeration_type: {
      const char* kw = tag == DW_TAG_union_type ? "union" : tag == DW_TAG_enumeration_type ? "enum" : "struct";
      const char* n = die_name(&p.die);
      std::string s = modifiers(p.q, false, true) + kw;
      if (n) s += std::string(" ") + n;
      if (show <= 0 && n) return s;
      s += " ";
      s += tag == DW_TAG_enumeration_type ? enum_body(&p.die) : struct_body(&p.die, show, level);
      return s;
    }
    default: {
      const char* n = die_name(&p.die);
      return modifiers(p.q, false, true) + (n ? n : fmt::format("<unknown type tag {:#x}>", tag));
    }
  }
}

std::string print_prefix(Dwarf_Die* type, bool passed_a_ptr, bool need_post_space);
std::string print_suffix(Dwarf_Die* type, bool passed_a_ptr);

std::string print_prefix(Dwarf_Die* type, bool passed_a_ptr, bool need_post_space) {
  Peeled p = peel_cv(type);
  if (p.is_void) return "";
  Dwarf_Die t;
  bool has = die_type(&p.die, &t);
  switch (dwarf_tag(&p.die)) {
    case DW_TAG_pointer_type:
      return print_prefix(has ? &t : nullptr, true, true) + "*" + modifiers(p.q, true, need_post_space);
    case DW_TAG_reference_type:
      return print_prefix(has ? &t : nullptr, true, true) + "&" + modifiers(p.q, true, need_post_space);
    case DW_TAG_array_type:
    case DW_TAG_subroutine_type:
      return print_prefix(has ? &t : nullptr, false, false) + (passed_a_ptr ? "(" : "");
    default:
      return "";
  }
}

std::string array_dims(Dwarf_Die* arr) {
  std::string out;
  Dwarf_Die sub;
  if (dwarf_child(arr, &sub) != 0) return "[]";
  do {
    int tag = dwarf_tag(&sub);
    if (tag != DW_TAG_subrange_type && tag != DW_TAG_enumeration_type) continue;
    Dwarf_Attribute a;
    Dwarf_Word count = 0;
    bool known = false;
    if (dwarf_attr(&sub, DW_AT_count, &a) && dwarf_formudata(&a, &count) == 0) {
      known = true;
    } else if (dwarf_attr(&sub, DW_AT_upper_bound, &a)) {
      Dwarf_Sword upper = 0;
      Dwarf_Word uu = 0;
      bool ok = false;
      if (a.form == DW_FORM_sdata) ok = dwarf_formsdata(&a, &upper) == 0;
      else if (dwarf_formudata(&a, &uu) == 0) {
        ok = true;
        upper = static_cast<Dwarf_Sword>(uu);
        // GCC writes [0] as an upper bound of -1 in a data form sized like the index type.
        if (a.form == DW_FORM_data4 && uu == 0xffffffffu) upper = -1;
        if (a.form == DW_FORM_data2 && uu == 0xffffu) upper = -1;
        if (a.form == DW_FORM_data1 && uu == 0xffu) upper = -1;
      }
      Dwarf_Word lower = 0;
      Dwarf_Attribute la;
      if (dwarf_attr(&sub, DW_AT_lower_bound, &la)) dwarf_formudata(&la, &lower);
      if (ok) {
        known = true;
        count = upper + 1 >= static_cast<Dwarf_Sword>(lower) ? static_cast<Dwarf_Word>(upper + 1 - static_cast<Dwarf_Sword>(lower)) : 0;
      }
    }
    out += known ? fmt::format("[{}]", count) : "[]";
  } while (dwarf_siblingof(&sub, &sub) == 0);
  return out.empty() ? "[]" : out;
}

std::string function_args(Dwarf_Die* fn) {
  std::string out = "(";
  bool printed = false, varargs = false;
  Dwarf_Die child;
  if (dwarf_child(fn, &child) == 0) {
    do {
      int tag = dwarf_tag(&child);
      if (tag == DW_TAG_unspecified_parameters) varargs = true;
      if (tag != DW_TAG_formal_parameter) continue;
      if (printed) out += ", ";
      Dwarf_Die pt;
      bool has = die_type(&child, &pt);
      out += print_type(has ? &pt : nullptr, "", 0, 0);
      printed = true;
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  bool prototyped = false;
  Dwarf_Attribute a;
  if (dwarf_attr(fn, DW_AT_prototyped, &a)) dwarf_formflag(&a, &prototyped);
  if (printed && varargs) out += ", ...";
  else if (!printed && prototyped) out += "void";
  return out + ")";
}

std::string print_suffix(Dwarf_Die* type, bool passed_a_ptr) {
  Peeled p = peel_cv(type);
  if (p.is_void) return "";
  Dwarf_Die t;
  bool has = die_type(&p.die, &t);
  switch (dwarf_tag(&p.die)) {
    case DW_TAG_array_type:
      return std::string(passed_a_ptr ? ")" : "") + array_dims(&p.die) + print_suffix(has ? &t : nullptr, false);
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
      return print_suffix(has ? &t : nullptr, true);
    case DW_TAG_subroutine_type:
      return std::string(passed_a_ptr ? ")" : "") + function_args(&p.die) + print_suffix(has ? &t : nullptr, false);
    default:
      return "";
  }
}

// gdb's c_print_type_1.
std::string print_type(Dwarf_Die* type, std::string_view var, int show, int level) {
  Peeled p = peel_cv(type);
  std::string out = print_base(p, show, level);
  int tag = p.is_void ? 0 : dwarf_tag(&p.die);
  bool derived = tag == DW_TAG_pointer_type || tag == DW_TAG_subroutine_type || tag == DW_TAG_array_type ||
                 tag == DW_TAG_reference_type;
  if (!var.empty() || derived) out += ' ';
  out += print_prefix(type, false, !var.empty());
  out += var;
  out += print_suffix(type, false);
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      if (start < s.size()) lines.push_back(s.substr(start));
      break;
    }
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::optional<uint64_t> member_location(Dwarf_Die* m) {
  Dwarf_Attribute a;
  if (!dwarf_attr(m, DW_AT_data_member_location, &a)) {
    // DWARF 5 bit fields carry only DW_AT_data_bit_offset.
    Dwarf_Word bit = 0;
    if (dwarf_attr(m, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &bit) == 0) return bit / 8;
    return 0;  // union members
  }
  Dwarf_Word v = 0;
  if (dwarf_formudata(&a, &v) == 0) return v;
  Dwarf_Op* ops = nullptr;
  size_t n = 0;
  if (dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst) return ops[0].number;
  return std::nullopt;
}

// Bit position of a member from the start of its struct (little-endian numbering, as gdb's
// TYPE_FIELD_BITPOS).
uint64_t member_bit_position(Dwarf_Die* m, uint64_t* bit_size) {
  Dwarf_Attribute a;
  Dwarf_Word bits = 0;
  *bit_size = 0;
  if (dwarf_attr(m, DW_AT_bit_size, &a) && dwarf_formudata(&a, &bits) == 0) *bit_size = bits;
  Dwarf_Word dbo = 0;
  if (dwarf_attr(m, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &dbo) == 0) return dbo;
  uint64_t byte = member_location(m).value_or(0);
  if (*bit_size && dwarf_attr(m, DW_AT_bit_offset, &a)) {
    // DWARF 2-4: bit_offset counts from the most significant bit of the storage unit.
    Dwarf_Word bo = 0;
    dwarf_formudata(&a, &bo);
    Dwarf_Word storage = 0;
    Dwarf_Attribute bs;
    if (dwarf_attr(m, DW_AT_byte_size, &bs)) dwarf_formudata(&bs, &storage);
    if (storage == 0) {
      Dwarf_Die t;
      if (die_type(m, &t)) storage = type_byte_size(&t).value_or(0);
    }
    return byte * 8 + storage * 8 - bo - *bit_size;
  }
  return byte * 8;
}

bool is_aggregate(Dwarf_Die* d) {
  int tag = dwarf_tag(d);
  return tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type;
}

// Finds `name` among the members of agg, searching anonymous struct/union members too.
bool find_member(Dwarf_Die* agg, std::string_view name, Dwarf_Die* out, uint64_t* bitpos) {
  Dwarf_Die child;
  if (dwarf_child(agg, &child) != 0) return false;
  std::vector<Dwarf_Die> anon;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    const char* n = dwarf_diename(&child);
    if (n && name == n) {
      uint64_t bs;
      *bitpos = member_bit_position(&child, &bs);
      *out = child;
      return true;
    }
    if (!n) anon.push_back(child);
  } while (dwarf_siblingof(&child, &child) == 0);
  for (Dwarf_Die& a : anon) {
    Dwarf_Die t;
    if (!die_type(&a, &t)) continue;
    Dwarf_Die s = strip_typedefs(t);
    if (!is_aggregate(&s)) continue;
    uint64_t inner = 0;
    if (find_member(&s, name, out, &inner)) {
      uint64_t bs;
      *bitpos = member_bit_position(&a, &bs) + inner;
      return true;
    }
  }
  return false;
}

}  // namespace

bool die_type(Dwarf_Die* die, Dwarf_Die* out) {
  Dwarf_Attribute a;
  if (dwarf_attr_integrate(die, DW_AT_type, &a) == nullptr) return false;
  return dwarf_formref_die(&a, out) != nullptr;
}

Dwarf_Die strip_typedefs(Dwarf_Die die) {
  for (int guard = 0; guard < 64; ++guard) {
    int tag = dwarf_tag(&die);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
        tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
      break;
    Dwarf_Die t;
    if (!die_type(&die, &t)) break;
    die = t;
  }
  return die;
}

std::optional<uint64_t> type_byte_size(Dwarf_Die* type) {
  if (type == nullptr) return std::nullopt;
  Dwarf_Word size = 0;
  Dwarf_Die t = *type;
  if (dwarf_aggregate_size(&t, &size) == 0) return size;
  Dwarf_Die s = strip_typedefs(*type);
  Dwarf_Attribute a;
  if (dwarf_attr(&s, DW_AT_byte_size, &a) && dwarf_formudata(&a, &size) == 0) return size;
  return std::nullopt;
}

std::string gdb_type_name(Dwarf_Die* type) { return print_type(type, "", -1, 0); }

std::string gdb_declaration(Dwarf_Die* type, std::string_view var) { return print_type(type, var, -1, 0); }

std::vector<std::string> gdb_ptype_lines(Dwarf_Die* type) {
  Dwarf_Die t = *type;
  // ptype looks through typedefs at the top level ("ptype atomic_t" prints the struct body).
  for (int guard = 0; guard < 64 && dwarf_tag(&t) == DW_TAG_typedef; ++guard) {
    Dwarf_Die n;
    if (!die_type(&t, &n)) break;
    t = n;
  }
  return split_lines(print_type(&t, "", 1, 0));
}

std::optional<uint64_t> crash_member_offset(Dwarf_Die* outer, std::string_view name) {
  Dwarf_Die s = strip_typedefs(*outer);
  Dwarf_Die m;
  uint64_t bitpos = 0;
  if (!find_member(&s, name, &m, &bitpos)) return std::nullopt;
  return bitpos / 8;
}

Result<MemberInfo> resolve_member_path(Dwarf_Die* outer, std::string_view type_label, std::string_view path) {
  Dwarf_Die cur = strip_typedefs(*outer);
  uint64_t bitpos = 0;
  MemberInfo info;
  Dwarf_Die cur_type = cur;
  std::string_view rest = path;
  bool first = true;
  if (path.empty()) return make_error(ErrorCode::Usage, "empty member path for {}", type_label);
  while (!rest.empty()) {
    size_t dot = rest.find('.');
    std::string_view comp = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    size_t br = comp.find('[');
    std::string_view name = comp.substr(0, br);
    Dwarf_Die agg = strip_typedefs(cur_type);
    if (!is_aggregate(&agg))
      return make_error(ErrorCode::NotPresent, "{}: '{}' is not a struct or union, cannot find member '{}'", type_label,
                        first ? type_label : std::string_view(path.data(), static_cast<size_t>(name.data() - path.data() - 1)), name);
    Dwarf_Die m;
    uint64_t mpos = 0;
    if (!find_member(&agg, name, &m, &mpos))
      return make_error(ErrorCode::NotPresent, "{} has no member '{}'", type_label,
                        std::string_view(path.data(), static_cast<size_t>(name.data() + name.size() - path.data())));
    bitpos += mpos;
    uint64_t bs = 0;
    member_bit_position(&m, &bs);
    info.bit_size = bs;
    if (!die_type(&m, &cur_type)) return make_error(ErrorCode::Corrupt, "{}: member '{}' has no type", type_label, name);
    // Array indexes: [i][j]... A C multi-dimensional array is one DW_TAG_array_type with a
    // subrange per dimension, so strides come from the dimensions still to the right.
    std::vector<uint64_t> dims;
    size_t dim = 0;
    Dwarf_Die arr{};
    while (br != std::string_view::npos && br < comp.size()) {
      size_t close = comp.find(']', br);
      if (close == std::string_view::npos) return make_error(ErrorCode::Usage, "unbalanced '[' in member path '{}'", path);
      uint64_t idx = 0;
      auto sv = comp.substr(br + 1, close - br - 1);
      auto [ptr, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), idx);
      if (ec != std::errc() || ptr != sv.data() + sv.size())
        return make_error(ErrorCode::Usage, "bad array index '{}' in member path '{}'", sv, path);
      if (dim == dims.size()) {  // start a new array type
        arr = strip_typedefs(cur_type);
        if (dwarf_tag(&arr) != DW_TAG_array_type)
          return make_error(ErrorCode::Unsupported, "{}: member '{}' is not an array", type_label, name);
        dims.clear();
        dim = 0;
        std::string d = array_dims(&arr);
        for (size_t p = 0; (p = d.find('[', p)) != std::string::npos; ++p) {
          uint64_t n = 0;
          std::from_chars(d.data() + p + 1, d.data() + d.size(), n);
          dims.push_back(n);
        }
        Dwarf_Die elem;
        if (!die_type(&arr, &elem)) return make_error(ErrorCode::Corrupt, "{}: array '{}' has no element type", type_label, name);
        cur_type = elem;
      }
      auto esz = type_byte_size(&cur_type);
      if (!esz) return make_error(ErrorCode::Corrupt, "{}: array '{}' has an element of unknown size", type_label, name);
      uint64_t stride = *esz;
      for (size_t k = dim + 1; k < dims.size(); ++k) stride *= dims[k];
      bitpos += idx * stride * 8;
      ++dim;
      info.bit_size = 0;
      br = comp.find('[', close);
    }
    if (dim != dims.size()) {
      // Partially indexed multi-dimensional array: the rest is still an array; its size is
      // what is left of the dimensions.
      auto esz = type_byte_size(&cur_type).value_or(0);
      for (size_t k = dim; k < dims.size(); ++k) esz *= dims[k];
      info.bit_offset = bitpos;
      info.offset = bitpos / 8;
      info.size = esz;
      info.type_name = gdb_type_name(&cur_type);
      if (!rest.empty()) return make_error(ErrorCode::NotPresent, "{}: '{}' is an array, not a struct", type_label, name);
      return info;
    }
    first = false;
  }
  info.bit_offset = bitpos;
  info.offset = bitpos / 8;
  info.size = type_byte_size(&cur_type).value_or(0);
  info.type_name = gdb_type_name(&cur_type);
  return info;
}

Result<MemberDie> find_member_path(Dwarf_Die* outer, std::string_view type_label, std::string_view path) {
  if (path.empty()) return make_error(ErrorCode::Usage, "empty member name for {}", type_label);
  if (path.find('[') != std::string_view::npos)
    return make_error(ErrorCode::Usage, "{}: array indexes are not supported here ('{}')", type_label, path);
  MemberDie out;
  Dwarf_Die cur = strip_typedefs(*outer);
  std::string_view rest = path;
  while (true) {
    size_t dot = rest.find('.');
    std::string_view name = rest.substr(0, dot);
    std::string_view done(path.data(), size_t(name.data() + name.size() - path.data()));
    if (!is_aggregate(&cur))
      return make_error(ErrorCode::NotPresent, "{}: '{}' is not a struct or union", type_label,
                        std::string_view(path.data(), size_t(name.data() - path.data() - 1)));
    uint64_t pos = 0;
    if (name.empty() || !find_member(&cur, name, &out.die, &pos))
      return make_error(ErrorCode::NotPresent, "{} has no member '{}'", type_label, done);
    out.bit_position += pos;
    member_bit_position(&out.die, &out.bit_size);
    out.name = std::string(name);
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
    Dwarf_Die t;
    if (!die_type(&out.die, &t)) return make_error(ErrorCode::Corrupt, "{}: member '{}' has no type", type_label, done);
    cur = strip_typedefs(t);
  }
  return out;
}

std::string crash_member_line(Dwarf_Die* outer, const MemberDie& m, bool hex) {
  uint64_t size = type_byte_size(outer).value_or(0);
  std::string size_str = hex ? fmt::format("{:#x}", size) : fmt::format("{}", size);
  size_t width = size_str.size() + 4;
  uint64_t off = m.bit_position / 8;
  std::string tag = hex ? fmt::format("  [{:#x}]", off) : fmt::format("  [{}]", off);
  if (tag.size() < width) tag.insert(0, width - tag.size(), ' ');
  Dwarf_Die t;
  Dwarf_Die md = m.die;
  bool has = die_type(&md, &t);
  std::string decl = gdb_declaration(has ? &t : nullptr, m.name);
  if (m.bit_size) decl += fmt::format(" : {}", m.bit_size);
  return tag + " " + decl + ";";
}

std::string crash_layout(Dwarf_Die* type, std::string_view typedef_name, bool offsets, bool hex) {
  std::vector<std::string> lines = gdb_ptype_lines(type);
  uint64_t size = type_byte_size(type).value_or(0);
  std::string size_str = hex ? fmt::format("{:#x}", size) : fmt::format("{}", size);
  size_t width = size_str.size() + 4;
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (i == 0) {
      if (!typedef_name.empty()) out += "typedef ";
      out += line + "\n";
      continue;
    }
    if (line.empty() || line[0] != ' ') {
      if (!typedef_name.empty() && line.rfind("}", 0) == 0) out += fmt::format("{} {};\n", line, typedef_name);
      else out += line + "\n";
      continue;
    }
    if (!offsets) {
      out += line + "\n";
      continue;
    }
    // crash's show_member_offset(): pick the member name out of the declaration text.
    std::vector<std::string_view> tok;
    {
      std::string_view s(line);
      size_t p = 0;
      while (p < s.size()) {
        while (p < s.size() && s[p] == ' ') ++p;
        size_t q = p;
        while (q < s.size() && s[q] != ' ') ++q;
        if (q > p) tok.push_back(s.substr(p, q - p));
        p = q;
      }
    }
    std::string target;
    if (line.find(':') != std::string::npos) {
      for (size_t k = 1; k < tok.size(); ++k)
        if (tok[k] == ":") {
          target = tok[k - 1];
          break;
        }
    } else if (!tok.empty()) {
      bool found = false;
      for (auto t : tok) {
        if (t.substr(0, 2) == "(*") {
          auto rest = t.substr(2);
          size_t close = rest.find(')');
          if (close == std::string_view::npos) continue;
          target = rest.substr(0, close);
          found = true;
          break;
        }
      }
      if (!found && tok.back().find(';') != std::string_view::npos) target = tok.back();
    }
    for (char& c : target)
      if (std::strchr("*[];()", c)) c = ' ';
    size_t b = target.find_first_not_of(' ');
    target = b == std::string::npos ? "" : target.substr(b);
    if (size_t sp = target.find(' '); sp != std::string::npos) target.resize(sp);
    std::optional<uint64_t> off;
    if (!target.empty()) off = crash_member_offset(type, target);
    if (off) {
      std::string tag = hex ? fmt::format("  [{:#x}]", *off) : fmt::format("  [{}]", *off);
      if (tag.size() < width) tag.insert(0, width - tag.size(), ' ');
      out += tag + line.substr(3) + "\n";
    } else {
      out += spaces(static_cast<int>(size_str.size() + 1)) + line + "\n";
    }
  }
  out += hex ? fmt::format("SIZE: {:#x}\n", size) : fmt::format("SIZE: {}\n", size);
  return out;
}

}  // namespace kdx::symbols
