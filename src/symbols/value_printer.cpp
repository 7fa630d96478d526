// Prints an object's bytes as gdb/crash print a struct value: members by name, nested aggregates, arrays, enums.
#include <elfutils/libdw.h>
#include <dwarf.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "kernel_symbols_impl.hpp"
#include "type_printer.hpp"

namespace kdx::symbols {
namespace {

constexpr int kMaxDepth = 8;

// The symbolizer for pointer values, set while one object is printed.
thread_local const KernelSymbols* t_symbols = nullptr;
struct SymbolsScope {
  explicit SymbolsScope(const KernelSymbols* s) { t_symbols = s; }
  ~SymbolsScope() { t_symbols = nullptr; }
};

// gdb's "print symbol": a pointer into a known symbol prints as "0x... <name+off>".
std::string pointer_text(uint64_t v) {
  std::string out = fmt::format("{:#x}", v);
  if (!v || !t_symbols) return out;
  auto h = t_symbols->symbolize(v);
  if (!h || (h->size && h->offset >= h->size)) return out;
  return h->offset ? fmt::format("{} <{}+{}>", out, h->name, h->offset) : fmt::format("{} <{}>", out, h->name);
}
constexpr uint64_t kMaxArray = 32;

uint64_t load(std::span<const uint8_t> b, uint64_t off, uint64_t size) {
  uint64_t v = 0;
  // Bit fields read a word that may reach past the object's end: copy what is inside.
  if (off < b.size()) std::memcpy(&v, b.data() + off, std::min<uint64_t>({size, 8, b.size() - off}));
  return v;
}

std::string indent(int n) { return std::string(size_t(n) * 2, ' '); }

std::string value_of(Dwarf_Die* type, std::span<const uint8_t> b, uint64_t off, int depth);

std::string aggregate(Dwarf_Die* s, std::span<const uint8_t> b, uint64_t off, int depth) {
  if (depth > kMaxDepth) return "{...}";
  std::string out = "{\n";
  Dwarf_Die m;
  bool first = true;
  if (dwarf_child(s, &m) == 0) {
    do {
      if (dwarf_tag(&m) != DW_TAG_member) continue;
      Dwarf_Attribute a;
      Dwarf_Word loc = 0;
      if (dwarf_attr(&m, DW_AT_data_member_location, &a)) dwarf_formudata(&a, &loc);
      Dwarf_Die t;
      if (!die_type(&m, &t)) continue;
      const char* name = dwarf_diename(&m);
      std::string v;
      Dwarf_Word bits = 0, bitoff = 0;
      if (dwarf_attr(&m, DW_AT_bit_size, &a) && dwarf_formudata(&a, &bits) == 0 && bits) {
        if (dwarf_attr(&m, DW_AT_data_bit_offset, &a)) dwarf_formudata(&a, &bitoff);
        else bitoff = loc * 8;
        uint64_t word = load(b, off + bitoff / 8, 8);
        uint64_t val = (word >> (bitoff % 8)) & (bits >= 64 ? ~0ull : ((1ull << bits) - 1));
        v = fmt::format("{}", val);
      } else {
        v = value_of(&t, b, off + loc, depth + 1);
      }
      out += fmt::format("{}{}{}{}", first ? "" : ",\n", indent(depth + 1), name ? std::string(name) + " = " : "", v);
      first = false;
    } while (dwarf_siblingof(&m, &m) == 0);
  }
  return out + "\n" + indent(depth) + "}";
}

std::string value_of(Dwarf_Die* type, std::span<const uint8_t> b, uint64_t off, int depth) {
  Dwarf_Die t = strip_typedefs(*type);
  auto size = type_byte_size(&t).value_or(0);
  if (off + size > b.size()) return "<outside the object>";
  switch (dwarf_tag(&t)) {
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
      return aggregate(&t, b, off, depth);
    case DW_TAG_pointer_type:
      return pointer_text(load(b, off, 8));
    case DW_TAG_enumeration_type: {
      uint64_t v = load(b, off, size);
      Dwarf_Die e;
      if (dwarf_child(&t, &e) == 0) do {
          Dwarf_Attribute a;
          Dwarf_Word ev;
          if (dwarf_attr(&e, DW_AT_const_value, &a) && dwarf_formudata(&a, &ev) == 0 &&
              (ev & (size >= 8 ? ~0ull : (1ull << (size * 8)) - 1)) == v)
            return dwarf_diename(&e) ? dwarf_diename(&e) : fmt::format("{}", v);
        } while (dwarf_siblingof(&e, &e) == 0);
      return fmt::format("{}", v);
    }
    case DW_TAG_array_type: {
      Dwarf_Die elem;
      if (!die_type(&t, &elem)) return "{...}";
      Dwarf_Die es = strip_typedefs(elem);
      auto esize = type_byte_size(&es).value_or(0);
      if (!esize) return "{...}";
      // An incomplete array (char linux_banner[]) at the top: as many elements as were read.
      uint64_t n = (size ? size : depth == 0 ? b.size() - off : 0) / esize;
      Dwarf_Attribute a;
      int enc = 0;
      Dwarf_Word w;
      if (dwarf_tag(&es) == DW_TAG_base_type && dwarf_attr(&es, DW_AT_encoding, &a) && dwarf_formudata(&a, &w) == 0) enc = int(w);
      if (esize == 1 && (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char)) {
        std::string s;
        for (uint64_t i = 0; i < n && b[off + i]; i++) {
          char c = char(b[off + i]);
          s += (c >= 32 && c < 127) ? std::string(1, c) : fmt::format("\\{:03o}", uint8_t(c));
        }
        return "\"" + s + "\"";
      }
      std::string out = "{";
      for (uint64_t i = 0; i < n && i < kMaxArray; i++) out += (i ? ", " : "") + value_of(&elem, b, off + i * esize, depth + 1);
      if (n > kMaxArray) out += ", ...";
      return out + "}";
    }
    case DW_TAG_base_type: {
      Dwarf_Attribute a;
      Dwarf_Word enc = 0;
      if (dwarf_attr(&t, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
      uint64_t v = load(b, off, size);
      if (enc == DW_ATE_boolean) return v ? "true" : "false";
      if (enc == DW_ATE_signed || enc == DW_ATE_signed_char) {
        int64_t sv = size >= 8 ? int64_t(v) : int64_t(v << (64 - size * 8)) >> (64 - size * 8);
        return fmt::format("{}", sv);
      }
      return fmt::format("{}", v);
    }
    default:
      return size ? fmt::format("{:#x}", load(b, off, size)) : "{...}";
  }
}

}  // namespace

Result<std::string> KernelSymbols::format_object(std::string_view kind, std::string_view type,
                                                 std::span<const uint8_t> bytes) const {
  std::string typedef_name;
  auto die = impl_->find_type(type, &typedef_name, kind);
  if (!die) return std::unexpected(die.error());
  SymbolsScope scope(this);
  Dwarf_Die s = strip_typedefs(*die);
  std::string label = typedef_name.empty() ? std::string(kind.empty() ? "struct" : kind) + " " + std::string(type)
                                           : typedef_name;
  if (dwarf_tag(&s) != DW_TAG_structure_type && dwarf_tag(&s) != DW_TAG_union_type)
    return label + " " + value_of(&*die, bytes, 0, 0) + "\n";
  return label + " " + aggregate(&s, bytes, 0, 0) + "\n";
}

Result<std::string> KernelSymbols::format_member_values(std::string_view kind, std::string_view type,
                                                       const std::vector<std::string>& members,
                                                       std::span<const uint8_t> bytes) const {
  std::string typedef_name;
  auto die = impl_->find_type(type, &typedef_name, kind);
  if (!die) return std::unexpected(die.error());
  Dwarf_Die s = strip_typedefs(*die);
  int tag = dwarf_tag(&s);
  if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
    return make_error(ErrorCode::Usage, "{} is not a struct or union: it has no members", type);
  SymbolsScope scope(this);
  std::string out;
  for (const auto& name : members) {
    auto m = find_member_path(&s, type, name);
    if (!m) return std::unexpected(m.error());
    std::string v;
    if (m->bit_size) {
      uint64_t word = load(bytes, m->bit_position / 8, 8);
      uint64_t val = (word >> (m->bit_position % 8)) & (m->bit_size >= 64 ? ~0ull : ((1ull << m->bit_size) - 1));
      v = fmt::format("{}", val);
    } else {
      Dwarf_Die t;
      if (!die_type(&m->die, &t)) return make_error(ErrorCode::Corrupt, "{}: member '{}' has no type", type, name);
      v = value_of(&t, bytes, m->bit_position / 8, 1);
    }
    out += fmt::format("  {} = {},\n", m->name, v);
  }
  return out;
}

Result<std::string> KernelSymbols::format_variable(std::string_view variable, std::string_view member_path,
                                                   std::span<const uint8_t> bytes) const {
  auto idx = impl_->type_index();
  if (!idx) return std::unexpected(idx.error());
  uint64_t link = 0;
  if (const LinkSymbol* s = impl_->find_by_name(variable)) link = s->address;
  auto var = (*idx)->find_variable(variable, link);
  if (!var) return std::unexpected(var.error());
  Dwarf_Die t;
  if (!die_type(&*var, &t)) return make_error(ErrorCode::Corrupt, "variable {} has no type", variable);
  SymbolsScope scope(this);
  if (member_path.empty()) return value_of(&t, bytes, 0, 0);
  Dwarf_Die s = strip_typedefs(t);
  if (dwarf_tag(&s) != DW_TAG_structure_type && dwarf_tag(&s) != DW_TAG_union_type)
    return make_error(ErrorCode::Usage, "{} is not a struct or union: it has no members", variable);
  auto m = find_member_path(&s, variable, member_path);
  if (!m) return std::unexpected(m.error());
  if (m->bit_size) {
    uint64_t word = load(bytes, m->bit_position / 8, 8);
    return fmt::format("{}", (word >> (m->bit_position % 8)) & (m->bit_size >= 64 ? ~0ull : ((1ull << m->bit_size) - 1)));
  }
  Dwarf_Die mt;
  if (!die_type(&m->die, &mt)) return make_error(ErrorCode::Corrupt, "{}: member '{}' has no type", variable, member_path);
  return value_of(&mt, bytes, m->bit_position / 8, 1);
}

}  // namespace kdx::symbols
