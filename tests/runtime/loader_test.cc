// Loader: many concurrent jobs, cancellation at each stage, timeouts, many waiters, progress,
// completion on the loop thread, no leaked loop handles or descriptors.
#include "runtime/loader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using namespace std::chrono_literals;
using spl::testing::OpenFdCount;
using spl::testing::TempDir;

// A gate a progress callback can wait on, so a test can hold a load mid-prefault.
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

LoadOptions HeldAtFirstChunk(Gate& gate) {
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.prefault_workers = 1;
  o.on_progress = [&gate](uint64_t, uint64_t) { gate.Arrive(); };
  return o;
}

TEST(Loader, ThousandConcurrentJobs) {
  TempDir dir;
  std::vector<std::string> paths;
  for (int i = 0; i < 50; ++i) {
    paths.push_back(dir.WriteSized("f" + std::to_string(i), 1000 + i * 7919));
  }
  paths.push_back(dir.WriteSized("big", 3 << 20));
  Loader loader({.threads = 4});
  std::vector<std::shared_ptr<Job>> jobs;
  for (int i = 0; i < 1000; ++i) {
    LoadOptions o;
    o.prefault_chunk = 1 << 20;
    jobs.push_back(loader.Submit(paths[i % paths.size()], o));
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_TRUE(jobs[i]->Wait().ok()) << jobs[i]->Wait().ToString();
    auto r = jobs[i]->result();
    ASSERT_TRUE(r.ok());
    size_t k = i % paths.size();
    uint64_t want = k == 50 ? (3u << 20) : 1000 + k * 7919;
    EXPECT_EQ((*r)->size(), want);
    EXPECT_EQ(jobs[i]->progress(), 1.0);
  }
}

TEST(Loader, SubmitReturnsPendingOrLaterAndIdsDiffer) {
  TempDir dir;
  Loader loader({.threads = 1});
  auto a = loader.Submit(dir.WriteSized("a", 10), {});
  auto b = loader.Submit(dir.WriteSized("b", 10), {});
  EXPECT_NE(a->id(), b->id());
  EXPECT_TRUE(a->Wait().ok());
  EXPECT_TRUE(b->Wait().ok());
  EXPECT_EQ(a->state(), JobState::kReady);
}

TEST(Loader, CancelBeforeStartNeverRuns) {
  TempDir dir;
  std::string big = dir.WriteSized("big", 4 << 20);
  Gate gate;
  Loader loader({.threads = 1});
  auto blocker = loader.Submit(big, HeldAtFirstChunk(gate));
  gate.WaitReached();  // the only worker is now busy
  auto victim = loader.Submit(big, {});
  EXPECT_EQ(victim->state(), JobState::kPending);
  EXPECT_TRUE(victim->Cancel());
  EXPECT_EQ(victim->state(), JobState::kFailed) << "fails at once, not when a worker sees it";
  EXPECT_EQ(victim->Wait(0ms).code(), Code::kCancelled);
  gate.Open();
  EXPECT_TRUE(blocker->Wait().ok());
  EXPECT_EQ(victim->bytes_total(), 0u) << "it never ran";
  EXPECT_EQ(victim->result().status().code(), Code::kCancelled);
}

TEST(Loader, CancelDuringPrefaultStopsAndReleases) {
  TempDir dir;
  std::string big = dir.WriteSized("big", 16 << 20);
  Gate gate;
  Loader loader({.threads = 2});
  auto job = loader.Submit(big, HeldAtFirstChunk(gate));
  gate.WaitReached();
  EXPECT_EQ(job->state(), JobState::kLoading);
  EXPECT_TRUE(job->Cancel());
  gate.Open();
  Status s = job->Wait();
  EXPECT_EQ(s.code(), Code::kCancelled);
  EXPECT_LT(job->bytes_done(), job->bytes_total()) << "stopped before the end";
  EXPECT_EQ(job->result().status().code(), Code::kCancelled);
}

