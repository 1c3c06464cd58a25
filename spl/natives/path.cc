// Native table "path": the file-system facts the `cli` std_lib module needs for real argument
// validation (working directory, stat, access checks, realpath, terminals) plus the small
// operations `file.fs` offers and specs use to build fixtures (temp dirs, writing text or
// bytes, truncate, chmod, mkdir, mkfifo, symlinks, removal), listing a folder, glob patterns
// (fnmatch(3) per path component, `**` walked here) and the process environment.
// Every fallible call returns a Result: Ok(value) or Err("ENAME: strerror text"), so Simple code
// can tell "ENOENT" from "EACCES" by prefix. Nothing here guesses or returns a fake value.
// Not here: path string manipulation (normalize, join, ...) -- that is pure Simple in cli/file.spl.
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "native_api.h"

namespace spl {
namespace {

const char* errno_name(int e) {
  switch (e) {
    case ENOENT:
      return "ENOENT";
    case ENOTDIR:
      return "ENOTDIR";
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case EEXIST:
      return "EEXIST";
    case EISDIR:
      return "EISDIR";
    case ELOOP:
      return "ELOOP";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    case EROFS:
      return "EROFS";
    case ENOSPC:
      return "ENOSPC";
    case ENOTEMPTY:
      return "ENOTEMPTY";
    case EINVAL:
      return "EINVAL";
    case EIO:
      return "EIO";
    case EBUSY:
      return "EBUSY";
    case ETXTBSY:
      return "ETXTBSY";
    case ENOMEM:
      return "ENOMEM";
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case EXDEV:
      return "EXDEV";
    default:
      return "EOTHER";
  }
}

Value errno_err(NativeCall& c, int e, const std::string& path) {
  std::string msg = std::string(errno_name(e)) + ": " + std::strerror(e);
  if (!path.empty()) msg += ": " + path;
  return c.err(c.text(std::move(msg)));
}

// The path for messages: NUL and control bytes escaped, so the message stays one line.
std::string shown(const std::string& p) {
  std::string out;
  for (char ch : p) {
    auto u = static_cast<unsigned char>(ch);
    if (u == 0) {
      out += "\\0";
    } else if (u == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

// Reads text argument i as a path. False when it cannot be used, with `err` the value to
// return: a NUL byte inside (which would silently cut the path in the system call) gives
// Err("EINVAL: path contains a NUL byte: a\0b"); a non-text or empty argument is a runtime
// error (c.fail, err nil): those are mistakes in the calling code.
bool path_arg(NativeCall& c, int i, std::string& out, Value& err) {
  err = c.nil();
  out = c.text_arg(i);
  if (c.failed()) return false;
  if (out.find('\0') != std::string::npos) {
    err = c.err(c.text("EINVAL: path contains a NUL byte: " + shown(out)));
    return false;
  }
  if (out.empty()) {
    c.fail(std::string(c.name()) + ": path is empty");
    return false;
  }
  return true;
}

const char* kind_of(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "dir";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "char_device";
  if (S_ISBLK(m)) return "block_device";
  if (S_ISLNK(m)) return "symlink";
  return "other";
}

// rt_path_cwd() -> Result[text, text]
Value rt_path_cwd(NativeCall& c) {
  std::string buf(PATH_MAX, '\0');
  for (;;) {
    if (getcwd(buf.data(), buf.size())) {
      buf.resize(std::strlen(buf.c_str()));
      return c.ok(c.text(buf));
    }
    if (errno != ERANGE || buf.size() > (1u << 20)) return errno_err(c, errno, "");
    buf.resize(buf.size() * 2);
  }
}

// rt_path_stat(path) -> Result[[kind: text, size: int, permission bits: int], text]
// Follows symlinks. kind: file, dir, fifo, socket, char_device, block_device, other.
Value rt_path_stat(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  struct stat st;
  if (stat(p.c_str(), &st) != 0) return errno_err(c, errno, p);
  return c.ok(c.array({c.text(kind_of(st.st_mode)), c.integer(int64_t(st.st_size)),
                       c.integer(int64_t(st.st_mode & 07777))}));
}

// rt_path_lstat(path) -> like rt_path_stat but does not follow a final symlink (kind "symlink").
Value rt_path_lstat(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  struct stat st;
  if (lstat(p.c_str(), &st) != 0) return errno_err(c, errno, p);
  return c.ok(c.array({c.text(kind_of(st.st_mode)), c.integer(int64_t(st.st_size)),
                       c.integer(int64_t(st.st_mode & 07777))}));
}

// rt_path_access(path, what) -> Result[bool, text]; what is a combination of "r", "w", "x".
// Checks with the effective user (as open() would). Ok(false) when access is refused
// (EACCES, EPERM, EROFS, ETXTBSY); Err for anything else (missing file, bad path, ...).
Value rt_path_access(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  std::string what = c.text_arg(1);
  if (c.failed()) return c.nil();
  int mode = 0;
  for (char ch : what) {
    if (ch == 'r')
      mode |= R_OK;
    else if (ch == 'w')
      mode |= W_OK;
    else if (ch == 'x')
      mode |= X_OK;
    else
      return c.fail("rt_path_access: mode must be made of r, w and x, got '" + what + "'");
  }
  if (mode == 0) return c.fail("rt_path_access: mode is empty");
#ifdef AT_EACCESS
  int rc = faccessat(AT_FDCWD, p.c_str(), mode, AT_EACCESS);
#else
  int rc = access(p.c_str(), mode);
#endif
  if (rc == 0) return c.ok(c.boolean(true));
  int e = errno;
  if (e == EACCES || e == EPERM || e == EROFS || e == ETXTBSY) return c.ok(c.boolean(false));
  return errno_err(c, e, p);
}

// rt_path_realpath(path) -> Result[text, text]: absolute, symlinks resolved; the path must exist.
Value rt_path_realpath(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  char* r = realpath(p.c_str(), nullptr);
  if (!r) return errno_err(c, errno, p);
  std::string s = r;
  std::free(r);
  return c.ok(c.text(std::move(s)));
}

// rt_path_make_temp_dir(prefix) -> Result[text, text]: a new private (0700) directory
// $TMPDIR/<prefix>XXXXXX (TMPDIR defaults to /tmp). The prefix may not contain '/'.
Value rt_path_make_temp_dir(NativeCall& c) {
  std::string prefix = c.text_arg(0);
  if (c.failed()) return c.nil();
  if (prefix.find('/') != std::string::npos || prefix.find('\0') != std::string::npos)
    return c.fail("rt_path_make_temp_dir: prefix may not contain '/' or NUL");
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp && *tmp) ? tmp : "/tmp";
  std::string tmpl = base + "/" + prefix + "XXXXXX";
  if (!mkdtemp(tmpl.data())) return errno_err(c, errno, tmpl);
  return c.ok(c.text(tmpl));
}

// One open directory of the walk below: its stream, and its name in the directory above.
struct WalkDir {
  DIR* dir;
  std::string name;
};

// Removes the entry `name` of the directory open at `parent`, and everything below it,
// walking by descriptor: every directory is opened with openat(O_NOFOLLOW | O_DIRECTORY)
// relative to the one above and read with fdopendir, every entry removed with unlinkat. A
// directory swapped for a symlink at any moment is therefore unlinked as a link, never
// entered (the race of CVE-2022-21658 in Rust's remove_dir_all). Iterative, so deep trees
// need no deep stack; each level holds one descriptor. 0, or the errno of the first failure
// with *where naming the entry.
int remove_at(int parent, const std::string& name, const std::string& path, std::string* where) {
  constexpr int kOpenDir = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  auto unlink_entry = [&](int dirfd, const char* entry) {
    return unlinkat(dirfd, entry, 0) == 0 || errno == ENOENT ? 0 : errno;
  };
  int fd = openat(parent, name.c_str(), kOpenDir);
  if (fd < 0) {
    int e = errno;
    *where = path;
    if (e == ENOTDIR || e == ELOOP) return unlink_entry(parent, name.c_str());
    return e == ENOENT ? 0 : e;
  }
  std::vector<WalkDir> stack;
  std::string at = path;  // the path of the innermost directory, for messages
  auto open_dir = [&](int dfd, const std::string& n) -> int {
    DIR* d = fdopendir(dfd);
    if (d == nullptr) {
      int e = errno;
      close(dfd);
      return e;
    }
    stack.push_back(WalkDir{d, n});
    return 0;
  };
  int err = open_dir(fd, name);
  while (err == 0 && !stack.empty()) {
    WalkDir& top = stack.back();
    errno = 0;
    struct dirent* ent = readdir(top.dir);
    if (ent == nullptr) {
      if (errno != 0) {
        err = errno;
        break;
      }
      // Done with this directory: close it and remove it from the one above.
      std::string done = top.name;
      closedir(top.dir);
      stack.pop_back();
      int above = stack.empty() ? parent : dirfd(stack.back().dir);
      if (unlinkat(above, done.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        err = errno;
        *where = at;
        break;
      }
      size_t slash = at.rfind('/');
      if (slash != std::string::npos) at.resize(slash);
      continue;
    }
    const char* n = ent->d_name;
    if (std::strcmp(n, ".") == 0 || std::strcmp(n, "..") == 0) continue;
    int here = dirfd(top.dir);
    if (ent->d_type != DT_DIR && ent->d_type != DT_UNKNOWN) {
      if (unlinkat(here, n, 0) == 0 || errno == ENOENT) continue;
      if (errno != EISDIR) {  // EISDIR: it became a directory since: walk into it below
        err = errno;
        *where = at + "/" + n;
        break;
      }
    }
    int child = openat(here, n, kOpenDir);
    if (child < 0) {
      int e = errno;
      if (e == ENOTDIR || e == ELOOP) e = unlink_entry(here, n);  // a file or a symlink
      if (e != 0 && e != ENOENT) {
        err = e;
        *where = at + "/" + n;
      }
      continue;
    }
    at += "/";
    at += n;
    if ((err = open_dir(child, n)) != 0) *where = at;
  }
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) closedir(it->dir);
  return err;
}

// rt_path_remove_tree(path) -> Result[bool, text]: removes a file, or a directory and
// everything in it, never following a symlink (not even one swapped in while it runs: see
// remove_at). Refuses "/" and relative paths (it is meant for cleaning up temp dirs, and a
// relative path there is almost surely a mistake).
Value rt_path_remove_tree(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  if (p[0] != '/')
    return c.err(c.text("EINVAL: remove needs an absolute path, not a relative one: " + shown(p)));
  if (p.find_first_not_of('/') == std::string::npos)
    return c.err(c.text("EINVAL: refusing to remove /"));
  struct stat st;  // before trailing slashes go: "file/" is ENOTDIR, as for unlink
  if (lstat(p.c_str(), &st) != 0) return errno_err(c, errno, p);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  std::string parent = slash == 0 ? "/" : p.substr(0, slash);
  std::string name = p.substr(slash + 1);
  if (name == "." || name == "..") return c.fail("rt_path_remove_tree: refusing " + p);
  // The folder holding the tree is opened by path (the caller chose it); below it, nothing is.
  int pfd = open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0) return errno_err(c, errno, parent);
  std::string where = p;
  int e = remove_at(pfd, name, p, &where);
  close(pfd);
  if (e != 0) return errno_err(c, e, where);
  return c.ok(c.boolean(true));
}

// Writes all of data to fd; 0 or the errno of the failing write.
int write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += size_t(n);
  }
  return 0;
}

// The old way, for targets that cannot be replaced by a rename (FIFOs, devices such as
// /dev/null): open for writing, truncate, write.
Value write_in_place(NativeCall& c, const std::string& p, const std::string& data) {
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) return errno_err(c, errno, p);
  int e = write_all(fd, data);
  if (close(fd) != 0 && e == 0) e = errno;
  if (e != 0) return errno_err(c, e, p);
  return c.ok(c.integer(int64_t(data.size())));
}

