// Loader: loads files in the background on a bounded worker pool of its own (not libuv's
// shared pool). Submit() returns a Job at once; workers open, classify, map or read, then
// prefault in chunks (several workers may prefault one big file), checking for cancellation
// between chunks and counting bytes done. A mapping of stream_threshold bytes or more is
// Ready as soon as it is mapped, so scanning starts at once; it is prefaulted in the
// background, at most half its memory window ahead of the scans (not at all for a region
// that streams through its window: its scans read ahead). The workers also help scans of
// big regions (Executor). A job's state is published with atomics, so
// is_ready() and a blocking Wait() work without any event loop. When a libuv loop is attached,
// completion callbacks run on the loop thread: workers only call uv_async_send.
// It does not interpret results: the C ABI (ffi/) and hosts do.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/parallel.h"
#include "runtime/region.h"
#include "runtime/status.h"
#include "runtime/strategy.h"

namespace spl::rt {

enum class JobState : uint8_t { kPending, kLoading, kReady, kFailed };
const char* JobStateName(JobState state);

class Loader;
struct LoopLink;

class Job : public std::enable_shared_from_this<Job> {
 public:
  // A job that is already finished: what a synchronous open hands to hosts that only know jobs.
  static std::shared_ptr<Job> Completed(std::string path, Result<std::shared_ptr<Region>> result,
                                        PrefaultMethod prefault = PrefaultMethod::kNone);

  uint64_t id() const { return id_; }
  // The host's own number for this job (e.g. its handle id), given at submit.
  uint64_t tag() const { return tag_; }
  const std::string& path() const { return path_; }
  JobState state() const { return state_.load(std::memory_order_acquire); }
  bool is_ready() const { return state() == JobState::kReady; }
  bool is_done() const {
    JobState s = state();
    return s == JobState::kReady || s == JobState::kFailed;
  }
  uint64_t bytes_total() const { return bytes_total_.load(std::memory_order_relaxed); }
  uint64_t bytes_done() const { return bytes_done_.load(std::memory_order_relaxed); }
  // 0.0 .. 1.0; 1.0 once Ready.
  double progress() const;
  Strategy strategy() const { return strategy_.load(std::memory_order_relaxed); }
  PrefaultMethod prefault_method() const {
    return prefault_method_.load(std::memory_order_relaxed);
  }

  // Blocks until the job is done or the timeout runs out (nullopt: no limit; a timeout too
  // long for the clock to represent as a deadline is no limit too). Ok when Ready, the
  // failure when Failed, TimedOut when time ran out (the load goes on). Many threads may
  // wait on one job.
  Status Wait(std::optional<std::chrono::nanoseconds> timeout = std::nullopt) const;
  // NotReady while the job runs; the region when Ready; the failure when Failed.
  Result<std::shared_ptr<Region>> result() const;
  // Before the job starts: it never runs and fails with Cancelled at once. While it runs: it
  // stops at the next checkpoint (between prefault chunks), releases everything and fails
  // with Cancelled. After it finished: no-op. Returns true if the job will end Cancelled.
  bool Cancel();

  Job(uint64_t id, uint64_t tag, std::string path, LoadOptions options,
      std::shared_ptr<LoopLink> link);

 private:
  friend class Loader;
  // announce: tell the attached loop (not for a load done on the thread that asked for it:
  // that caller sees the job ended when its call returns, see FinishCached).
  void Finish(Status status, std::shared_ptr<Region> region, bool announce = true) noexcept;

  const uint64_t id_;
  const uint64_t tag_;
  const std::string path_;
  const LoadOptions options_;
  const std::shared_ptr<LoopLink> link_;  // where to announce completion (may be null)

  std::atomic<JobState> state_{JobState::kPending};
  std::atomic<bool> cancel_requested_{false};
  std::atomic<uint64_t> bytes_total_{0};
  std::atomic<uint64_t> bytes_done_{0};
  std::atomic<Strategy> strategy_{Strategy::kEmpty};
  std::atomic<PrefaultMethod> prefault_method_{PrefaultMethod::kNone};

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Status status_;                   // guarded by mu_
  std::shared_ptr<Region> region_;  // guarded by mu_

  // Chunked prefault, shared by the workers that help with this job.
  std::shared_ptr<Region> work_region_;  // set before helpers are queued, cleared by Finish
  uint64_t chunk_size_ = 0;
  uint64_t chunk_count_ = 0;
  std::atomic<uint64_t> next_chunk_{0};
  std::atomic<uint64_t> chunks_done_{0};
  std::atomic<bool> chunk_failed_{false};
  Status chunk_error_;  // guarded by mu_