TEST(Loader, CancelAfterReadyIsNoOp) {
  TempDir dir;
  Loader loader({.threads = 1});
  auto job = loader.Submit(dir.WriteSized("f", 100000), {});
  ASSERT_TRUE(job->Wait().ok());
  EXPECT_FALSE(job->Cancel());
  EXPECT_EQ(job->state(), JobState::kReady);
  ASSERT_TRUE(job->result().ok());
  EXPECT_EQ((*job->result())->size(), 100000u);
}

TEST(Loader, WaitTimesOutAndTheLoadGoesOn) {
  TempDir dir;
  Gate gate;
  Loader loader({.threads = 1});
  auto job = loader.Submit(dir.WriteSized("big", 4 << 20), HeldAtFirstChunk(gate));
  gate.WaitReached();
  EXPECT_EQ(job->Wait(20ms).code(), Code::kTimedOut);
  EXPECT_EQ(job->result().status().code(), Code::kNotReady);
  gate.Open();
  EXPECT_TRUE(job->Wait(60s).ok());
}

TEST(Loader, ManyWaitersOnOneJob) {
  TempDir dir;
  Gate gate;
  Loader loader({.threads = 1});
  auto job = loader.Submit(dir.WriteSized("big", 4 << 20), HeldAtFirstChunk(gate));
  std::atomic<int> ok{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 8; ++i) {
    waiters.emplace_back([&] {
      if (job->Wait().ok()) ok.fetch_add(1);
    });
  }
  gate.WaitReached();
  gate.Open();
  for (auto& w : waiters) w.join();
  EXPECT_EQ(ok.load(), 8);
}

TEST(Loader, ProgressReachesOneAndParallelPrefaultCoversEverything) {
  TempDir dir;
  std::string big = dir.WriteSized("big", 24 << 20);
  Loader loader({.threads = 4});
  std::atomic<uint64_t> last_done{0};
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.prefault_workers = 4;
  o.on_progress = [&](uint64_t done, uint64_t) {
    uint64_t prev = last_done.load();
    while (done > prev && !last_done.compare_exchange_weak(prev, done)) {
    }
  };
  auto job = loader.Submit(big, o);
  ASSERT_TRUE(job->Wait().ok());
  EXPECT_EQ(job->bytes_done(), 24u << 20);
  EXPECT_EQ(job->bytes_total(), 24u << 20);
  EXPECT_EQ(last_done.load(), 24u << 20);
  EXPECT_EQ(job->progress(), 1.0);
  EXPECT_EQ(job->strategy(), Strategy::kMmap);
  EXPECT_NE(job->prefault_method(), PrefaultMethod::kNone);
}

TEST(Loader, FailuresArePublished) {
  Loader loader({.threads = 2});
  auto missing = loader.Submit("/nonexistent/file", {});
  EXPECT_EQ(missing->Wait().code(), Code::kNotFound);
  EXPECT_EQ(missing->state(), JobState::kFailed);
  auto dev = loader.Submit("/dev/zero", {});
  EXPECT_EQ(dev->Wait().code(), Code::kUnsupported);
}

TEST(Loader, CompletionCallbacksRunOnTheLoopThread) {
  TempDir dir;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Loader loader({.threads = 4});
  const auto loop_thread = std::this_thread::get_id();
  int seen = 0;
  bool wrong_thread = false;
  ASSERT_TRUE(loader
                  .AttachLoop(&loop,
                              [&](const std::shared_ptr<Job>& job) {
                                if (std::this_thread::get_id() != loop_thread) wrong_thread = true;
                                EXPECT_TRUE(job->is_done());
                                ++seen;
                              })
                  .ok());
  EXPECT_EQ(loader.AttachLoop(&loop, nullptr).code(), Code::kInvalidArgument);
  EXPECT_EQ(uv_loop_alive(&loop), 0) << "the completion handle alone keeps no loop alive";
  ASSERT_TRUE(loader.SetLoopRef(true).ok());
  EXPECT_NE(uv_loop_alive(&loop), 0);
  std::vector<std::shared_ptr<Job>> jobs;
  for (int i = 0; i < 20; ++i) {
    jobs.push_back(loader.Submit(dir.WriteSized("f" + std::to_string(i), 70000 * (i + 1)), {}));
  }
  jobs.push_back(loader.Submit("/nonexistent", {}));
  while (seen < 21) uv_run(&loop, UV_RUN_ONCE);
  EXPECT_FALSE(wrong_thread);
  ASSERT_TRUE(loader.SetLoopRef(false).ok());
  EXPECT_EQ(uv_loop_alive(&loop), 0);
  loader.DetachLoop();
  EXPECT_EQ(loader.SetLoopRef(true).code(), Code::kInvalidArgument) << "detached";
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0) << "no handle left behind";
}

