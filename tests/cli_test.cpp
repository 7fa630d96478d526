// End-to-end checks of the kdx CLI's top level: version, usage errors and exit codes.
#include <gtest/gtest.h>

#include "support/paths.hpp"

using kdx::test::run_kdx;

TEST(Cli, VersionPrintsName) {
  auto r = run_kdx("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("kdx 0."), std::string::npos) << r.out;
}

TEST(Cli, UnknownCommandIsUsageError) {
  auto r = run_kdx("no-such-command");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}
