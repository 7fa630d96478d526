// `kdx log DUMP [VMLINUX]`: the kernel log from the printk ring buffer or log_buf, with crash's options.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

// Wall-clock seconds at printk time 0, for -T. With a vmlinux: the timekeeper's offs_real
// (CLOCK_REALTIME - CLOCK_MONOTONIC; printk's local_clock() runs with CLOCK_MONOTONIC from
// boot); otherwise the crash time (VMCOREINFO CRASHTIME, else the dump header's timestamp)
// minus the newest record's timestamp. crash uses its date minus jiffies-based uptime instead,
// which is wrong when it guesses HZ wrong (docs/log.md).
std::optional<int64_t> log_boot_time(analysis::Target& t, VirtReader& mem, const kernel::KernelLog& log,
                                     std::string& how) {
  auto& L = t.layout();
  if (t.symbols()) {
    auto tk = L.symbol_address("shadow_timekeeper");
    auto off = L.member_offset("timekeeper", "offs_real");
    if (tk && off)
      if (auto v = mem.read_u64(*tk + *off); v && int64_t(*v) > 0) {
        how = "the timekeeper's offs_real";
        return int64_t(*v) / 1000000000;
      }
  }
  auto ct = t.dump().crash_time();
  if (ct && !log.records.empty()) {
    how = "the crash time minus the last record's timestamp";
    return *ct - int64_t(log.records.back().ts_nsec / 1000000000);
  }
  return std::nullopt;
}

class LogCommand : public Command {
 public:
  const char* name() const override { return "log"; }
  const char* help() const override { return "Print the kernel log buffer (crash's log: -t -T -m -d, and -c)"; }
  void configure(CLI::App& sub) override {
    sub.add_option("files", files_, "dump file(s), optionally the vmlinux");
    sub.add_flag("-t", fmt_.no_timestamps, "no timestamps");
    sub.add_flag("-T", fmt_.human_time, "human-readable timestamps (boot wall-clock time plus the record's seconds)");
    sub.add_flag("-m", fmt_.show_level, "show the log level of each record");
    sub.add_flag("-d", fmt_.show_dict, "show each record's dictionary (dev_printk_info SUBSYSTEM/DEVICE)");
    sub.add_flag("-c", fmt_.show_caller, "show the caller of each record (task T<pid> or CPU C<n>)");
    sub.add_flag("--json", json_, "one JSON object per record");
  }
  int run(Session& session) override {
    session.add_files(files_);
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto mem = (*t)->memory();
    if (!mem) return report_error(mem.error());
    // Layout from VMCOREINFO first, the vmlinux's DWARF second.
    auto log = kernel::read_kernel_log(**mem, (*t)->layout());
    if (!log) return report_error(log.error());
    const auto& L = *log;
    if (json_ || session.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : L.records) {
        nlohmann::json j = {{"seq", r.seq},
                            {"ts", double(r.ts_nsec / 1000) / 1e6},
                            {"ts_nsec", r.ts_nsec},
                            {"text", r.text}};
        j["level"] = r.level ? nlohmann::json(*r.level) : nlohmann::json(nullptr);
        j["facility"] = r.facility ? nlohmann::json(*r.facility) : nlohmann::json(nullptr);
        j["caller"] = r.caller_id ? nlohmann::json(kernel::caller_string(*r.caller_id)) : nlohmann::json(nullptr);
        if (r.caller_id) {
          if (*r.caller_id & 0x80000000u) j["caller_cpu"] = *r.caller_id & 0x7fffffffu;
          else j["caller_pid"] = *r.caller_id;
        }
        nlohmann::json dict = nlohmann::json::object();
        for (const auto& [k, v] : r.dict) dict[k] = v;
        j["dictionary"] = std::move(dict);
        arr.push_back(std::move(j));
      }
      // Log text is bytes, not always UTF-8: invalid sequences become U+FFFD, never a throw.
      fmt::print("{}\n", arr.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      auto f = fmt_;
      if (f.human_time) {
        std::string how;
        f.boot_time = log_boot_time(**t, **mem, L, how);
        if (!f.boot_time) {
          f.human_time = false;
          fmt::print(stderr, "kdx log: -T: no crash time in the dump and no vmlinux timekeeper: printing seconds since boot\n");
        }
      }
      if (f.show_caller)
        if (auto pm = (*t)->layout().symbol_address("pid_max"))
          if (auto v = (*mem)->read<uint32_t>(*pm)) f.caller_width = *v <= 99999 ? 6 : *v <= 999999 ? 7 : 8;
      fmt::print("{}", kernel::format_kernel_log(L, f));
    }
    for (const auto& n : L.notes) fmt::print(stderr, "kdx log: {}\n", n);
    return L.skipped ? kExitPartial : kExitOk;
  }

 private:
  std::vector<std::string> files_;
  kernel::LogFormat fmt_;
  bool json_ = false;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::LogCommand;
KDX_REGISTER_COMMAND(LogCommand)
