// `kdx info DUMP [--json]`: what the dump is (format, codecs, arch, release, CPUs, pages, ranges).
#include <ctime>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

std::string utc(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return "?";
  char b[64];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return b;
}

class InfoCommand : public Command {
 public:
  const char* name() const override { return "info"; }
  const char* help() const override { return "Describe a dump: format, arch, release, CPUs, pages, ranges"; }
  void configure(CLI::App& sub) override {
    sub.add_flag("--json", json_, "Machine-readable output (keys documented in docs/dump-formats.md)");
    sub.add_option("files", files_, "Dump file(s), in any order with other inputs")->required();
  }
  int run(Session& session) override {
    session.add_files(files_);
    auto d = session.dump();
    if (!d) {
      std::cerr << "kdx info: " << d.error().to_string() << "\n";
      return d.error().code == ErrorCode::Usage ? kExitUsage : kExitUnreadable;
    }
    const dump::Dump& dd = **d;
    std::vector<std::string> codecs;
    for (auto c : dd.codecs()) codecs.push_back(dump::codec_name(c));
    if (json_ || session.json) {
      nlohmann::ordered_json j;
      j["format"] = dump::format_name(dd.format());
      j["flattened"] = dd.flattened();
      j["split"] = dd.split();
      j["compression"] = codecs;
      j["arch"] = dump::arch_name(dd.arch());
      j["page_size"] = dd.page_size();
      j["release"] = dd.release().empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(dd.release());
      j["crash_time"] = dd.crash_time() ? nlohmann::ordered_json(*dd.crash_time()) : nlohmann::ordered_json(nullptr);
      j["cpus"] = dd.cpus().size();
      j["crashed_cpu"] = dd.crashed_cpu() ? nlohmann::ordered_json(dd.crashed_cpu()->cpu) : nlohmann::ordered_json(nullptr);
      j["vmcoreinfo"] = dd.vmcoreinfo() != nullptr;
      j["pages"] = {{"present", dd.page_counts().present},
                    {"excluded", dd.page_counts().excluded},
                    {"missing", dd.page_counts().missing}};
      auto ranges = nlohmann::ordered_json::array();
      for (const auto& r : dd.phys_ranges()) ranges.push_back({{"start", r.start}, {"end", r.end}});
      j["phys_ranges"] = ranges;
      std::cout << j.dump(2) << "\n";
      return kExitOk;
    }
    std::string fmt_line = dump::format_name(dd.format());
    if (dd.flattened()) fmt_line += ", flattened";
    if (dd.split()) fmt_line += fmt::format(", split over {} files", dd.files().size());
    if (dd.incomplete()) fmt_line += ", INCOMPLETE";
    std::cout << fmt::format("{:<14}{}\n", "format:", fmt_line);
    std::cout << fmt::format("{:<14}{}\n", "compression:", codecs.empty() ? "none" : fmt::format("{}", fmt::join(codecs, ", ")));
    std::cout << fmt::format("{:<14}{}\n", "producer:", dump::producer_name(dd.producer()));
    std::cout << fmt::format("{:<14}{}\n", "arch:", dump::arch_name(dd.arch()));
    std::string ps = std::to_string(dd.page_size());
    if (dd.block_size() != dd.page_size()) ps += fmt::format(" (dump blocks of {})", dd.block_size());
    std::cout << fmt::format("{:<14}{}\n", "page size:", ps);
    std::cout << fmt::format("{:<14}{}\n", "release:", dd.release().empty() ? "unknown" : dd.release());
    std::cout << fmt::format("{:<14}{}\n", "crash time:",
                             dd.crash_time() ? fmt::format("{} ({})", utc(*dd.crash_time()), *dd.crash_time()) : "unknown");
    std::string cpus = std::to_string(dd.cpus().size());
    if (dd.crashed_cpu()) cpus += fmt::format("; crashed: CPU {} ({})", dd.crashed_cpu()->cpu, dd.crashed_cpu()->reason);
    else if (!dd.cpus().empty()) cpus += "; crashed CPU: not known from the dump alone";
    std::cout << fmt::format("{:<14}{}\n", "cpus:", cpus);
    for (const auto& c : dd.cpus()) {
      auto pc = c.pc(dd.arch());
      std::cout << fmt::format("  CPU {:<3} {} {:<8} pc {}\n", c.cpu, c.pid_is_vcpu ? "vcpu" : "pid ", c.pid,
                               pc ? fmt::format("{:#018x}", *pc) : "?");
    }
    std::cout << fmt::format("{:<14}{}\n", "dump level:",
                             dd.dump_level() ? fmt::format("{} ({})", *dd.dump_level(),
                                                           dump::dump_level_description(*dd.dump_level()))
                                             : "none (ELF: every page written)");
    const auto& pc = dd.page_counts();
    std::cout << fmt::format("{:<14}present {}, excluded {}, missing {}\n", "pages:", pc.present, pc.excluded, pc.missing);
    std::cout << fmt::format("{:<14}{} range(s)\n", "phys ranges:", dd.phys_ranges().size());
    for (const auto& r : dd.phys_ranges())
      std::cout << fmt::format("  {:#014x} - {:#014x}  ({} KiB)\n", r.start, r.end, (r.end - r.start) / 1024);
    std::cout << fmt::format("{:<14}{}\n", "vmcoreinfo:", dd.vmcoreinfo() ? "yes" : "no");
    for (const auto& w : dd.warnings()) std::cout << "warning: " << w << "\n";
    return kExitOk;
  }

 private:
  bool json_ = false;
  std::vector<std::string> files_;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::InfoCommand;
KDX_REGISTER_COMMAND(InfoCommand)
