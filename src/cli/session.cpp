// Session: content classification of command-line files and the lazily opened dump, vmlinux and Target.
#include "session.hpp"

#include "kdx/dump/vmcoreinfo.hpp"

#include <algorithm>

#include <fmt/format.h>


namespace kdx::cli {

void Session::reset() {
  inputs_.reset();
  target_.reset();
  dump_.reset();
  syms_.reset();
}

void Session::add_files(const std::vector<std::string>& more) {
  bool added = false;
  for (const auto& f : more) {
    if (std::find(files.begin(), files.end(), f) != files.end()) continue;
    files.push_back(f);
    added = true;
  }
  if (added) reset();
}

Result<const std::vector<InputFile>*> Session::inputs() {
  if (!inputs_) {
    std::vector<InputFile> v;
    for (const auto& f : files) {
      auto c = dump::classify_file(f);
      if (!c) return std::unexpected(c.error());
      v.push_back({f, *c});
    }
    inputs_ = std::move(v);
  }
  return &*inputs_;
}

std::vector<std::string> Session::paths_of(dump::FileKind kind) {
  std::vector<std::string> out;
  auto in = inputs();
  if (!in) return out;
  for (const auto& f : **in)
    if (f.cls.kind == kind) out.push_back(f.path);
  return out;
}

Result<dump::Dump*> Session::dump() {
  if (target_) return &target_->dump();
  if (dump_) return dump_.get();
  auto in = inputs();
  if (!in) return std::unexpected(in.error());
  std::vector<std::string> paths;
  for (const auto& f : **in) {
    if (f.cls.kind != dump::FileKind::Dump) continue;
    if (f.cls.xz) {
      return std::unexpected(Error{ErrorCode::Unsupported,
                                   "xz-compressed dump: decompress it first (xz -dk); dumps are read in place", f.path,
                                   {}, {}});
    }
    paths.push_back(f.path);
  }
  if (paths.empty()) {
    // Nothing looks like a dump. If a file is not recognisably anything else, the dump reader
    // says precisely why that file is not a dump (magic found vs expected).
    for (const auto& f : **in) {
      if (f.cls.kind == dump::FileKind::Unknown || f.cls.kind == dump::FileKind::ConsoleLog) {
        auto d = dump::open_dump({f.path});
        if (!d) return std::unexpected(d.error());
      }
    }
  }
  if (paths.empty()) return make_error(ErrorCode::Usage, "no dump file given (files are recognised by content)");
  auto d = dump::open_dump(paths);
  if (!d) return std::unexpected(d.error());
  dump_ = std::move(*d);
  return dump_.get();
}

Result<symbols::KernelSymbols*> Session::vmlinux() {
  if (target_ && target_->symbols()) return target_->symbols();
  if (syms_) return syms_.get();
  auto paths = paths_of(dump::FileKind::Vmlinux);
  if (paths.empty()) return make_error(ErrorCode::Usage, "no vmlinux given (files are recognised by content)");
  auto s = symbols::KernelSymbols::open(paths.front());
  if (!s) return std::unexpected(std::move(s.error()).in_file(paths.front()));
  syms_ = std::move(*s);
  return syms_.get();
}

Result<analysis::Target*> Session::target() {
  if (target_) return target_.get();
  auto d = dump();
  if (!d) return std::unexpected(d.error());
  if (has_vmlinux()) {
    auto s = vmlinux();
    if (!s) return std::unexpected(s.error());
  }
  analysis::TargetOptions o;
  o.force = force;
  o.modules_dirs = modules_dirs;
  // .ko files given on the command line, and the directories of the vmlinux and the dump,
  // are searched for module debug info (crash needs `mod -s` for each).
  auto dir_of = [](const std::string& p) {
    auto slash = p.rfind('/');
    return slash == std::string::npos ? std::string(".") : p.substr(0, slash);
  };
  for (const auto& k : {dump::FileKind::Module, dump::FileKind::Vmlinux, dump::FileKind::Dump})
    for (const auto& p : paths_of(k)) o.modules_dirs.push_back(dir_of(p));
  auto t = analysis::Target::open(std::move(dump_), std::move(syms_), o);
  if (!t) {
    reset();
    return std::unexpected(t.error());
  }
  target_ = std::move(*t);
  // Said once per session, on stderr, the first time a command needs names without a vmlinux.
  target_->on_degraded = [](const std::string& line) { fmt::print(stderr, "kdx: {}\n", line); };
  return target_.get();
}

std::optional<uint64_t> parse_number(const std::string& s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return dump::parse_hex_u64(s);
  return dump::parse_dec_u64(s);
}

}  // namespace kdx::cli