// Where a write to p must land: p itself, or the file a symlink at p points to (so the link
// stays a link). *st is filled and *exists set when that file exists.
int resolve_target(const std::string& p, std::string* target, struct stat* st, bool* exists) {
  *target = p;
  *exists = false;
  if (lstat(p.c_str(), st) != 0) return errno == ENOENT ? 0 : errno;
  if (!S_ISLNK(st->st_mode)) {
    *exists = true;
    return 0;
  }
  if (char* r = realpath(p.c_str(), nullptr)) {
    *target = r;
    std::free(r);
    if (stat(target->c_str(), st) != 0) return errno;
    *exists = true;
    return 0;
  }
  if (errno != ENOENT) return errno;
  // A dangling link: create the file it names (relative to the link's folder).
  std::string link(PATH_MAX, '\0');
  ssize_t n = readlink(p.c_str(), link.data(), link.size());
  if (n < 0) return errno;
  link.resize(size_t(n));
  if (link.empty() || link[0] != '/') {
    size_t slash = p.rfind('/');
    link = (slash == std::string::npos ? std::string() : p.substr(0, slash + 1)) + link;
  }
  *target = link;
  return 0;
}

// A name for the temporary file next to target: ".NAME.spl-XXXXXXXXXXXXXXXX" (hex), with NAME
// cut so the whole stays within NAME_MAX.
std::string temp_name_for(const std::string& target) {
  size_t slash = target.rfind('/');
  std::string dir = slash == std::string::npos ? "" : target.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  if (base.size() > 200) base.resize(200);
  static std::atomic<uint64_t> counter{0};
  uint64_t r = 0;
  if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r) {
    r = uint64_t(getpid()) << 32 ^ uint64_t(time(nullptr)) ^
        counter.fetch_add(1) * 0x9e3779b97f4a7c15ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(r));
  return dir + "." + base + ".spl-" + hex;
}

