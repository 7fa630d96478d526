// Scores kdx's crash titles on a syzkaller-style corpus (TITLE/ALT/CORRUPTED headers + raw log).
// Usage: corpus_score [-v] DIR   (default DIR: ../shared/corpus/syzkaller-dev)
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kdx/analysis/oops_report.hpp"

namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;
  std::string title;
  std::vector<std::string> alts;
  bool corrupted = false;
  std::string log;
};

// Headers up to the first empty line; the log runs to the end or to an expected "REPORT:" block.
bool load_case(const fs::path& p, Case* c) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    if (line[0] == '#') continue;
    auto val = [&](const char* key) -> std::optional<std::string> {
      std::string k = key;
      if (line.rfind(k, 0) != 0) return std::nullopt;
      std::string v = line.substr(k.size());
      while (!v.empty() && v.front() == ' ') v.erase(v.begin());
      while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.pop_back();
      return v;
    };
    if (auto v = val("TITLE:")) c->title = *v;
    else if (auto a = val("ALT:")) c->alts.push_back(*a);
    else if (auto cr = val("CORRUPTED:")) c->corrupted = *cr == "Y";
  }
  std::string log = pos < text.size() ? text.substr(pos) : std::string();
  if (auto r = log.find("\n\nREPORT:\n"); r != std::string::npos) log.resize(r + 1);
  else if (log.rfind("REPORT:\n", 0) == 0) log.clear();
  c->log = std::move(log);
  c->name = p.filename().string();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool verbose = false;
  std::string dir = "../shared/corpus/syzkaller-dev";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v") verbose = true;
    else dir = a;
  }
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  if (ec || files.empty()) {
    std::cerr << "corpus_score: no files in " << dir << "\n";
    return 2;
  }
  std::sort(files.begin(), files.end());
  size_t n = 0, title_ok = 0, verdict_ok = 0, corrupt_ok = 0, all_ok = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& p : files) {
    Case c;
    if (!load_case(p, &c)) continue;
    ++n;
    auto rep = kdx::analysis::analyze_log(c.log);
    bool expect_crash = !c.title.empty();
    bool got_crash = rep.title.has_value();
    bool v_ok = expect_crash == got_crash;
    bool t_ok = v_ok && (!expect_crash || *rep.title == c.title ||
                         std::find(c.alts.begin(), c.alts.end(), *rep.title) != c.alts.end());
    bool c_ok = !expect_crash || rep.corrupted == c.corrupted;
    title_ok += t_ok;
    verdict_ok += v_ok;
    corrupt_ok += c_ok;
    all_ok += t_ok && c_ok;
    if (verbose && (!t_ok || !c_ok)) {
      std::cout << fmt::format("MISS {}: want '{}'{} got '{}'{}{}\n", c.name, c.title, c.corrupted ? " [corrupted]" : "",
                               rep.title.value_or("<no crash>"), rep.corrupted ? " [corrupted]" : "",
                               rep.corrupted ? " (" + rep.corrupted_reason + ")" : "");
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto pct = [&](size_t k) { return n ? 100.0 * static_cast<double>(k) / static_cast<double>(n) : 0.0; };
  std::cout << fmt::format("corpus: {} logs in {:.2f}s\n", n, secs);
  std::cout << fmt::format("titles:    {:4}/{} = {:.1f}%\n", title_ok, n, pct(title_ok));
  std::cout << fmt::format("verdict:   {:4}/{} = {:.1f}%\n", verdict_ok, n, pct(verdict_ok));
  std::cout << fmt::format("corrupted: {:4}/{} = {:.1f}%\n", corrupt_ok, n, pct(corrupt_ok));
  std::cout << fmt::format("all three: {:4}/{} = {:.1f}%\n", all_ok, n, pct(all_ok));
  return 0;
}
