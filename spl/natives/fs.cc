// Native table "fs": small file-system operations the std_lib and its specs need besides
// loading: write a file, truncate, remove, make a FIFO or a temporary directory, chmod.
// Declared in simple_std/sys/fs.spl. Errors come back as negative errno codes (the same
// numbers as the C ABI's), never as fake successes. Loading lives in natives/file.cc.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "native_api.h"

namespace spl {
namespace {

Value Code(NativeCall& c, bool ok) { return c.integer(ok ? 0 : -errno); }

// (path, data) -> 0 or -errno. Creates or replaces the file's content.
Value rt_fs_write(NativeCall& c) {
  std::string path = c.text_arg(0), data = c.text_arg(1);
  if (c.failed()) return c.nil();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return c.integer(-errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return c.integer(-err);
    }
    done += static_cast<size_t>(n);
  }
  return Code(c, ::close(fd) == 0);
}

// (path, [byte ints]) -> 0 or -errno: for content a text literal cannot hold (invalid UTF-8).
Value rt_fs_write_bytes(NativeCall& c) {
  std::string path = c.text_arg(0);
  if (c.failed()) return c.nil();
  const Value& list = c.arg(1);
  if (!list.is(OK::Array)) return c.fail("rt_fs_write_bytes: argument 2 must be an array of bytes");
  std::string data;
  for (const Value& v : list.as<Array>()->items) {
    if (!v.is_int() || v.as_int() < 0 || v.as_int() > 255) {
      return c.fail("rt_fs_write_bytes: every element must be an int in 0..255");
    }
    data.push_back(static_cast<char>(v.as_int()));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return c.integer(-errno);
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  int err = errno;
  ::close(fd);
  return c.integer(ok ? 0 : -err);
}

Value rt_fs_truncate(NativeCall& c) {
  std::string path = c.text_arg(0);
  int64_t size = c.int_arg(1);
  if (c.failed()) return c.nil();
  if (size < 0) return c.integer(-EINVAL);
  return Code(c, ::truncate(path.c_str(), static_cast<off_t>(size)) == 0);
}

// Removes a file or a whole directory tree.
Value rt_fs_remove(NativeCall& c) {
  std::string path = c.text_arg(0);
  if (c.failed()) return c.nil();
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  return c.integer(ec ? -ec.value() : 0);
}

Value rt_fs_mkfifo(NativeCall& c) {
  std::string path = c.text_arg(0);
  if (c.failed()) return c.nil();
  return Code(c, ::mkfifo(path.c_str(), 0644) == 0);
}

Value rt_fs_mkdir(NativeCall& c) {
  std::string path = c.text_arg(0);
  if (c.failed()) return c.nil();
  return Code(c, ::mkdir(path.c_str(), 0755) == 0);
}

Value rt_fs_chmod(NativeCall& c) {
  std::string path = c.text_arg(0);
  int64_t mode = c.int_arg(1);
  if (c.failed()) return c.nil();
  return Code(c, ::chmod(path.c_str(), static_cast<mode_t>(mode)) == 0);
}

Value rt_fs_symlink(NativeCall& c) {
  std::string target = c.text_arg(0), link = c.text_arg(1);
  if (c.failed()) return c.nil();
  return Code(c, ::symlink(target.c_str(), link.c_str()) == 0);
}

// A new empty directory under $TMPDIR (or /tmp): Ok(path) or Err(-errno).
Value rt_fs_temp_dir(NativeCall& c) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/spl-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return c.err(c.integer(-errno));
  return c.ok(c.text(tmpl));
}

// Whether this process ignores file permissions (root): specs about "permission denied"
// need to know.
Value rt_fs_is_privileged(NativeCall& c) { return c.boolean(::geteuid() == 0); }

// Whether descriptor fd (0, 1, 2) is a terminal: tools draw progress only for people.
Value rt_fs_isatty(NativeCall& c) {
  int64_t fd = c.int_arg(0);
  if (c.failed()) return c.nil();
  return c.boolean(fd >= 0 && fd <= 2 && ::isatty(static_cast<int>(fd)) == 1);
}

const NativeReg kFs[] = {
    {"rt_fs_write", 2, 2, rt_fs_write},
    {"rt_fs_write_bytes", 2, 2, rt_fs_write_bytes},
    {"rt_fs_truncate", 2, 2, rt_fs_truncate},
    {"rt_fs_remove", 1, 1, rt_fs_remove},
    {"rt_fs_mkfifo", 1, 1, rt_fs_mkfifo},
    {"rt_fs_mkdir", 1, 1, rt_fs_mkdir},
    {"rt_fs_chmod", 2, 2, rt_fs_chmod},
    {"rt_fs_symlink", 2, 2, rt_fs_symlink},
    {"rt_fs_temp_dir", 0, 0, rt_fs_temp_dir},
    {"rt_fs_is_privileged", 0, 0, rt_fs_is_privileged},
    {"rt_fs_isatty", 1, 1, rt_fs_isatty},
};

}  // namespace

SPL_NATIVE_MODULE(fs, "fs", kFs);

}  // namespace spl
