// Strategy: how one file gets loaded. Probes the path (or a descriptor handed over, such as
// standard input), then picks:
//   regular file >= mmap_threshold (or any size in ReadWrite/CopyOnWrite) -> mmap, fd closed;
//   smaller regular file -> one read into an owned buffer;
//   size-0 pseudo file (/proc, /sys) -> read to EOF (at most read_limit bytes);
//   empty file -> empty region (no mmap call);
//   pipe, FIFO, character device (/dev/null, a terminal), socket handed over as a descriptor
//   -> read to EOF with poll, cancellable, at most read_limit bytes (Strategy::kStream); by
//   path only when asked for (read_fifos, read_char_devices);
//   directory -> IsDirectory; block device, or a FIFO / device not asked for -> Unsupported.
// It does not prefault or run in the background: loader.h does that.
#pragma once

#include <atomic>
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
inline constexpr uint64_t kDefaultStreamThreshold = 64 * 1024 * 1024;
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
  // Inputs read to EOF (pseudo files, streams) fail with TooLarge past this many bytes.
  uint64_t read_limit = kDefaultReadLimit;
  // Which non-seekable files named by path are read to EOF as streams instead of being
  // Unsupported: character devices (/dev/null, a terminal) and FIFOs. Off by default: such a
  // read may wait for a long time (a FIFO for its writer, a terminal for its user).
  bool read_char_devices = false;
  bool read_fifos = false;
  // When set, load from this open descriptor instead of opening the path (which then only
  // names the input in messages, "-" for standard input): pipes, FIFOs, devices and sockets
  // are read to EOF, a regular file is loaded from the descriptor's current position.
  std::shared_ptr<Fd> source;
  // Mapped regions at least this big are Ready as soon as they are mapped, so scanning starts
  // at once: they are prefaulted in the background, ahead of the scans (Loader), and scans
  // bring in what has not arrived yet themselves (Region::ReadChunked).
  uint64_t stream_threshold = kDefaultStreamThreshold;
  // A ReadOnly mapping bigger than this streams: one-pass scans drop what they have read
  // behind them, read ahead themselves (no background prefault) and read chunks of 1 MiB
  // into buffers (the C ABI's scans). A smaller mapping's background prefault stays at most
  // half of it ahead of the scans. 0: a quarter of the memory the process may
  // use (MemoryLimit: RAM or the memory cgroup's limit).
  uint64_t memory_window = 0;
  // Called on a loader worker after each prefaulted chunk with (bytes done, bytes total).
  // Must be quick and thread-safe: several workers may call it for one file.
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

// Probe + strategy + map or read. Applies the advice. Does not prefault. When cancel becomes
// true while a stream is waited for, the load ends with Cancelled (null: no cancelling).
Result<std::shared_ptr<Region>> OpenRegion(const std::string& path, const LoadOptions& options,
                                           const std::atomic<bool>* cancel = nullptr);

// The same load when it can be done at once without waiting for a disk or a writer: a small
// regular file (read strategy, ReadOnly) whose bytes are all in the page cache (read with
// RWF_NOWAIT), or an empty one. NotReady when that is not the case (anything mapped, streams,
// pseudo files, descriptor sources, data not cached): the caller then loads it the usual way.
// Other errors (missing file, permission) are the load's answer, as from OpenRegion.
// close_in_background: a file read this way has its descriptor closed by the FdCloser's
// thread instead of the calling thread (fd_closer.h).
Result<std::shared_ptr<Region>> OpenRegionIfCached(const std::string& path,
                                                   const LoadOptions& options,
                                                   bool close_in_background = false);

// OpenRegion, then prefault on the calling thread if options.prefault: the blocking fallback.
Result<std::shared_ptr<Region>> LoadSync(const std::string& path, const LoadOptions& options,
                                         PrefaultMethod* used = nullptr);

}  // namespace spl::rt
