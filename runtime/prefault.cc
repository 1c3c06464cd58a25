// Prefault implementation (see prefault.h).
#include "runtime/prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "runtime/guard.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace spl::rt {
namespace {

// 1 = unknown, 2 = works, 0 = not supported by this kernel.
std::atomic<int> g_populate_state{1};
std::atomic<bool> g_force_touch{false};

Status TouchPages(const uint8_t* p, size_t n, const std::string& path) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  volatile uint8_t sink = 0;
  return guard::Run(path, [&] {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i += page) acc ^= p[i];
    if (n > 0) acc ^= p[n - 1];
    sink = acc;
  });
}

}  // namespace

void PrefaultForceTouchFallback(bool force) { g_force_touch.store(force); }

Status PrefaultMapped(const uint8_t* p, size_t n, const std::string& path, bool touch,
                      PrefaultMethod* used) {
  if (n == 0) {
    if (used) *used = PrefaultMethod::kNone;
    return Status::Ok();
  }
  if (!g_force_touch.load(std::memory_order_relaxed) &&
      g_populate_state.load(std::memory_order_relaxed) != 0) {
    int rc;
    do {
      rc = ::madvise(const_cast<uint8_t*>(p), n, MADV_POPULATE_READ);
    } while (rc != 0 && (errno == EINTR || errno == EAGAIN));
    if (rc == 0) {
      g_populate_state.store(2, std::memory_order_relaxed);
      if (used) *used = touch ? PrefaultMethod::kPopulateAndTouch : PrefaultMethod::kPopulateRead;
      return touch ? TouchPages(p, n, path) : Status::Ok();
    }
    if (errno == EFAULT) {
      // The kernel says a SIGBUS would have been raised: the file is shorter than the mapping.
      return Status::Error(Code::kTruncated, path, "file shorter than its mapping", EFAULT);
    }
    if (errno == EINVAL) g_populate_state.store(0, std::memory_order_relaxed);
    // ENOMEM, EPERM, EHWPOISON or unsupported: fall back to touching.
  }
  ::madvise(const_cast<uint8_t*>(p), n, MADV_WILLNEED);
  if (used) *used = PrefaultMethod::kTouch;
  return TouchPages(p, n, path);
}

}  // namespace spl::rt