TEST(Loader, DestructorCancelsQueuedJobs) {
  // The only worker is held inside the first job, so the second one stays queued. The gate
  // opens only after the queued job has ended, which happens inside ~Loader (it cancels the
  // queue before joining the worker): the queued job can never be picked up and run.
  TempDir dir;
  std::string big = dir.WriteSized("big", 4 << 20);
  std::shared_ptr<Job> blocker, queued;
  Status queued_end;
  Gate gate;
  std::thread opener;
  {
    Loader loader({.threads = 1});
    blocker = loader.Submit(big, HeldAtFirstChunk(gate));
    gate.WaitReached();
    queued = loader.Submit(big, {});
    EXPECT_EQ(queued->state(), JobState::kPending);
    opener = std::thread([&] {
      // Not a timing assumption: the wait ends when ~Loader cancels the job. The limit only
      // turns a destructor that never cancels into a failed assertion instead of a hang.
      queued_end = queued->Wait(60s);
      gate.Open();
    });
  }  // ~Loader: cancels `queued`, which lets `opener` open the gate, then joins the worker
  opener.join();
  EXPECT_EQ(queued_end.code(), Code::kCancelled) << queued_end.ToString();
  EXPECT_EQ(queued->state(), JobState::kFailed);
  EXPECT_EQ(queued->bytes_done(), 0u);  // it never ran
  EXPECT_TRUE(blocker->is_done());      // the running job was waited for
}

TEST(Loader, NoDescriptorLeftAfterTenThousandCycles) {
  TempDir dir;
  std::string small = dir.WriteSized("small", 1000);
  std::string big = dir.WriteSized("big", 200000);
  Loader loader({.threads = 4});
  const int before = OpenFdCount();
  for (int i = 0; i < 10000; ++i) {
    auto job = loader.Submit(i % 2 ? small : big, {});
    ASSERT_TRUE(job->Wait().ok());
    ASSERT_TRUE((*job->result())->Close().ok());
  }
  auto failing = loader.Submit(dir.path(), {});
  EXPECT_EQ(failing->Wait().code(), Code::kIsDirectory);
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(Loader, StartManyQueuesABatchThatAllCompletes) {
  TempDir dir;
  Loader loader({.threads = 3});
  std::vector<std::shared_ptr<Job>> jobs;
  for (int i = 0; i < 500; ++i) {
    jobs.push_back(loader.Prepare(dir.Write("f" + std::to_string(i), std::string(i + 1, 'x')), {}));
  }
  jobs.push_back(loader.Prepare(dir.Join("missing"), {}));
  for (const auto& j : jobs) EXPECT_EQ(j->state(), JobState::kPending) << "prepared, not queued";
  loader.StartMany(jobs);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(jobs[i]->Wait().ok());
    EXPECT_EQ(jobs[i]->result().value()->size(), static_cast<uint64_t>(i + 1));
  }
  EXPECT_EQ(jobs.back()->Wait().code(), Code::kNotFound);
  loader.StartMany({});  // nothing to do, nothing breaks
}

