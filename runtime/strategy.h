// Strategy: how one file gets loaded. Probes the path, then picks:
//   regular file >= mmap_threshold (or any size in ReadWrite/CopyOnWrite) -> mmap, fd closed;
//   smaller regular file -> one read into an owned buffer;
//   size-0 pseudo file (/proc, /sys) -> read to EOF (at most read_limit bytes);
//   empty file -> empty region (no mmap call);
//   directory -> IsDirectory; FIFO, socket, device -> Unsupported (never blocks).
// It does not prefault or run in the background: loader.h does that.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "runtime/region.h"
#include "runtime/status.h"

namespace spl::rt {

// Read-only files smaller than this are read into a buffer instead of mapped. Measured on the
// project's 2-core VM (docs/benchmarks.md): read wins below ~16-32 MiB there, but a read copies
// the file into private memory and bare-metal crossovers are far lower, so 1 MiB.
inline constexpr uint64_t kDefaultMmapThreshold = 1024 * 1024;
inline constexpr uint64_t kDefaultPrefaultChunk = 8 * 1024 * 1024;
// Default for LoadOptions::read_limit: the most bytes read from a file read to EOF before
// giving up (a /proc file never needs more; an endless one must not eat memory).
inline constexpr uint64_t kDefaultReadLimit = 64 * 1024 * 1024;

struct LoadOptions {
  MapMode mode = MapMode::kReadOnly;
  bool prefault = true;
  // After MADV_POPULATE_READ, also read one byte per page (see prefault.h). Off: kernel only.
  bool prefault_touch = true;
  Advice advice = Advice::kNormal;
  uint64_t offset = 0;
  uint64_t length = 0;  // 0: to the end of the file
  uint64_t mmap_threshold = kDefaultMmapThreshold;
  uint64_t prefault_chunk = kDefaultPrefaultChunk;
  unsigned prefault_workers = 2;  // how many loader workers may prefault one file at once
  bool nofollow = false;
  // Files read to EOF (pseudo files) fail with TooLarge past this many bytes.
  uint64_t read_limit = kDefaultReadLimit;
  // Called on a loader worker after each prefaulted chunk with (bytes done, bytes total).
  // Must be quick and thread-safe: several workers may call it for one file.
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

// Probe + strategy + map or read. Applies the advice. Does not prefault.
Result<std::shared_ptr<Region>> OpenRegion(const std::string& path, const LoadOptions& options);

// OpenRegion, then prefault on the calling thread if options.prefault: the blocking fallback.
Result<std::shared_ptr<Region>> LoadSync(const std::string& path, const LoadOptions& options,
                                         PrefaultMethod* used = nullptr);

}  // namespace spl::rt