  // A batch left this load to the usual way (not a small file): it is not batched again.
  // Written by the worker holding the job; read by workers taking batches.
  std::atomic<bool> batch_declined_{false};
  // Next job in the loop link's delivery queue (guarded by the link's mutex).
  friend struct LoopLink;
  std::shared_ptr<Job> announce_next_;
};

struct LoaderOptions {
  unsigned threads = 4;  // size of the loader's own pool (at least 1)
  // Workers take several queued loads at once and open and read the small files among them
  // with io_uring (BatchReader); off, or where io_uring is refused, one load at a time.
  bool batch_reads = true;
};

// Called on the loop thread for every job that finished after the loop was attached.
using CompletionFn = std::function<void(const std::shared_ptr<Job>& job)>;

class Loader : public Executor {
 public:
  // Starts options.threads workers. When the system refuses a thread (memory, limits) the
  // pool runs with the workers it got; when it refuses the first, threads() is 0 and every
  // job fails with start_status(). Never throws.
  explicit Loader(LoaderOptions options = {});
  // Cancels jobs that have not started, waits for running ones, joins the workers.
  // REQUIRES: DetachLoop() was called (on the loop thread) if a loop was attached.
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Queues a load and returns at once. Same as Start(Prepare(...)).
  std::shared_ptr<Job> Submit(std::string path, const LoadOptions& options, uint64_t tag = 0);
  // Two-step submit for hosts that must record the job before it can complete: Prepare makes
  // the job (state Pending, not queued), Start queues it.
  std::shared_ptr<Job> Prepare(std::string path, const LoadOptions& options, uint64_t tag = 0);
  void Start(const std::shared_ptr<Job>& job);
  // Queues prepared jobs together: one lock and one wake-up of the pool for the whole batch
  // (many small files cost one hand-over instead of one each). Never throws: when the queue
  // cannot grow (memory), the jobs that did not fit fail with OutOfMemory.
  void StartMany(const std::vector<std::shared_ptr<Job>>& jobs) noexcept;
  // For a host about to wait for a job that no worker has started yet: runs the load on the
  // calling thread when that cannot block (OpenRegionIfCached: a small cached regular file,
  // or a definite error such as a missing file), which is much cheaper than a hand-over to a
  // worker and back. True when the job finished here. Otherwise the job is left to the
  // workers, as queued (it is put back at the front when this thread had claimed it).
  bool RunIfCached(const std::shared_ptr<Job>& job);

  // Attaches a libuv loop: from now on `on_complete` runs on the loop thread for each
  // finished job, except those RunIfCached finished on the calling
  // thread. The loop's handle starts unreferenced (it alone does not keep uv_run going); see
  // SetLoopRef. REQUIRES: called on the loop thread; one loop at a time.
  Status AttachLoop(uv_loop_t* loop, CompletionFn on_complete);
  // Whether the attached loop stays alive for completions: a host turns this on while
  // something waits for a job and off when nothing does. REQUIRES: on the loop thread.
  Status SetLoopRef(bool keep_alive);
  // Runs on_complete now for the jobs that finished and wait for the loop's next wake-up
  // (finished loads are announced in batches, see LoopLink): a host that is about to decide
  // whether to start more loads sees every load that has ended. How many were delivered.
  // REQUIRES: called on the loop thread.
  Result<size_t> DeliverCompletions();
  // Closes the loop handle (uv_close); run the loop once more to let it close.
  // REQUIRES: called on the loop thread.
  void DetachLoop();

  unsigned threads() const { return static_cast<unsigned>(workers_.size()); }

  // Executor: scans borrow the workers (Help queues ahead of loads waiting to start).
  unsigned helper_threads() const override { return threads(); }
  void Help(unsigned n, std::shared_ptr<const std::function<void()>> fn) noexcept override;
  // Why no worker could start (ok when at least one runs).
  const Status& start_status() const { return start_status_; }

 private:
  // Ends a job that OpenRegionIfCached loaded (or failed) on the calling thread, without
  // announcing it to the attached loop: the caller learns it ended from the return value, and
  // an announcement of a load nobody waits for would stay queued until the host next runs its
  // loop (a program that opens and awaits files one by one may never need to, and the queue
  // would hold every job it ever loaded).
  static void FinishCached(const std::shared_ptr<Job>& job, Result<std::shared_ptr<Region>> r);
  struct Task {
    std::shared_ptr<Job> job;
    bool prefault_helper = false;
    std::shared_ptr<const std::function<void()>> fn;  // a helper or background task (no job)
  };
  // After a big mapping is Ready: the rest of its prefault, on up to prefault_workers workers.
  void PrefaultInBackground(const std::shared_ptr<Job>& job, std::shared_ptr<Region> region);
  void WorkerMain();
  // The first queued task a worker may take: any, except a load from a descriptor source
  // (standard input) while another one runs: those go one at a time, in submission order,
  // so `wc - -` gives the data to the first. queue_.end() if none. REQUIRES: mu_ held.
  std::deque<Task>::iterator NextRunnable();
  void RunLoad(const std::shared_ptr<Job>& job);
  // Runs loads taken from the queue together (see BatchReader): the small files in one
  // batch; the rest go back to the front of the queue. REQUIRES: the tasks are loads, no
  // longer queued, and this thread has a BatchReader.
  void RunLoads(std::vector<std::shared_ptr<Job>>& jobs);
  // A load a batch left to the usual way, when it cannot go back to the queue (no memory;
  // shut_down: the loader stops, it ends Cancelled). Claims it again unless a cancel ended it.
  void RunDeclined(const std::shared_ptr<Job>& job, bool shut_down) noexcept;
  void RunClaimed(const std::shared_ptr<Job>& job);  // REQUIRES: the job is Loading, ours
  void RunPrefaultChunks(const std::shared_ptr<Job>& job);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;       // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  bool source_running_ = false;  // guarded by mu_: a load from a descriptor source runs
  std::vector<std::thread> workers_;
  const bool batch_reads_;
  std::atomic<uint64_t> next_id_{1};
  std::shared_ptr<LoopLink> link_;
  Status start_status_;
};

}  // namespace spl::rt