TEST(Loader, LoadsThatFinishTogetherReachTheLoopInOneWakeUp) {
  // The loop does not run while the loads finish; when it runs once, every completion is
  // delivered in that one iteration (the loader queued them behind one wake-up).
  TempDir dir;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Loader loader({.threads = 4});
  int seen = 0;
  ASSERT_TRUE(loader.AttachLoop(&loop, [&](const std::shared_ptr<Job>&) { ++seen; }).ok());
  ASSERT_TRUE(loader.SetLoopRef(true).ok());
  std::vector<std::shared_ptr<Job>> jobs;
  for (int i = 0; i < 64; ++i)
    jobs.push_back(loader.Prepare(dir.Write("f" + std::to_string(i), "abc"), {}));
  loader.StartMany(jobs);
  for (const auto& j : jobs) ASSERT_TRUE(j->Wait().ok());
  EXPECT_EQ(seen, 0) << "nothing is delivered while the loop does not run";
  uv_run(&loop, UV_RUN_NOWAIT);
  EXPECT_EQ(seen, 64) << "all 64 completions in one loop iteration";
  ASSERT_TRUE(loader.SetLoopRef(false).ok());
  loader.DetachLoop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(Loader, RunIfCachedLoadsAQueuedSmallFileOnTheCallingThread) {
  // The only worker is held in a load, so the next job stays queued; RunIfCached does it here.
  TempDir dir;
  Gate gate;
  Loader loader({.threads = 1});
  auto held = loader.Submit(dir.WriteSized("big", 4 << 20), HeldAtFirstChunk(gate));
  gate.WaitReached();
  std::string small = dir.Write("small", "cached bytes");
  std::string cat = "cat " + small + " > /dev/null";
  ASSERT_EQ(std::system(cat.c_str()), 0);  // in the page cache (it was just written anyway)
  auto job = loader.Submit(small, {});
  EXPECT_EQ(job->state(), JobState::kPending);
  ASSERT_TRUE(loader.RunIfCached(job));
  ASSERT_TRUE(job->is_ready());
  EXPECT_EQ(job->result().value()->size(), 12u);
  EXPECT_EQ(job->result().value()->strategy(), Strategy::kRead);
  EXPECT_FALSE(loader.RunIfCached(job)) << "already done";
  // A missing file's answer is definite: given at once too.
  auto missing = loader.Submit(dir.Join("missing"), {});
  ASSERT_TRUE(loader.RunIfCached(missing));
  EXPECT_EQ(missing->Wait().code(), Code::kNotFound);
  // A mapped file is left to the worker, which still loads it once free.
  LoadOptions mapped;
  mapped.mmap_threshold = 1;
  auto left = loader.Submit(small, mapped);
  EXPECT_FALSE(loader.RunIfCached(left));
  EXPECT_EQ(left->state(), JobState::kPending);
  gate.Open();
  ASSERT_TRUE(held->Wait().ok());
  ASSERT_TRUE(left->Wait().ok());
  EXPECT_EQ(left->result().value()->strategy(), Strategy::kMmap);
}

TEST(Loader, RunIfCachedRacingTheWorkersLoadsEachJobOnce) {
  // Workers and this thread race for the same jobs: each ends once, with the right size.
  TempDir dir;
  Loader loader({.threads = 2});
  for (int round = 0; round < 200; ++round) {
    std::vector<std::shared_ptr<Job>> jobs;
    for (int i = 0; i < 8; ++i) {
      jobs.push_back(
          loader.Prepare(dir.Write("r" + std::to_string(i), std::string(i + 1, 'y')), {}));
    }
    loader.StartMany(jobs);
    for (const auto& j : jobs) loader.RunIfCached(j);
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(jobs[i]->Wait().ok());
      EXPECT_EQ(jobs[i]->result().value()->size(), static_cast<uint64_t>(i + 1));
    }
  }
}

TEST(Loader, ABigMappingIsReadyOnceMappedAndTheRestFollows) {
  TempDir dir;
  std::string path = dir.WriteSized("big", 16 << 20);
  Loader loader({.threads = 3});
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.stream_threshold = 4 << 20;
  o.memory_window = UINT64_MAX;
  auto job = loader.Submit(path, o);
  ASSERT_TRUE(job->Wait().ok());
  auto region = job->result().value();
  EXPECT_EQ(region->strategy(), Strategy::kMmap);
  EXPECT_EQ(job->progress(), 1.0);
  // The background prefault and a scan meet without harm: the scan is complete.
  uint64_t lines = 0;
  ASSERT_TRUE(region
                  ->Read(0, region->size(),
                         [&](const uint8_t* p, size_t n) {
                           for (size_t i = 0; i < n; ++i) lines += p[i] == '\n';
                         })
                  .ok());
  EXPECT_GT(lines, 0u);
  // Closing stops the background prefault (it finds the region closed) and nothing crashes.
  ASSERT_TRUE(region->Close().ok());
}

