// Status and Result<T>: how the C++ runtime reports errors (LevelDB style, no exceptions).
// A Status is a code plus the errno that caused it (if any), the path or offset it concerns,
// and a human-readable detail. It does not map to C ABI codes: ffi/error_codes.cc does that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace spl::rt {

enum class Code : uint8_t {
  kOk = 0,
  kNotFound,          // ENOENT, dangling symlink
  kPermissionDenied,  // EACCES, EPERM
  kIsDirectory,       // path is a directory
  kUnsupported,       // FIFO, socket, device: not loadable
  kInvalidArgument,   // bad offset/length/mode combination
  kOutOfBounds,       // range outside the region
  kAlreadyClosed,     // region closed or handle stale
  kTruncated,         // file shrank under a mapping (SIGBUS in a guarded section)
  kTimedOut,          // wait ran out of time
  kCancelled,         // load cancelled
  kInvalidUtf8,       // validation failed at offset()
  kNotReady,          // result asked for before the load finished
  kNotWritable,       // write or flush on a region whose mode does not allow it
  kIoError,           // any other system error (errno kept)
  kOutOfMemory,       // ENOMEM: memory, address space or threads ran out; detail says doing what
  kTooLarge,          // more bytes than the read limit from a file read to EOF
};

const char* CodeName(Code code);

// A path as messages show it, on one line: NUL and other control bytes escaped ("\0", "\n",
// "\x1b"), so a path that cannot be opened still reads as what it is; one longer than 200
// bytes is shortened in the middle to its first and last 96 bytes around "...".
std::string DisplayPath(std::string_view path);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(Code code, std::string path = {}, std::string detail = {},
                      int sys_errno = 0) {
    Status s;
    s.code_ = code;
    s.path_ = std::move(path);
    s.detail_ = std::move(detail);
    s.errno_ = sys_errno;
    return s;
  }
  // Maps an errno from a system call on `path` to the right code.
  static Status FromErrno(int err, std::string path, std::string_view what);
  static Status AtOffset(Code code, uint64_t offset, std::string path = {}) {
    Status s = Error(code, std::move(path));
    s.offset_ = offset;
    return s;
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& path() const { return path_; }
  const std::string& detail() const { return detail_; }
  std::optional<uint64_t> offset() const { return offset_; }
  // One readable line: "permission denied: /etc/shadow".
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  int errno_ = 0;
  std::optional<uint64_t> offset_;
  std::string path_;
  std::string detail_;
};

// Result<T>: a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<1>(v_);
  }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace spl::rt
