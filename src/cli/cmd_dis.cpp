// `kdx dis SYMBOL|ADDR [COUNT]`: disassembles kernel code from the dump's memory, crash-style, with -l source lines.
#include <fmt/format.h>

#include "command.hpp"
#include "kdx/analysis/disassembler.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

class DisCommand : public Command {
 public:
  const char* name() const override { return "dis"; }
  const char* help() const override { return "Disassemble a function or address range from the dump (-l: source lines)"; }
  void configure(CLI::App& sub) override {
    sub.add_option("args", args_, "SYMBOL|ADDR [COUNT] then the dump file(s) and vmlinux")->required();
    sub.add_flag("-l", lines_, "show source file:line before each line change");
    sub.add_flag("-r", reverse_, "disassemble from the function start up to the address");
  }
  int run(Session& session) override {
    what_ = args_.front();
    std::vector<std::string> files(args_.begin() + 1, args_.end());
    if (!files.empty() && !files.front().empty() &&
        files.front().find_first_not_of("0123456789") == std::string::npos) {
      count_ = std::stoi(files.front());
      files.erase(files.begin());
    }
    session.add_files(files);
    auto tt = session.target();
    if (!tt) return report_error(tt.error());
    analysis::Target& t = **tt;
    uint64_t addr = 0, len = 0;
    std::string name = what_;
    uint64_t plus = 0;
    if (auto p = what_.find('+'); p != std::string::npos) {
      name = what_.substr(0, p);
      if (auto v = symbols::parse_address(what_.substr(p + 1))) plus = *v;
    }
    bool by_symbol = false;
    if (auto hit = t.lookup_symbol(name)) {
      addr = hit->first + plus;
      len = hit->second > plus ? hit->second - plus : 0;
      by_symbol = true;
    }
    if (!by_symbol) {
      auto a = symbols::parse_address(what_);
      if (!a) return report_error(Error{ErrorCode::Usage, fmt::format("'{}' is neither a known symbol nor an address", what_), {}, {}, {}});
      addr = *a;
    }
    auto sym = t.symbolize(addr);
    if (reverse_ && sym) {
      len = addr - sym->start + 1;
      addr = sym->start;
    } else if (!by_symbol && sym && sym->size && !count_) {
      len = sym->start + sym->size - addr;
    }
    if (!len) len = 64;
    if (count_) len = uint64_t(*count_) * 16;
    len = std::min<uint64_t>(len, 1 << 20);
    auto mem = t.memory();
    if (!mem) return report_error(mem.error());
    std::vector<uint8_t> code(len);
    if (auto r = (*mem)->read_virt(addr, code); !r) return report_error(r.error());
    auto insns = analysis::disassemble(t.arch_name(), code, addr, count_ ? size_t(*count_) : 100000);
    if (!insns) return report_error(insns.error());
    std::string last_loc;
    for (const auto& in : *insns) {
      if (reverse_ && in.address > addr + len - 1) break;
      auto s = t.symbolize(in.address);
      if (lines_ && s && !s->file.empty()) {
        std::string loc = fmt::format("{}: {}", s->file, s->line);
        if (loc != last_loc) fmt::print("{}\n", loc);
        last_loc = loc;
      }
      std::string where = s && !s->function.empty() ? fmt::format("<{}+{}>", s->function, in.address - s->start) : "";
      // Name branch targets, as crash does: "call 0xffffffff81234560 <_printk>".
      std::string target;
      if (in.mnemonic.starts_with("call") || in.mnemonic.starts_with("j") || in.mnemonic == "bl" || in.mnemonic == "b")
        if (auto p = in.text.find("0x"); p != std::string::npos)
          if (auto a = symbols::parse_address(in.text.substr(p)))
            if (auto ts = t.symbolize(*a); ts && !ts->function.empty())
              target = *a == ts->start ? fmt::format(" <{}>", ts->function) : fmt::format(" <{}+{}>", ts->function, *a - ts->start);
      fmt::print("{:#x} {}:\t{}{}\n", in.address, where, in.text, target);
    }
    return kExitOk;
  }

 private:
  std::string what_;
  std::optional<int> count_;
  std::vector<std::string> args_;
  bool lines_ = false, reverse_ = false;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::DisCommand;
KDX_REGISTER_COMMAND(DisCommand)
