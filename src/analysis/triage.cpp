// Triage of crash directories: scan, group split dumps, match each dump with its vmlinux, analyze, bucket by title.
#include "kdx/analysis/triage.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "kdx/analysis/oops_report.hpp"
#include "kdx/analysis/report_pipeline.hpp"
#include "kdx/analysis/target.hpp"
#include "kdx/dump/dump.hpp"
#include "kdx/dump/file_kind.hpp"
#include "kdx/symbols/kernel_symbols.hpp"

namespace kdx::analysis {
namespace fs = std::filesystem;

namespace {
// printk's "[    1.234567] " stamps or a "Linux version" banner in the first 2000 lines.
bool has_kernel_log_markers(std::string_view text) {
  // printk's "[    1.234567] " prefix (after an optional "<N>" level or a syslog/serial prefix).
  size_t scanned = 0;
  for (size_t pos = 0; pos < text.size() && scanned < 2000; ++scanned) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find("Linux version ") != std::string_view::npos) return true;
    size_t lb = line.find('[');
    while (lb != std::string_view::npos) {
      size_t i = lb + 1;
      while (i < line.size() && line[i] == ' ') ++i;
      size_t d0 = i;
      while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
      if (i > d0 && i < line.size() && line[i] == '.') {
        size_t f0 = ++i;
        while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
        if (i - f0 == 6 && i < line.size() && line[i] == ']') return true;
      }
      lb = line.find('[', lb + 1);
    }
  }
  return false;
}
}  // namespace

bool looks_like_kernel_log(std::string_view text) {
  return has_kernel_log_markers(text) || analyze_log(text).title.has_value();
}

namespace {

constexpr size_t kMaxLogBytes = 256u << 20;

std::optional<std::string> read_text(const std::string& path, std::string& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot open";
    return std::nullopt;
  }
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) {
    err = "cannot stat: " + ec.message();
    return std::nullopt;
  }
  std::string s(std::min<uintmax_t>(size, kMaxLogBytes), '\0');
  in.read(s.data(), std::streamsize(s.size()));
  s.resize(size_t(in.gcount()));
  return s;
}

// What a candidate vmlinux is, read once per triage run.
struct VmlinuxInfo {
  bool usable = false;
  std::string build_id, release, error;
};

class VmlinuxFinder {
 public:
  explicit VmlinuxFinder(const TriageOptions& o) : o_(o) {}
  std::vector<std::string> candidates;  // explicit, then found by the scan
  size_t given = 0;                      // how many of candidates came from --vmlinux

