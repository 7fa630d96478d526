// `kdx log DUMP [VMLINUX]`: the kernel log from the printk ring buffer or log_buf, with crash's options.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

class LogCommand : public Command {
 public:
  const char* name() const override { return "log"; }
  const char* help() const override { return "Print the kernel log buffer (crash's log: -t -T -m -d)"; }
  void configure(CLI::App& sub) override {
    sub.add_option("files", files_, "dump file(s), optionally the vmlinux");
    sub.add_flag("-t", fmt_.no_timestamps, "no timestamps");
    sub.add_flag("-T", fmt_.human_time, "human-readable timestamps (crash time minus uptime)");
    sub.add_flag("-m", fmt_.show_level, "show the log level of each record");
    sub.add_flag("-d", fmt_.show_dict, "show dev_info and the caller of each record");
    sub.add_flag("--json", json_, "one JSON object per record");
  }
  int run(Session& session) override {
    session.add_files(files_);
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto log = (*t)->log();
    if (!log) return report_error(log.error());
    const auto& L = **log;
    if (json_ || session.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : L.records) {
        nlohmann::json j = {{"seq", r.seq}, {"ts_nsec", r.ts_nsec}, {"text", r.text}};
        j["level"] = r.level ? nlohmann::json(*r.level) : nlohmann::json(nullptr);
        j["facility"] = r.facility ? nlohmann::json(*r.facility) : nlohmann::json(nullptr);
        if (r.caller_id)
          j["caller"] = (*r.caller_id & 0x80000000u) ? fmt::format("C{}", *r.caller_id & 0x7fffffffu)
                                                      : fmt::format("T{}", *r.caller_id);
        else
          j["caller"] = nullptr;
        j["dictionary"] = {{"SUBSYSTEM", r.subsystem}, {"DEVICE", r.device}};
        arr.push_back(std::move(j));
      }
      fmt::print("{}\n", arr.dump(1));
    } else {
      auto f = fmt_;
      if (f.human_time) {
        auto ct = (*t)->dump().crash_time();
        if (ct && !L.records.empty()) f.boot_time = *ct - int64_t(L.records.back().ts_nsec / 1000000000);
        else f.human_time = false;
      }
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
