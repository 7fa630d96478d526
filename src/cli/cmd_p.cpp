// `kdx p VARIABLE[.member...] DUMP VMLINUX`: print a kernel global's value from the dump, like
// crash's `p` (the symbolizer's value printer: structs, scalars, pointers with their symbol,
// char arrays as strings), per-CPU variables once per CPU.
#include <fmt/format.h>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

Error err(ErrorCode c, std::string msg) { return Error{c, std::move(msg), {}, {}, {}}; }

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
    auto sym = (*t)->lookup_symbol(var);
    if (!sym) return report_error(err(ErrorCode::NotPresent, fmt::format("no address for {}", var)));
    // The object's size is its ELF symbol's (also right for char linux_banner[]).
    uint64_t size = sym->second ? sym->second : 8;
    if (size > (64u << 20)) return report_error(err(ErrorCode::Format, fmt::format("{} has size {}", var, size)));
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
      std::vector<uint8_t> bytes(size);
      Result<std::string> text = std::unexpected(Error{});
      if (auto r = (*mem)->read_virt(addr, bytes); !r) text = std::unexpected(r.error());
      else text = ks->format_variable(var, member, bytes);
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
  std::string expr_;
  std::vector<std::string> files_;
  std::optional<int> cpu_;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::PrintCommand;
KDX_REGISTER_COMMAND(PrintCommand)
