// Session: content classification of command-line files and the lazily opened dump.
#include "session.hpp"

namespace kdx::cli {

void Session::add_files(const std::vector<std::string>& more) {
  if (more.empty()) return;
  files.insert(files.end(), more.begin(), more.end());
  inputs_.reset();
  dump_.reset();
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

}  // namespace kdx::cli
