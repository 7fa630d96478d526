// End-to-end tests of `kdx shell`: scripted commands, quoting, pipes into shell commands.
#include <gtest/gtest.h>

#include "support/paths.hpp"

using kdx::test::run_kdx;

TEST(Shell, ScriptedHelpListsCommands) {
  auto r = run_kdx("shell -c 'help'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("shell"), std::string::npos);
}

TEST(Shell, PipeSendsOutputThroughShellCommand) {
  auto r = run_kdx("shell -c 'help | tr a-z A-Z'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("SUBCOMMANDS"), std::string::npos) << r.out;
}

TEST(Shell, NestedShellRefused) {
  auto r = run_kdx("shell -c 'shell'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already in the shell"), std::string::npos);
}

TEST(Shell, ReadsCommandsFromStdinWhenNotATty) {
  auto r = run_kdx("shell < /dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Shell, UnknownCommandInShellIsUsageError) {
  auto r = run_kdx("shell -c 'frobnicate now'");
  EXPECT_EQ(r.exit_code, 2);
}
