// Test helper: run Simple source in a fresh interpreter and read back module globals, and
// capture what the process writes to stdout or stderr meanwhile.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
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
  std::string err;          // what the run wrote to stderr (when asked to capture it)
};

// Redirects file descriptor 1 or 2 into an unlinked temporary file until finish(), which
// restores it and returns what was written. Flushes the C stream on both ends.
class CaptureFd {
 public:
  explicit CaptureFd(int fd) : fd_(fd), file_(std::tmpfile()) {
    std::fflush(stream());
    saved_ = ::dup(fd_);
    if (file_ && saved_ >= 0) ::dup2(::fileno(file_), fd_);
  }
  ~CaptureFd() { finish(); }
  CaptureFd(const CaptureFd&) = delete;
  CaptureFd& operator=(const CaptureFd&) = delete;

  std::string finish() {
    if (!file_) return text_;
    std::fflush(stream());
    if (saved_ >= 0) {
      ::dup2(saved_, fd_);
      ::close(saved_);
      saved_ = -1;
    }
    std::rewind(file_);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) text_.append(buf, n);
    std::fclose(file_);
    file_ = nullptr;
    return text_;
  }

 private:
  std::FILE* stream() const { return fd_ == 1 ? stdout : stderr; }
  int fd_;
  std::FILE* file_;
  int saved_ = -1;
  std::string text_;
};

// The folders write_temp makes ($TMPDIR/spl_test_XXXXXX): each is removed with its contents
// by remove(), and whatever is left when the test process exits is removed then.
class TempFolders {
 public:
  static TempFolders& instance() {
    static TempFolders folders;
    return folders;
  }
  std::string make() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "spl_test_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror(("mkdtemp " + tmpl).c_str());
      std::abort();
    }
    made_.push_back(tmpl);
    return tmpl;
  }
  void remove(const std::string& folder) {
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
    made_.erase(std::remove(made_.begin(), made_.end(), folder), made_.end());
  }
  ~TempFolders() {
    std::error_code ec;
    for (auto& f : made_) std::filesystem::remove_all(f, ec);
  }

 private:
  std::vector<std::string> made_;
};

// Writes `src` to NAME in a new temporary folder; returns the file's path.
inline std::string write_temp(const std::string& src, const std::string& name = "t.spl") {
  std::string path = TempFolders::instance().make() + "/" + name;
  std::ofstream(path) << src;
  return path;
}

// Loads and runs `src` (with `check_mode`, as `spl check` loads: unknown names are load errors).
// capture_stderr: collect the run's stderr (runtime errors, deadlock reports) into r.err
// instead of letting it through (see run_capturing_stderr).
inline RunResult run_source(const std::string& src, bool check_mode = false,
                            bool capture_stderr = false) {
  RunResult r;
  std::string path = write_temp(src);
  std::unique_ptr<CaptureFd> err;
  if (capture_stderr) err = std::make_unique<CaptureFd>(2);
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
  if (err) r.err = err->finish();
  TempFolders::instance().remove(std::filesystem::path(path).parent_path().string());
  return r;
}

// run_source, with what the run writes to stderr in r.err.
inline RunResult run_capturing_stderr(const std::string& src) {
  return run_source(src, /*check_mode=*/false, /*capture_stderr=*/true);
}

}  // namespace spl::test
