// `kdx oops LOGFILE|-`: names the crash in a console log or dmesg and decodes its fault and Code: line.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "command.hpp"
#include "kdx/analysis/kernel_frame_symbolizer.hpp"
#include "kdx/analysis/oops_json.hpp"
#include "kdx/analysis/oops_report.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace {

using kdx::analysis::OopsFrame;
using kdx::analysis::OopsReport;

std::string frame_text(const OopsFrame& f) {
  std::string s = f.function.empty() ? std::string("?") : f.function;
  if (f.size) s += fmt::format("+{:#x}/{:#x}", f.offset, f.size);
  else if (f.offset) s += fmt::format("+{:#x}", f.offset);
  if (!f.module.empty()) s += " [" + f.module + "]";
  if (!f.reliable) s = "? " + s;
  if (!f.location.empty()) s += "  " + f.location;
  return s;
}

void print_frames(const std::vector<OopsFrame>& frames, const char* indent) {
  size_t n = 0;
  for (const auto& f : frames) {
    std::cout << fmt::format("{}#{:<2} {}{}\n", indent, n++, frame_text(f),
                             f.source == "trace" || f.source.empty() ? "" : "  (" + f.source + ")");
    for (const auto& in : f.inlined) std::cout << fmt::format("{}    inlined from {}\n", indent, in);
  }
}

void print_text(const OopsReport& r) {
  if (!r.title) {
    std::cout << "title:     (no crash report found)\n";
    return;
  }
  std::cout << "title:     " << *r.title << "\n";
  std::cout << "type:      " << r.type << "\n";
  std::cout << "corrupted: " << (r.corrupted ? "yes (" + r.corrupted_reason + ")" : std::string("no")) << "\n";
  std::cout << "guilty:    " << (r.guilty_frame.empty() ? "-" : r.guilty_frame) << "\n";
  std::cout << fmt::format("header:    line {}: {}\n", r.start_line + 1, r.header);
  if (r.fault) {
    const auto& f = *r.fault;
    std::string line = "fault:     " + (f.arch.empty() ? std::string("unknown arch") : f.arch);
    if (f.trap) line += fmt::format(", trap {} {}", *f.trap, f.trap_name);
    if (f.address) line += fmt::format(", address {:#x}", *f.address);
    if (!f.address_class.empty()) line += " (" + f.address_class + ")";
    if (!f.access.empty()) line += ", " + f.access;
    std::cout << line << "\n";
    if (f.error_code) std::cout << fmt::format("           error code {:#06x}\n", *f.error_code);
    for (const auto& fld : f.fields) {
      std::cout << fmt::format("           {:<10} {:<12} {}\n", fld.name, fld.value, fld.meaning);
    }
  }
  if (r.sanitizer) {
    const auto& s = *r.sanitizer;
    std::string line = "access:    " + s.kind;
    if (!s.access.empty()) line += " " + s.access;
    if (s.size) line += fmt::format(" of size {}", *s.size);
    if (s.address) line += fmt::format(" at {:#x}", *s.address);
    std::cout << line << "\n";
  }
  if (r.code) {
    std::cout << "code:      " << (r.code->arch.empty() ? "" : r.code->arch) << "\n";
    if (!r.code->error.empty()) std::cout << "           (" << r.code->error << ")\n";
    for (const auto& i : r.code->insns) {
      std::cout << fmt::format("  {} {:>+6}: {:<24} {}\n", i.faulting ? "=>" : "  ", i.offset, i.bytes, i.text);
    }
  }
  std::cout << "frames:\n";
  print_frames(r.frames, "  ");
  if (r.sanitizer && !r.sanitizer->alloc_stack.empty()) {
    std::cout << "allocated by:\n";
    print_frames(r.sanitizer->alloc_stack, "  ");
  }
  if (r.sanitizer && !r.sanitizer->free_stack.empty()) {
    std::cout << "freed by:\n";
    print_frames(r.sanitizer->free_stack, "  ");
  }
  if (!r.related.empty()) {
    std::cout << "earlier reports:\n";
    for (const auto& rel : r.related) {
      std::string shared;
      for (auto a : rel.shared_addresses) shared += fmt::format(" {:#x}", a);
      std::cout << fmt::format("  line {}: {}{}\n", rel.line + 1, rel.header,
                               shared.empty() ? "" : "\n      shares addresses with the crash:" + shared);
    }
  }
}

class OopsCommand : public kdx::cli::Command {
 public:
  const char* name() const override { return "oops"; }
  const char* help() const override {
    return "Name the crash in a console log or dmesg (title, type, fault, Code:, frames)";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("LOGFILE", log_, "console log or dmesg text; - reads stdin")->required();
    sub.add_option("--vmlinux", vmlinux_, "vmlinux with DWARF, to symbolize frames to file:line");
    sub.add_option("--modules-dir", modules_dir_, "directory holding the modules' .ko files");
    sub.add_flag("--json", json_, "print JSON (keys: title, type, corrupted, guilty_frame, fault, frames, code)");
  }
  int run(kdx::cli::Session& session) override {
    std::string text;
    if (log_ == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(log_, std::ios::binary);
      if (!in) {
        std::cerr << "kdx oops: cannot open " << log_ << "\n";
        return kdx::kExitUnreadable;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    kdx::analysis::AnalyzeOptions opts;
    bool partial = false;
    std::unique_ptr<kdx::symbols::KernelSymbols> ks;
    std::unique_ptr<kdx::analysis::KernelFrameSymbolizer> fs;
    if (!vmlinux_.empty()) {
      auto k = kdx::symbols::KernelSymbols::open(vmlinux_);
      if (!k) return kdx::cli::report_error(std::move(k.error()).in_file(vmlinux_));
      ks = std::move(*k);
      std::vector<std::string> dirs;
      if (!modules_dir_.empty()) dirs.push_back(modules_dir_);
      fs = std::make_unique<kdx::analysis::KernelFrameSymbolizer>(*ks, dirs);
      opts.symbolizer = fs.get();
    } else if (!modules_dir_.empty()) {
      std::cerr << "kdx oops: --modules-dir needs --vmlinux\n";
      return kdx::kExitUsage;
    }
    auto rep = kdx::analysis::analyze_log(text, opts);
    if (fs)
      for (const auto& m : fs->missing_modules()) {
        std::cerr << "kdx oops: no debug info for module " << m << " (use --modules-dir)\n";
        partial = true;
      }
    if (json_ || session.json) {
      std::cout << kdx::analysis::oops_to_json(rep).dump(2) << "\n";
    } else {
      print_text(rep);
    }
    return partial ? kdx::kExitPartial : kdx::kExitOk;
  }

 private:
  std::string log_;
  std::string vmlinux_;
  std::string modules_dir_;
  bool json_ = false;
};

}  // namespace

KDX_REGISTER_COMMAND(OopsCommand)
