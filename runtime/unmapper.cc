// Unmapper implementation: one lazily started thread and a queue (see unmapper.h).
#include "runtime/unmapper.h"

#include <sys/mman.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

namespace spl::rt {
namespace {

class Unmapper {
 public:
  // False when the work cannot be queued (no thread or no memory): the caller unmaps inline.
  bool Push(void* base, size_t length) noexcept {
    try {
      std::lock_guard lock(mu_);
      if (!started_) {
        std::thread([this] { Run(); }).detach();
        started_ = true;
      }
      queue_.emplace_back(base, length);
      ++pending_;
    } catch (...) {
      return false;
    }
    cv_.notify_all();
    return true;
  }
  void Drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return !queue_.empty(); });
      auto [base, length] = queue_.front();
      queue_.pop_front();
      lock.unlock();
      ::munmap(base, length);
      lock.lock();
      --pending_;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<void*, size_t>> queue_;
  size_t pending_ = 0;
  bool started_ = false;
};

Unmapper* Instance() noexcept {
  // Never destroyed: the thread may outlive static destruction at exit. Null only when even
  // this could not be allocated.
  static Unmapper* u = new (std::nothrow) Unmapper;
  return u;
}

}  // namespace

void UnmapSoon(void* base, size_t length) noexcept {
  Unmapper* u = length < kUnmapInlineBelow ? nullptr : Instance();
  if (u == nullptr || !u->Push(base, length)) ::munmap(base, length);
}

void UnmapDrain() {
  if (Unmapper* u = Instance()) u->Drain();
}

}  // namespace spl::rt