TEST(Loader, AStreamingRegionIsNotPrefaultedBeyondItsStart) {
  // Window 2 MiB, chunks of 1 MiB, a 32 MiB file out of the page cache: Ready after the first
  // chunk, and nothing prefaults the rest in the background (the scans read ahead), so most
  // of it is not in memory; then a scan still reads everything.
  TempDir dir;
  std::string path = dir.WriteSized("big", 32 << 20);
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fdatasync(fd), 0);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // out of the page cache, if the kernel agrees
  Loader loader({.threads = 3});
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.stream_threshold = 4 << 20;
  o.memory_window = 2 << 20;
  auto job = loader.Submit(path, o);
  ASSERT_TRUE(job->Wait().ok());
  auto region = job->result().value();
  EXPECT_TRUE(region->drop_behind());
  std::this_thread::sleep_for(200ms);  // let the background prefault run as far as it may
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v(region->size() / page);
  ASSERT_EQ(::mincore(const_cast<uint8_t*>(region->unsafe_data()), region->size(), v.data()), 0);
  size_t resident = 0;
  for (unsigned char b : v) resident += b & 1;
  // Nothing prefaults it (only read-ahead around what was touched): far below 32 MiB.
  EXPECT_LT(resident * page, 16u << 20) << resident << " pages resident";
  ::close(fd);
  ChunkPlan plan;
  plan.chunk = 1 << 20;
  plan.exec = &loader;
  plan.max_helpers = 3;
  std::atomic<uint64_t> lines{0};
  ASSERT_TRUE(region
                  ->ReadChunked(0, region->size(), plan,
                                [&](size_t, const uint8_t* p, size_t n, uint64_t) {
                                  uint64_t c = 0;
                                  for (size_t i = 0; i < n; ++i) c += p[i] == '\n';
                                  lines += c;
                                })
                  .ok());
  EXPECT_GT(lines.load(), 0u);
}

TEST(Loader, StreamThresholdZeroPrefaultsEverythingFirst) {
  TempDir dir;
  Loader loader({.threads = 2});
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  o.stream_threshold = 0;
  auto job = loader.Submit(dir.WriteSized("f", 6 << 20), o);
  ASSERT_TRUE(job->Wait().ok());
  EXPECT_EQ(job->bytes_done(), 6u << 20);
}

// What a job ended with, for comparing two loaders: state, error code, strategy, bytes.
std::string Outcome(const std::shared_ptr<Job>& job) {
  std::string out = JobStateName(job->state());
  auto r = job->result();
  if (!r.ok()) return out + " " + std::to_string(static_cast<int>(r.status().code()));
  const Region& region = **r;
  out += " " + std::to_string(static_cast<int>(region.strategy())) + " ";
  EXPECT_TRUE(region
                  .Read(0, region.size(),
                        [&](const uint8_t* p, size_t n) {
                          out.append(reinterpret_cast<const char*>(p), n);
                        })
                  .ok());
  return out;
}

