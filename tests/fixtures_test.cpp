// Checks the committed real fixtures: present, readable by kdx, each dump's release matching its vmlinux, within budget.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/paths.hpp"

namespace fs = std::filesystem;
using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

// Dumps kdx reads in place (the .xz copies are for other tools and for size).
std::vector<fs::path> dumps_of(const std::string& arch) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(testdata_path(arch))) {
    const auto name = e.path().filename().string();
    if (!e.is_regular_file() || name.ends_with(".xz") || name.ends_with(".log") || name.ends_with(".ko") ||
        name.ends_with(".txt") || name.ends_with(".md") || name.ends_with(".env") || e.path().string().find("/golden") != std::string::npos)
      continue;
    if (name.find("-split.") != std::string::npos) continue;  // opened together in dump_real_test
    out.push_back(e.path());
  }
  return out;
}

}  // namespace

TEST(Fixtures, EveryDumpOpensAndMatchesItsVmlinux) {
  for (const char* arch : {"x86_64", "arm64"}) {
    const std::string vmlinux = testdata_path(std::string(arch) + "/vmlinux.xz");
    ASSERT_TRUE(kdx::test::file_exists(vmlinux)) << vmlinux;
    auto dumps = dumps_of(arch);
    ASSERT_GE(dumps.size(), 3u) << arch;
    for (const auto& d : dumps) {
      auto info = run_kdx("info --json " + d.string());
      ASSERT_EQ(info.exit_code, 0) << d << ": " << info.err;
      auto j = nlohmann::json::parse(info.out);
      EXPECT_EQ(j["arch"], arch) << d;
      EXPECT_EQ(j["release"], "6.1.192") << d;
      EXPECT_TRUE(j["vmcoreinfo"].get<bool>()) << d;
      // sys opens the dump with the vmlinux: the release/build-id check must pass.
      auto sys = run_kdx("sys " + d.string() + " " + vmlinux);
      EXPECT_EQ(sys.exit_code, 0) << d << ": " << sys.err;
      EXPECT_NE(sys.out.find("RELEASE: 6.1.192"), std::string::npos) << d << sys.out;
    }
  }
}

TEST(Fixtures, AMismatchedVmlinuxIsRefusedInOneLine) {
  // The arm64 vmlinux does not belong to an x86_64 dump.
  auto r = run_kdx("sys " + testdata_path("x86_64/null/vmcore-d31.kdump") + " " + testdata_path("arm64/vmlinux.xz"));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Fixtures, TestdataStaysWithinItsBudget) {
  uintmax_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(testdata_path("")))
    if (e.is_regular_file()) total += e.file_size();
  EXPECT_LE(total, 80u * 1000 * 1000) << "testdata/ is " << total << " bytes";
}
