// Transparent huge pages (see huge_pages.h).
#include "huge_pages.h"

#include <sys/mman.h>

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

void advise_huge_pages(void* p, size_t n) {
  if (!huge_pages_enabled()) return;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kHugePageBytes - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
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
