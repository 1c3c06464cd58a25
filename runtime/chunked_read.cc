// Region::ReadChunked and drop-behind (see region.h): scans cut into chunks that run on several
// threads, each chunk brought in just before it is scanned (populate), read-ahead asked for
// further on, and scanned pages dropped when the region streams through a memory window.
// It does not know what a scan computes: callers give each chunk index its own result slot.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "runtime/file_probe.h"
#include "runtime/guard.h"
#include "runtime/parallel.h"
#include "runtime/prefault.h"
#include "runtime/region.h"

namespace spl::rt {
namespace {

size_t Page() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

// Just past the first '\n' in [x, limit), or UINT64_MAX when there is none. Plain loop over
// memory (guard-safe).
uint64_t AfterNewline(const uint8_t* data, uint64_t x, uint64_t limit) {
  if (limit <= x) return UINT64_MAX;
  const void* nl = std::memchr(data + x, '\n', static_cast<size_t>(limit - x));
  return nl == nullptr ? UINT64_MAX
                       : static_cast<uint64_t>(static_cast<const uint8_t*>(nl) - data) + 1;
}

// A buffer for one streamed chunk: anonymous memory aligned to 2 MiB and advised for
// transparent huge pages, so that filling 8 MiB the first time costs four page faults instead
// of 2,048 (on a VM each fault is microseconds: for a 1 GiB scan the buffers' first touches
// were a tenth of the time). Not zero-filled beyond what the kernel gives; holds no values.
class StreamBuffer {
 public:
  StreamBuffer() = default;
  explicit StreamBuffer(size_t n) {
    const size_t cap = (n + kHuge - 1) / kHuge * kHuge;
    // Over-map by one huge page and trim, for an aligned start.
    void* m =
        ::mmap(nullptr, cap + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    auto base = reinterpret_cast<uintptr_t>(m);
    uintptr_t aligned = (base + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
    if (aligned > base) ::munmap(m, aligned - base);
    if (uintptr_t end = base + cap + kHuge; end > aligned + cap) {
      ::munmap(reinterpret_cast<void*>(aligned + cap), end - (aligned + cap));
    }
    data_ = reinterpret_cast<uint8_t*>(aligned);
    cap_ = cap;
    ::madvise(data_, cap_, MADV_HUGEPAGE);  // (a kernel without THP ignores it: small pages)
  }
  StreamBuffer(StreamBuffer&& o) noexcept : data_(o.data_), cap_(o.cap_) {
    o.data_ = nullptr;
    o.cap_ = 0;
  }
  StreamBuffer& operator=(StreamBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(cap_, o.cap_);
    return *this;
  }
  StreamBuffer(const StreamBuffer&) = delete;
  StreamBuffer& operator=(const StreamBuffer&) = delete;
  ~StreamBuffer() {
    if (data_ != nullptr) ::munmap(data_, cap_);
  }
  uint8_t* data() const { return data_; }
  size_t capacity() const { return cap_; }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;
  uint8_t* data_ = nullptr;
  size_t cap_ = 0;
};

// Buffers for streamed chunks, kept from one scan to the next (a search in pieces scans the
// same region again and again): a new buffer per scan would cost fresh pages every time, and
// memory given back and taken again. At most kKeep buffers are kept; the rest are freed.
class StreamBuffers {
 public:
  // A kept buffer of at least n bytes, or a new one.
  StreamBuffer Take(size_t n) {
    {
      std::lock_guard l(mu_);
      for (size_t i = free_.size(); i-- > 0;) {
        if (free_[i].capacity() >= n) {
          StreamBuffer b = std::move(free_[i]);
          free_.erase(free_.begin() + static_cast<long>(i));
          return b;
        }
      }
    }
    return StreamBuffer(n);
  }
  void Give(StreamBuffer&& b) {
    std::lock_guard l(mu_);
    if (free_.size() < kKeep) free_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kKeep = 4;
  std::mutex mu_;
  std::vector<StreamBuffer> free_;
};

StreamBuffers& Buffers() {
  static StreamBuffers* const buffers = new StreamBuffers();  // (never destroyed: used by
  return *buffers;                                            // loader threads until exit)
}

}  // namespace

Fd Region::ReopenIfSame() const {
  auto probed = ProbeFile(path_, ProbeOptions{});
  if (!probed.ok() || probed->kind != FileKind::kRegular) return Fd();
  std::lock_guard l(id_mu_);
  if (probed->identity.dev != identity_.dev || probed->identity.ino != identity_.ino) return Fd();
  return std::move(probed->fd);
}

void Region::EnableDropBehind(Fd fd, uint64_t file_offset) {
  if (mode_ != MapMode::kReadOnly || strategy_ != Strategy::kMmap) return;
  drop_fd_ = std::move(fd);
  file_offset_ = file_offset;
  drop_behind_ = true;
  // Sequential: a page fault reads ahead only, never around (the kernel's read-around would
  // read back what was just dropped), and pages read are the first reclaimed.
  if (map_base_ != nullptr) ::madvise(map_base_, map_length_, MADV_SEQUENTIAL);
}

bool Region::MostlyCold(uint64_t offset, uint64_t length) const {
  if (strategy_ != Strategy::kMmap || data_ == nullptr || length == 0) return false;
  constexpr uint64_t kSamples = 16;
  const uintptr_t page = Page();
  unsigned asked = 0, resident = 0;
  for (uint64_t k = 0; k < kSamples; ++k) {
    const uint64_t at = offset + length / kSamples * k;
    if (at >= offset + length) break;
    uintptr_t p = reinterpret_cast<uintptr_t>(data_ + at) & ~(page - 1);
    unsigned char in_core = 0;
    if (::mincore(reinterpret_cast<void*>(p), page, &in_core) != 0) return false;
    ++asked;
    resident += in_core & 1;
  }
  return asked > 0 && resident * 2 < asked;
}

void Region::DropScanned(uint64_t offset, uint64_t length) const {
  // Whole pages inside [offset, offset+length) only: the pages at the ends may hold bytes a
  // neighbouring chunk still reads (dropping them would only cost a re-read, but why pay it).
  const uintptr_t page = Page();
  uintptr_t start = (reinterpret_cast<uintptr_t>(data_ + offset) + page - 1) & ~(page - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(data_ + offset + length) & ~(page - 1);
  if (end <= start) return;
  ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  if (drop_fd_.get() >= 0) {
    // The page cache holds a file in folios of up to 2 MiB (read-ahead makes large ones), and
    // POSIX_FADV_DONTNEED drops only the folios wholly inside its range: the range reaches
    // 2 MiB back, so a folio that straddled the previous chunk's end goes now. (Measured:
    // dropping the chunk alone left the page cache to fill a 128 MiB cgroup to its limit.)
    constexpr uint64_t kLargestFolio = 2u << 20;
    uint64_t file_start = file_offset_ + (start - reinterpret_cast<uintptr_t>(data_));
    const uint64_t file_end = file_start + (end - start);
    file_start =
        file_start > file_offset_ + kLargestFolio ? file_start - kLargestFolio : file_offset_;
    ::posix_fadvise(drop_fd_.get(), static_cast<off_t>(file_start),
                    static_cast<off_t>(file_end - file_start), POSIX_FADV_DONTNEED);
  }
}

Status Region::ReadChunked(
    uint64_t offset, uint64_t length, const ChunkPlan& plan,
    const std::function<void(size_t i, const uint8_t* p, size_t n, uint64_t at)>& body) const {
  std::shared_lock lock(mu_);
  Status s = CheckRange(offset, length);
  if (!s.ok()) return s;
  const uint64_t chunk = plan.chunk != 0 ? plan.chunk : length;
  const size_t count = ChunkCount(length, chunk);
  const uint64_t end = offset + length;
  const bool mapped = strategy_ == Strategy::kMmap;
  const uint8_t* data = data_;
  std::vector<Status> errors(count);
  std::mutex errors_mu;  // Status holds strings: written from several threads, one slot each
  // A line-aligned boundary is looked for within one chunk's length; a line longer than a
  // chunk leaves it missing, and then the whole scan runs again as one chunk (below).
  std::atomic<bool> misaligned{false};
  auto boundary = [&](size_t k) -> uint64_t {
    if (k == 0) return offset;
    if (k >= count) return end;
    const uint64_t x = offset + static_cast<uint64_t>(k) * chunk;
    uint64_t b = AfterNewline(data, x, std::min(x + chunk, end));
    if (b == UINT64_MAX) {
      misaligned.store(true, std::memory_order_relaxed);
      return x;
    }
    return b;
  };

  // A region that streams through its memory window (drop-behind) is read with pread into
  // buffers reused from chunk to chunk and from scan to scan (StreamBuffers), not through the
  // mapping: touching a mapping costs a page fault per page, a copy into a buffer already
  // faulted in costs far less, and the pages read leave the page cache right after
  // (POSIX_FADV_DONTNEED), as they would below. A mostly cold ReadOnly mapping is read the
  // same way through the file opened again (cold_fd, below), its pages kept in the cache.
  const bool streamed = mapped && drop_behind_ && drop_fd_.get() >= 0;
  Fd cold_fd;
  auto read_streamed = [&](size_t i, uint64_t raw_a, uint64_t raw_b) -> Status {
    const int rfd = streamed ? drop_fd_.get() : cold_fd.get();
    // (No POSIX_FADV_WILLNEED ahead: the kernel's read-ahead follows sequential preads, and
    // the advice made this thread allocate the pages itself, reclaiming them in a memory
    // cgroup: a cold 1 GiB count in a 256 MiB cgroup took 1.62x `wc -l` with it, 0.96x without.)
    uint64_t a = raw_a, b = raw_b;
    if (plan.line_aligned) {
      // (the boundaries read a line's worth of the mapping: under the guard)
      Status g = guard::Run(path_, [&] {
        a = boundary(i);
        b = boundary(i + 1);
      });
      if (!g.ok()) return g;
      if (b < a) b = a;
    }
    const size_t n = static_cast<size_t>(b - a);
    StreamBuffer buf;
    try {
      buf = Buffers().Take(n);
    } catch (const std::bad_alloc&) {
      return Status::Error(Code::kOutOfMemory, path_, "no memory for a streamed chunk");
    }
    size_t got = 0;
    while (got < n) {
      ssize_t r =
          ::pread(rfd, buf.data() + got, n - got, static_cast<off_t>(file_offset_ + a + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Status::FromErrno(errno, path_, "pread");
      if (r == 0) return Status::Error(Code::kTruncated, path_, "file shorter than its mapping");
      got += static_cast<size_t>(r);
    }
    body(i, buf.data(), n, a);
    Buffers().Give(std::move(buf));
    return Status::Ok();
  };

  auto run = [&](size_t i) {
    if (plan.stop_after != nullptr && i > plan.stop_after->load(std::memory_order_acquire)) {
      return;
    }
    const uint64_t raw_a = offset + static_cast<uint64_t>(i) * chunk;
    const uint64_t raw_b = std::min(raw_a + chunk, end);
    Status st;
    const bool copied = streamed || cold_fd.get() >= 0;
    if (copied) {
      st = read_streamed(i, raw_a, raw_b);
    } else if (mapped && raw_b > raw_a) {
      // Read-ahead two chunks on (asynchronous), then this chunk now (the disk read of a cold
      // file happens here; a mostly cold region runs on this thread alone, see below).
      const uint64_t ahead = raw_a + 2 * chunk;
      if (ahead < end) {
        uintptr_t a = reinterpret_cast<uintptr_t>(data + ahead) & ~(Page() - 1);
        uintptr_t b = reinterpret_cast<uintptr_t>(data + std::min(ahead + chunk, end));
        ::madvise(reinterpret_cast<void*>(a), b - a, MADV_WILLNEED);
      }
      uintptr_t a = reinterpret_cast<uintptr_t>(data + raw_a) & ~(Page() - 1);
      uintptr_t b = reinterpret_cast<uintptr_t>(data + raw_b);
      st = PrefaultMapped(reinterpret_cast<const uint8_t*>(a), b - a, path_, false, nullptr);
    }
    if (st.ok() && !copied) {
      auto scan = [&] {
        uint64_t a = raw_a, b = raw_b;
        if (plan.line_aligned) {
          a = boundary(i);
          b = boundary(i + 1);
          if (b < a) b = a;
        }
        body(i, data + a, static_cast<size_t>(b - a), a);
      };
      if (mapped) {
        st = guard::Run(path_, scan);
      } else {
        scan();
      }
    }
    if (mapped && drop_behind_) DropScanned(raw_a, raw_b - raw_a);
    uint64_t seen = scan_frontier_.load(std::memory_order_relaxed);
    while (seen < raw_b &&
           !scan_frontier_.compare_exchange_weak(seen, raw_b, std::memory_order_relaxed)) {
    }
    if (!st.ok()) {
      std::lock_guard l(errors_mu);
      errors[i] = std::move(st);
    }
  };
  // Cold data: one stream (this thread, reading ahead of itself; the loader's background
  // prefault, if any, runs ahead of it), not chunks brought in at several places at once.
  // Asked until a scan finds the region warm (see scanned_warm_).
  unsigned helpers = plan.max_helpers;
  if (mapped && count > 1 && !scanned_warm_.load(std::memory_order_relaxed)) {
    if (MostlyCold(offset, length)) {
      helpers = 0;
      // (A streaming region reads through its own descriptor already. Only ReadOnly: a
      // ReadWrite or CopyOnWrite mapping may hold writes the file has not.)
      if (!streamed && mode_ == MapMode::kReadOnly) cold_fd = ReopenIfSame();
    } else {
      scanned_warm_.store(true, std::memory_order_relaxed);
    }
  }
  ParallelFor(plan.exec, count, helpers, run);
  for (auto& e : errors) {
    if (!e.ok()) return e;
  }
  if (plan.line_aligned && count > 1 && misaligned.load()) {
    // Some chunk held no '\n' at all: scan everything as one chunk (pages dropped behind are
    // read again: only files with lines longer than a chunk pay that), and give every other
    // chunk an empty range, so results kept per chunk come out right.
    auto whole = [&] {
      body(0, data + offset, static_cast<size_t>(length), offset);
      for (size_t i = 1; i < count; ++i) body(i, data + end, 0, end);
    };
    Status st;
    if (mapped) {
      st = guard::Run(path_, whole);
    } else {
      whole();
    }
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace spl::rt
