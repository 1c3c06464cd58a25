// Status -> error code translation and error names/messages (the only such table).
#include "ffi/error_codes.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <system_error>

#include "spl/file.h"

namespace spl::ffi {
namespace {

// The last failure's message on this thread. A fixed buffer, so recording an error never
// allocates (and never throws) even when memory has run out; longer messages are cut.
constexpr size_t kLastErrorCap = 4096;
thread_local char tl_last_error[kLastErrorCap] = "";

void SetLastError(std::string_view message) noexcept {
  size_t n = std::min(message.size(), kLastErrorCap - 1);
  // Do not cut a UTF-8 sequence in half: back up to the start of the character.
  if (n < message.size()) {
    while (n > 0 && (static_cast<unsigned char>(message[n]) & 0xC0) == 0x80) --n;
  }
  std::memcpy(tl_last_error, message.data(), n);
  tl_last_error[n] = '\0';
}

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
    case Code::kOutOfMemory:
      return SPL_ENOMEM;
    case Code::kTooLarge:
      return SPL_EFBIG;
  }
  return SPL_EIO;
}

}  // namespace

int ToCode(const rt::Status& status) noexcept {
  if (status.ok()) return 0;
  try {
    SetLastError(status.ToString());
  } catch (...) {  // no memory for the message: the code's name is all we can say
    SetLastError(rt::CodeName(status.code()));
  }
  return CodeFor(status);
}

int Fail(int code, const char* message) noexcept {
  SetLastError(message != nullptr ? message : "");
  return code;
}

int FailFromException() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return Fail(SPL_ENOMEM, "out of memory");
  } catch (const std::system_error& e) {
    // Thread creation reports EAGAIN when the system refuses more threads (memory, limits).
    const std::error_code& ec = e.code();
    bool memory =
        ec == std::errc::not_enough_memory || ec == std::errc::resource_unavailable_try_again;
    char buf[512];
    std::snprintf(buf, sizeof buf, "%s: %s", memory ? "out of memory" : "system error", e.what());
    return Fail(memory ? SPL_ENOMEM : SPL_EIO, buf);
  } catch (const std::exception& e) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "internal error: %s", e.what());
    return Fail(SPL_EIO, buf);
  } catch (...) {
    return Fail(SPL_EIO, "internal error: unknown exception");
  }
}

void ClearLastError() noexcept { tl_last_error[0] = '\0'; }

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

const char* spl_last_error(void) { return spl::ffi::tl_last_error; }

}  // extern "C"
