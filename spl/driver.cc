// Implementation of the `spl` command (see driver.h): argument parsing, running a program,
// checking files, and the spec runner that finds *_spec.spl files and sums up the results.
#include "driver.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "bdd.h"
#include "bytecode.h"
#include "checker.h"
#include "huge_pages.h"
#include "interp.h"

namespace spl {

static const char* kVersion = "spl 0.1.0";

static const char* kHelp =
    "usage: spl <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  run FILE [ARGS...]   run a Simple program (sys_get_args() gives [FILE, ARGS...])\n"
    "  run --dump FILE      print the compiled form of a program without running it\n"
    "  test [PATH...]       run *_spec.spl files found in PATHs (default: current folder)\n"
    "  check PATH...        parse and resolve files (folders: every .spl inside) without\n"
    "                       running them\n"
    "  --version            print the version\n"
    "  --help               print this help\n"
    "\n"
    "exit status: 0 success, 1 program error or failed examples, 2 usage error,\n"
    "             5 no specs found (spl test)\n"
    "environment: SPL_STDLIB_PATH overrides the std_lib folder (default: simple_std/ next to the "
    "build)\n";

static bool is_dir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string default_stdlib_dir() {
  if (const char* env = std::getenv("SPL_STDLIB_PATH"); env && *env) {
    // As an absolute path: the loader tells std_lib files from others by their folder, and a
    // relative one (SPL_STDLIB_PATH=simple_std) made std_lib modules resolve `use file` to
    // their own sibling cli/file.spl. (A folder that does not exist stays as given: the
    // errors about modules not found name it.)
    char resolved[PATH_MAX];
    if (realpath(env, resolved) != nullptr) return resolved;
    return env;
  }
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
  size_t n_errors = 0, n_warnings = 0;
  for (auto& d : errors) {
    std::string s = format_diagnostic(d);
    std::fwrite(s.data(), 1, s.size(), stderr);
    (d.warning ? n_warnings : n_errors)++;
  }
  if (n_errors > 1 || (n_errors && n_warnings))
    std::fprintf(stderr, "%zu error%s", n_errors, n_errors == 1 ? "" : "s");
  if (n_warnings > 1 || (n_errors && n_warnings))
    std::fprintf(stderr, "%s%zu warning%s", n_errors ? ", " : "", n_warnings,
                 n_warnings == 1 ? "" : "s");
  if (n_errors > 1 || n_warnings > 1 || (n_errors && n_warnings)) std::fprintf(stderr, "\n");
}

int cmd_run(const std::string& file, const std::vector<std::string>& args) {
  int code;
  {
    // The interpreter of `spl run` is not torn down when the program ends: the process exits
    // right after, and freeing every object one by one only costs time (a program that built
    // millions of them would wait for that). Everything the program can observe has happened
    // by then: `with` handlers ran, tasks were cancelled, output is flushed below. Sanitizer
    // builds tear it down, so that leak checks see everything.
#if defined(SPL_SANITIZED)
    Interp in;
#else
    Interp& in = *new Interp;
#endif
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
      std::printf("\n%d passed, %d failed, %d skipped\n", b.passed, b.failed, b.skipped);
      if (b.failed && code == 0) code = 1;
    }
    in.flush_output();
  }
  return code;
}

static bool skipped_dir_name(const std::string& n) {
  return n[0] == '.' || n == "build" || n.rfind("build-", 0) == 0;
}

// Every file under `path` whose name ends with `suffix` (sorted, hidden and build folders
// skipped); `path` itself when it is not a folder.
static void find_files(const std::string& path, const std::string& suffix,
                       std::vector<std::string>& out) {
  if (!is_dir(path)) {
    out.push_back(path);
    return;
  }
  DIR* d = opendir(path.c_str());
  if (!d) {
    out.push_back(path);  // reported by the reader ("permission denied")
    return;
  }
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
      if (!skipped_dir_name(n)) find_files(p, suffix, out);
    } else if (n.size() > suffix.size() &&
               n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(p);
    }
  }
}

