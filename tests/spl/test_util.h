// Test helper: run Simple source in a fresh interpreter and read back module globals.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "interp.h"

namespace spl::test {

struct RunResult {
  std::vector<Diagnostic> errors;     // load (parse/resolve) errors
  std::vector<std::string> messages;  // rendered load errors
  int exit_code = -1;
  std::string result;       // display form of global `result` (if any)
  size_t open_handles = 0;  // libuv handles still open after the run
};

inline std::string write_temp(const std::string& src, const std::string& name = "t.spl") {
  char dir[] = "/tmp/spl_test_XXXXXX";
  std::string d = mkdtemp(dir);
  std::string path = d + "/" + name;
  std::ofstream(path) << src;
  return path;
}

// Loads and runs `src` (with `check_mode`, as `spl check` loads: unknown names are load errors).
inline RunResult run_source(const std::string& src, bool check_mode = false) {
  RunResult r;
  std::string path = write_temp(src);
  {
    Interp in;
    in.set_check_mode(check_mode);
    Module* m = in.load_main(path, r.errors);
    for (auto& e : r.errors) r.messages.push_back(format_diagnostic(e));
    if (m) {
      std::FILE* saved = stderr;
      (void)saved;
      r.exit_code = in.run_main(m);
      in.flush_output();
      auto it = m->own.find(intern("result"));
      if (it != m->own.end()) r.result = display(*it->second);
      uv_walk(
          in.sched().loop(),
          [](uv_handle_t* h, void* arg) {
            if (!uv_is_closing(h)) ++*static_cast<size_t*>(arg);
          },
          &r.open_handles);
    }
  }
  unlink(path.c_str());
  return r;
}

}  // namespace spl::test
