// `kdx report DUMP [VMLINUX]`: the whole analysis pipeline, as crash-style text or JSON.
#include <fmt/format.h>

#include "command.hpp"
#include "kdx/analysis/report_pipeline.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

class ReportCommand : public Command {
 public:
  const char* name() const override { return "report"; }
  const char* help() const override {
    return "Analyze a crash: panic cause, backtrace, faulting instruction, register provenance";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("files", files_, "dump file(s) and vmlinux, in any order");
    sub.add_flag("--json", json_, "JSON output (schema kdx.report/1, docs/report.md)");
    sub.add_flag("--force", force_, "continue when the vmlinux does not match the dump");
    sub.add_option("--modules-dir", dirs_, "directories searched for .ko debug info");
  }
  int run(Session& session) override {
    session.add_files(files_);
    session.force = session.force || force_;
    for (const auto& d : dirs_) session.modules_dirs.push_back(d);
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto r = analysis::build_report(**t);
    fmt::print("{}", json_ || session.json ? report::format_json(r) : report::format_text(r));
    return r.partial ? kExitPartial : kExitOk;
  }

 private:
  std::vector<std::string> files_, dirs_;
  bool json_ = false, force_ = false;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::ReportCommand;
KDX_REGISTER_COMMAND(ReportCommand)