// `spl run --dump FILE`: the compiled form of the program (nothing runs).
int cmd_dump(const std::string& file) {
  Interp in;
  in.set_stdlib_dir(default_stdlib_dir());
  std::vector<Diagnostic> errors;
  Module* m = in.load_main(file, errors);
  if (!m) {
    print_diagnostics(errors);
    return 1;
  }
  try {
    std::string s = dump_module(in, m);
    std::fwrite(s.data(), 1, s.size(), stdout);
  } catch (RuntimeError& e) {
    in.report_error(*e.info);
    return 1;
  }
  return 0;
}

int cmd_check(const std::vector<std::string>& paths) {
  int code = 0;
  std::vector<std::string> files;
  for (auto& p : paths) {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) {
      std::fprintf(stderr, "error: no such file or folder: %s\n", p.c_str());
      code = 1;
      continue;
    }
    size_t before = files.size();
    find_files(p, ".spl", files);
    if (files.size() == before) {
      std::fprintf(stderr, "error: no .spl files found under %s\n", p.c_str());
      code = 1;
    }
  }
  for (auto& f : files) {
    Interp in;
    in.set_check_mode(true);
    in.set_stdlib_dir(default_stdlib_dir());
    std::vector<Diagnostic> errors;
    Module* m = in.load_main(f, errors);
    if (m) check_module_calls(in, m, errors);  // arity errors, unknown-field warnings
    bool failed = !m;
    for (auto& d : errors) failed |= !d.warning;
    if (!errors.empty()) print_diagnostics(errors);
    if (failed) code = 1;
  }
  return code;
}

int cmd_test(const std::vector<std::string>& paths, const std::string& filter) {
  std::vector<std::string> files;
  for (auto& p : paths) {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) {
      std::fprintf(stderr, "error: no such file or folder: %s\n", p.c_str());
      return 2;
    }
    size_t before = files.size();
    find_files(p, "_spec.spl", files);
    if (files.size() == before) {
      std::fprintf(stderr, "error: no specs found under %s (spec files are named *_spec.spl)\n",
                   p.c_str());
      return 5;
    }
  }
  int passed = 0, failed = 0, skipped = 0, deselected = 0;
  for (auto& f : files) {
    std::printf("%s\n", f.c_str());
    std::fflush(stdout);
    Interp in;
    in.set_args({f});
    in.set_stdlib_dir(default_stdlib_dir());
    in.bdd().filter = filter;
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
    skipped += in.bdd().skipped;
    deselected += in.bdd().deselected;
    if (code != 0 && in.bdd().failed == 0) {
      std::printf("✗ %s ended with an error\n", f.c_str());
      failed++;
    }
  }
  std::printf("\n%d passed, %d failed, %d skipped", passed, failed, skipped);
  if (!filter.empty()) std::printf(", %d deselected by -k", deselected);
  std::printf("\n");
  if (failed) return 1;
  if (!filter.empty() && passed + skipped == 0) {
    std::fprintf(stderr, "error: no example's description contains '%s' (-k)\n", filter.c_str());
    return 5;
  }
  return 0;
}

// A standard descriptor that the parent closed (`spl run p.spl >&-`) is reopened on
// /dev/null, so nothing (libuv included) ever mistakes a later file for stdin/stdout/stderr.
static void reopen_closed_std_fds() {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (n >= 0 && n != fd) {
      dup2(n, fd);
      close(n);
    }
  }
}

static const char* kRunUsage = "usage: spl run FILE [ARGS...] | spl run --dump FILE";
static const char* kCheckUsage = "usage: spl check PATH...";
static const char* kTestUsage = "usage: spl test [-k TEXT] [PATH...]";

static int usage_error(const std::string& msg, const char* usage) {
  std::fprintf(stderr, "error: %s\n%s   (spl --help for more)\n", msg.c_str(), usage);
  return 2;
}

static bool is_help_flag(const char* a) {
  return std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0;
}

