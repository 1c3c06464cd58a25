// The object heap (see obj_heap.h).
#include "obj_heap.h"

#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "huge_pages.h"

namespace spl {

namespace {

struct LargeHeader {  // before every large (or, in sanitizer builds, every) object
  LargeHeader* prev;
  LargeHeader* next;
  size_t bytes;
  size_t pad;  // keeps objects 16-byte aligned
};
static_assert(sizeof(LargeHeader) % 16 == 0);

LargeHeader g_large{&g_large, &g_large, 0, 0};

void* large_alloc(size_t bytes) {
  // (operator new, like every other allocation: a replaced one, as the run fuzz target's
  // memory budget is, sees the whole heap)
  auto* h = static_cast<LargeHeader*>(::operator new(sizeof(LargeHeader) + bytes));
  h->bytes = bytes;
  h->next = g_large.next;
  h->prev = &g_large;
  g_large.next->prev = h;
  g_large.next = h;
  return h + 1;
}

void large_release(void* p) {
  LargeHeader* h = static_cast<LargeHeader*>(p) - 1;
  h->prev->next = h->next;
  h->next->prev = h->prev;
  ::operator delete(h);
}

#if !defined(SPL_SANITIZED)
using obj_heap_detail::class_of;
using obj_heap_detail::FreeSlot;
using obj_heap_detail::g_free;
using obj_heap_detail::kClasses;
using obj_heap_detail::kGranule;
constexpr size_t kChunkBytes = 64 * 1024;

struct SizeClass {
  char* bump = nullptr;  // next never-used slot of the newest chunk
  char* end = nullptr;
  std::vector<char*> chunks;
};

SizeClass g_classes[kClasses];

// Chunks are carved from blocks of 2 MiB mapped fresh (so zero-filled: never-used slots read
// as free, and pages never touched cost nothing). The first block has ordinary pages, so
// small programs stay small; the blocks after it are advised for huge pages, which saves a
// page fault per 4 KiB when a program builds many objects (see huge_pages.h).
constexpr size_t kBlockBytes = kHugePageBytes;
std::vector<char*> g_blocks;
char* g_block_next = nullptr;
char* g_block_end = nullptr;

char* new_chunk() {
  if (g_block_next == g_block_end) {
    g_blocks.reserve(g_blocks.size() + 1);  // (first: the push below cannot fail then)
    void* b = map_huge_block(kBlockBytes, !g_blocks.empty());
    if (!b) throw std::bad_alloc();
    g_blocks.push_back(static_cast<char*>(b));
    g_block_next = static_cast<char*>(b);
    g_block_end = g_block_next + kBlockBytes;
  }
  char* chunk = g_block_next;
  g_block_next += kChunkBytes;
  return chunk;
}

// A slot of class `cls` from the newest chunk (a new chunk when it is used up); the free
// list was empty.
void* small_alloc_fresh(size_t cls) {
  SizeClass& c = g_classes[cls];
  size_t slot = (cls + 1) * kGranule;
  if (!c.bump || c.bump + slot > c.end) {
    c.chunks.reserve(c.chunks.size() + 1);  // (first: the push below cannot fail then)
    char* chunk = new_chunk();
    c.chunks.push_back(chunk);
    c.bump = chunk;
    c.end = chunk + kChunkBytes;
  }
  void* p = c.bump;
  c.bump += slot;
  return p;
}
#endif

}  // namespace

namespace obj_heap_detail {

FreeSlot* g_free[kClasses];
size_t g_live = 0;

void* alloc_slow(size_t bytes) {
  void* p;
#if defined(SPL_SANITIZED)
  p = large_alloc(bytes);
#else
  p = bytes <= obj_heap_detail::kMaxSmall ? small_alloc_fresh(class_of(bytes)) : large_alloc(bytes);
#endif
  g_live++;
  return p;
}

void release_slow(void* p, size_t) {
  g_live--;
  large_release(p);
}

}  // namespace obj_heap_detail

size_t obj_heap_live() { return obj_heap_detail::g_live; }

void obj_heap_each(const std::function<void(void*)>& fn) {
#if !defined(SPL_SANITIZED)
  for (size_t cls = 0; cls < kClasses; cls++) {
    SizeClass& c = g_classes[cls];
    size_t slot = (cls + 1) * kGranule;
    for (char* chunk : c.chunks) {
      char* end = chunk == c.chunks.back() ? c.bump : chunk + kChunkBytes - kChunkBytes % slot;
      for (char* s = chunk; s + slot <= end; s += slot)
        if (*reinterpret_cast<uintptr_t*>(s) != 0) fn(s);
    }
  }
#endif
  for (LargeHeader* h = g_large.next; h != &g_large; h = h->next) fn(h + 1);
}

void obj_heap_reset() {
#if !defined(SPL_SANITIZED)
  for (SizeClass& c : g_classes) c = SizeClass();
  for (char* b : g_blocks) unmap_huge_block(b, kBlockBytes);
  g_blocks.clear();
  g_block_next = g_block_end = nullptr;
  for (FreeSlot*& f : g_free) f = nullptr;
#endif
  while (g_large.next != &g_large) large_release(g_large.next + 1);
  obj_heap_detail::g_live = 0;
}

}  // namespace spl
