// Region: one loaded view of a file, either an owning mmap (the common case) or an owned buffer
// filled by read() (small and pseudo files). Both look the same to callers: a byte range that
// can be read under the SIGBUS guard, advised, flushed (ReadWrite), written (ReadWrite and
// CopyOnWrite), closed, and checked for staleness. Regions are shared-owned (std::shared_ptr):
// a ByteView keeps its Region alive, so slicing never copies. Close() releases the memory at
// once; any later access through the region or a view returns AlreadyClosed, never a crash.
// It does not decide how a file is loaded: strategy.h does.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "runtime/file_probe.h"
#include "runtime/guard.h"
#include "runtime/status.h"

namespace spl::rt {

class Executor;

enum class MapMode : uint8_t { kReadOnly, kReadWrite, kCopyOnWrite };
enum class Advice : uint8_t { kNormal, kSequential, kRandom, kWillNeed, kDontNeed, kHugePage };
// kReadToEof: a pseudo file read into a buffer; kStream: a non-seekable input (pipe, FIFO,
// character device, standard input) read into a buffer.
enum class Strategy : uint8_t { kEmpty, kMmap, kRead, kReadToEof, kStream };
// How pages were brought in: kernel populate only, a read of every page only (when the kernel
// lacks MADV_POPULATE_READ), or both (the default: see prefault.h for why).
enum class PrefaultMethod : uint8_t { kNone, kPopulateRead, kTouch, kPopulateAndTouch };

const char* MapModeName(MapMode mode);
const char* StrategyName(Strategy strategy);
const char* PrefaultMethodName(PrefaultMethod method);

// How ReadChunked cuts and runs a scan (see there).
struct ChunkPlan {
  uint64_t chunk = 8 * 1024 * 1024;  // bytes per chunk (the last may be shorter)
  bool line_aligned = false;         // chunks start and end just after a '\n' (see ReadChunked)
  Executor* exec = nullptr;          // lends helper threads; null: this thread alone
  unsigned max_helpers = 0;
  // When set, chunks with an index above *stop_after are skipped (not brought in, body not
  // called): a scan that found what it looks for lowers it.
  const std::atomic<size_t>* stop_after = nullptr;
};

class Region {
 public:
  // An empty region (zero-length file or range): no mmap call.
  static std::shared_ptr<Region> Empty(std::string path, FileIdentity identity, MapMode mode);
  // Maps [offset, offset+length) of the open descriptor. Unaligned offsets are fine.
  static Result<std::shared_ptr<Region>> Map(int fd, std::string path, FileIdentity identity,
                                             MapMode mode, uint64_t offset, uint64_t length);
  // Takes ownership of a buffer filled by read().
  static std::shared_ptr<Region> FromBuffer(std::string path, FileIdentity identity,
                                            std::unique_ptr<uint8_t[]> buffer, size_t size,
                                            Strategy strategy);
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  MapMode mode() const { return mode_; }
  Strategy strategy() const { return strategy_; }
  FileIdentity identity() const {
    std::lock_guard lock(id_mu_);
    return identity_;
  }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // Calls f(const uint8_t* p, size_t n) on [offset, offset+length) while holding the region
  // open, inside the SIGBUS guard when the bytes are mapped. f must follow guard.h's rules.
  template <typename F>
  Status Read(uint64_t offset, uint64_t length, F&& f) const {
    std::shared_lock lock(mu_);
    Status s = CheckRange(offset, length);
    if (!s.ok()) return s;
    const uint8_t* p = data_ + offset;
    if (strategy_ != Strategy::kMmap) {
      f(p, static_cast<size_t>(length));
      return Status::Ok();
    }
    return guard::Run(path_, [&] { f(p, static_cast<size_t>(length)); });
  }

  // A scan of [offset, offset+length) cut into ChunkCount(length, plan.chunk) chunks, run on
  // this thread and on helpers from plan.exec: body(i, p, n, at) once per chunk i, where p
  // holds the n bytes at region offset `at` (the mapping itself, or for a region that
  // streams through its window a private copy read with pread: positions come from `at`,
  // never from p), each under the
  // SIGBUS guard when mapped (body must follow guard.h's rules), with the region held open.
  // Mapped chunks are brought in just before they are scanned (MADV_POPULATE_READ), and
  // read-ahead is asked for two chunks on, except that a mostly cold range (see MostlyCold)
  // of a ReadOnly mapping is read with pread into reused buffers through the file opened
  // again (when it is still the file mapped; else as above), on the calling thread alone: a
  // copy costs less than mapping every page of it (a cold 1 GiB count: 0.867x, paired).
  // When drop-behind is on (below) each chunk's pages are dropped once it is scanned. With
  // line_aligned, chunk i covers [b(i), b(i+1)) where b(0) = offset, b(count) = offset+length and
  // b(k) is just past the first '\n' in [offset+k*chunk, offset+(k+1)*chunk): whole lines only,
  // possibly empty (then n is 0). When such a stretch holds no '\n' (a line longer than a chunk),
  // the scan runs once more as a single chunk: body(0, whole range) and body(i, p, 0) for every
  // other i, so a body must overwrite its chunk's result, not add to it. Gives the first chunk's
  // error in chunk order (Truncated, AlreadyClosed, OutOfBounds).
  Status ReadChunked(
      uint64_t offset, uint64_t length, const ChunkPlan& plan,
      const std::function<void(size_t i, const uint8_t* p, size_t n, uint64_t at)>& body) const;
  static size_t ChunkCount(uint64_t length, uint64_t chunk) {
    return length == 0 || chunk == 0 ? 1 : static_cast<size_t>((length + chunk - 1) / chunk);
  }

