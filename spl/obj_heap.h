// Memory for interpreter objects (Obj): size classes of 16 bytes up to 512, carved from 64 KiB
// chunks with a free list per class; larger objects come from malloc with a small header that
// links them. Every live object can be enumerated (shutdown frees reference cycles that way)
// without a per-object list. A free slot has 0 where a live object has its vtable pointer.
// Sanitizer builds give every object its own malloc block (so ASan sees each use after free).
// Knows nothing about object types beyond that first word.
#pragma once

#include <cstddef>
#include <functional>

namespace spl {

namespace obj_heap_detail {
// The small-object fast paths are inline (a pop from or a push onto a class's free list);
// everything else is out of line in obj_heap.cc.
struct FreeSlot {
  void* zero;  // where a live object's vtable pointer is
  FreeSlot* next;
};
constexpr size_t kGranule = 16;
constexpr size_t kMaxSmall = 512;
constexpr size_t kClasses = kMaxSmall / kGranule;
extern FreeSlot* g_free[kClasses];  // each class's free list
extern size_t g_live;
inline size_t class_of(size_t bytes) { return (bytes + kGranule - 1) / kGranule - 1; }
void* alloc_slow(size_t bytes);
void release_slow(void* p, size_t bytes);
#if defined(SPL_SANITIZED)
constexpr bool kPooled = false;  // every object its own malloc block (ASan sees each one)
#else
constexpr bool kPooled = true;
#endif
}  // namespace obj_heap_detail

inline void* obj_heap_alloc(size_t bytes) {
  using namespace obj_heap_detail;
  if (kPooled && bytes <= kMaxSmall) {
    FreeSlot*& head = g_free[class_of(bytes)];
    if (FreeSlot* s = head) {
      head = s->next;
      g_live++;
      return s;
    }
  }
  return alloc_slow(bytes);
}

// `bytes` as given to obj_heap_alloc.
inline void obj_heap_release(void* p, size_t bytes) {
  using namespace obj_heap_detail;
  if (kPooled && bytes <= kMaxSmall) {
    auto* s = static_cast<FreeSlot*>(p);
    s->zero = nullptr;
    FreeSlot*& head = g_free[class_of(bytes)];
    s->next = head;
    head = s;
    g_live--;
    return;
  }
  release_slow(p, bytes);
}

size_t obj_heap_live();  // objects allocated and not released
// Calls fn for every live object (allocation order within a size class; do not allocate or
// release from fn).
void obj_heap_each(const std::function<void(void*)>& fn);
// Returns every chunk and large block to the system; all objects must be released (or
// abandoned) first.
void obj_heap_reset();

}  // namespace spl