// fsyncs the folder holding path, so a rename in it survives a crash. File systems that cannot
// sync a folder (EINVAL) are fine.
int sync_folder_of(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = fsync(fd) == 0 || errno == EINVAL ? 0 : errno;
  close(fd);
  return e;
}

// Replaces p with data atomically: a temporary file in the same folder is written, synced,
// given the target's permission bits (and owner, when running as root), then renamed over
// the target and the folder synced. If anything fails (a full disk, say), the temporary
// file is removed and the old file is untouched. A symlink at p stays a link: the file it
// points to is replaced. FIFOs and devices are written in place (they cannot be renamed
// over). A new file gets 0644 minus the umask. Ok(bytes written) or Err("ENAME: ...").
Value write_file(NativeCall& c, const std::string& p, const std::string& data) {
  std::string target;
  struct stat st;
  bool exists = false;
  if (int e = resolve_target(p, &target, &st, &exists)) return errno_err(c, e, p);
  if (exists && S_ISDIR(st.st_mode)) return errno_err(c, EISDIR, p);
  if (exists && !S_ISREG(st.st_mode)) return write_in_place(c, target, data);
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = temp_name_for(target);
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return errno_err(c, errno, p);
  }
  if (fd < 0) return errno_err(c, EEXIST, tmp);
  int e = write_all(fd, data);
  if (e == 0 && exists && fchmod(fd, st.st_mode & 07777) != 0) e = errno;
  if (e == 0 && exists && geteuid() == 0 && (st.st_uid != geteuid() || st.st_gid != getegid())) {
    if (fchown(fd, st.st_uid, st.st_gid) != 0) e = errno;
  }
  if (e == 0 && fsync(fd) != 0) e = errno;
  if (close(fd) != 0 && e == 0) e = errno;
  if (e == 0 && rename(tmp.c_str(), target.c_str()) != 0) e = errno;
  if (e != 0) {
    unlink(tmp.c_str());
    return errno_err(c, e, p);
  }
  if (int se = sync_folder_of(target)) return errno_err(c, se, p);
  return c.ok(c.integer(int64_t(data.size())));
}

