// The `spl` command: exit codes for usage errors, missing files, check and test.
#include <gtest/gtest.h>

#include "driver.h"
#include "test_util.h"

namespace spl {
namespace {

int run_cli(std::vector<std::string> args) {
  std::vector<char*> argv;
  static std::string prog = "spl";
  argv.push_back(prog.data());
  for (auto& a : args) argv.push_back(a.data());
  return spl_main(int(argv.size()), argv.data());
}

TEST(Cli, UsageErrorsExitWith2) {
  EXPECT_EQ(run_cli({}), 2);
  EXPECT_EQ(run_cli({"frobnicate"}), 2);
  EXPECT_EQ(run_cli({"run"}), 2);
  EXPECT_EQ(run_cli({"check"}), 2);
  EXPECT_EQ(run_cli({"test", "/nonexistent/folder"}), 2);
}

TEST(Cli, VersionAndHelp) {
  {
    test::CaptureFd out(1);
    EXPECT_EQ(run_cli({"--version"}), 0);
    EXPECT_EQ(out.finish(), "spl 0.1.0\n");
  }
  {
    test::CaptureFd out(1);
    EXPECT_EQ(run_cli({"--help"}), 0);
    std::string help = out.finish();
    EXPECT_EQ(help.rfind("usage: spl <command> [arguments]\n", 0), 0u) << help;
    for (const char* cmd :
         {"  run FILE", "  test [PATH...]", "  check ", "  --version", "  --help"})
      EXPECT_NE(help.find(cmd), std::string::npos) << cmd << " missing from:\n" << help;
  }
}

TEST(Cli, RunMissingFileIsAProgramError) { EXPECT_EQ(run_cli({"run", "/nonexistent/x.spl"}), 1); }

TEST(Cli, CheckDoesNotRun) {
  std::string ok = test::write_temp("sys_exit(7)\n");
  EXPECT_EQ(run_cli({"check", ok}), 0);
  std::string bad = test::write_temp("print(nope)\n");
  EXPECT_EQ(run_cli({"check", bad}), 1);
}

TEST(Cli, RunPassesArgsAndExitCode) {
  std::string p = test::write_temp("let a = sys_get_args()\nsys_exit(a.len() * 10 + a[1].len())\n");
  EXPECT_EQ(run_cli({"run", p, "abc", "d"}), 33);
}

TEST(Cli, TestCommandCountsFailures) {
  std::string pass = test::write_temp("it \"ok\":\n    expect 1 == 1\n", "a_spec.spl");
  EXPECT_EQ(run_cli({"test", pass}), 0);
  std::string fail = test::write_temp("it \"bad\":\n    expect 1 == 2\n", "b_spec.spl");
  EXPECT_EQ(run_cli({"test", fail}), 1);
}

}  // namespace
}  // namespace spl
