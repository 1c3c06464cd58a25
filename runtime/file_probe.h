// FileProbe: opens a path safely (O_CLOEXEC, O_NONBLOCK so a FIFO never blocks, O_NOCTTY),
// fstats the open descriptor (no stat-then-open race) and classifies what it found; or
// classifies a descriptor the host already has open (standard input).
// It does not map or read the file: strategy.h decides that.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "runtime/status.h"

namespace spl::rt {

// Owns one file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset();

 private:
  int fd_ = -1;
};

enum class FileKind : uint8_t {
  kRegular,
  kPseudo,  // regular file reporting size 0 on procfs/sysfs-like file systems: read to EOF
  kDirectory,
  kFifo,
  kSocket,
  kCharDevice,
  kBlockDevice,
  kOther,
};
const char* FileKindName(FileKind kind);

// What a file was when it was opened; a region compares it later to answer is_stale().
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct ProbedFile {
  Fd fd;
  FileKind kind = FileKind::kOther;
  FileIdentity identity;
  std::string path;
};

struct ProbeOptions {
  bool writable = false;  // open O_RDWR (needed for ReadWrite mappings)
  bool nofollow = false;  // refuse a symlink as the last path component
};

// Opens and classifies `path`. Directories and special files are returned with their kind
// (not as errors), so the caller decides; open/fstat failures are errors naming the path.
Result<ProbedFile> ProbeFile(const std::string& path, const ProbeOptions& options);

// Classifies an already open descriptor (a duplicate of fd, close-on-exec, which the result
// owns; the caller keeps fd): standard input or any descriptor a host hands over. `name` is
// what messages call it ("-" for standard input). A descriptor that is not open is an
// IoError ("standard input is not open").
Result<ProbedFile> ProbeFd(int fd, const std::string& name);

// Fills file->kind and file->identity from fstat of file->fd.
Status Classify(ProbedFile* file);

// Identity of whatever is at `path` now (stat, following symlinks).
Result<FileIdentity> IdentityOfPath(const std::string& path);

}  // namespace spl::rt