// rt_path_write_text(path, content) -> Result[int bytes, text]: create or replace atomically
// (see write_file).
Value rt_path_write_text(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  std::string data = c.text_arg(1);
  if (c.failed()) return c.nil();
  return write_file(c, p, data);
}

// rt_path_write_bytes(path, [ints 0..255]) -> Result[int bytes, text]: for content a text
// literal cannot hold (invalid UTF-8).
Value rt_path_write_bytes(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  const Value& list = c.arg(1);
  if (!list.is(OK::Array))
    return c.fail("rt_path_write_bytes: argument 2 must be an array of bytes");
  std::string data;
  for (const Value& v : list.as<Array>()->items) {
    if (!v.is_int() || v.as_int() < 0 || v.as_int() > 255)
      return c.fail("rt_path_write_bytes: every element must be an int in 0..255");
    data.push_back(char(v.as_int()));
  }
  return write_file(c, p, data);
}

// rt_path_truncate(path, size) -> Result[bool, text].
Value rt_path_truncate(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  int64_t size = c.int_arg(1);
  if (c.failed()) return c.nil();
  if (size < 0) return c.fail("rt_path_truncate: size must not be negative");
  if (truncate(p.c_str(), off_t(size)) != 0) return errno_err(c, errno, p);
  return c.ok(c.boolean(true));
}

