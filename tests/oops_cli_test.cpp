// End-to-end checks of `kdx oops`: text and JSON output, stdin, and exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "support/paths.hpp"

using kdx::test::run_kdx;
using kdx::test::source_path;

TEST(OopsCli, JsonHasStableKeys) {
  auto r = run_kdx("oops --json " + source_path("tests/data/oops/seed003_x86_ro_write.log"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"title", "type", "corrupted", "guilty_frame", "fault", "frames", "code"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["title"], "BUG: unable to handle kernel paging request in init_lsm_hooks");
  EXPECT_EQ(j["guilty_frame"], "init_lsm_hooks");
  EXPECT_EQ(j["corrupted"], false);
  EXPECT_EQ(j["fault"]["error_code"], "0x0003");
  EXPECT_EQ(j["frames"][0]["function"], "init_lsm_hooks");
  bool marked = false;
  for (const auto& i : j["code"]["instructions"]) marked = marked || i["faulting"].get<bool>();
  EXPECT_TRUE(marked);
}

TEST(OopsCli, NoCrashGivesNullTitle) {
  std::string path = kdx::test::temp_path("quiet.log");
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("[    1.000000] Linux version 6.1.0\n[    2.000000] random: crng init done\n", f);
    std::fclose(f);
  }
  auto r = run_kdx("oops --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["title"].is_null());
  EXPECT_TRUE(j["frames"].empty());
}

TEST(OopsCli, ReadsStdin) {
  // run_kdx takes stdin from /dev/null, so pipe through a shell.
  std::string cmd = "cat " + source_path("tests/data/oops/seed002_arm64_hrtimer.log") + " | " KDX_BIN " oops -";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0);
  EXPECT_NE(out.find("title:     BUG: unable to handle kernel paging request in enqueue_hrtimer"), std::string::npos)
      << out;
}

TEST(OopsCli, MissingFileIsUnreadable) {
  auto r = run_kdx("oops /nonexistent/kdx-oops.log");
  EXPECT_EQ(r.exit_code, 3);
}
