// ReadToEnd implementation (see stream.h).
#include "runtime/stream.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace spl::rt {
namespace {

// "64 MiB" for whole MiB, else bytes.
std::string SizeText(uint64_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return fmt::format("{} MiB", n >> 20);
  return fmt::format("{} bytes", n);
}

std::unique_ptr<uint8_t[]> TryAlloc(size_t n) {
  return std::unique_ptr<uint8_t[]>(new (std::nothrow) uint8_t[n]);
}

// How long one poll waits before looking at the cancel flag again.
constexpr int kCancelCheckMs = 100;

}  // namespace

Result<ReadBuffer> ReadToEnd(int fd, const std::string& path, uint64_t limit, const char* what,
                             const std::atomic<bool>* cancel) {
  auto too_large = [&] {
    return Status::Error(
        Code::kTooLarge, path,
        fmt::format("more than the read limit of {} from {}", SizeText(limit), what));
  };
  size_t cap = 4096, size = 0;
  auto buf = TryAlloc(cap);
  if (!buf) return Status::Error(Code::kOutOfMemory, path, "reading");
  for (;;) {
    if (size == cap) {
      if (size > limit) return too_large();
      // Grow to twice the size, and to a page past the limit at most: reading past it tells
      // an input of exactly `limit` bytes from a longer one. (A page, not a byte: some pseudo
      // files, such as /proc/self/pagemap, refuse reads of odd sizes.)
      constexpr uint64_t kPastLimit = 4096;
      uint64_t next = uint64_t{cap} * 2;
      if (limit < next - kPastLimit) next = limit + kPastLimit;  // > cap: cap == size <= limit
      auto bigger = TryAlloc(static_cast<size_t>(next));
      if (!bigger) return Status::Error(Code::kOutOfMemory, path, "reading");
      std::memcpy(bigger.get(), buf.get(), size);
      buf = std::move(bigger);
      cap = static_cast<size_t>(next);
    }
    // Wait until there is something to read or the writer is gone: a FIFO nobody has opened
    // for writing yet reads as EOF at once, which must not end the read.
    struct pollfd p {};
    p.fd = fd;
    p.events = POLLIN;
    int ready = ::poll(&p, 1, cancel != nullptr ? kCancelCheckMs : -1);
    if (cancel != nullptr && cancel->load(std::memory_order_acquire)) {
      return Status::Error(Code::kCancelled, path);
    }
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, path, "poll");
    }
    if (ready == 0) continue;  // nothing yet: look at the cancel flag again
    if ((p.revents & POLLNVAL) != 0) return Status::FromErrno(EBADF, path, "poll");
    ssize_t n = ::read(fd, buf.get() + size, cap - size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::FromErrno(errno, path, "read");
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > limit) return too_large();
  return ReadBuffer{std::move(buf), size};
}

}  // namespace spl::rt
