// `kdx triage PATH...`: every dump and console log under the paths, each matched with its vmlinux,
// analyzed, and grouped by crash title (text table or JSON schema kdx.triage/1).
#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kdx/analysis/triage.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

using analysis::TriageItem;
using analysis::TriageResult;

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json str_or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

std::string to_json(const TriageResult& r) {
  nlohmann::json j;
  j["schema"] = "kdx.triage/1";
  j["seconds"] = r.seconds;
  j["items"] = nlohmann::json::array();
  for (const auto& it : r.items) {
    j["items"].push_back({{"kind", it.kind},
                          {"files", it.files},
                          {"companion_log", str_or_null(it.companion_log)},
                          {"status", it.status},
                          {"error", str_or_null(it.error)},
                          {"arch", str_or_null(it.arch)},
                          {"release", str_or_null(it.release)},
                          {"crash_time", opt(it.crash_time)},
                          {"vmlinux", str_or_null(it.vmlinux)},
                          {"vmlinux_how", str_or_null(it.vmlinux_how)},
                          {"title", opt(it.title)},
                          {"type", str_or_null(it.type)},
                          {"corrupted", it.corrupted},
                          {"guilty_frame", str_or_null(it.guilty_frame)},
                          {"cpu", opt(it.cpu)},
                          {"pid", opt(it.pid)},
                          {"comm", str_or_null(it.comm)},
                          {"notes", it.notes},
                          {"seconds", it.seconds}});
  }
  j["buckets"] = nlohmann::json::array();
  for (const auto& b : r.buckets) j["buckets"].push_back({{"title", opt(b.title)}, {"count", b.items.size()}, {"items", b.items}});
  j["skipped"] = nlohmann::json::array();
  for (const auto& s : r.skipped) j["skipped"].push_back({{"path", s.path}, {"reason", s.reason}});
  j["vmlinux_found"] = r.vmlinux_found;
  return j.dump(2) + "\n";
}

std::string item_name(const TriageItem& it) {
  std::string s = it.files.front();
  if (it.files.size() > 1) s += fmt::format(" (+{} split part{})", it.files.size() - 1, it.files.size() > 2 ? "s" : "");
  return s;
}

std::string to_text(const TriageResult& r, bool verbose) {
  size_t dumps = 0, logs = 0, errors = 0;
  for (const auto& it : r.items) {
    (it.kind == "dump" ? dumps : logs)++;
    if (it.status == "error") ++errors;
  }
  std::string out = fmt::format("kdx triage: {} dump{}, {} log{} in {:.2f} s", dumps, dumps == 1 ? "" : "s", logs,
                                logs == 1 ? "" : "s", r.seconds);
  if (errors) out += fmt::format(", {} unreadable", errors);
  if (!r.skipped.empty()) out += fmt::format(", {} other file{} skipped", r.skipped.size(), r.skipped.size() == 1 ? "" : "s");
  out += "\n\n";
  if (!r.buckets.empty()) {
    out += "  COUNT  TITLE\n";
    for (const auto& b : r.buckets)
      out += fmt::format("  {:>5}  {}\n", b.items.size(), b.title ? *b.title : std::string("(no crash found)"));
    out += "\n";
  }
  size_t wrel = 7;
  for (const auto& it : r.items) wrel = std::max(wrel, it.release.size());
  out += fmt::format("  {:<8} {:<{}}  {}\n", "STATUS", "RELEASE", wrel, "INPUT");
  for (const auto& it : r.items) {
    out += fmt::format("  {:<8} {:<{}}  {}\n", it.status, it.release.empty() ? "-" : it.release, wrel, item_name(it));
    std::string pad(13 + wrel, ' ');
    if (it.title) out += pad + *it.title + (it.corrupted ? "  [corrupted report]" : "") + "\n";
    if (!it.error.empty()) out += pad + "error: " + it.error + "\n";
    if (verbose) {
      if (it.kind == "dump" && !it.vmlinux_how.empty()) out += pad + "vmlinux: " + (it.vmlinux.empty() ? it.vmlinux_how : it.vmlinux + " (" + it.vmlinux_how + ")") + "\n";
      if (!it.companion_log.empty()) out += pad + "log: " + it.companion_log + "\n";
      if (!it.guilty_frame.empty()) out += pad + "guilty frame: " + it.guilty_frame + "\n";
      if (it.pid) out += pad + fmt::format("task: PID {} \"{}\"{}\n", *it.pid, it.comm, it.cpu ? fmt::format(" on CPU {}", *it.cpu) : "");
      for (const auto& n : it.notes) out += pad + "note: " + n + "\n";
    }
  }
  if (verbose && !r.skipped.empty()) {
    out += "\nskipped:\n";
    for (const auto& s : r.skipped) out += fmt::format("  {}: {}\n", s.path, s.reason);
  }
  return out;
}

class TriageCommand : public Command {
 public:
  const char* name() const override { return "triage"; }
  const char* help() const override {
    return "Analyze every dump and console log under directories and group the crashes by title";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("paths", paths_, "directories (searched recursively) and files")->required();
    sub.add_option("--vmlinux", vmlinux_, "a vmlinux to use for the dumps it matches (repeatable)")
        ->allow_extra_args(false);
    sub.add_option("--debug-dir", debug_dirs_,
                   "root searched by release and build-id, like /usr/lib/debug (repeatable)")
        ->allow_extra_args(false);
    sub.add_option("--modules-dir", modules_dirs_, "a directory searched for .ko debug info (repeatable)")
        ->allow_extra_args(false);
    sub.add_flag("--no-system-dirs", no_system_, "do not search /usr/lib/debug, /lib/modules/REL/build, /boot");
    sub.add_flag("-v,--verbose", verbose_, "per input: vmlinux used, guilty frame, task, notes; skipped files");
    sub.add_flag("--json", json_, "JSON output (schema kdx.triage/1, docs/triage.md)");
  }
  int run(Session& session) override {
    analysis::TriageOptions o;
    o.vmlinux = vmlinux_;
    o.debug_dirs = debug_dirs_;
    o.modules_dirs = modules_dirs_;
    for (const auto& d : session.modules_dirs) o.modules_dirs.push_back(d);
    o.system_dirs = !no_system_;
    auto r = analysis::triage(paths_, o);
    std::cout << (json_ || session.json ? to_json(r) : to_text(r, verbose_));
    if (r.items.empty()) {
      std::cerr << fmt::format("kdx: no dumps or kernel logs found under {}\n", fmt::join(paths_, ", "));
      return kExitUnreadable;
    }
    bool all_ok = std::all_of(r.items.begin(), r.items.end(),
                              [](const TriageItem& it) { return it.status == "ok" || it.status == "no crash"; });
    return all_ok ? kExitOk : kExitPartial;
  }

 private:
  std::vector<std::string> paths_, vmlinux_, debug_dirs_, modules_dirs_;
  bool no_system_ = false, verbose_ = false, json_ = false;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::TriageCommand;
KDX_REGISTER_COMMAND(TriageCommand)
