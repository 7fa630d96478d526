// `kdx sym ADDR|NAME [VMLINUX...] [--json]`: crash's sym, address <-> symbol with file:line and inline chain.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kdx/analysis/target.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "session.hpp"
#include "vmlinux_input.hpp"

namespace kdx::cli {
namespace {

class SymCommand : public Command {
 public:
  const char* name() const override { return "sym"; }
  const char* help() const override { return "Translate an address to symbol+offset, file:line and inline chain, or a symbol to its address"; }
  void configure(CLI::App& sub) override {
    sub.add_option("target", target_, "Address (hex, with or without 0x) or symbol name")->required();
    sub.add_option("files", files_, "vmlinux (and dump) files, recognised by content");
    sub.add_flag("--json", json_, "Print JSON: name, offset, size, module, file, line, inlined");
    sub.add_option("--kaslr-offset", kaslr_, "KASLR offset (hex) added to link-time addresses");
    sub.add_option("--module", modules_,
                   "Load a module: NAME:PATH:SECTION=ADDR[,SECTION=ADDR...] (repeatable); an empty PATH "
                   "(NAME::...) searches --modules-dir, /usr/lib/debug/lib/modules/REL, /lib/modules/REL");
    sub.add_option("--modules-dir", modules_dirs_, "Directory searched (recursively) for NAME.ko[.xz|.zst]");
  }
  int run(Session& session) override {
    session.add_files(files_);
    // With a dump: KASLR, modules and (without a vmlinux) the kernel's kallsyms come from it.
    if (!session.paths_of(dump::FileKind::Dump).empty()) return run_on_dump(session);
    auto ks = open_vmlinux_from(session.files);
    if (!ks) return report_error(ks.error());
    if (!kaslr_.empty()) {
      auto off = symbols::parse_address(kaslr_);
      if (!off) return report_error(off.error());
      (*ks)->set_kaslr_offset(*off);
    }
    for (auto& spec : modules_) {
      auto r = add_module(**ks, spec, modules_dirs_);
      if (!r) return report_error(r.error());
    }
    return print(session, **ks);
  }

 private:
  int print(Session& session, symbols::KernelSymbols& ks) {
    bool json = json_ || session.json;
    auto addr = symbols::parse_address(target_);
    symbols::AddressInfo info;
    if (addr) {
      auto r = ks.address_info(*addr);
      if (!r) return report_error(r.error());
      info = *r;
    } else {
      auto s = ks.lookup_symbol(target_);
      if (!s) return report_error(s.error());
      auto r = ks.address_info(s->address);
      info = r ? *r : symbols::AddressInfo{*s, std::nullopt};
      info.symbol.size = s->size;
    }
    if (json) print_json(info);
    else print_text(info, addr.has_value() ? *addr : info.symbol.address);
    return kExitOk;
  }

  int run_on_dump(Session& session) {
    if (!kaslr_.empty())
      return report_error(Error{ErrorCode::Usage, "--kaslr-offset is for a vmlinux alone: with a dump, KASLR comes from the dump", {}, {}, {}});
    auto tt = session.target();
    if (!tt) return report_error(tt.error());
    analysis::Target& t = **tt;
    if (auto* ks = t.symbols()) {
      for (auto& spec : modules_)
        if (auto r = add_module(*ks, spec, modules_dirs_); !r) return report_error(r.error());
      auto addr = symbols::parse_address(target_);
      // Target::symbolize loads the dump's modules' debug info; names only it knows (module
      // kallsyms) are printed without lines.
      auto s = addr ? t.symbolize(*addr) : std::nullopt;
      if (addr && s && s->source == "module kallsyms") return print_target_hit(session, t, *addr, *s);
      if (!addr) {
        if (!ks->lookup_symbol(target_))
          if (auto hit = t.lookup_symbol(target_)) {
            if (auto s2 = t.symbolize(hit->first)) return print_target_hit(session, t, hit->first, *s2);
          }
      }
      return print(session, *ks);
    }
    if (!modules_.empty())
      return report_error(Error{ErrorCode::Usage, "--module needs a vmlinux", {}, {}, {}});
    auto addr = symbols::parse_address(target_);
    uint64_t a = 0;
    if (addr) {
      a = *addr;
    } else {
      auto hit = t.lookup_symbol(target_);
      if (!hit) {
        if (!t.kallsyms()) return report_error(Error{ErrorCode::NotPresent, fmt::format("no symbol {} (no vmlinux, no kallsyms)", target_), {}, {}, {}});
        return report_error(Error{ErrorCode::NotPresent, fmt::format("no symbol {} in the kernel's kallsyms or the modules", target_), {}, {}, {}});
      }
      a = hit->first;
    }
    auto s = t.symbolize(a);
    if (!s || s->function.empty())
      return report_error(Error{ErrorCode::NotPresent, "no symbol covers the address (no vmlinux: kallsyms and module symbols only)", {}, {}, a});
    return print_target_hit(session, t, a, *s);
  }

