// The `spl` command's actions (run, test, check), callable from main() and from tests.
// Each returns a process exit code: 0 ok, 1 program/test failure, 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace spl {

std::string default_stdlib_dir();  // $SPL_STDLIB_PATH, else simple_std/ found above the binary
int cmd_run(const std::string& file, const std::vector<std::string>& args);
int cmd_check(const std::vector<std::string>& files);
// `spl test [-k TEXT] PATH...`: filter "" runs every example.
int cmd_test(const std::vector<std::string>& paths, const std::string& filter);
int spl_main(int argc, char** argv);

}  // namespace spl