  // Picks the vmlinux for a dump with this identity: by build-id, else by release. `how`
  // says where it came from, or why there is none.
  std::optional<std::string> pick(const std::optional<std::string>& build_id, const std::optional<std::string>& release,
                                  std::string& how) {
    std::vector<std::string> mismatched;
    auto matches = [&](const std::string& path, const char* origin) -> bool {
      const VmlinuxInfo& vi = info(path);
      if (!vi.usable) return false;
      if (build_id && !vi.build_id.empty()) {
        bool same = vi.build_id.size() <= build_id->size() ? build_id->starts_with(vi.build_id)
                                                            : vi.build_id.starts_with(*build_id);
        if (same) {
          how = fmt::format("{}, build-id {}", origin, vi.build_id);
          return true;
        }
        if (release && vi.release == *release) mismatched.push_back(path);
        return false;
      }
      if (release && vi.release == *release) {
        how = fmt::format("{}, release {}", origin, *release);
        return true;
      }
      return false;
    };
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (matches(candidates[i], i < given ? "given" : "found while scanning")) return candidates[i];
    }
    for (const auto& c : search_paths(build_id, release)) {
      std::error_code ec;
      if (fs::is_regular_file(c, ec) && matches(c, "found")) return c;
    }
    if (!candidates.empty() && !build_id && !release) {
      // No identity in the dump (no VMCOREINFO): trust the user's only vmlinux.
      if (candidates.size() == 1 && info(candidates[0]).usable) {
        how = "given (the dump does not name its kernel: not checked)";
        return candidates[0];
      }
    }
    if (!mismatched.empty()) {
      how = fmt::format("none: {} has release {} but another build-id (the dump's is {})", mismatched.front(),
                        release.value_or("?"), build_id.value_or("?"));
    } else {
      how = fmt::format("none for release {}{}", release.value_or("unknown"),
                        build_id ? fmt::format(" build-id {}", *build_id) : std::string());
    }
    return std::nullopt;
  }

 private:
  const VmlinuxInfo& info(const std::string& path) {
    auto it = cache_.find(path);
    if (it != cache_.end()) return it->second;
    VmlinuxInfo vi;
    auto cls = dump::classify_file(path);
    if (!cls || cls->kind != dump::FileKind::Vmlinux) {
      vi.error = "not a vmlinux";
    } else if (auto ks = symbols::KernelSymbols::open(path)) {
      vi.usable = true;
      vi.build_id = (*ks)->build_id_hex();
      if (auto r = (*ks)->osrelease()) vi.release = *r;
    } else {
      vi.error = ks.error().message;
    }
    return cache_.emplace(path, std::move(vi)).first->second;
  }

  std::vector<std::string> search_paths(const std::optional<std::string>& build_id,
                                        const std::optional<std::string>& release) const {
    std::vector<std::string> roots = o_.debug_dirs;
    if (o_.system_dirs) roots.push_back("/usr/lib/debug");
    std::vector<std::string> out;
    for (const auto& r : roots) {
      if (build_id && build_id->size() > 2)
        out.push_back(fmt::format("{}/.build-id/{}/{}.debug", r, build_id->substr(0, 2), build_id->substr(2)));
      if (release) {
        for (const char* f : {"{}/boot/vmlinux-{}", "{}/lib/modules/{}/vmlinux", "{}/vmlinux-{}", "{}/{}/vmlinux"})
          out.push_back(fmt::format(fmt::runtime(f), r, *release));
      }
    }
    if (o_.system_dirs && release) {
      out.push_back(fmt::format("/lib/modules/{}/build/vmlinux", *release));
      out.push_back(fmt::format("/boot/vmlinux-{}", *release));
    }
    return out;
  }

  const TriageOptions& o_;
  std::map<std::string, VmlinuxInfo> cache_;
};

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Errors name the file they are about; the dump reader's may leave that to the caller.
std::string with_file(const std::vector<std::string>& files, const std::string& msg) {
  for (const auto& f : files)
    if (msg.find(f) != std::string::npos) return msg;
  return files.front() + ": " + msg;
}

void fill_from_log(TriageItem& item, const OopsReport& r) {
  item.title = r.title;
  item.type = r.type;
  item.corrupted = r.corrupted;
  item.guilty_frame = r.guilty_frame;
}

