// `kdx p VARIABLE[.member...] DUMP VMLINUX`: print a kernel global's value from the dump, like
// crash's `p` (structs as `struct NAME ADDR`, scalars in decimal and hex, pointers with their
// symbol, char arrays as strings, per-CPU variables once per CPU).
#include <cstring>

#include <fmt/format.h>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

Error err(ErrorCode c, std::string msg) { return Error{c, std::move(msg), {}, {}, {}}; }

// "struct task_struct *current_task;" -> type "struct task_struct *", array suffix "".
struct Decl {
  std::string type, array;
};
std::optional<Decl> parse_declaration(const std::string& decl, const std::string& var) {
  std::string d = decl;
  while (!d.empty() && (d.back() == ';' || d.back() == ' ' || d.back() == '\n')) d.pop_back();
  size_t at = d.rfind(var);
  if (at == std::string::npos) return std::nullopt;
  Decl out;
  out.type = d.substr(0, at);
  out.array = d.substr(at + var.size());
  while (!out.type.empty() && out.type.back() == ' ') out.type.pop_back();
  if (out.type.rfind("const ", 0) == 0) out.type = out.type.substr(6);
  if (out.type.rfind("volatile ", 0) == 0) out.type = out.type.substr(9);
  return out;
}

std::string c_quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '"' || c == '\\') out += std::string("\\") + char(c);
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\{:03o}", c);
    else out += char(c);
  }
  return out + "\"";
}

// "struct list_head" -> ("struct", "list_head"); "atomic_t" -> ("", "atomic_t").
std::pair<std::string, std::string> split_kind(const std::string& type) {
  for (const char* k : {"struct ", "union "})
    if (type.rfind(k, 0) == 0) return {std::string(k, std::strlen(k) - 1), type.substr(std::strlen(k))};
  return {"", type};
}

bool is_signed_name(std::string_view t) {
  for (std::string_view s : {"int", "long", "long int", "long long", "long long int", "short", "s8", "s16", "s32",
                             "s64", "char", "signed char", "ssize_t", "loff_t", "time64_t", "ktime_t"})
    if (t == s) return true;
  return false;
}

class PrintCommand : public Command {
 public:
  const char* name() const override { return "p"; }
  const char* help() const override {
    return "Print a kernel variable (VAR or VAR.member.path) from the dump, as crash's p";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("expr", expr_, "a global variable, optionally with a member path (init_uts_ns.name.release)")
        ->required();
    sub.add_option("files", files_, "dump and vmlinux, recognised by content");
    sub.add_option("-c,--cpu", cpu_, "for a per-CPU variable: only this CPU");
  }

  int run(Session& session) override {
    session.add_files(files_);
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto* ks = (*t)->symbols();
    if (!ks) return report_error(err(ErrorCode::Usage, "p needs the vmlinux (variable types come from its DWARF)"));
    std::string var = expr_, member;
    if (auto dot = expr_.find('.'); dot != std::string::npos) {
      var = expr_.substr(0, dot);
      member = expr_.substr(dot + 1);
    }
    auto decl_text = ks->variable_declaration(var);
    if (!decl_text) return report_error(decl_text.error());
    auto decl = parse_declaration(*decl_text, var);
    if (!decl) return report_error(err(ErrorCode::Format, fmt::format("cannot parse the declaration '{}'", *decl_text)));
    auto sym = (*t)->lookup_symbol(var);
    if (!sym) return report_error(err(ErrorCode::NotPresent, fmt::format("no address for {}", var)));
    auto mem = (*t)->memory();
    if (!mem) return report_error(mem.error());

    // Per-CPU variables (x86_64: link addresses in the zero-based .data..percpu section) are
    // offsets from each CPU's __per_cpu_offset[].
    std::vector<std::pair<std::optional<int>, uint64_t>> where;
    auto pcpu = (*t)->lookup_symbol("__per_cpu_offset");
    auto pstart = (*t)->lookup_symbol("__per_cpu_start"), pend = (*t)->lookup_symbol("__per_cpu_end");
    bool percpu = pcpu && pstart && pend && sym->first >= pstart->first && sym->first < pend->first;
    if (percpu) {
      int ncpu = int((*t)->dump().cpus().size());
      if (ncpu == 0) ncpu = 1;
      for (int c = 0; c < ncpu; ++c) {
        if (cpu_ && *cpu_ != c) continue;
        auto off = (*mem)->read_u64(pcpu->first + 8 * uint64_t(c));
        if (!off) return report_error(off.error());
        where.emplace_back(c, sym->first + *off);
      }
      std::string d = *decl_text;
      while (!d.empty() && (d.back() == ';' || d.back() == '\n')) d.pop_back();
      fmt::print("PER-CPU DATA TYPE:\n  {};\n", d);
    } else {
      where.emplace_back(std::nullopt, sym->first);
    }
    int rc = kExitOk;
    for (auto& [cpu, addr] : where) {
      std::string label = cpu ? fmt::format("  [{}]: {:x}\n  ", *cpu, addr) : "";
      auto text = value_text(*t, *ks, **mem, decl->type, decl->array, member, addr);
      if (!text && !cpu) return report_error(text.error());
      if (!text) {
        fmt::print("{}{} = (cannot read: {})\n", label, expr_, text.error().message);
        rc = kExitPartial;
        continue;
      }
      fmt::print("{}{} = {}", label, expr_, *text);
      if (text->empty() || text->back() != '\n') fmt::print("\n");
    }
    return rc;
  }

