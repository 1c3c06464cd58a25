// BatchReader implementation (see batch_read.h).
#include "runtime/batch_read.h"

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <new>
#include <vector>

#include "runtime/file_probe.h"

namespace spl::rt {

struct BatchReader::Ring {
  io_uring ring{};
  bool live = false;  // io_uring_queue_init succeeded
  ~Ring() {
    if (live) io_uring_queue_exit(&ring);
  }
};

namespace {

// What one file of a batch needs between the two submissions.
struct Slot {
  ProbedFile file;
  int open_result = -1;
  uint64_t length = 0;
  std::unique_ptr<uint8_t[]> buffer;
  int read_result = -1;
  enum { kUsual, kRead, kEmpty } plan = kUsual;  // kUsual: left to the caller's usual load
};

// Submits what is queued and reaps `expected` completions, each handed to on_cqe. False
// when the ring failed (the caller then gives up on the batch; what completed is recorded).
template <typename F>
bool SubmitAndReap(io_uring* ring, unsigned expected, F&& on_cqe) {
  int rc;
  do {
    rc = io_uring_submit_and_wait(ring, expected);
  } while (rc == -EINTR);
  if (rc < 0) return false;
  for (unsigned left = expected; left > 0; --left) {
    io_uring_cqe* cqe = nullptr;
    do {
      rc = io_uring_wait_cqe(ring, &cqe);
    } while (rc == -EINTR);
    if (rc != 0) return false;
    on_cqe(cqe->user_data, cqe->res);
    io_uring_cqe_seen(ring, cqe);
  }
  return true;
}

}  // namespace

std::unique_ptr<BatchReader> BatchReader::Create() {
  auto ring = std::unique_ptr<Ring>(new (std::nothrow) Ring);
  if (!ring) return nullptr;
  // Two entries per file: a read and a close in the second submission.
  if (io_uring_queue_init(2 * kMaxBatch, &ring->ring, 0) != 0) return nullptr;
  ring->live = true;
  return std::unique_ptr<BatchReader>(new (std::nothrow) BatchReader(std::move(ring)));
}

BatchReader::BatchReader(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}
BatchReader::~BatchReader() = default;

bool BatchReader::Eligible(const LoadOptions& options) {
  return !options.source && options.mode == MapMode::kReadOnly && options.mmap_threshold > 0;
}

void BatchReader::Load(Item* items, size_t n) noexcept {
  if (n == 0 || n > kMaxBatch) return;
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
  bool ok = SubmitAndReap(ring, static_cast<unsigned>(n), [&](uint64_t i, int res) {
    if (i < n && res >= 0) slots[i].file.fd = Fd(res);
  });
  if (!ok) return;  // (descriptors opened so far close with their slots)
  // 2. Classify each (fstat); the small regular ones get a buffer, a read and a close.
  unsigned queued = 0;
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
    io_uring_prep_close(sqe, s.file.fd.release());
    io_uring_sqe_set_data64(sqe, 2 * i + 1);
    s.plan = Slot::kRead;
    queued += 2;
  }
  if (queued > 0) {
    ok = SubmitAndReap(ring, queued, [&](uint64_t tag, int res) {
      if (tag % 2 == 0 && tag / 2 < n) slots[tag / 2].read_result = res;
    });
    if (!ok) return;
  }
  // 3. Regions for the whole reads and the empty files, as OpenRegion makes them.
  for (size_t i = 0; i < n; ++i) {
    Slot& s = slots[i];
    const LoadOptions& o = *items[i].options;
    try {
      std::shared_ptr<Region> region;
      if (s.plan == Slot::kRead) {
        if (s.read_result < 0 || static_cast<uint64_t>(s.read_result) != s.length) continue;
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
