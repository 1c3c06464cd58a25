// FdCloser implementation: one lazily started thread and a queue of descriptors (see
// fd_closer.h).
#include "runtime/fd_closer.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace spl::rt {
namespace {

class Closer {
 public:
  // False when fd cannot be queued (no thread, no memory, the thread behind): the caller
  // closes it.
  bool Push(int fd) noexcept {
    bool wake = false;
    try {
      std::lock_guard lock(mu_);
      if (failed_ || pending_ >= CloseMaxPending()) return false;  // (queued or being closed)
      // A program that opens a few files closes them inline and starts no thread.
      if (inline_left_ > 0) {
        --inline_left_;
        return false;
      }
      if (!started_) {
        std::thread([this] { Run(); }).detach();
        started_ = true;
      }
      queue_.push_back(fd);
      ++pending_;
      ++deferred_;
      // The thread sleeps without a timeout while nothing waits: the first descriptor of a
      // group starts its linger time, a full batch ends it.
      wake = queue_.size() == 1 || queue_.size() == kCloseBatch;
    } catch (...) {
      std::lock_guard lock(mu_);
      if (!started_) failed_ = true;  // (no thread: every later descriptor closes inline)
      return false;
    }
    if (wake) cv_.notify_all();
    return true;
  }
  void Drain() noexcept {
    std::vector<int> mine;
    std::unique_lock lock(mu_);
    mine.swap(queue_);
    lock.unlock();
    for (int fd : mine) ::close(fd);
    lock.lock();
    pending_ -= mine.size();
    done_cv_.wait(lock, [this] { return pending_ == 0; });
  }
  size_t Pending() noexcept {
    std::lock_guard lock(mu_);
    return pending_;
  }
  size_t Deferred() noexcept {
    std::lock_guard lock(mu_);
    return deferred_;
  }

 private:
  void Run() {
    std::vector<int> batch;
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return !queue_.empty(); });
      // A group smaller than a batch waits its linger time for more.
      cv_.wait_for(lock, std::chrono::milliseconds(kCloseLingerMs),
                   [this] { return queue_.size() >= kCloseBatch; });
      batch.clear();
      batch.swap(queue_);
      lock.unlock();
      for (int fd : batch) ::close(fd);
      lock.lock();
      pending_ -= batch.size();
      done_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;       // to the thread: descriptors are waiting
  std::condition_variable done_cv_;  // to Drain: a group was closed
  std::vector<int> queue_;
  size_t pending_ = 0;                // queued or being closed by the thread
  size_t deferred_ = 0;               // ever queued
  size_t inline_left_ = kCloseBatch;  // descriptors still to close inline before deferring
  bool started_ = false;
  bool failed_ = false;
};

Closer* Instance() noexcept {
  // Never destroyed: the thread may outlive static destruction at exit (the process's exit
  // closes whatever is still queued). Null only when even this could not be allocated.
  static Closer* c = new (std::nothrow) Closer;
  return c;
}

}  // namespace

size_t CloseMaxPending() noexcept {
  static const size_t max = [] {
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
      return kCloseMaxPending;
    }
    return std::min<size_t>(kCloseMaxPending, static_cast<size_t>(rl.rlim_cur / 4));
  }();
  return max;
}

void CloseSoon(Fd fd) noexcept {
  Closer* c = Instance();
  int raw = fd.get();
  if (raw < 0) return;
  if (c != nullptr && c->Push(raw)) {
    (void)fd.release();  // (the closer owns it now)
    return;
  }
  // fd closes here, as it goes out of scope.
}

void CloseDrain() noexcept {
  if (Closer* c = Instance()) c->Drain();
}

size_t CloseDeferredCount() noexcept {
  Closer* c = Instance();
  return c != nullptr ? c->Deferred() : 0;
}

size_t ClosePending() noexcept {
  Closer* c = Instance();
  return c != nullptr ? c->Pending() : 0;
}

}  // namespace spl::rt
