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

void* obj_heap_alloc(size_t bytes);
void obj_heap_release(void* p, size_t bytes);  // `bytes` as given to obj_heap_alloc
size_t obj_heap_live();                        // objects allocated and not released
// Calls fn for every live object (allocation order within a size class; do not allocate or
// release from fn).
void obj_heap_each(const std::function<void(void*)>& fn);
// Returns every chunk and large block to the system; all objects must be released (or
// abandoned) first.
void obj_heap_reset();

}  // namespace spl
