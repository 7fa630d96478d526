// `kdx rd ADDR [COUNT] DUMP`: display kernel virtual (default), user virtual (-u, a task's page table) or physical (-p) memory like crash's rd (-8/-16/-32/-64, -a, -s).
#include <sys/stat.h>

#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "command.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/report/memory_dump.hpp"
#include "session.hpp"
#include "task_space.hpp"

namespace kdx::cli {
namespace {

bool is_file(const std::string& s) {
  struct stat st;
  return ::stat(s.c_str(), &st) == 0;
}

// crash's rd -s naming of one word: symbol+decimal offset when it points into the kernel
// or a module, else "". Inside a module, crash names any address by the nearest symbol
// below it even past that symbol's size (section padding, the start of a section without a
// symbol), so kdx does the same there.
std::string symbolic_name(analysis::Target& t, uint64_t w) {
  if (w < 0x10000) return {};
  if (auto sym = t.symbolize(w); sym && !sym->function.empty())
    return w == sym->start ? sym->function : fmt::format("{}+{}", sym->function, w - sym->start);
  auto mods = t.modules();
  if (!mods) return {};
  const kernel::ModuleInfo* m = kernel::module_for_address(**mods, w);
  if (!m) return {};
  const kernel::ModuleSymbol* best = nullptr;
  for (const auto& s : m->symbols)
    if (s.value <= w && (!best || s.value > best->value) && !s.name.empty()) best = &s;
  if (!best) return {};
  return w == best->value ? best->name : fmt::format("{}+{}", best->name, w - best->value);
}

class RdCommand : public Command {
 public:
  const char* name() const override { return "rd"; }
  const char* help() const override {
    return "Display memory: rd ADDR [COUNT] DUMP (-p physical, -u user of a task, -8/-16/-32/-64, -a, -s, -x)";
  }
  void configure(CLI::App& sub) override {
    sub.add_flag("-p", physical_, "PADDR is a physical address (default: kernel virtual)");
    sub.add_flag("-u", user_, "ADDR is a user virtual address of the task (--pid/--task; default the crashed task)");
    sub.add_option("--pid", pid_, "the task whose user memory -u reads, by PID");
    sub.add_option("--task", task_, "the task whose user memory -u reads, by task_struct address (hex)");
    sub.add_flag("-s", symbolic_, "Show words that point into the kernel as symbol+offset");
    sub.add_flag("-a", ascii_only_, "Display ASCII only, up to the first NUL");
    sub.add_flag("-x", no_ascii_, "Leave out the ASCII column");
    sub.add_flag("-8", bits8_, "Display 8-bit values");
    // CLI11 takes "-16" as option "-1" with value "6"; these are picked out of the extras.
    sub.allow_extras();
    sub.add_option("args", args_, "ADDRESS [COUNT] and the input files, in any order after ADDRESS");
    sub_ = &sub;
  }
  int run(Session& session) override {
    int unit = bits8_ ? 1 : 8;
    for (const auto& x : sub_->remaining()) {
      if (x == "-16") unit = 2;
      else if (x == "-32") unit = 4;
      else if (x == "-64") unit = 8;
      else if (x == "-8") unit = 1;
      else {
        std::cerr << "kdx rd: unknown option " << x << "\n";
        return kExitUsage;
      }
    }
    std::optional<uint64_t> addr, count;
    std::vector<std::string> files;
    for (const auto& a : args_) {
      // CLI11 hands number-like "-16" to the positionals.
      if (a == "-8" || a == "-16" || a == "-32" || a == "-64") {
        unit = a == "-8" ? 1 : a == "-16" ? 2 : a == "-32" ? 4 : 8;
        continue;
      }
      if (is_file(a)) {
        files.push_back(a);
      } else if (!addr && !symbol_) {
        addr = dump::parse_hex_u64(a);  // like crash: addresses are hex, with or without 0x
        if (!addr) symbol_ = a;         // else a symbol, resolved once the inputs are open
      } else if (!count) {
        count = parse_number(a);  // decimal, or 0x-prefixed hex
        if (!count) {
          std::cerr << "kdx rd: " << a << ": not a count or a file\n";
          return kExitUsage;
        }
      } else {
        files.push_back(a);  // reported by the session as unreadable
      }
    }
    if (!addr && !symbol_) {
      std::cerr << "kdx rd: missing address\n";
      return kExitUsage;
    }
    session.add_files(files);
    auto d = session.dump();
    if (!d) {
      std::cerr << "kdx rd: " << d.error().to_string() << "\n";
      return d.error().code == ErrorCode::Usage ? kExitUsage : kExitUnreadable;
    }
    // Virtual reads (the default, as in crash) go through the kernel page tables.
    analysis::Target* target = nullptr;
    if (!physical_ || symbolic_ || symbol_) {
      auto t = session.target();
      if (!t) return report_error(t.error());
      target = *t;
      d = &target->dump();
    }
    if (symbol_) {
      auto s = target->lookup_symbol(*symbol_);
      if (!s) {
        std::cerr << "kdx rd: " << *symbol_ << ": not a hex address, a known symbol or a file\n";
        return kExitUsage;
      }
      addr = s->first;
    }
    if (physical_ && (user_ || pid_ || !task_.empty())) {
      std::cerr << "kdx rd: -p reads physical memory: -u, --pid and --task do not apply\n";
      return kExitUsage;
    }
    KernelAddressSpace* vmem = nullptr;
    std::optional<TaskSpace> ts;
    if (!physical_) {
      auto m = target->memory();
      if (!m) return report_error(m.error());
      vmem = *m;
      // crash: user addresses are read in the current context; -u says so explicitly.
      if (user_ || pid_ || !task_.empty() || vmem->walker().region_of(*addr) == "user") {
        TaskSelector which;
        which.pid = pid_;
        if (!task_.empty()) {
          which.task = parse_hex_address(task_);
          if (!which.task) {
            std::cerr << "kdx rd: --task " << task_ << ": not a hex address\n";
            return kExitUsage;
          }
        }
        auto r = task_address_space(*target, which);
        if (!r) return report_error(r.error());
        ts = std::move(*r);
        vmem = ts->space.get();
      }
    }
    report::MemoryDumpOptions o;
    o.unit_bytes = unit;
    o.ascii_only = ascii_only_;
    o.ascii_column = !no_ascii_;
    uint64_t want = ascii_only_ ? count.value_or(256) : count.value_or(1) * unit;
    if (want > (64ull << 20)) {
      std::cerr << "kdx rd: count too large (at most 64 MiB per read)\n";
      return kExitUsage;
    }
    // Unaligned starts are shown from the unit boundary below, as crash does.
    uint64_t start = ascii_only_ ? *addr : *addr / unit * unit;
    std::vector<uint8_t> buf(want);
    size_t got = 0;
    std::optional<Error> err;
    while (got < want) {
      uint64_t a = start + got;
      size_t n = static_cast<size_t>(std::min<uint64_t>(want - got, 4096 - a % 4096));
      // An excluded page reads as zeros; say so instead of showing zeros (crash does too).
      auto st = vmem ? vmem->page_state(a) : Result<PageState>((*d)->page_state(a));
      if (st && *st == PageState::Excluded) {
        err = Error{ErrorCode::NotPresent,
                    fmt::format("page excluded: {} address {:#x} is in a page the dump filtered out (makedumpfile -d)",
                                physical_ ? "physical" : ts ? "user virtual" : "kernel virtual", a),
                    {}, {}, {}};
        break;
      }
      auto r = vmem ? vmem->read_virt(a, std::span<uint8_t>(buf.data() + got, n))
                    : (*d)->read_phys(a, std::span<uint8_t>(buf.data() + got, n));
      if (!r) {
        err = r.error();
        break;
      }
      got += n;
      // -a shows a string: like crash, stop at its NUL rather than failing on the page after.
      if (ascii_only_ && std::memchr(buf.data() + got - n, 0, n)) break;
    }
    if (symbolic_) {
      // crash's rd -s: each word that points into kernel text or data shown as symbol+offset.
      got -= got % 8;
      for (size_t i = 0; i < got; i += 8) {
        if (i % 16 == 0) std::cout << (i ? "\n" : "") << fmt::format("{:x}:  ", start + i);
        uint64_t w;
        std::memcpy(&w, buf.data() + i, 8);
        std::string cell = symbolic_name(*target, w);
        if (cell.empty()) cell = fmt::format("{:016x}", w);
        std::cout << fmt::format("{:<24} ", cell);
      }
      if (got) std::cout << "\n";
    } else {
      std::cout << report::format_memory(start, std::span<const uint8_t>(buf.data(), got), o);
    }
    if (err) {
      std::cerr << "kdx rd: " << err->to_string() << "\n";
      return err->code == ErrorCode::NotPresent ? (got ? kExitPartial : kExitUnreadable) : kExitUnreadable;
    }
    return kExitOk;
  }

 private:
  bool physical_ = false, ascii_only_ = false, no_ascii_ = false, bits8_ = false, user_ = false;
  std::optional<int64_t> pid_;
  std::string task_;
  std::vector<std::string> args_;
  bool symbolic_ = false;
  std::optional<std::string> symbol_;
  CLI::App* sub_ = nullptr;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::RdCommand;
KDX_REGISTER_COMMAND(RdCommand)