 private:
  static Result<std::string> value_text(analysis::Target* t, symbols::KernelSymbols& ks, KernelAddressSpace& mem,
                                        const std::string& type, const std::string& array, const std::string& member,
                                        uint64_t addr) {
    if (!member.empty()) {
      if (!array.empty() || type.ends_with("*"))
        return std::unexpected(err(ErrorCode::Usage, "a member path needs a struct or union variable"));
      auto mi = ks.member_info(type, member);
      if (!mi) return std::unexpected(mi.error());
      return scalar_or_object(t, ks, mem, mi->type_name, addr + mi->offset, mi->size);
    }
    if (!array.empty()) {
      // char x[] / char x[N]: a string; other arrays: the element type's size is unknown here.
      if (type == "char" || type == "unsigned char") {
        auto s = mem.read_cstring(addr, 4096);
        if (!s) return std::unexpected(s.error());
        return c_quoted(*s);
      }
      return fmt::format("{}{} at {:#x} (arrays: use rd or struct)", type, array, addr);
    }
    auto size = type.ends_with("*") ? Result<uint64_t>(8) : ks.type_size(type);
    if (!size) return std::unexpected(size.error());
    return scalar_or_object(t, ks, mem, type, addr, *size);
  }

  static Result<std::string> scalar_or_object(analysis::Target* t, symbols::KernelSymbols& ks, KernelAddressSpace& mem,
                                              std::string type, uint64_t addr, uint64_t size) {
    if (type.rfind("const ", 0) == 0) type = type.substr(6);
    if (type.rfind("volatile ", 0) == 0) type = type.substr(9);
    if (size == 0 || size > (64u << 20)) return std::unexpected(err(ErrorCode::Format, fmt::format("size {} of {}", size, type)));
    if (type.ends_with("]") && (type.rfind("char [", 0) == 0 || type.rfind("unsigned char [", 0) == 0)) {
      auto s = mem.read_cstring(addr, size);
      if (!s) return std::unexpected(s.error());
      return c_quoted(*s);
    }
    std::vector<uint8_t> bytes(size);
    if (auto r = mem.read_virt(addr, bytes); !r) return std::unexpected(r.error());
    if (type.ends_with("*")) {
      uint64_t v = 0;
      std::memcpy(&v, bytes.data(), 8);
      std::string s = fmt::format("({}) {:#x}", type, v);
      if (auto sym = t->symbolize(v))
        s += sym->offset ? fmt::format(" <{}+{}>", sym->function, sym->offset) : fmt::format(" <{}>", sym->function);
      return s;
    }
    auto [kind, name] = split_kind(type);
    if (size <= 8 && kind.empty() && !type.ends_with("]")) {
      auto obj = ks.format_object("", name, bytes);
      if (obj && obj->find('{') != std::string::npos) return *obj;  // a typedef of a struct (atomic_t)
      uint64_t v = 0;
      std::memcpy(&v, bytes.data(), size);
      if (is_signed_name(type) && size < 8 && (v >> (size * 8 - 1)) & 1) v |= ~0ull << (size * 8);
      if (is_signed_name(type)) return fmt::format("{} ({:#x})", int64_t(v), size < 8 ? v & ((1ull << (size * 8)) - 1) : v);
      return fmt::format("{} ({:#x})", v, v);
    }
    auto obj = ks.format_object(kind, name, bytes);
    if (!obj) return std::unexpected(obj.error());
    return *obj;
  }

  std::string expr_;
  std::vector<std::string> files_;
  std::optional<int> cpu_;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::PrintCommand;
KDX_REGISTER_COMMAND(PrintCommand)
