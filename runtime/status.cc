// Status helpers: errno classification and the one-line human message.
#include "runtime/status.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace spl::rt {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not found";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kIsDirectory:
      return "is a directory";
    case Code::kUnsupported:
      return "unsupported file kind";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kOutOfBounds:
      return "out of bounds";
    case Code::kAlreadyClosed:
      return "already closed";
    case Code::kTruncated:
      return "file truncated while mapped";
    case Code::kTimedOut:
      return "timed out";
    case Code::kCancelled:
      return "cancelled";
    case Code::kInvalidUtf8:
      return "invalid UTF-8";
    case Code::kNotReady:
      return "not ready";
    case Code::kNotWritable:
      return "region is not writable";
    case Code::kIoError:
      return "I/O error";
    case Code::kOutOfMemory:
      return "out of memory";
    case Code::kTooLarge:
      return "too large";
  }
  return "unknown error";
}

std::string DisplayPath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) {
      out += "\\0";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  // Very long paths (thousands of bytes) keep their start and end, which tell most.
  constexpr size_t kMax = 200, kKeep = 96;
  if (out.size() > kMax) {
    auto continuation = [&](size_t i) {
      return (static_cast<unsigned char>(out[i]) & 0xC0) == 0x80;
    };
    size_t head = kKeep, tail = out.size() - kKeep;
    while (head > 0 && continuation(head)) --head;
    while (tail < out.size() && continuation(tail)) ++tail;
    out = out.substr(0, head) + "..." + out.substr(tail);
  }
  return out;
}

Status Status::FromErrno(int err, std::string path, std::string_view what) {
  Code code;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = Code::kNotFound;
      break;
    case EACCES:
    case EPERM:
      code = Code::kPermissionDenied;
      break;
    case EISDIR:
      code = Code::kIsDirectory;
      break;
    case ENODEV:
    case ENXIO:
      code = Code::kUnsupported;
      break;
    case EINVAL:
      code = Code::kInvalidArgument;
      break;
    case ENOMEM:
      // "out of memory mapping PATH": the detail is what was being done, not strerror.
      return Error(Code::kOutOfMemory, std::move(path),
                   what == "mmap"   ? "mapping"
                   : what == "read" ? "reading"
                   : what == "open" ? "opening"
                                    : fmt::format("in {}", what),
                   err);
    default:
      code = Code::kIoError;
      break;
  }
  std::string detail = fmt::format("{}: {}", what, std::strerror(err));
  return Error(code, std::move(path), std::move(detail), err);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (code_ == Code::kOutOfMemory) {
    // "out of memory mapping /big.log", "out of memory starting loader threads"
    std::string out = CodeName(code_);
    if (!detail_.empty()) out += " " + detail_;
    if (!path_.empty()) out += (detail_.empty() ? ": " : " ") + DisplayPath(path_);
    return out;
  }
  std::string out = CodeName(code_);
  if (offset_) out += fmt::format(" at byte {}", *offset_);
  if (!path_.empty()) out += fmt::format(": {}", DisplayPath(path_));
  if (!detail_.empty() &&
      (code_ == Code::kIoError || code_ == Code::kUnsupported || code_ == Code::kInvalidArgument ||
       code_ == Code::kOutOfBounds || code_ == Code::kTruncated || code_ == Code::kNotWritable ||
       code_ == Code::kTooLarge)) {
    out += fmt::format(" ({})", detail_);
  }
  return out;
}

}  // namespace spl::rt
