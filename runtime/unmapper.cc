// Unmapper implementation: one lazily started thread and a queue (see unmapper.h).
#include "runtime/unmapper.h"

#include <sys/mman.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace spl::rt {
namespace {

class Unmapper {
 public:
  void Push(void* base, size_t length) {
    std::lock_guard lock(mu_);
    if (!started_) {
      std::thread([this] { Run(); }).detach();
      started_ = true;
    }
    queue_.emplace_back(base, length);
    ++pending_;
    cv_.notify_all();
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

Unmapper& Instance() {
  // Never destroyed: the thread may outlive static destruction at exit.
  static Unmapper* u = new Unmapper;
  return *u;
}

}  // namespace

void UnmapSoon(void* base, size_t length) {
  if (length < kUnmapInlineBelow) {
    ::munmap(base, length);
    return;
  }
  Instance().Push(base, length);
}

void UnmapDrain() { Instance().Drain(); }

}  // namespace spl::rt
