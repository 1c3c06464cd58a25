// Line tables, diagnostic rendering and name suggestions (see source.h).
#include "source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace spl {

SourceFile::SourceFile(std::string p, std::string t) : path(std::move(p)), text(std::move(t)) {
  // A UTF-8 byte order mark is not part of the first line: columns count from after it.
  line_starts.push_back(text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0);
  for (uint32_t i = 0; i < text.size(); i++)
    if (text[i] == '\n') line_starts.push_back(i + 1);
}

void SourceFile::line_col(uint32_t off, int* line, int* col) const {
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), off);
  int idx = int(it - line_starts.begin()) - 1;
  if (idx < 0) idx = 0;
  *line = idx + 1;
  *col = off < line_starts[idx] ? 1 : int(off - line_starts[idx]) + 1;
}

std::string_view SourceFile::line_text(int line) const {
  if (line < 1 || line > int(line_starts.size())) return {};
  uint32_t b = line_starts[line - 1];
  uint32_t e = b;
  while (e < text.size() && text[e] != '\n' && text[e] != '\r') e++;
  return std::string_view(text).substr(b, e - b);
}

bool read_source_file(const std::string& path, std::string* text, std::string* error) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *error = "is a directory";
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISFIFO(st.st_mode)   ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                                              : "not a regular file";
    *error = std::string("not a regular file (") + kind + ")";
    return false;
  }
  if (uint64_t(st.st_size) > kMaxSourceBytes) {
    *error = "source file is larger than 64 MiB";
    return false;
  }
  text->clear();
  text->reserve(size_t(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    if (text->size() + size_t(n) > kMaxSourceBytes) {  // grew while being read
      *error = "source file is larger than 64 MiB";
      return false;
    }
    text->append(buf, size_t(n));
  }
  return true;
}

std::string format_diagnostic(const Diagnostic& d) {
  const char* kind = d.warning ? "warning: " : "error: ";
  if (!d.file) return kind + d.message + "\n";
  int line, col;
  d.file->line_col(d.offset, &line, &col);
  std::string out = d.file->path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
                    kind + d.message + "\n";
  std::string_view src = d.file->line_text(line);
  // Long lines: show a window around the caret.
  std::string prefix, suffix;
  if (src.size() > 120) {
    size_t start = col > 60 ? std::min(size_t(col - 60), src.size()) : 0;
    size_t len = std::min<size_t>(100, src.size() - start);
    if (start > 0) prefix = "...";
    if (start + len < src.size()) suffix = "...";
    src = src.substr(start, len);
    col = col - int(start) + int(prefix.size());
  }
  std::string shown = prefix + std::string(src) + suffix;
  src = shown;
  std::string num = std::to_string(line);
  std::string pad(num.size(), ' ');
  out += " " + num + " | " + std::string(src) + "\n";
  std::string caret;
  for (int i = 0; i < col - 1 && i < int(src.size()); i++) caret += src[i] == '\t' ? '\t' : ' ';
  out += " " + pad + " | " + caret + "^\n";
  return out;
}

// Edit distance with adjacent transpositions (optimal string alignment).
static size_t edit_distance(std::string_view a, std::string_view b) {
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; i++) d[i][0] = i;
  for (size_t j = 0; j <= m; j++) d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string closest_name(std::string_view name, const std::vector<std::string>& candidates) {
  size_t best = SIZE_MAX;
  std::string best_name;
  size_t limit = name.size() <= 2 ? 0 : std::max<size_t>(1, name.size() / 3);
  if (name.size() > 64) return "";
  for (const auto& c : candidates) {
    if (c == name || c.empty() || c[0] == '_') continue;
    size_t d = edit_distance(name, c);
    if (d <= limit && d < best) {
      best = d;
      best_name = c;
    }
  }
  return best_name;
}

}  // namespace spl