// rt_path_is_privileged() -> bool: running as root, which ignores file permissions.
Value rt_path_is_privileged(NativeCall& c) { return c.boolean(geteuid() == 0); }

// rt_path_isatty(fd) -> bool for fd 0, 1 or 2: tools draw progress only for people.
Value rt_path_isatty(NativeCall& c) {
  int64_t fd = c.int_arg(0);
  if (c.failed()) return c.nil();
  return c.boolean(fd >= 0 && fd <= 2 && isatty(int(fd)) == 1);
}

// rt_path_chmod(path, mode) -> Result[bool, text]; mode is the permission bits (e.g. 0o644).
Value rt_path_chmod(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  int64_t mode = c.int_arg(1);
  if (c.failed()) return c.nil();
  if (mode < 0 || mode > 07777) return c.fail("rt_path_chmod: mode out of range");
  if (chmod(p.c_str(), mode_t(mode)) != 0) return errno_err(c, errno, p);
  return c.ok(c.boolean(true));
}

// rt_path_mkdir(path) -> Result[bool, text] (mode 0755, parent must exist).
Value rt_path_mkdir(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  if (mkdir(p.c_str(), 0755) != 0) return errno_err(c, errno, p);
  return c.ok(c.boolean(true));
}

// rt_path_mkfifo(path) -> Result[bool, text] (mode 0644).
Value rt_path_mkfifo(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  if (mkfifo(p.c_str(), 0644) != 0) return errno_err(c, errno, p);
  return c.ok(c.boolean(true));
}

// rt_path_symlink(target, link_path) -> Result[bool, text].
Value rt_path_symlink(NativeCall& c) {
  std::string target, link;
  Value err;
  if (!path_arg(c, 0, target, err) || !path_arg(c, 1, link, err)) return err;
  if (symlink(target.c_str(), link.c_str()) != 0) return errno_err(c, errno, link);
  return c.ok(c.boolean(true));
}

// rt_path_chdir(path) -> Result[bool, text]: changes the process working directory.
Value rt_path_chdir(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  if (chdir(p.c_str()) != 0) return errno_err(c, errno, p);
  return c.ok(c.boolean(true));
}

