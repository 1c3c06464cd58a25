// Transparent huge pages (see huge_pages.h).
#include "huge_pages.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace spl {

namespace {

bool read_enabled() {
  if (const char* e = std::getenv("SPL_HUGE_PAGES"); e && std::strcmp(e, "0") == 0) return false;
  std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
  if (!f) return false;
  char buf[128] = {0};
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  // The selected mode is the bracketed one: "always [madvise] never".
  return std::strstr(buf, "[always]") || std::strstr(buf, "[madvise]");
}

}  // namespace

bool huge_pages_enabled() {
  static const bool enabled = read_enabled();
  return enabled;
}

namespace {
// The advised heap starts here (0: not advised); it ends at the program break.
[[maybe_unused]] uintptr_t g_heap_start = 0;  // (unused in sanitizer builds)
// The part of the heap given the advice (the heap grows past it without it).
[[maybe_unused]] uintptr_t g_advised_from = 0, g_advised_to = 0;

// Gives `advice` to the whole `align`-byte pages inside [begin, end).
void advise_inside(uintptr_t begin, uintptr_t end, uintptr_t align, int advice) {
  const uintptr_t from = (begin + align - 1) & ~(align - 1);
  const uintptr_t to = end & ~(align - 1);
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, advice);
}
constexpr uintptr_t kPageBytes = 4096;
}  // namespace

void advise_malloc_heap() {
#ifndef SPL_SANITIZED
  if (!huge_pages_enabled()) return;
  // Measured on this project's VM: a first touch of a 4 KiB page costs 11-14 us (a
  // paravirtualised guest), a program using cli and file touched 400 heap pages while
  // starting, and wc.spl over 10,000 files took 1,900 page faults: 15-23% of its CPU time.
  // brk grows the heap's last mapping, and a mapping advised for huge pages is not extended
  // by a brk that was not (the flags differ): so the heap is made to grow once by 16 MiB now,
  // advised from the first 2 MiB boundary of its free top on, and glibc keeps 16 MiB free at
  // the top from then on (it trims down to M_TOP_PAD), so that part stays advised.
  // (16 MiB: a larger free top made the text benchmark's peak memory grow past CPython's,
  // 68-71 MB against 65.9 with 32 MiB, as the huge pages its heap touched stayed resident.)
  constexpr size_t kPad = size_t(16) << 20;
  constexpr int kDefaultTopPad = 128 * 1024;  // glibc's (mallopt(3))
  if (mallopt(M_TOP_PAD, static_cast<int>(kPad)) != 1) return;
  // (The spacer below, up to 2 MiB, must come from the heap, not from a mapping of its own:
  // the caller sets its own threshold afterwards.)
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  void* volatile grow = std::malloc(512 << 10);  // (volatile: not elided with its free)
  std::free(grow);
  const struct mallinfo2 mi = mallinfo2();
  const uintptr_t top = reinterpret_cast<uintptr_t>(sbrk(0));
  const uintptr_t top_chunk = top - mi.keepcost;  // the free top of the heap starts here
  const uintptr_t aligned = (top_chunk + 64 + kHugePageBytes - 1) & ~uintptr_t(kHugePageBytes - 1);
  if (mi.keepcost < kPad || aligned + kHugePageBytes > top) {
    mallopt(M_TOP_PAD, kDefaultTopPad);  // the heap could not grow: leave it as it was
  } else {
    // A block that is never freed and never touched past its header takes the heap up to the
    // boundary, so what the program allocates next starts on huge pages.
    void* spacer = std::malloc(aligned - top_chunk - 2 * sizeof(size_t));
    (void)spacer;
    ::madvise(reinterpret_cast<void*>(aligned), top - aligned, MADV_HUGEPAGE);
    g_heap_start = top - mi.arena;
    g_advised_from = aligned;
    g_advised_to = top;
  }
#endif
}

void populate_for_write(void* p, size_t n) noexcept {
#ifdef MADV_POPULATE_WRITE
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  advise_inside(a, a + n, kPageBytes, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)n;
#endif
}

void release_heap_block(void* p) noexcept {
#ifndef SPL_SANITIZED
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (g_heap_start == 0 || a < g_heap_start) return;
  const size_t n = malloc_usable_size(p);  // (reads the block's header)
  if (n < kReleaseFrom) return;
  const uintptr_t brk = reinterpret_cast<uintptr_t>(sbrk(0));  // (glibc keeps it: no call)
  if (a >= brk) return;
  // Past free()'s bookkeeping at the start of the block (list links); the pages after it
  // read as zeros if touched again, which malloc does not rely on for a freed block.
  advise_inside(a + 64, a + n, kPageBytes, MADV_DONTNEED);
  // The huge pages the block overlapped keep few pages present (its header, which free()
  // writes next, and its neighbours'), and khugepaged fills such a huge page back to 2 MiB
  // whenever it scans the process (by default, any with one page present): the words
  // benchmark's peak memory was 3-6 MB higher in one run of 15 or 20 (every run when
  // khugepaged scans every 50 ms). Those huge pages are no longer advised, which keeps them
  // as they are; the rest of the heap keeps its advice.
  // (Only inside the advised part: elsewhere there is nothing to take back, and each call
  // splits the heap's mapping where the flags change.)
  const uintptr_t from = std::max(a & ~(kHugePageBytes - 1), g_advised_from);
  const uintptr_t heap_end = (brk + kPageBytes - 1) & ~(kPageBytes - 1);
  const uintptr_t to =
      std::min({(a + n + kHugePageBytes - 1) & ~(kHugePageBytes - 1), g_advised_to, heap_end});
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_NOHUGEPAGE);
#else
  (void)p;
#endif
}

void advise_huge_pages(void* p, size_t n) {
  if (!huge_pages_enabled()) return;
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  advise_inside(a, a + n, kHugePageBytes, MADV_HUGEPAGE);
}

void* map_huge_block(size_t n, bool huge) {
  // Map one huge page more than needed and trim both ends to the 2 MiB boundaries.
  size_t span = n + kHugePageBytes;
  void* m = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  uintptr_t base = reinterpret_cast<uintptr_t>(m);
  uintptr_t aligned = (base + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (aligned > base) ::munmap(m, aligned - base);
  uintptr_t tail = aligned + n;
  if (base + span > tail) ::munmap(reinterpret_cast<void*>(tail), base + span - tail);
  void* p = reinterpret_cast<void*>(aligned);
  if (huge && huge_pages_enabled()) ::madvise(p, n, MADV_HUGEPAGE);
  return p;
}

void unmap_huge_block(void* p, size_t n) { ::munmap(p, n); }

}  // namespace spl