  // One-pass scans of a ReadOnly mapping bigger than the memory window drop what they have
  // scanned (MADV_DONTNEED, and POSIX_FADV_DONTNEED on `fd`, kept for that), so that a file
  // bigger than the memory the process may use streams through without reclaim. Never for
  // ReadWrite or CopyOnWrite regions (dropping would discard writes): those are refused here.
  void EnableDropBehind(Fd fd, uint64_t file_offset);
  bool drop_behind() const { return drop_behind_; }
  // Bytes the background prefault may run ahead of the scans (see Loader); 0: no limit.
  void set_memory_window(uint64_t bytes) { memory_window_ = bytes; }
  uint64_t memory_window() const { return memory_window_; }
  // Whether most of [offset, offset+length) of a mapped region is not in the page cache: 16
  // pages spread over the range are asked about (mincore), fewer than half resident means
  // cold. False for regions that are not mappings, and when the system cannot tell. Cold data
  // is read fastest as one stream: chunks brought in on several threads at once read the
  // file at several places, which the read-ahead serves worse (measured on this project's
  // VM: a cold 1 GiB scan 0.30 s on one stream, 0.45-0.62 s on four). REQUIRES: the region
  // is not being closed meanwhile (callers hold it open, or have not handed it out yet).
  bool MostlyCold(uint64_t offset, uint64_t length) const;
  // The furthest offset a chunked scan has reached (its chunks' ends).
  uint64_t scan_frontier() const { return scan_frontier_.load(std::memory_order_relaxed); }

  // Copies bytes into the region (ReadWrite: reaches the file; CopyOnWrite: private).
  Status Write(uint64_t offset, const void* src, size_t n);
  Status Advise(Advice advice, uint64_t offset, uint64_t length);
  // msync for ReadWrite regions; [offset, offset+length), length 0 meaning to the end.
  Status Flush(uint64_t offset = 0, uint64_t length = 0);
  // Prefaults [offset, offset+length) of the region (see prefault.h). No-op for buffers.
  // Reports the method used.
  Status Prefault(uint64_t offset, uint64_t length, bool touch, PrefaultMethod* used);
  // Releases the memory. Idempotent: closing twice is fine.
  Status Close();
  // True if the file at path() is no longer the one that was loaded (replaced, resized,
  // modified). Errors (e.g. the file was deleted) are reported as stale = true. For pseudo
  // files (read to EOF: /proc, /sys) only the identity (device, inode) is compared: their
  // size and times say nothing about their contents. A stream (kStream) is never stale: what was
  // read from it is not on disk to compare with.
  Result<bool> IsStale() const;
  // Escape hatch for hosts that accept the risk: the raw pointer, unguarded. Valid until Close.
  const uint8_t* unsafe_data() const { return data_; }

 private:
  Region(std::string path, FileIdentity identity, MapMode mode, Strategy strategy);
  Status CheckRange(uint64_t offset, uint64_t length) const;
  void ReleaseLocked();

  mutable std::shared_mutex mu_;
  std::atomic<bool> closed_{false};
  std::string path_;
  mutable std::mutex id_mu_;  // guards identity_ (refreshed by Flush)
  FileIdentity identity_;
  MapMode mode_;
  Strategy strategy_;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  void* map_base_ = nullptr;  // page-aligned start of the mapping
  size_t map_length_ = 0;
  std::unique_ptr<uint8_t[]> buffer_;
  // Streaming (set once at load, before the region is shared).
  bool drop_behind_ = false;
  Fd drop_fd_;
  uint64_t file_offset_ = 0;  // file offset of data_[0] (mappings)
  uint64_t memory_window_ = 0;
  mutable std::atomic<uint64_t> scan_frontier_{0};
  // A chunked scan found the region warm (MostlyCold false): later scans do not ask again
  // (a loop of searches over a big region would pay the probe at every call).
  mutable std::atomic<bool> scanned_warm_{false};
  void DropScanned(uint64_t offset, uint64_t length) const;  // REQUIRES: drop_behind_
  // The mapped file opened again for reading (ReadChunked's cold scans), or an empty Fd when
  // path() no longer names the file that was mapped (another device or inode: replaced,
  // renamed, a different working directory) or cannot be opened.
  Fd ReopenIfSame() const;
};

// A zero-copy window into a Region. Keeps the region alive; slicing shares it.
struct ByteView {
  std::shared_ptr<Region> owner;
  uint64_t offset = 0;
  uint64_t length = 0;

  static ByteView Of(std::shared_ptr<Region> region) {
    uint64_t n = region->size();
    return ByteView{std::move(region), 0, n};
  }
  // [start, end) relative to this view.
  Result<ByteView> Slice(uint64_t start, uint64_t end) const;
  template <typename F>
  Status Read(F&& f) const {
    return owner->Read(offset, length, std::forward<F>(f));
  }
};

}  // namespace spl::rt