void analyze_dump_item(TriageItem& item, VmlinuxFinder& finder, const TriageOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  auto use_companion_log = [&](const char* why) {
    if (item.companion_log.empty()) return;
    std::string err;
    auto text = read_text(item.companion_log, err);
    if (!text) return;
    auto r = analyze_log(*text);
    if (!r.title) return;
    fill_from_log(item, r);
    item.notes.push_back(fmt::format("title from {} ({})", item.companion_log, why));
  };
  if (item.xz) {
    item.status = "error";
    item.error = fmt::format("{}: xz-compressed dump: decompress it first (xz -dk); dumps are read in place",
                             item.files.front());
    use_companion_log("the dump is compressed");
    item.seconds = since(t0);
    return;
  }
  auto d = dump::open_dump(item.files);
  if (!d) {
    item.status = "error";
    item.error = with_file(item.files, d.error().message);
    use_companion_log("the dump could not be read");
    item.seconds = since(t0);
    return;
  }
  item.arch = dump::arch_name((*d)->arch());
  item.release = (*d)->release();
  item.crash_time = (*d)->crash_time();
  std::optional<std::string> build_id, release;
  if (const auto* vmi = (*d)->vmcoreinfo()) {
    build_id = vmi->build_id();
    release = vmi->osrelease();
  }
  if (!release && !item.release.empty()) release = item.release;

  std::unique_ptr<symbols::KernelSymbols> syms;
  if (auto path = finder.pick(build_id, release, item.vmlinux_how)) {
    if (auto ks = symbols::KernelSymbols::open(*path)) {
      syms = std::move(*ks);
      item.vmlinux = *path;
    } else {
      item.vmlinux_how = fmt::format("none: {}", ks.error().message);
    }
  }
  TargetOptions topts;
  topts.force = o.force;
  topts.modules_dirs = o.modules_dirs;
  auto t = Target::open(std::move(*d), std::move(syms), topts);
  if (!t && !item.vmlinux.empty()) {
    // The vmlinux passed the build-id/release check but not Target's full one: go on without it.
    item.vmlinux_how = fmt::format("none: {}", t.error().message);
    item.vmlinux.clear();
    if (auto again = dump::open_dump(item.files)) t = Target::open(std::move(*again), nullptr, topts);
  }
  if (!t) {
    item.status = "error";
    item.error = with_file(item.files, t.error().message);
    use_companion_log("the dump could not be analyzed");
    item.seconds = since(t0);
    return;
  }
  auto r = build_report(**t);
  item.title = r.title;
  item.type = r.type;
  item.corrupted = r.corrupted;
  item.guilty_frame = r.guilty_frame;
  item.cpu = r.crashed_cpu;
  item.pid = r.pid;
  item.comm = r.comm;
  if (!r.system.release.empty()) item.release = r.system.release;
  for (const auto& n : r.notes) item.notes.push_back(n.stage + ": " + n.message);
  if (item.vmlinux.empty()) item.notes.push_back("no vmlinux: " + item.vmlinux_how);
  if (!item.title) use_companion_log("the dump's own log named no crash");
  item.status = !item.title ? "no crash" : (r.partial || item.vmlinux.empty()) ? "partial" : "ok";
  item.seconds = since(t0);
}

// Files under the given paths, in a stable order (directories recursively, symlinked
// directories not followed).
void collect(const std::vector<std::string>& paths, std::vector<std::string>& files, std::vector<TriageSkip>& skipped) {
  for (const auto& p : paths) {
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || st.type() == fs::file_type::not_found) {
      skipped.push_back({p, "no such file or directory"});
      continue;
    }
    if (fs::is_regular_file(st)) {
      files.push_back(p);
      continue;
    }
    if (!fs::is_directory(st)) {
      skipped.push_back({p, "not a regular file or directory"});
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) {
      skipped.push_back({p, "cannot list: " + ec.message()});
      continue;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) {
        skipped.push_back({it->path().string(), "cannot list: " + ec.message()});
        ec.clear();
        continue;
      }
      std::error_code e2;
      if (it->is_regular_file(e2)) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
}

std::string parent_of(const std::string& path) { return fs::path(path).parent_path().string(); }

// Turns the dump files of one directory into units: a file alone, or the parts of a split dump
// (a file that will not open alone because it is a split part is tried with the others).
std::vector<std::vector<std::string>> group_dumps(const std::vector<std::string>& dumps) {
  std::vector<std::vector<std::string>> units;
  std::vector<std::string> failed;
  for (const auto& f : dumps) {
    if (dump::open_dump({f})) units.push_back({f});
    else failed.push_back(f);
  }
  for (const auto& f : failed) {
    bool joined = false;
    auto e = dump::open_dump({f});
    if (!e && e.error().message.find("split") != std::string::npos) {
      for (auto& u : units) {
        auto with = u;
        with.push_back(f);
        if (dump::open_dump(with)) {
          u = std::move(with);
          joined = true;
          break;
        }
      }
    }
    if (!joined) units.push_back({f});
  }
  std::sort(units.begin(), units.end());
  return units;
}

}  // namespace

