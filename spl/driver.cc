// Implementation of the `spl` command (see driver.h): argument parsing, running a program,
// checking files, and the spec runner that finds *_spec.spl files and sums up the results.
#include "driver.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bdd.h"
#include "interp.h"

namespace spl {

static const char* kVersion = "spl 0.1.0";

static const char* kHelp =
    "usage: spl <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  run FILE [ARGS...]   run a Simple program (sys_get_args() gives [FILE, ARGS...])\n"
    "  test [PATH...]       run *_spec.spl files found in PATHs (default: current folder)\n"
    "  check FILE...        parse and resolve files without running them\n"
    "  --version            print the version\n"
    "  --help               print this help\n"
    "\n"
    "exit status: 0 success, 1 program error or failed examples, 2 usage error\n"
    "environment: SPL_STDLIB_PATH overrides the std_lib folder (default: simple_std/ next to the "
    "build)\n";

static bool is_dir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string default_stdlib_dir() {
  if (const char* env = std::getenv("SPL_STDLIB_PATH"); env && *env) return env;
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = 0;
  std::string d = buf;
  for (int i = 0; i < 6; i++) {
    size_t s = d.rfind('/');
    if (s == std::string::npos || s == 0) break;
    d = d.substr(0, s);
    if (is_dir(d + "/simple_std")) return d + "/simple_std";
  }
  return "";
}

static void print_diagnostics(const std::vector<Diagnostic>& errors) {
  std::fflush(stdout);
  for (auto& d : errors) {
    std::string s = format_diagnostic(d);
    std::fwrite(s.data(), 1, s.size(), stderr);
  }
  if (errors.size() > 1) std::fprintf(stderr, "%zu errors\n", errors.size());
}

int cmd_run(const std::string& file, const std::vector<std::string>& args) {
  int code;
  {
    Interp in;
    std::vector<std::string> all{file};
    all.insert(all.end(), args.begin(), args.end());
    in.set_args(all);
    in.set_stdlib_dir(default_stdlib_dir());
    std::vector<Diagnostic> errors;
    Module* m = in.load_main(file, errors);
    if (!m) {
      print_diagnostics(errors);
      return 1;
    }
    code = in.run_main(m);
    BddState& b = in.bdd();
    if (b.ran_examples()) {
      std::printf("\n%d passed, %d failed\n", b.passed, b.failed);
      if (b.failed && code == 0) code = 1;
    }
    in.flush_output();
  }
  return code;
}

int cmd_check(const std::vector<std::string>& files) {
  int code = 0;
  for (auto& f : files) {
    Interp in;
    in.set_stdlib_dir(default_stdlib_dir());
    std::vector<Diagnostic> errors;
    Module* m = in.load_main(f, errors);
    if (!m) {
      print_diagnostics(errors);
      code = 1;
    }
  }
  return code;
}

static void find_specs(const std::string& path, std::vector<std::string>& out) {
  if (!is_dir(path)) {
    out.push_back(path);
    return;
  }
  DIR* d = opendir(path.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (auto& n : names) {
    std::string p = path == "." ? n : path + "/" + n;
    if (is_dir(p)) {
      if (n[0] != '.' && n != "build" && n.rfind("build-", 0) != 0) find_specs(p, out);
    } else if (n.size() > 9 && n.compare(n.size() - 9, 9, "_spec.spl") == 0) {
      out.push_back(p);
    }
  }
}

int cmd_test(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (auto& p : paths) {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) {
      std::fprintf(stderr, "error: no such file or folder: %s\n", p.c_str());
      return 2;
    }
    find_specs(p, files);
  }
  int passed = 0, failed = 0;
  for (auto& f : files) {
    std::printf("%s\n", f.c_str());
    std::fflush(stdout);
    Interp in;
    in.set_args({f});
    in.set_stdlib_dir(default_stdlib_dir());
    std::vector<Diagnostic> errors;
    Module* m = in.load_main(f, errors);
    if (!m) {
      print_diagnostics(errors);
      std::printf("✗ %s could not be loaded\n", f.c_str());
      failed++;
      continue;
    }
    int code = in.run_main(m);
    in.flush_output();
    passed += in.bdd().passed;
    failed += in.bdd().failed;
    if (code != 0 && in.bdd().failed == 0) {
      std::printf("✗ %s ended with an error\n", f.c_str());
      failed++;
    }
  }
  std::printf("\n%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

int spl_main(int argc, char** argv) {
  if (!isatty(1)) std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--version" || cmd == "-V" || cmd == "version") {
    std::printf("%s\n", kVersion);
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (cmd == "run") {
    if (argc < 3) {
      std::fprintf(stderr, "error: 'spl run' needs a FILE\n\n%s", kHelp);
      return 2;
    }
    return cmd_run(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  }
  if (cmd == "check") {
    if (argc < 3) {
      std::fprintf(stderr, "error: 'spl check' needs a FILE\n\n%s", kHelp);
      return 2;
    }
    return cmd_check(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (cmd == "test") {
    std::vector<std::string> paths(argv + 2, argv + argc);
    if (paths.empty()) paths.push_back(".");
    return cmd_test(paths);
  }
  if (cmd.size() > 4 && cmd.compare(cmd.size() - 4, 4, ".spl") == 0)
    return cmd_run(cmd, std::vector<std::string>(argv + 2, argv + argc));
  std::fprintf(stderr, "error: unknown command '%s'\n\n%s", cmd.c_str(), kHelp);
  return 2;
}

}  // namespace spl
