// The `spl` binary's operator new: malloc, plus a huge-page advice for blocks of 16 MiB and
// more (the storage of big arrays, dicts and texts), given before their first touch so that
// filling them costs one page fault per 2 MiB instead of one per 4 KiB (see huge_pages.h).
// Smaller blocks, and everything in sanitizer builds (which replace malloc themselves), are
// plain malloc. operator delete is free, after giving back the pages of a big block in the
// malloc heap (release_heap_block, huge_pages.h). Linked into the `spl` executable only: the
// libraries and test programs keep the standard operator new and delete.
#include <cstdlib>
#include <new>

#include "huge_pages.h"

#if !defined(SPL_SANITIZED)

namespace {

// Below this a block holds few whole aligned huge pages (none below 2 MiB), and the memory a
// part-used huge page adds to peak memory outweighs the faults saved (measured: text bench).
constexpr std::size_t kAdviseFrom = std::size_t(16) << 20;

void* big_alloc(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  if (n >= kAdviseFrom) spl::advise_huge_pages(p, n);
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return big_alloc(n); }
void* operator new[](std::size_t n) { return big_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return big_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return big_alloc(n);
  } catch (...) {
    return nullptr;
  }
}

void operator delete(void* p) noexcept {
  spl::release_heap_block(p);
  std::free(p);
}
void operator delete[](void* p) noexcept {
  spl::release_heap_block(p);
  std::free(p);
}
// (Sized: most deletes are of small blocks, told apart without reading the block's header.)
void operator delete(void* p, std::size_t n) noexcept {
  if (n >= spl::kReleaseFrom) spl::release_heap_block(p);
  std::free(p);
}
void operator delete[](void* p, std::size_t n) noexcept {
  if (n >= spl::kReleaseFrom) spl::release_heap_block(p);
  std::free(p);
}

#endif