static int dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("error: no command given\nrun 'spl --help' for the list of commands\n", stderr);
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
    if (argc >= 3 && is_help_flag(argv[2])) {
      std::printf("%s\n\nRuns a Simple program; sys_get_args() gives [FILE, ARGS...].\n\n%s",
                  kRunUsage, kHelp);
      return 0;
    }
    if (argc >= 3 && std::strcmp(argv[2], "--dump") == 0) {
      if (argc != 4) return usage_error("'spl run --dump' needs one FILE", kRunUsage);
      return cmd_dump(argv[3]);
    }
    if (argc < 3) return usage_error("'spl run' needs a FILE", kRunUsage);
    return cmd_run(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  }
  if (cmd == "check") {
    if (argc >= 3 && is_help_flag(argv[2])) {
      std::printf(
          "%s\n\nParses and resolves files without running them (folders: every .spl "
          "inside).\n",
          kCheckUsage);
      return 0;
    }
    if (argc < 3) return usage_error("'spl check' needs a FILE or folder", kCheckUsage);
    for (int i = 2; i < argc; i++)  // (a file whose name starts with '-': ./-name)
      if (argv[i][0] == '-' && argv[i][1] != 0)
        return usage_error(std::string("unknown option '") + argv[i] + "'", kCheckUsage);
    return cmd_check(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (cmd == "test") {
    std::vector<std::string> paths;
    std::string filter;
    for (int i = 2; i < argc; i++) {
      if (is_help_flag(argv[i])) {
        std::printf(
            "%s\n\nRuns *_spec.spl files found in PATHs (default: the current folder);"
            "\n-k TEXT runs only the examples whose description contains TEXT.\n",
            kTestUsage);
        return 0;
      }
      if (std::strcmp(argv[i], "-k") == 0) {
        if (i + 1 >= argc) return usage_error("'-k' needs a TEXT", kTestUsage);
        filter = argv[++i];
        if (filter.empty()) return usage_error("'-k' needs a non-empty TEXT", kTestUsage);
        continue;
      }
      if (argv[i][0] == '-' && argv[i][1] != 0)
        return usage_error(std::string("unknown option '") + argv[i] + "'", kTestUsage);
      paths.push_back(argv[i]);
    }
    if (paths.empty()) paths.push_back(".");
    return cmd_test(paths, filter);
  }
  if (cmd.size() > 4 && cmd.compare(cmd.size() - 4, 4, ".spl") == 0)
    return cmd_run(cmd, std::vector<std::string>(argv + 2, argv + argc));
  std::fprintf(stderr, "error: unknown command '%s'\nrun 'spl --help' for the list of commands\n",
               cmd.c_str());
  return 2;
}

// The nesting limits (parser, hashing, destruction) are set for an 8 MiB main-thread stack,
// Linux's default. A smaller soft limit (`ulimit -s 512`) is raised to 8 MiB when the hard
// limit allows: the main thread's stack grows on demand up to the limit in force at the time,
// so this takes effect for this process at once. (Tasks run on fibers with their own stacks.)
static void ensure_main_stack() {
  constexpr rlim_t kWanted = rlim_t(8) << 20;
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= kWanted)
    return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? kWanted : std::min(kWanted, rl.rlim_max);
  setrlimit(RLIMIT_STACK, &rl);  // (refused: the stack stays as it is)
}

int spl_main(int argc, char** argv) {
  reopen_closed_std_fds();
  ensure_main_stack();
  advise_malloc_heap();
  // Blocks of 1 MiB and more are mapped on their own and unmapped when freed. glibc would
  // otherwise raise this threshold after the first such free, and then the old buffers of a
  // growing array (4, 8, 16 MiB...) stay in the heap as holes the process keeps.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // Free memory at the top of a heap goes back to the system past 8 MiB (glibc's default:
  // 128 KiB). Giving pages back and faulting them in again cost more than the work between:
  // 10,000 small files read into buffers by loader threads and freed on this one made a third
  // of the process's page faults, and each trim of a loader thread's heap is a TLB shootdown
  // across the CPUs (measured: wc.spl -l over them 19% faster). Peak memory stays within 1 MB.
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  if (!isatty(1)) std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  int code;
  try {
    code = dispatch(argc, argv);
  } catch (std::bad_alloc&) {  // outside any Simple code (loading a huge program, ...)
    static const char msg[] = "error: out of memory\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    return 1;
  }
  // Output that could not be written is an error (full disk, /dev/full), not a success. A
  // closed pipe (EPIPE) ends quietly, as GNU tools do.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    int e = errno;
    if (e != EPIPE)
      std::fprintf(stderr, "error: cannot write to standard output: %s\n", std::strerror(e));
    if (code == 0) code = 1;
  }
  return code;
}

}  // namespace spl
