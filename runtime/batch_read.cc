// BatchReader implementation (see batch_read.h).
#include "runtime/batch_read.h"

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "runtime/file_probe.h"

namespace spl::rt {

struct BatchReader::Ring {
  io_uring ring{};
  bool live = false;    // io_uring_queue_init succeeded
  bool broken = false;  // a submission failed: the ring is not used again
  ~Ring() {
    if (live) io_uring_queue_exit(&ring);
  }

  // Submits every queued entry and reaps one completion per entry submitted, each handed to
  // on_cqe(user_data, res). False when a submission failed: the ring is then broken (never
  // submitted to again, so entries left queued never run) and only what was submitted has
  // been reaped, so no buffer of the batch is still in the kernel's hands when this returns.
  template <typename F>
  bool Run(F&& on_cqe) {
    unsigned submitted = 0;
    bool failed = false;
    while (io_uring_sq_ready(&ring) > 0) {
      int rc = io_uring_submit(&ring);
      if (rc == -EINTR) continue;
      if (rc <= 0) {
        failed = true;
        break;
      }
      submitted += static_cast<unsigned>(rc);
    }
    for (unsigned left = submitted; left > 0; --left) {
      io_uring_cqe* cqe = nullptr;
      int rc;
      do {
        rc = io_uring_wait_cqe(&ring, &cqe);
      } while (rc == -EINTR || rc == -EAGAIN);
      if (rc != 0) {
        // Cannot happen without a timeout; if it did, what is in flight could still write
        // into the batch's buffers: stop the thread here rather than free them under it.
        std::abort();
      }
      on_cqe(io_uring_cqe_get_data64(cqe), cqe->res);
      io_uring_cqe_seen(&ring, cqe);
    }
    if (failed) broken = true;
    return !failed;
  }
};

namespace {

// What one file of a batch needs between the two submissions.
struct Slot {
  ProbedFile file;
  uint64_t length = 0;
  std::unique_ptr<uint8_t[]> buffer;
  int read_result = -1;
  int queued_fd = -1;   // handed to a queued CLOSE (file.fd no longer owns it)
  bool closed = false;  // that CLOSE ran
  enum { kUsual, kRead, kEmpty } plan = kUsual;  // kUsual: left to the caller's usual load
};

}  // namespace

#if defined(__SANITIZE_THREAD__)
#define SPL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPL_TSAN 1
#endif
#endif

std::unique_ptr<BatchReader> BatchReader::Create() {
#ifdef SPL_TSAN
  // ThreadSanitizer does not see the descriptors io_uring opens and closes, so it takes a
  // number one worker's ring reused for another worker's earlier file (false data races):
  // TSan builds load one by one (the batching in the loader still runs, and is checked).
  return nullptr;
#endif
  auto ring = std::unique_ptr<Ring>(new (std::nothrow) Ring);
  if (!ring) return nullptr;
  // Two entries per file: a read and a close in the second submission.
  if (io_uring_queue_init(2 * kMaxBatch, &ring->ring, 0) != 0) return nullptr;
  ring->live = true;
  // Kernels before 5.6 have no OPENAT, READ or CLOSE: every batch would go the usual way.
  io_uring_probe* probe = io_uring_get_probe_ring(&ring->ring);
  if (probe == nullptr) return nullptr;
  const bool supported = io_uring_opcode_supported(probe, IORING_OP_OPENAT) &&
                         io_uring_opcode_supported(probe, IORING_OP_READ) &&
                         io_uring_opcode_supported(probe, IORING_OP_CLOSE);
  io_uring_free_probe(probe);
  if (!supported) return nullptr;
  return std::unique_ptr<BatchReader>(new (std::nothrow) BatchReader(std::move(ring)));
}

BatchReader::BatchReader(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}
BatchReader::~BatchReader() = default;

bool BatchReader::Eligible(const LoadOptions& options) {
  return !options.source && options.mode == MapMode::kReadOnly && options.mmap_threshold > 0;
}

void BatchReader::Load(Item* items, size_t n) noexcept {
  if (n == 0 || n > kMaxBatch || ring_->broken) return;
  io_uring* ring = &ring_->ring;
  std::vector<Slot> slots;
  try {
    slots.resize(n);
    for (size_t i = 0; i < n; ++i) slots[i].file.path = *items[i].path;
  } catch (...) {
    return;  // no memory: every file goes the usual way
  }
  // 1. Every open in one submission, with the flags ProbeFile uses.
  for (size_t i = 0; i < n; ++i) {
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    if (items[i].options->nofollow) flags |= O_NOFOLLOW;
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    io_uring_prep_openat(sqe, AT_FDCWD, items[i].path->c_str(), flags, 0);
    io_uring_sqe_set_data64(sqe, i);
  }
  bool ok = ring_->Run([&](uint64_t i, int res) {
    if (i < n && res >= 0) slots[i].file.fd = Fd(res);
  });
  if (!ok) return;  // (descriptors opened so far close with their slots)
  // 2. Classify each (fstat); the small regular ones get a buffer, a read and a close.
  bool queued = false;
  for (size_t i = 0; i < n; ++i) {
    Slot& s = slots[i];
    if (s.file.fd.get() < 0) continue;
    if (!Classify(&s.file).ok() || s.file.kind != FileKind::kRegular) continue;
    const LoadOptions& o = *items[i].options;
    const uint64_t size = s.file.identity.size;
    if (o.offset > size || (o.length != 0 && o.length > size - o.offset)) continue;
    s.length = o.length != 0 ? o.length : size - o.offset;
    if (s.length == 0) {
      s.plan = Slot::kEmpty;
      continue;
    }
    if (s.length >= o.mmap_threshold) continue;
    s.buffer.reset(new (std::nothrow) uint8_t[s.length]);
    if (!s.buffer) continue;
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    io_uring_prep_read(sqe, s.file.fd.get(), s.buffer.get(), static_cast<unsigned>(s.length),
                       o.offset);
    sqe->flags |= IOSQE_IO_HARDLINK;  // the close runs whatever the read gave
    io_uring_sqe_set_data64(sqe, 2 * i);
    sqe = io_uring_get_sqe(ring);
    s.queued_fd = s.file.fd.release();
    io_uring_prep_close(sqe, s.queued_fd);
    io_uring_sqe_set_data64(sqe, 2 * i + 1);
    s.plan = Slot::kRead;
    queued = true;
  }
  if (queued) {
    ok = ring_->Run([&](uint64_t tag, int res) {
      if (tag / 2 >= n) return;
      if (tag % 2 == 0) {
        slots[tag / 2].read_result = res;
      } else {
        slots[tag / 2].closed = true;  // (whatever close says, the descriptor is gone)
      }
    });
    if (!ok) {
      // Closes that never ran are done here; the reads' results stand where they completed.
      for (Slot& s : slots) {
        if (s.queued_fd >= 0 && !s.closed) ::close(s.queued_fd);
      }
    }
  }
  // 3. Regions for the whole reads and the empty files, as OpenRegion makes them.
  for (size_t i = 0; i < n; ++i) {
    Slot& s = slots[i];
    const LoadOptions& o = *items[i].options;
    try {
      std::shared_ptr<Region> region;
      if (s.plan == Slot::kRead) {
        if (s.read_result < 0 || static_cast<uint64_t>(s.read_result) != s.length) continue;
        if (!s.closed) continue;  // (read, but a failed ring: the usual way, to be plain)
        region = Region::FromBuffer(s.file.path, s.file.identity, std::move(s.buffer),
                                    static_cast<size_t>(s.length), Strategy::kRead);
      } else if (s.plan == Slot::kEmpty) {
        region = Region::Empty(s.file.path, s.file.identity, o.mode);
      } else {
        continue;
      }
      if (o.advice != Advice::kNormal) (void)region->Advise(o.advice, 0, 0);  // a hint
      items[i].region = std::move(region);
    } catch (...) {
      items[i].region.reset();  // no memory: the usual way
    }
  }
}

}  // namespace spl::rt
