// FileProbe implementation: open, fstat, classify (see file_probe.h).
#include "runtime/file_probe.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>

namespace spl::rt {
namespace {

constexpr long kProcSuperMagic = 0x9fa0;
constexpr long kSysfsMagic = 0x62656572;
constexpr long kDebugfsMagic = 0x64626720;
constexpr long kTracefsMagic = 0x74726163;

FileIdentity IdentityOf(const struct stat& st) {
  FileIdentity id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  id.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return id;
}

bool OnPseudoFs(int fd) {
  struct statfs sfs;
  if (fstatfs(fd, &sfs) != 0) return false;
  long t = static_cast<long>(sfs.f_type);
  return t == kProcSuperMagic || t == kSysfsMagic || t == kDebugfsMagic || t == kTracefsMagic;
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.release();
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

const char* FileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::kRegular:
      return "regular file";
    case FileKind::kPseudo:
      return "pseudo file";
    case FileKind::kDirectory:
      return "directory";
    case FileKind::kFifo:
      return "FIFO";
    case FileKind::kSocket:
      return "socket";
    case FileKind::kCharDevice:
      return "character device";
    case FileKind::kBlockDevice:
      return "block device";
    case FileKind::kOther:
      return "special file";
  }
  return "special file";
}

Result<ProbedFile> ProbeFile(const std::string& path, const ProbeOptions& options) {
  if (path.empty()) return Status::Error(Code::kNotFound, path, "empty path");
  int flags = O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (options.writable ? O_RDWR : O_RDONLY);
  if (options.nofollow) flags |= O_NOFOLLOW;
  int raw;
  do {
    raw = ::open(path.c_str(), flags);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) {
    int err = errno;
    if (err == EISDIR) return Status::Error(Code::kIsDirectory, path);
    if (err == ENXIO) {
      // A FIFO opened for writing with no reader, or a socket: not a loadable file.
      return Status::Error(Code::kUnsupported, path, "not a regular file", err);
    }
    if (err == ELOOP && options.nofollow) {
      return Status::Error(Code::kPermissionDenied, path, "symlink refused (nofollow)", err);
    }
    return Status::FromErrno(err, path, "open");
  }
  ProbedFile out;
  out.fd = Fd(raw);
  out.path = path;
  if (Status s = Classify(&out); !s.ok()) return s;
  if (out.kind == FileKind::kPseudo) {
    // Back to blocking reads (O_NONBLOCK only served the open): some pseudo files honour it.
    // Regular files ignore O_NONBLOCK for read and mmap, so they keep it (two system calls
    // fewer per file, which counts with thousands of small files).
    int fl = ::fcntl(raw, F_GETFL);
    if (fl >= 0) ::fcntl(raw, F_SETFL, fl & ~O_NONBLOCK);
  }
  return out;
}

Result<ProbedFile> ProbeFd(int fd, const std::string& name) {
  int raw = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (raw < 0) {
    int err = errno;
    if (err == EBADF) {
      return Status::Error(Code::kIoError, name,
                           fd == 0 ? std::string("standard input is not open")
                                   : fmt::format("descriptor {} is not open", fd),
                           err);
    }
    return Status::FromErrno(err, name, "dup");
  }
  ProbedFile out;
  out.fd = Fd(raw);
  out.path = name;
  if (Status s = Classify(&out); !s.ok()) return s;
  return out;
}

Status Classify(ProbedFile* file) {
  const int raw = file->fd.get();
  ProbedFile& out = *file;
  const std::string& path = out.path;
  struct stat st;
  if (::fstat(raw, &st) != 0) return Status::FromErrno(errno, path, "fstat");
  out.identity = IdentityOf(st);
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      out.kind = (st.st_size == 0 && OnPseudoFs(raw)) ? FileKind::kPseudo : FileKind::kRegular;
      break;
    case S_IFDIR:
      out.kind = FileKind::kDirectory;
      break;
    case S_IFIFO:
      out.kind = FileKind::kFifo;
      break;
    case S_IFSOCK:
      out.kind = FileKind::kSocket;
      break;
    case S_IFCHR:
      out.kind = FileKind::kCharDevice;
      break;
    case S_IFBLK:
      out.kind = FileKind::kBlockDevice;
      break;
    default:
      out.kind = FileKind::kOther;
      break;
  }
  return Status::Ok();
}

Result<FileIdentity> IdentityOfPath(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, path, "stat");
  return IdentityOf(st);
}

}  // namespace spl::rt
