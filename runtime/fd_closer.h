// FdCloser: closes read-only descriptors on a background thread, in batches. A load finished
// on the program's thread (a small cached file read at submission) has copied its data out
// and needs its descriptor no more; closing 10,000 such descriptors took about 15% of the
// time to open, stat and read the files, which the program's thread then does not pay.
// Only for descriptors whose closing nothing waits on (no writes to flush, no locks): the
// caller hands the descriptor over and forgets it. Does not open, read or map anything.
#pragma once

#include <cstddef>

#include "runtime/file_probe.h"

namespace spl::rt {

// The first kCloseBatch descriptors handed over are closed at once (a program that opens a
// few files starts no thread). Later ones are closed when kCloseBatch of them are waiting (32
// measured 0.964x against inline closing, 128 0.940x), or kCloseLingerMs after the first of a
// smaller group was handed over. At most CloseMaxPending() wait or are being closed (past that,
// while the thread is behind, they are closed inline): a quarter of the process's descriptor limit,
// at most kCloseMaxPending, so the program's own opens never run out because of them.
inline constexpr size_t kCloseBatch = 128;
inline constexpr int kCloseLingerMs = 10;
inline constexpr size_t kCloseMaxPending = 1024;
size_t CloseMaxPending() noexcept;

// Closes fd soon on the closer thread, or now when that thread or its queue cannot be had.
// Never fails.
void CloseSoon(Fd fd) noexcept;
// Closes every descriptor handed over so far before returning (tests, shutdown).
void CloseDrain() noexcept;
// How many descriptors are handed over and not closed yet (tests).
size_t ClosePending() noexcept;
// How many descriptors were ever queued for the thread (not closed inline; tests).
size_t CloseDeferredCount() noexcept;

}  // namespace spl::rt