TriageResult triage(const std::vector<std::string>& paths, const TriageOptions& opts) {
  auto t0 = std::chrono::steady_clock::now();
  TriageResult res;
  std::vector<std::string> files;
  collect(paths, files, res.skipped);

  std::map<std::string, std::vector<std::string>> dumps_by_dir;  // ordered: stable output
  std::vector<std::pair<std::string, std::string>> logs;         // (dir, path)
  TriageOptions o = opts;
  std::set<std::string> module_dirs(o.modules_dirs.begin(), o.modules_dirs.end());
  std::set<std::string> xz_dumps;
  for (const auto& f : files) {
    auto cls = dump::classify_file(f);
    if (!cls) {
      res.skipped.push_back({f, cls.error().message});
      continue;
    }
    switch (cls->kind) {
      case dump::FileKind::Dump:
        if (cls->xz) xz_dumps.insert(f);
        dumps_by_dir[parent_of(f)].push_back(f);
        break;
      case dump::FileKind::Vmlinux: res.vmlinux_found.push_back(f); break;
      case dump::FileKind::Module:
        if (module_dirs.insert(parent_of(f)).second) o.modules_dirs.push_back(parent_of(f));
        res.skipped.push_back({f, "kernel module: its directory is searched for module debug info"});
        break;
      case dump::FileKind::ConsoleLog: logs.emplace_back(parent_of(f), f); break;
      case dump::FileKind::Unknown: res.skipped.push_back({f, "not a dump, vmlinux, module or kernel log"}); break;
    }
  }

  VmlinuxFinder finder(o);
  finder.candidates = o.vmlinux;
  finder.given = o.vmlinux.size();
  finder.candidates.insert(finder.candidates.end(), res.vmlinux_found.begin(), res.vmlinux_found.end());

  // Console logs next to a dump (kdump's vmcore-dmesg.txt) belong to it; others stand alone.
  std::map<std::string, std::string> companion;  // dir -> log
  for (const auto& [dir, path] : logs) {
    std::string err;
    auto text = read_text(path, err);
    if (!text) {
      res.skipped.push_back({path, err});
      continue;
    }
    // Each log is read and analyzed once: the analysis also decides whether it is a kernel log.
    auto t_log = std::chrono::steady_clock::now();
    bool markers = has_kernel_log_markers(*text);
    if (dumps_by_dir.count(dir)) {
      if (markers || analyze_log(*text).title) companion.emplace(dir, path);
      else res.skipped.push_back({path, "text, but not a kernel log"});
      continue;
    }
    auto rep = analyze_log(*text);
    if (!markers && !rep.title) {
      res.skipped.push_back({path, "text, but not a kernel log"});
      continue;
    }
    TriageItem item;
    item.kind = "log";
    item.files = {path};
    fill_from_log(item, rep);
    item.status = item.title ? "ok" : "no crash";
    item.seconds = since(t_log);
    res.items.push_back(std::move(item));
  }
  for (auto& [dir, dumps] : dumps_by_dir) {
    std::vector<std::string> plain;
    for (const auto& f : dumps)
      if (!xz_dumps.count(f)) plain.push_back(f);
    auto units = group_dumps(plain);
    for (const auto& f : dumps)
      if (xz_dumps.count(f)) units.push_back({f});
    for (auto& unit : units) {
      TriageItem item;
      item.kind = "dump";
      item.xz = unit.size() == 1 && xz_dumps.count(unit.front());
      item.files = std::move(unit);
      if (auto c = companion.find(dir); c != companion.end()) item.companion_log = c->second;
      res.items.push_back(std::move(item));
    }
  }
  std::stable_sort(res.items.begin(), res.items.end(),
                   [](const TriageItem& a, const TriageItem& b) { return a.files.front() < b.files.front(); });
  for (auto& item : res.items) {
    if (item.kind == "dump") analyze_dump_item(item, finder, o);
  }

  std::map<std::optional<std::string>, std::vector<size_t>> by_title;
  for (size_t i = 0; i < res.items.size(); ++i) {
    if (res.items[i].status == "error" && !res.items[i].title) continue;
    by_title[res.items[i].title].push_back(i);
  }
  for (auto& [title, idx] : by_title) res.buckets.push_back({title, std::move(idx)});
  std::stable_sort(res.buckets.begin(), res.buckets.end(), [](const TriageBucket& a, const TriageBucket& b) {
    if (a.title.has_value() != b.title.has_value()) return a.title.has_value();  // "no crash" last
    return a.items.size() > b.items.size();
  });
  res.seconds = since(t0);
  return res;
}

}  // namespace kdx::analysis
