// The one place where runtime Status values become C ABI error codes (see spl/file.h).
// Also keeps the per-thread "last error" message, and turns C++ exceptions into codes so
// that none ever crosses the C ABI. Does not define the codes: the header does.
#pragma once

#include "runtime/status.h"

namespace spl::ffi {

// 0 for ok; a negative SPL_E* code otherwise. Records the message for spl_last_error().
int ToCode(const rt::Status& status) noexcept;
// Records a message for a failure that has no Status (bad arguments, stale handle).
int Fail(int code, const char* message) noexcept;
// Inside a catch block: the code for the exception being handled (SPL_ENOMEM for bad_alloc
// and for threads the system refuses, SPL_EIO otherwise), with its message recorded.
int FailFromException() noexcept;
void ClearLastError() noexcept;

// Runs f (which returns an int code) so that no C++ exception escapes: every spl_ function
// body goes through this.
template <typename F>
int Guarded(F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return FailFromException();
  }
}

}  // namespace spl::ffi
