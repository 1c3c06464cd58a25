// Transparent huge pages for the interpreter's big memory: a first touch of a 4 KiB page costs
// a page fault (about 2 µs on CI's VMs), and programs that build hundreds of megabytes of texts
// and arrays spend as much time in those faults as in their own work. Memory advised here is
// backed by 2 MiB pages when the kernel allows it (transparent_hugepage "always" or
// "madvise"): one fault per 2 MiB. Only memory that fills whole 2 MiB pages is advised, so
// small programs keep their small footprint. SPL_HUGE_PAGES=0 in the environment turns it off.
// Does not allocate anything itself except map_huge_block.
#pragma once

#include <cstddef>

namespace spl {

constexpr size_t kHugePageBytes = size_t(2) << 20;

// Whether the kernel gives huge pages to advised memory (read once) and they are not turned off.
bool huge_pages_enabled();

// Advises the 2 MiB-aligned pages inside [p, p + n) (fresh memory, before its first touch).
void advise_huge_pages(void* p, size_t n);

// Puts the malloc heap (glibc's main arena, which grows with brk) on huge pages: it is made
// to grow in steps of 16 MiB (M_TOP_PAD) and to keep that much free at its top when it
// shrinks, its next allocations start at a 2 MiB boundary, and the heap from there is
// advised. Call once at start, before the program allocates much, and before setting
// M_MMAP_THRESHOLD (this sets it to 4 MiB). Does nothing when huge
// pages are off, in sanitizer builds (another allocator), or when the heap cannot grow by
// 16 MiB (a tight `ulimit -v`: it then keeps glibc's step of 128 KiB).
void advise_malloc_heap();

// Called by operator delete before it frees a block: a block of 1 MiB or more inside the
// advised heap gives its pages back to the system (MADV_DONTNEED) before it goes back to
// malloc. With a 16 MiB free top, malloc serves such blocks from the heap instead of mapping
// them on their own (M_MMAP_THRESHOLD only applies when the heap must grow), and a freed block
// in the middle of a heap would otherwise stay resident: a growing array's old buffers made
// peak memory 14-16 MB higher. The huge pages the block overlapped lose their advice, so that
// khugepaged does not fill them back in. Does nothing when advise_malloc_heap did not advise
// the heap.
void release_heap_block(void* p) noexcept;
constexpr size_t kReleaseFrom = size_t(1) << 20;

// Brings in the whole pages inside [p, p + n) for writing with one call (MADV_POPULATE_WRITE)
// instead of a page fault each; only for memory about to be written in full. Does nothing
// where the kernel cannot (before Linux 5.14).
void populate_for_write(void* p, size_t n) noexcept;

// A fresh zero-filled mapping of `n` bytes (a multiple of kHugePageBytes) aligned to 2 MiB,
// advised for huge pages when `huge`; null when the system has no memory for it.
void* map_huge_block(size_t n, bool huge);
void unmap_huge_block(void* p, size_t n);

}  // namespace spl
