// Prefault: bring a mapped range into the page tables before anyone reads it, so later access
// does not stall on page faults. Uses MADV_POPULATE_READ (Linux 5.14+) and falls back to
// MADV_WILLNEED plus one read per page when the kernel lacks it. Never MAP_POPULATE.
// Callers chunk the work (loader.h) so it can be cancelled and run on several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/region.h"
#include "runtime/status.h"

namespace spl::rt {

// Prefaults [p, p+n); p must be page-aligned. A file shorter than the mapping gives
// Truncated naming `path`.
Status PrefaultMapped(const uint8_t* p, size_t n, const std::string& path, PrefaultMethod* used);

// For tests: forget whether MADV_POPULATE_READ works, or force the fallback.
void PrefaultForceTouchFallback(bool force);

}  // namespace spl::rt
