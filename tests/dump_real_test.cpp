// Real dumps in testdata/<arch>/<case>/: every format of one crash agrees with the console log and, page for page, with the others.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "kdx/dump/dump.hpp"
#include "kdx/dump/file_kind.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace kdx;

namespace {

struct Case {
  fs::path dir;
  std::string arch;
  std::vector<std::vector<std::string>> dumps;  // each entry: the file(s) of one dump
  std::string release;
  int cpus = -1;
};

std::vector<Case> find_cases() {
  std::vector<Case> out;
  fs::path root = test::testdata_path("");
  if (!fs::is_directory(root)) return out;
  for (const char* arch : {"x86_64", "arm64"}) {
    if (!fs::is_directory(root / arch)) continue;
    for (const auto& d : fs::directory_iterator(root / arch)) {
      if (!d.is_directory()) continue;
      Case c{d.path(), arch, {}, {}, -1};
      std::map<std::string, std::vector<std::string>> split;
      for (const auto& f : fs::directory_iterator(d.path())) {
        auto cls = dump::classify_file(f.path().string());
        if (!cls || cls->xz) continue;
        if (cls->kind == dump::FileKind::ConsoleLog) {
          std::ifstream in(f.path());
          std::string line;
          std::smatch m;
          while (std::getline(in, line)) {
            if (c.release.empty() && std::regex_search(line, m, std::regex(R"(Linux version (\S+))"))) c.release = m[1];
            if (c.cpus < 0 && std::regex_search(line, m, std::regex(R"(smpboot: Allowing (\d+) CPUs)")))
              c.cpus = std::stoi(m[1]);
          }
        } else if (cls->kind == dump::FileKind::Dump) {
          std::string name = f.path().filename().string();
          auto pos = name.find("-split.");
          if (pos != std::string::npos) split[name.substr(0, pos)].push_back(f.path().string());
          else c.dumps.push_back({f.path().string()});
        }
      }
      for (auto& [_, parts] : split) c.dumps.push_back(parts);
      if (!c.dumps.empty()) out.push_back(c);
    }
  }
  return out;
}

}  // namespace

TEST(DumpReal, EveryFormatAgreesWithConsoleAndWithEachOther) {
  auto cases = find_cases();
  if (cases.empty()) GTEST_SKIP() << "no real dumps under " << test::testdata_path("");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dir.string());
    std::vector<std::unique_ptr<dump::Dump>> opened;
    for (const auto& files : c.dumps) {
      auto d = dump::open_dump(files);
      ASSERT_TRUE(d) << d.error().to_string();
      EXPECT_EQ(dump::arch_name((*d)->arch()), c.arch) << files[0];
      if (!c.release.empty()) {
        EXPECT_EQ((*d)->release(), c.release) << files[0];
      }
      if (c.cpus > 0) {
        EXPECT_EQ(static_cast<int>((*d)->cpus().size()), c.cpus) << files[0];
      }
      EXPECT_NE((*d)->vmcoreinfo(), nullptr) << files[0];
      opened.push_back(std::move(*d));
    }
    // The dump with the most present pages is the reference; every page present in another
    // dump and in the reference must have the same bytes.
    size_t ref = 0;
    for (size_t i = 1; i < opened.size(); ++i)
      if (opened[i]->page_counts().present > opened[ref]->page_counts().present) ref = i;
    dump::Dump& r = *opened[ref];
    const uint64_t ps = r.page_size();
    std::vector<uint8_t> a(ps), b(ps);
    for (size_t i = 0; i < opened.size(); ++i) {
      if (i == ref) continue;
      dump::Dump& o = *opened[i];
      EXPECT_EQ(o.page_size(), ps);
      uint64_t compared = 0, differ = 0;
      for (const auto& range : o.phys_ranges()) {
        for (uint64_t p = range.start; p < range.end; p += ps) {
          if (o.page_state(p) != PageState::Present || r.page_state(p) != PageState::Present) continue;
          auto ra = r.read_phys(p, a);
          auto rb = o.read_phys(p, b);
          ASSERT_TRUE(ra) << ra.error().to_string();
          ASSERT_TRUE(rb) << rb.error().to_string();
          ++compared;
          if (a != b && ++differ <= 3) ADD_FAILURE() << o.files()[0] << " vs " << r.files()[0] << ": page " << std::hex << p;
        }
      }
      EXPECT_GT(compared, 100u) << o.files()[0];
      EXPECT_EQ(differ, 0u) << o.files()[0];
    }
  }
}
