// The loader at its limits: Job::Wait with timeouts too long for the clock (they wait like no
// limit at all instead of overflowing into an immediate TimedOut), and exceptions thrown on a
// loader thread (they fail the job instead of ending the process).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/loader.h"
#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using namespace std::chrono_literals;
using spl::testing::TempDir;

// Holds a load at its first prefault chunk until Open().
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  bool reached = false;
  void Arrive() {
    std::unique_lock lock(mu);
    reached = true;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  void WaitReached() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return reached; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(JobWait, HugeTimeoutsWaitForTheLoad) {
  TempDir dir;
  Gate gate;
  Loader loader({.threads = 1});
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.prefault_workers = 1;
  o.on_progress = [&gate](uint64_t, uint64_t) { gate.Arrive(); };
  auto job = loader.Submit(dir.WriteSized("big", 4 << 20), o);
  gate.WaitReached();

  const std::vector<std::chrono::nanoseconds> limits = {std::chrono::nanoseconds::max(),
                                                        std::chrono::nanoseconds::max() - 1ns,
                                                        std::chrono::nanoseconds(INT64_MAX / 2)};
  std::atomic<int> returned{0};
  std::vector<Status> results(limits.size());
  std::vector<std::thread> waiters;
  for (size_t i = 0; i < limits.size(); ++i) {
    waiters.emplace_back([&, i] {
      results[i] = job->Wait(limits[i]);
      returned.fetch_add(1);
    });
  }
  // The load is held: no wait may end yet. (Before the fix the first two came back at once
  // with TimedOut, their deadline having overflowed into the past.)
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(returned.load(), 0);
  gate.Open();
  for (auto& w : waiters) w.join();
  for (size_t i = 0; i < limits.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].ToString();
  }
}

TEST(JobWait, ShortAndNegativeTimeoutsStillTimeOut) {
  TempDir dir;
  Gate gate;
  Loader loader({.threads = 1});
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.prefault_workers = 1;
  o.on_progress = [&gate](uint64_t, uint64_t) { gate.Arrive(); };
  auto job = loader.Submit(dir.WriteSized("big", 4 << 20), o);
  gate.WaitReached();
  EXPECT_EQ(job->Wait(0ns).code(), Code::kTimedOut);
  EXPECT_EQ(job->Wait(-5ms).code(), Code::kTimedOut);
  EXPECT_EQ(job->Wait(std::chrono::nanoseconds::min()).code(), Code::kTimedOut);
  EXPECT_EQ(job->Wait(10ms).code(), Code::kTimedOut);
  gate.Open();
  EXPECT_TRUE(job->Wait().ok());
}

TEST(LoaderFailures, ExceptionsOnAWorkerFailTheJob) {
  TempDir dir;
  Loader loader({.threads = 2});
  std::string path = dir.WriteSized("big", 4 << 20);
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.prefault_workers = 2;
  o.on_progress = [](uint64_t, uint64_t) { throw std::bad_alloc(); };
  auto oom = loader.Submit(path, o);
  Status s = oom->Wait();
  EXPECT_EQ(s.code(), Code::kOutOfMemory);
  EXPECT_EQ(s.ToString(), "out of memory loading " + path);
  o.on_progress = [](uint64_t, uint64_t) { throw std::runtime_error("boom"); };
  auto other = loader.Submit(path, o);
  EXPECT_EQ(other->Wait().code(), Code::kIoError);
  EXPECT_EQ(other->Wait().ToString(), "I/O error: " + path + " (internal error)");
  // The workers are still there.
  auto fine = loader.Submit(path, LoadOptions{});
  EXPECT_TRUE(fine->Wait().ok());
}

TEST(LoaderFailures, ThreadCountIsWhatRuns) {
  Loader loader({.threads = 3});
  EXPECT_EQ(loader.threads(), 3u);
  EXPECT_TRUE(loader.start_status().ok());
}

}  // namespace
}  // namespace spl::rt
