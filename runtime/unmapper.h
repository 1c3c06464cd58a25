// Unmapper: releases big mappings on a background thread. munmap of a populated 1 GiB mapping
// takes tens of milliseconds (page-table teardown), which must not stall a host's event loop
// thread. Small mappings are unmapped inline, where the hand-off would cost more than it saves.
// Does not own regions: region.cc calls it from Close() and the destructor.
#pragma once

#include <cstddef>

namespace spl::rt {

inline constexpr size_t kUnmapInlineBelow = 16 * 1024 * 1024;

// Unmaps [base, base+length) now (small) or soon on the unmapper thread (big). Never fails:
// when the thread or its queue cannot be had (memory ran out), it unmaps inline.
void UnmapSoon(void* base, size_t length) noexcept;
// Blocks until every mapping handed over so far is unmapped (tests, shutdown).
void UnmapDrain();

}  // namespace spl::rt
