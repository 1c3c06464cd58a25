// The one place where runtime Status values become C ABI error codes (see spl/file.h).
// Also keeps the per-thread "last error" message. Does not define the codes: the header does.
#pragma once

#include "runtime/status.h"

namespace spl::ffi {

// 0 for ok; a negative SPL_E* code otherwise. Records the message for spl_last_error().
int ToCode(const rt::Status& status);
// Records a message for a failure that has no Status (bad arguments, stale handle).
int Fail(int code, const char* message);
void ClearLastError();

}  // namespace spl::ffi