// The names in directory `dir` (without "." and ".."), into *names; 0 or the errno.
int read_names(const std::string& dir, std::vector<std::string>* names) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return errno;
  for (;;) {
    errno = 0;
    struct dirent* ent = readdir(d);
    if (ent == nullptr) break;
    const char* n = ent->d_name;
    if (std::strcmp(n, ".") != 0 && std::strcmp(n, "..") != 0) names->push_back(n);
  }
  int e = errno;
  closedir(d);
  return e;
}

// rt_path_list_dir(path) -> Result[[names], text]: the entries of a folder, sorted by bytes,
// without "." and "..".
Value rt_path_list_dir(NativeCall& c) {
  std::string p;
  Value err;
  if (!path_arg(c, 0, p, err)) return err;
  std::vector<std::string> names;
  if (int e = read_names(p, &names)) return errno_err(c, e, p);
  std::sort(names.begin(), names.end());
  std::vector<Value> items;
  items.reserve(names.size());
  for (auto& n : names) items.push_back(c.text(std::move(n)));
  return c.ok(c.array(std::move(items)));
}

// One glob(dir, pattern) run: the pattern's components, matched one folder level at a time
// with fnmatch(3) (FNM_PERIOD: a leading dot must be matched by a dot), `**` as a whole
// component matching any number of folders. The matches are paths relative to the base.
class Glob {
 public:
  Glob(std::string base, const std::string& pattern) : base_(std::move(base)) {
    size_t start = 0;
    while (start <= pattern.size()) {
      size_t slash = pattern.find('/', start);
      if (slash == std::string::npos) slash = pattern.size();
      if (slash > start) parts_.push_back(pattern.substr(start, slash - start));
      start = slash + 1;
    }
    dirs_only_ = !pattern.empty() && pattern.back() == '/';
  }

  // 0, or the errno of the first folder that could not be read (*where names it).
  int run(std::vector<std::string>* out, std::string* where) {
    match("", 0);
    std::sort(found_.begin(), found_.end());
    found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
    *out = std::move(found_);
    *where = where_;
    return err_;
  }

 private:
  std::string full(const std::string& rel) const {
    if (rel.empty()) return base_;
    return base_.back() == '/' ? base_ + rel : base_ + "/" + rel;
  }
  static std::string join(const std::string& rel, const std::string& name) {
    return rel.empty() ? name : rel + "/" + name;
  }
  static bool has_magic(const std::string& part) {
    return part.find_first_of("*?[\\") != std::string::npos;
  }
  // What stat(2) says of rel: 1 a folder, 0 something else, -1 missing, -2 an error (recorded).
  int kind(const std::string& rel, bool follow) {
    struct stat st;
    std::string p = full(rel);
    if ((follow ? stat(p.c_str(), &st) : lstat(p.c_str(), &st)) != 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return -1;
      fail(errno, p);
      return -2;
    }
    return S_ISDIR(st.st_mode) ? 1 : 0;
  }
  void fail(int e, const std::string& p) {
    if (err_ == 0) {
      err_ = e;
      where_ = p;
    }
  }
  void add(const std::string& rel) {
    if (rel.empty()) return;
    if (dirs_only_ && kind(rel, true) != 1) return;
    found_.push_back(rel);
  }
  // The names in folder rel; false (after recording the error) when it cannot be read. A
  // folder that vanished or was replaced by a file since it was seen has no names.
  bool names_in(const std::string& rel, std::vector<std::string>* names) {
    int e = read_names(full(rel), names);
    if (e == 0 || e == ENOENT || e == ENOTDIR) return true;
    fail(e, full(rel));
    return false;
  }
  // Matches parts_[i..] inside folder rel.
  void match(const std::string& rel, size_t i) {
    if (err_ != 0) return;
    if (i == parts_.size()) return add(rel);
    const std::string& part = parts_[i];
    bool last = i + 1 == parts_.size();
    if (part == "**") return match_any_depth(rel, i);
    if (!has_magic(part)) {
      std::string next = join(rel, part);
      int k = kind(next, true);
      if (k >= 0 && (last || k == 1)) match(next, i + 1);
      return;
    }
    std::vector<std::string> names;
    if (!names_in(rel, &names)) return;
    for (const auto& n : names) {
      if (fnmatch(part.c_str(), n.c_str(), FNM_PERIOD) != 0) continue;
      std::string next = join(rel, n);
      if (last || kind(next, true) == 1) match(next, i + 1);
      if (err_ != 0) return;
    }
  }
  // `**` at parts_[i]: the rest of the pattern matched in rel and in every folder below it
  // (hidden folders and symlinks to folders are not entered, so no walk can loop). A final
  // `**` matches every entry below rel.
  void match_any_depth(const std::string& rel, size_t i) {
    bool last = i + 1 == parts_.size();
    if (!last) match(rel, i + 1);
    std::vector<std::string> names;
    if (!names_in(rel, &names)) return;
    for (const auto& n : names) {
      if (n[0] == '.') continue;
      std::string next = join(rel, n);
      int k = kind(next, false);
      if (k == -2) return;
      if (last && k >= 0) add(next);
      if (k == 1) match_any_depth(next, i);
      if (err_ != 0) return;
    }
  }

