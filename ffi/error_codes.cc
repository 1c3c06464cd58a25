// Status -> error code translation and error names/messages (the only such table).
#include "ffi/error_codes.h"

#include <cstring>
#include <string>

#include "spl/file.h"

namespace spl::ffi {
namespace {

thread_local std::string tl_last_error;

int CodeFor(const rt::Status& s) {
  using rt::Code;
  switch (s.code()) {
    case Code::kOk:
      return 0;
    case Code::kNotFound:
      return s.sys_errno() != 0 ? -s.sys_errno() : SPL_ENOENT;
    case Code::kPermissionDenied:
      return s.sys_errno() != 0 ? -s.sys_errno() : SPL_EACCES;
    case Code::kIsDirectory:
      return SPL_EISDIR;
    case Code::kUnsupported:
      return SPL_EUNSUPPORTED;
    case Code::kInvalidArgument:
      return SPL_EINVAL;
    case Code::kOutOfBounds:
      return SPL_ERANGE;
    case Code::kAlreadyClosed:
      return SPL_ECLOSED;
    case Code::kTruncated:
      return SPL_ETRUNCATED;
    case Code::kTimedOut:
      return SPL_ETIMEDOUT;
    case Code::kCancelled:
      return SPL_ECANCELED;
    case Code::kInvalidUtf8:
      return SPL_EUTF8;
    case Code::kNotReady:
      return SPL_ENOTREADY;
    case Code::kNotWritable:
      return SPL_EREADONLY;
    case Code::kIoError:
      return s.sys_errno() != 0 ? -s.sys_errno() : SPL_EIO;
  }
  return SPL_EIO;
}

}  // namespace

int ToCode(const rt::Status& status) {
  if (status.ok()) return 0;
  tl_last_error = status.ToString();
  return CodeFor(status);
}

int Fail(int code, const char* message) {
  tl_last_error = message;
  return code;
}

void ClearLastError() { tl_last_error.clear(); }

}  // namespace spl::ffi

extern "C" {

const char* spl_err_name(int code) {
  switch (code) {
#define SPL_XX_(name, value, msg) \
  case (value):                   \
    return #name;
    SPL_ERRNO_MAP(SPL_XX_)
#undef SPL_XX_
    case 0:
      return "OK";
    default:
      return "UNKNOWN";
  }
}

const char* spl_strerror(int code) {
  switch (code) {
#define SPL_XX_(name, value, msg) \
  case (value):                   \
    return msg;
    SPL_ERRNO_MAP(SPL_XX_)
#undef SPL_XX_
    case 0:
      return "success";
    default:
      return code < 0 && code > -4000 ? strerrordesc_np(-code) : "unknown error";
  }
}

const char* spl_last_error(void) { return spl::ffi::tl_last_error.c_str(); }

}  // extern "C"
