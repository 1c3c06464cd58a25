// ParallelFor: every index runs exactly once, on the caller and on helpers an executor lends,
// also when helpers start late (their pool was busy) or never; the loader lends its workers.
#include "runtime/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runtime/loader.h"

namespace spl::rt {
namespace {

// Lends plain threads, started after `delay` (a busy pool), joined at destruction.
class ThreadExecutor : public Executor {
 public:
  explicit ThreadExecutor(unsigned threads, std::chrono::milliseconds delay = {})
      : threads_(threads), delay_(delay) {}
  ~ThreadExecutor() override {
    for (auto& t : started_) t.join();
  }
  unsigned helper_threads() const override { return threads_; }
  void Help(unsigned n, std::shared_ptr<const std::function<void()>> fn) noexcept override {
    for (unsigned i = 0; i < n; ++i) {
      started_.emplace_back([fn, this] {
        std::this_thread::sleep_for(delay_);
        (*fn)();
      });
    }
    asked += n;
  }
  unsigned asked = 0;

 private:
  unsigned threads_;
  std::chrono::milliseconds delay_;
  std::vector<std::thread> started_;
};

void ExpectEachOnce(Executor* exec, size_t count, unsigned helpers) {
  std::vector<std::atomic<int>> runs(count);
  std::mutex mu;
  std::set<std::thread::id> threads;
  ParallelFor(exec, count, helpers, [&](size_t i) {
    runs[i].fetch_add(1);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  for (size_t i = 0; i < count; ++i) EXPECT_EQ(runs[i].load(), 1) << "index " << i;
}

TEST(ParallelFor, EachIndexOnceOnCallerAndHelpers) {
  ThreadExecutor exec(3);
  ExpectEachOnce(&exec, 200, 3);
  EXPECT_EQ(exec.asked, 3u);
}

TEST(ParallelFor, HelpersThatStartLateFindNothingLeft) {
  // The helpers start after the caller has done everything: the loop returns without them,
  // and when they run they touch nothing (the body would be gone by then).
  ThreadExecutor exec(2, std::chrono::milliseconds(300));
  ExpectEachOnce(&exec, 10, 2);
}

TEST(ParallelFor, WithoutExecutorOrWithOneIndexAllRunsHere) {
  ExpectEachOnce(nullptr, 50, 4);
  ThreadExecutor exec(4);
  ExpectEachOnce(&exec, 1, 4);
  EXPECT_EQ(exec.asked, 0u) << "one index needs no helper";
  ExpectEachOnce(&exec, 0, 4);
}

TEST(ParallelFor, TheLoaderLendsItsWorkers) {
  Loader loader({.threads = 3});
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::vector<std::atomic<int>> runs(64);
  ParallelFor(&loader, 64, 3, [&](size_t i) {
    runs[i].fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  for (auto& r : runs) EXPECT_EQ(r.load(), 1);
  EXPECT_GE(threads.size(), 2u) << "at least one worker helped";
}

}  // namespace
}  // namespace spl::rt