TEST(Loader, BatchedLoadsEndAsLoadsOneByOne) {
  // Workers take queued loads in batches (the small files read through io_uring where the
  // system allows it); every job must end as it does in a loader that loads one at a time.
  TempDir dir;
  std::vector<std::string> paths;
  for (int i = 0; i < 150; ++i) {
    paths.push_back(dir.Write("s" + std::to_string(i), std::string(1 + i * 97, 'a' + i % 26)));
  }
  paths.push_back(dir.Write("empty", ""));
  paths.push_back(dir.WriteSized("mapped", 3 << 20));
  paths.push_back(dir.Join("missing"));
  paths.push_back(dir.path());
  paths.push_back("/proc/self/stat");
  const std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  paths.push_back(fifo);
  for (int i = 0; i < 50; ++i) paths.push_back(paths[static_cast<size_t>(i) * 3]);
  // Loads a batch leaves to the usual way go back to the queue: many mapped files in a row.
  for (int i = 0; i < 12; ++i) paths.push_back(paths[151]);
  std::vector<std::vector<std::string>> outcomes;
  for (bool batch : {true, false}) {
    Loader loader({.threads = 2, .batch_reads = batch});
    std::vector<std::shared_ptr<Job>> jobs;
    for (const auto& p : paths) jobs.push_back(loader.Prepare(p, {}));
    loader.StartMany(jobs);
    std::vector<std::string> out;
    for (const auto& j : jobs) {
      (void)j->Wait();
      ASSERT_TRUE(j->is_done());
      out.push_back(Outcome(j));
    }
    outcomes.push_back(std::move(out));
  }
  ASSERT_EQ(outcomes[0].size(), outcomes[1].size());
  for (size_t i = 0; i < paths.size(); ++i) {
    // (/proc/self/stat differs between two reads: compare its state and strategy only)
    if (paths[i] == "/proc/self/stat") {
      EXPECT_EQ(outcomes[0][i].substr(0, 8), outcomes[1][i].substr(0, 8));
      continue;
    }
    EXPECT_EQ(outcomes[0][i], outcomes[1][i]) << paths[i];
  }
}

TEST(Loader, BatchedAnnouncementsAllReachTheLoop) {
  // Workers wake the loop once per batch of completions while more loads wait, and for the
  // rest when they run out of loads: a loop waiting for every completion gets them all.
  TempDir dir;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Loader loader({.threads = 3});
  int seen = 0;
  ASSERT_TRUE(loader.AttachLoop(&loop, [&](const std::shared_ptr<Job>&) { ++seen; }).ok());
  ASSERT_TRUE(loader.SetLoopRef(true).ok());
  uv_timer_t watchdog;
  bool timed_out = false;
  ASSERT_EQ(uv_timer_init(&loop, &watchdog), 0);
  watchdog.data = &timed_out;
  ASSERT_EQ(uv_timer_start(
                &watchdog, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 30000, 0),
            0);
  for (int round = 0; round < 3; ++round) {
    std::vector<std::shared_ptr<Job>> jobs;
    for (int i = 0; i < 257; ++i) {
      std::string name = "r" + std::to_string(round) + "f" + std::to_string(i);
      jobs.push_back(loader.Prepare(dir.Write(name, name), {}));
    }
    loader.StartMany(jobs);
    const int want = 257 * (round + 1);
    while (seen < want && !timed_out) uv_run(&loop, UV_RUN_ONCE);
    ASSERT_FALSE(timed_out) << "only " << seen << " of " << want << " completions arrived";
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
  ASSERT_TRUE(loader.SetLoopRef(false).ok());
  loader.DetachLoop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(Loader, DeliverCompletionsRunsWhatIsQueuedWithoutTheLoop) {
  TempDir dir;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Loader loader({.threads = 2});
  EXPECT_EQ(loader.DeliverCompletions().status().code(), Code::kInvalidArgument) << "no loop";
  int seen = 0;
  ASSERT_TRUE(loader.AttachLoop(&loop, [&](const std::shared_ptr<Job>&) { ++seen; }).ok());
  std::vector<std::shared_ptr<Job>> jobs;
  for (int i = 0; i < 40; ++i)
    jobs.push_back(loader.Prepare(dir.Write("f" + std::to_string(i), "abc"), {}));
  loader.StartMany(jobs);
  for (const auto& j : jobs) ASSERT_TRUE(j->Wait().ok());
  auto n = loader.DeliverCompletions();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 40u);
  EXPECT_EQ(seen, 40);
  uv_run(&loop, UV_RUN_NOWAIT);  // a wake-up sent for them finds nothing more
  EXPECT_EQ(seen, 40);
  EXPECT_EQ(*loader.DeliverCompletions(), 0u);
  loader.DetachLoop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace spl::rt
