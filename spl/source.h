// Source files and diagnostics: line/column lookup, "file:line:col: error: msg" rendering with the
// source line and a caret, and "did you mean" suggestions. Does not decide what is an error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spl {

struct SourceFile {
  std::string path;  // as given by the user (used in messages)
  std::string text;
  std::vector<uint32_t> line_starts;

  SourceFile(std::string p, std::string t);
  // 1-based line and column (column counts bytes) of a byte offset.
  void line_col(uint32_t off, int* line, int* col) const;
  std::string_view line_text(int line) const;
};

struct Diagnostic {
  const SourceFile* file = nullptr;  // may be null for errors without a location
  uint32_t offset = 0;
  std::string message;
  bool warning = false;  // printed as "warning:", does not fail the command
};

// Reads a source file: it must be a regular file (a FIFO, device or folder is refused without
// blocking) of at most kMaxSourceBytes. Returns false and sets *error ("is a directory",
// "not a regular file (FIFO)", "larger than 64 MiB", strerror) on failure.
constexpr size_t kMaxSourceBytes = size_t(64) << 20;
bool read_source_file(const std::string& path, std::string* text, std::string* error);

// "path:line:col: error: message (or warning:)\n   12 | source\n      |    ^\n"
std::string format_diagnostic(const Diagnostic& d);

// Levenshtein-based suggestion; returns "" when nothing is close enough.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace spl
