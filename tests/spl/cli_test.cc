// The `spl` command: exit codes for usage errors, missing files, check and test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

// stderr of one `spl ARGS...` run, and its exit status.
std::pair<std::string, int> run_cli_err(std::vector<std::string> args) {
  test::CaptureFd err(2);
  int rc = run_cli(std::move(args));
  return {err.finish(), rc};
}

TEST(Cli, UsageErrorsExitWith2) {
  EXPECT_EQ(run_cli({}), 2);
  EXPECT_EQ(run_cli({"frobnicate"}), 2);
  EXPECT_EQ(run_cli({"run"}), 2);
  EXPECT_EQ(run_cli({"check"}), 2);
  EXPECT_EQ(run_cli({"test", "/nonexistent/folder"}), 2);
}

TEST(Cli, UsageErrorsSayTheErrorFirstThenAOneLineHint) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "error: no command given\nrun 'spl --help' for the list of commands\n"},
      {{"frobnicate"},
       "error: unknown command 'frobnicate'\nrun 'spl --help' for the list of commands\n"},
      {{"run"},
       "error: 'spl run' needs a FILE\nusage: spl run FILE [ARGS...] | spl run --dump FILE   "
       "(spl --help for more)\n"},
      {{"check", "--bogus", "x.spl"},
       "error: unknown option '--bogus'\nusage: spl check PATH...   (spl --help for more)\n"},
      {{"test", "--bogus"},
       "error: unknown option '--bogus'\nusage: spl test [-k TEXT] [PATH...]   (spl --help for "
       "more)\n"},
  };
  for (const auto& [args, want] : cases) {
    auto [err, rc] = run_cli_err(args);
    EXPECT_EQ(rc, 2) << err;
    EXPECT_EQ(err, want);
  }
}

TEST(Cli, RunHelpShowsRunThenTheCommands) {
  test::CaptureFd out(1);
  EXPECT_EQ(run_cli({"run", "--help"}), 0);
  std::string help = out.finish();
  EXPECT_EQ(help.rfind("usage: spl run FILE [ARGS...] | spl run --dump FILE\n\nRuns a Simple "
                       "program; sys_get_args() gives [FILE, ARGS...].\n\nusage: spl <command>",
                       0),
            0u)
      << help;
}

TEST(Cli, TestFindsSpecsInSubfolders) {
  std::string a = test::write_temp("it \"top\":\n    expect 1 == 1\n", "a_spec.spl");
  std::string dir = a.substr(0, a.rfind('/'));
  std::filesystem::create_directories(dir + "/sub/deeper");
  std::ofstream(dir + "/sub/deeper/b_spec.spl") << "it \"deep\":\n    expect 1 == 2\n";
  std::ofstream(dir + "/sub/helper.spl") << "this is not valid Simple\n";
  test::CaptureFd out(1);
  EXPECT_EQ(run_cli({"test", dir}), 1) << "the deep spec's failure counts";
  std::string text = out.finish();
  EXPECT_NE(text.find("top"), std::string::npos) << text;
  EXPECT_NE(text.find("deep"), std::string::npos) << text;
  EXPECT_NE(text.find("1 passed, 1 failed"), std::string::npos) << text;
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

TEST(Cli, RunMissingFileIsAProgramError) {
  auto [err, rc] = run_cli_err({"run", "/nonexistent/x.spl"});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("/nonexistent/x.spl"), std::string::npos) << err;
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
}

TEST(Cli, CheckDoesNotRun) {
  std::string ok = test::write_temp("sys_exit(7)\n");
  EXPECT_EQ(run_cli({"check", ok}), 0);
  std::string bad = test::write_temp("print(nope)\n");
  auto [err, rc] = run_cli_err({"check", bad});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find(bad + ":1:7: error: unknown name 'nope'"), std::string::npos) << err;
}

TEST(Cli, RunPassesArgsAndExitCode) {
  std::string p = test::write_temp("let a = sys_get_args()\nsys_exit(a.len() * 10 + a[1].len())\n");
  EXPECT_EQ(run_cli({"run", p, "abc", "d"}), 33);
}

// The argument texts are made once and shared; each call still gives an array of its own.
TEST(Cli, EachGetArgsCallGivesItsOwnArray) {
  std::string p = test::write_temp(
      "var a = sys_get_args()\na.push(\"x\")\na[1] = \"changed\"\n"
      "val b = sys_get_args()\nsys_exit(b.len() * 10 + b[1].len())\n");
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