  // A hit from the kernel's or a module's kallsyms: name, offset, size, module; no lines.
  int print_target_hit(Session& session, analysis::Target& t, uint64_t addr, const analysis::SymbolizedAddress& s) {
    symbols::AddressInfo info;
    info.symbol.name = s.function;
    info.symbol.address = s.start;
    info.symbol.offset = s.offset;
    info.symbol.size = s.size;
    if (!s.module.empty()) info.symbol.module = s.module;
    if (const auto* k = t.kallsyms(); k && s.source == "kallsyms")
      if (auto h = k->symbolize(addr)) info.symbol.type_char = h->type_char;
    if (s.source == "module kallsyms")
      if (auto mods = t.modules())
        for (const auto& m : **mods)
          if (m.name == s.module)
            for (const auto& ms : m.symbols)
              if (ms.name == s.function && ms.value == s.start) info.symbol.type_char = ms.type;
    if (json_ || session.json) print_json(info);
    else print_text(info, addr);
    return kExitOk;
  }

  static Result<void> add_module(symbols::KernelSymbols& ks, const std::string& spec, const std::vector<std::string>& dirs) {
    size_t a = spec.find(':');
    size_t b = a == std::string::npos ? a : spec.find(':', a + 1);
    if (b == std::string::npos) return make_error(ErrorCode::Usage, "--module '{}': expected NAME:PATH:SECTION=ADDR,...", spec);
    symbols::SectionAddresses secs;
    std::string list = spec.substr(b + 1);
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      size_t eq = item.find('=');
      if (eq == std::string::npos) return make_error(ErrorCode::Usage, "--module: '{}' is not SECTION=ADDR", item);
      auto addr = symbols::parse_address(item.substr(eq + 1));
      if (!addr) return std::unexpected(addr.error());
      secs[item.substr(0, eq)] = *addr;
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    std::string name = spec.substr(0, a), path = spec.substr(a + 1, b - a - 1);
    if (path.empty()) {
      auto found = ks.find_module_file(name, dirs);
      if (!found) return std::unexpected(found.error());
      path = *found;
    }
    return ks.add_module(name, path, secs);
  }

  // The inline chain as reported in JSON: empty when the address is not in inlined code.
  static std::vector<symbols::InlineFrame> inline_frames(const symbols::AddressInfo& info) {
    if (!info.source || info.source->inlined.size() < 2) return {};
    return info.source->inlined;
  }

  static void print_json(const symbols::AddressInfo& info) {
    nlohmann::ordered_json j;
    j["name"] = info.symbol.name;
    j["offset"] = info.symbol.offset;
    j["size"] = info.symbol.size;
    j["module"] = info.symbol.module ? nlohmann::ordered_json(*info.symbol.module) : nlohmann::ordered_json(nullptr);
    j["file"] = info.source ? nlohmann::ordered_json(info.source->file) : nlohmann::ordered_json(nullptr);
    j["line"] = info.source ? nlohmann::ordered_json(info.source->line) : nlohmann::ordered_json(nullptr);
    j["inlined"] = nlohmann::ordered_json::array();
    for (auto& f : inline_frames(info))
      j["inlined"].push_back(nlohmann::ordered_json{{"function", f.function}, {"file", f.file}, {"line", f.line}});
    fmt::print("{}\n", j.dump(2));
  }

  // crash's format: "ffffffff81059beb (T) machine_kexec+27 [module] file.c: 123".
  static void print_text(const symbols::AddressInfo& info, uint64_t addr) {
    std::string out = fmt::format("{:016x} ({}) {}", addr, info.symbol.type_char, info.symbol.name);
    if (info.symbol.offset) out += fmt::format("+{}", info.symbol.offset);
    if (info.symbol.module) out += fmt::format(" [{}]", *info.symbol.module);
    if (info.source && !info.source->file.empty()) out += fmt::format(" {}: {}", info.source->file, info.source->line);
    fmt::print("{}\n", out);
    auto frames = inline_frames(info);
    // Inline chain, innermost first, as addr2line -i shows it.
    for (auto& f : frames) fmt::print("    {} at {}: {}\n", f.function, f.file, f.line);
  }

  std::string target_;
  std::vector<std::string> files_;
  std::vector<std::string> modules_;
  std::vector<std::string> modules_dirs_;
  std::string kaslr_;
  bool json_ = false;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::SymCommand;
KDX_REGISTER_COMMAND(SymCommand)
