// Prefault: bring a mapped range into memory and the page tables before anyone reads it, so
// later access does not stall. MADV_POPULATE_READ (Linux 5.14+) maps the pages in the kernel;
// then, when `touch` is set, one read per page. The read matters on virtual machines with
// nested paging (such as the CI machines): there the first user access to each page of a new
// mapping costs ~2 us even after MADV_POPULATE_READ (measured: docs/benchmarks.md), and only a
// real access pays it in advance. On bare metal the extra reads are cheap (pages are mapped).
// Without MADV_POPULATE_READ: MADV_WILLNEED plus the reads. Never MAP_POPULATE.
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
Status PrefaultMapped(const uint8_t* p, size_t n, const std::string& path, bool touch,
                      PrefaultMethod* used);

// For tests: forget whether MADV_POPULATE_READ works, or force the fallback.
void PrefaultForceTouchFallback(bool force);

}  // namespace spl::rt