  std::string base_;
  std::vector<std::string> parts_;
  bool dirs_only_ = false;
  std::vector<std::string> found_;
  int err_ = 0;
  std::string where_;
};

// rt_path_glob(dir, pattern) -> Result[[paths], text]: the paths under folder dir that
// pattern matches, as dir + "/" + the relative path, sorted by bytes. pattern is relative
// (a leading '/' is EINVAL); its components go to fnmatch(3): `*`, `?`, `[...]`, `\` escapes;
// names starting with '.' only match a pattern that starts with '.'. A component `**` matches
// any number of folders (zero included); a trailing '/' keeps only folders. A folder that
// cannot be read is an error naming it (nothing is silently skipped); a missing dir too.
Value rt_path_glob(NativeCall& c) {
  std::string dir, pattern;
  Value err;
  if (!path_arg(c, 0, dir, err)) return err;
  pattern = c.text_arg(1);
  if (c.failed()) return c.nil();
  if (pattern.find('\0') != std::string::npos)
    return c.err(c.text("EINVAL: pattern contains a NUL byte: " + shown(pattern)));
  if (pattern.empty() || pattern.find_first_not_of('/') == std::string::npos)
    return c.err(c.text("EINVAL: the glob pattern is empty"));
  if (pattern[0] == '/')
    return c.err(
        c.text("EINVAL: the glob pattern must be relative to the folder: " + shown(pattern)));
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return errno_err(c, errno, dir);
  if (!S_ISDIR(st.st_mode)) return errno_err(c, ENOTDIR, dir);
  std::vector<std::string> found;
  std::string where;
  Glob g(dir, pattern);
  if (int e = g.run(&found, &where)) return errno_err(c, e, where);
  std::vector<Value> items;
  items.reserve(found.size());
  std::string prefix = dir.back() == '/' ? dir : dir + "/";
  for (auto& rel : found) items.push_back(c.text(prefix + rel));
  return c.ok(c.array(std::move(items)));
}

// Why setenv(3) would refuse name (empty, or holding '=' or a NUL byte), or "".
std::string env_name_problem(const std::string& name) {
  if (name.empty()) return "an environment variable name cannot be empty";
  if (name.find('=') != std::string::npos || name.find('\0') != std::string::npos)
    return "an environment variable name cannot hold '=' or a NUL byte: " + shown(name);
  return "";
}

// rt_path_env_get(name) -> Option[text]: the variable's value, None when it is not set (a
// name no variable can have, such as "A=B" or "", is never set).
Value rt_path_env_get(NativeCall& c) {
  std::string name = c.text_arg(0);
  if (c.failed()) return c.nil();
  if (!env_name_problem(name).empty()) return c.none();
  const char* v = std::getenv(name.c_str());
  return v ? c.some(c.text(v)) : c.none();
}

// rt_path_env_set(name, value) -> Result[bool, text]: sets (or replaces) the variable for this
// process and the processes it starts. Err("EINVAL: ...") for a name that is empty or holds
// '=' or a NUL byte, and for a value holding a NUL byte.
Value rt_path_env_set(NativeCall& c) {
  std::string name = c.text_arg(0);
  std::string value = c.text_arg(1);
  if (c.failed()) return c.nil();
  std::string problem = env_name_problem(name);
  if (!problem.empty()) return c.err(c.text("EINVAL: " + problem));
  if (value.find('\0') != std::string::npos)
    return c.err(
        c.text("EINVAL: an environment variable's value cannot hold a NUL byte: " + shown(name)));
  if (setenv(name.c_str(), value.c_str(), 1) != 0) return errno_err(c, errno, name);
  return c.ok(c.boolean(true));
}

// rt_path_env_unset(name) -> Result[bool, text]: removes the variable (not set: nothing to do).
Value rt_path_env_unset(NativeCall& c) {
  std::string name = c.text_arg(0);
  if (c.failed()) return c.nil();
  std::string problem = env_name_problem(name);
  if (!problem.empty()) return c.err(c.text("EINVAL: " + problem));
  if (unsetenv(name.c_str()) != 0) return errno_err(c, errno, name);
  return c.ok(c.boolean(true));
}

// rt_path_env_vars() -> [[name, value]]: every variable of the process, sorted by name.
Value rt_path_env_vars(NativeCall& c) {
  std::vector<std::pair<std::string, std::string>> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;  // not NAME=VALUE: not a variable getenv could find
    vars.emplace_back(std::string(*e, size_t(eq - *e)), std::string(eq + 1));
  }
  std::sort(vars.begin(), vars.end());
  std::vector<Value> items;
  items.reserve(vars.size());
  for (auto& [k, v] : vars) items.push_back(c.array({c.text(k), c.text(v)}));
  return c.array(std::move(items));
}

const NativeReg kPath[] = {
    {"rt_path_cwd", 0, 0, rt_path_cwd},
    {"rt_path_stat", 1, 1, rt_path_stat},
    {"rt_path_lstat", 1, 1, rt_path_lstat},
    {"rt_path_access", 2, 2, rt_path_access},
    {"rt_path_realpath", 1, 1, rt_path_realpath},
    {"rt_path_make_temp_dir", 1, 1, rt_path_make_temp_dir},
    {"rt_path_remove_tree", 1, 1, rt_path_remove_tree},
    {"rt_path_write_text", 2, 2, rt_path_write_text},
    {"rt_path_chmod", 2, 2, rt_path_chmod},
    {"rt_path_mkdir", 1, 1, rt_path_mkdir},
    {"rt_path_mkfifo", 1, 1, rt_path_mkfifo},
    {"rt_path_symlink", 2, 2, rt_path_symlink},
    {"rt_path_chdir", 1, 1, rt_path_chdir},
    {"rt_path_write_bytes", 2, 2, rt_path_write_bytes},
    {"rt_path_truncate", 2, 2, rt_path_truncate},
    {"rt_path_is_privileged", 0, 0, rt_path_is_privileged},
    {"rt_path_isatty", 1, 1, rt_path_isatty},
    {"rt_path_list_dir", 1, 1, rt_path_list_dir},
    {"rt_path_glob", 2, 2, rt_path_glob},
    {"rt_path_env_get", 1, 1, rt_path_env_get},
    {"rt_path_env_set", 2, 2, rt_path_env_set},
    {"rt_path_env_unset", 1, 1, rt_path_env_unset},
    {"rt_path_env_vars", 0, 0, rt_path_env_vars},
};

}  // namespace

SPL_NATIVE_MODULE(path, "path", kPath);

}  // namespace spl
