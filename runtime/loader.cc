// Loader implementation: worker pool, job state machine, chunked prefault, loop delivery.
#include "runtime/loader.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <new>
#include <system_error>

#include "runtime/batch_read.h"

namespace spl::rt {

// Completion delivery onto an attached libuv loop. Workers push and uv_async_send; the loop
// thread drains and calls the callback. Nothing else crosses threads. The queue is intrusive
// (through Job::announce_next_), so announcing a job never allocates and cannot fail.
struct LoopLink {
  // Announcements from a worker while more loads wait in the pool's queue are sent to the
  // loop in batches of this many: a host consuming many small files is woken once per batch
  // instead of once per file or two. Whatever is left unsent is sent when a worker finds no
  // load to take (Flush), so nothing waits longer than the queue takes to drain.
  static constexpr size_t kWakeBatch = 16;

  std::mutex mu;
  uv_async_t* async = nullptr;           // guarded by mu; null when no loop is attached
  std::shared_ptr<Job> head;             // guarded by mu: jobs to deliver, oldest first
  Job* tail = nullptr;                   // guarded by mu
  size_t queued = 0;                     // guarded by mu: length of the head..tail queue
  bool signalled = false;                // guarded by mu: uv_async_send called since the last drain
  std::atomic<size_t> loads_waiting{0};  // load tasks in the loader's queue (kept by Loader)
  CompletionFn on_complete;              // set and used on the loop thread only

  // A job announced while nothing was signalled wakes the loop, unless `may_batch` (a worker
  // announcing while more loads wait) and fewer than kWakeBatch are queued. The loop thread
  // drains the whole queue at once, so loads finishing together cost one wake-up (and one
  // callback batch), not one each.
  void Announce(std::shared_ptr<Job> job, bool may_batch) noexcept {
    std::lock_guard lock(mu);
    if (async == nullptr) return;
    Job* raw = job.get();
    raw->announce_next_.reset();
    if (tail != nullptr) {
      tail->announce_next_ = std::move(job);
    } else {
      head = std::move(job);
    }
    tail = raw;
    ++queued;
    if (signalled) return;
    if (may_batch && queued < kWakeBatch && loads_waiting.load(std::memory_order_relaxed) > 0) {
      return;  // (Flush, or a later announcement, wakes the loop)
    }
    SignalLocked();
  }

  // Wakes the loop for jobs queued by batched announcements (a worker about to sleep).
  void Flush() noexcept {
    std::lock_guard lock(mu);
    if (async != nullptr && !signalled && head) SignalLocked();
  }

  void SignalLocked() noexcept {
    signalled = true;
    uv_async_send(async);
  }

  // Unlinks every queued job (on detach).
  void ClearLocked() noexcept {
    std::shared_ptr<Job> j = std::move(head);
    tail = nullptr;
    queued = 0;
    signalled = false;
    while (j) j = std::move(j->announce_next_);
  }

  // Runs the callback for every queued job (on the loop thread); how many there were. A
  // wake-up already sent for them finds the queue empty.
  size_t Deliver() {
    std::shared_ptr<Job> batch;
    {
      std::lock_guard lock(mu);
      batch = std::move(head);
      tail = nullptr;
      queued = 0;
      signalled = false;
    }
    size_t n = 0;
    while (batch) {
      std::shared_ptr<Job> next = std::move(batch->announce_next_);
      if (on_complete) on_complete(batch);
      batch = std::move(next);
      ++n;
    }
    return n;
  }

  static void OnAsync(uv_async_t* handle) { static_cast<LoopLink*>(handle->data)->Deliver(); }
};

namespace {

// Set on the loader's worker threads: their announcements may be batched (LoopLink).
thread_local bool t_on_worker = false;

// The worker's BatchReader, made on first use; null where io_uring is refused (then never
// asked again on this thread).
BatchReader* ThreadBatchReader() {
  thread_local std::unique_ptr<BatchReader> reader;
  thread_local bool tried = false;
  if (!tried) {
    tried = true;
    reader = BatchReader::Create();
  }
  return reader.get();
}

// The Status for an exception caught on a loader thread (where nothing may escape: an
// exception leaving a thread's function ends the process). Never throws itself.
Status StatusFromException(const std::string& path) noexcept {
  Code code = Code::kIoError;
  const char* detail = "internal error";
  try {
    throw;
  } catch (const std::bad_alloc&) {
    code = Code::kOutOfMemory;
    detail = "loading";
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::not_enough_memory ||
        e.code() == std::errc::resource_unavailable_try_again) {
      code = Code::kOutOfMemory;
      detail = "loading";
    }
  } catch (...) {
  }
  try {
    return Status::Error(code, path, detail);
  } catch (...) {
    return Status::Error(code);  // no memory even for the path: the code alone
  }
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kLoading:
      return "loading";
    case JobState::kReady:
      return "ready";
    case JobState::kFailed:
      return "failed";
  }
  return "?";
}

Job::Job(uint64_t id, uint64_t tag, std::string path, LoadOptions options,
         std::shared_ptr<LoopLink> link)
    : id_(id), tag_(tag), path_(std::move(path)), options_(options), link_(std::move(link)) {}

std::shared_ptr<Job> Job::Completed(std::string path, Result<std::shared_ptr<Region>> result,
                                    PrefaultMethod prefault) {
  auto job = std::make_shared<Job>(0, 0, std::move(path), LoadOptions{}, nullptr);
  if (result.ok()) {
    auto region = std::move(result.value());
    job->strategy_.store(region->strategy());
    job->prefault_method_.store(prefault);
    job->bytes_total_.store(region->size());
    job->bytes_done_.store(region->size());
    job->Finish(Status::Ok(), std::move(region));
  } else {
    job->Finish(result.status(), nullptr);
  }
  return job;
}

double Job::progress() const {
  if (is_ready()) return 1.0;
  uint64_t total = bytes_total();
  if (total == 0) return 0.0;
  return std::min(1.0, static_cast<double>(bytes_done()) / static_cast<double>(total));
}

Status Job::Wait(std::optional<std::chrono::nanoseconds> timeout) const {
  std::unique_lock lock(mu_);
  auto done = [this] { return is_done(); };
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout) {
    // A deadline the clock cannot hold (timeouts of centuries) means no limit: adding it
    // to now() would overflow (signed) and time out at once.
    auto now = std::chrono::steady_clock::now();
    if (*timeout <= std::chrono::steady_clock::time_point::max() - now) deadline = now + *timeout;
  }
  if (deadline) {
    if (!cv_.wait_until(lock, *deadline, done)) {
      return Status::Error(Code::kTimedOut, path_, "load still running");
    }
  } else {
    cv_.wait(lock, done);
  }
  return status_;
}

Result<std::shared_ptr<Region>> Job::result() const {
  std::lock_guard lock(mu_);
  switch (state()) {
    case JobState::kReady:
      return region_;
    case JobState::kFailed:
      return status_;
    default:
      return Status::Error(Code::kNotReady, path_, "load still running");
  }
}

bool Job::Cancel() {
  {
    std::lock_guard lock(mu_);
    JobState expected = JobState::kPending;
    if (!state_.compare_exchange_strong(expected, JobState::kFailed, std::memory_order_acq_rel)) {
      if (expected == JobState::kReady) return false;
      if (expected == JobState::kFailed) return status_.code() == Code::kCancelled;
      // Loading: the worker stops at its next checkpoint; Finish turns any outcome into
      // Cancelled from now on.
      cancel_requested_.store(true, std::memory_order_release);
      return true;
    }
    status_ = Status::Error(Code::kCancelled, path_);
    // Announced before a waiter can see the job done (see Finish).
    if (link_) link_->Announce(shared_from_this(), /*may_batch=*/false);
    cv_.notify_all();
  }
  return true;
}

void Job::Finish(Status status, std::shared_ptr<Region> region, bool announce) noexcept {
  {
    std::lock_guard lock(mu_);
    if (is_done()) return;
    if (cancel_requested_.load(std::memory_order_acquire)) {
      try {
        status = Status::Error(Code::kCancelled, path_);
      } catch (...) {
        status = Status::Error(Code::kCancelled);  // no memory to copy the path
      }
    }
    status_ = std::move(status);
    region_ = status_.ok() ? std::move(region) : nullptr;
    work_region_.reset();
    state_.store(status_.ok() ? JobState::kReady : JobState::kFailed, std::memory_order_release);
    // Announced while the lock is held: a host that Wait()s for a job and then runs its loop
    // always finds the completion queued (lock order: job, then link; the loop thread never
    // takes a job's lock while it holds the link's).
    if (link_ && announce) link_->Announce(shared_from_this(), /*may_batch=*/t_on_worker);
    cv_.notify_all();
  }
}

Loader::Loader(LoaderOptions options)
    : batch_reads_(options.batch_reads), link_(std::make_shared<LoopLink>()) {
  unsigned n = std::max(1u, options.threads);
  try {
    workers_.reserve(n);
    for (unsigned i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerMain(); });
  } catch (const std::exception& e) {
    // The system refused a thread (std::system_error, EAGAIN: memory or limits) or memory ran
    // out: run with the workers already started; with none, every job fails (Start).
    if (workers_.empty()) {
      start_status_ = Status::Error(Code::kOutOfMemory, {},
                                    fmt::format("starting loader threads ({})", e.what()));
    }
  }
}

Loader::~Loader() {
  std::deque<Task> abandoned;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    abandoned.swap(queue_);
    link_->loads_waiting.store(0, std::memory_order_relaxed);
  }
  cv_.notify_all();
  for (auto& t : abandoned) {
    if (t.job && !t.prefault_helper)
      t.job->Finish(Status::Error(Code::kCancelled, t.job->path(), "loader shut down"), nullptr);
  }
  for (auto& w : workers_) w.join();
}

std::shared_ptr<Job> Loader::Submit(std::string path, const LoadOptions& options, uint64_t tag) {
  auto job = Prepare(std::move(path), options, tag);
  Start(job);
  return job;
}

std::shared_ptr<Job> Loader::Prepare(std::string path, const LoadOptions& options, uint64_t tag) {
  return std::make_shared<Job>(next_id_.fetch_add(1, std::memory_order_relaxed), tag,
                               std::move(path), options, link_);
}

void Loader::Start(const std::shared_ptr<Job>& job) {
  if (workers_.empty()) {
    job->Finish(start_status_, nullptr);
    return;
  }
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(Task{job, false, nullptr});
      link_->loads_waiting.fetch_add(1, std::memory_order_relaxed);
      queued = true;
    }
  }
  if (queued) {
    cv_.notify_one();
    return;
  }
  job->Finish(Status::Error(Code::kCancelled, job->path(), "loader shut down"), nullptr);
}

void Loader::StartMany(const std::vector<std::shared_ptr<Job>>& jobs) noexcept {
  if (jobs.empty()) return;
  if (workers_.empty()) {
    for (const auto& job : jobs) job->Finish(start_status_, nullptr);
    return;
  }
  size_t queued = 0;
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
    if (!stopping) {
      try {
        for (; queued < jobs.size(); ++queued) queue_.push_back(Task{jobs[queued], false, nullptr});
      } catch (...) {
        // The queue could not grow: the jobs not queued fail below.
      }
      link_->loads_waiting.fetch_add(queued, std::memory_order_relaxed);
    }
  }
  // One worker is woken; a worker that takes work and leaves more wakes the next (WorkerMain),
  // so the submitting thread makes one wake-up per batch, not one per worker.
  if (queued > 0) cv_.notify_one();
  const Code code = stopping ? Code::kCancelled : Code::kOutOfMemory;
  for (size_t i = queued; i < jobs.size(); ++i) {
    Status s;
    try {
      s = Status::Error(code, jobs[i]->path(), stopping ? "loader shut down" : "queueing the load");
    } catch (...) {
      s = Status::Error(code);  // no memory even for the message: the code alone
    }
    jobs[i]->Finish(std::move(s), nullptr);
  }
}

void Loader::FinishCached(const std::shared_ptr<Job>& job, Result<std::shared_ptr<Region>> r) {
  if (r.ok()) {
    std::shared_ptr<Region> region = std::move(r.value());
    job->strategy_.store(region->strategy(), std::memory_order_relaxed);
    job->bytes_total_.store(region->size(), std::memory_order_relaxed);
    job->bytes_done_.store(region->size(), std::memory_order_relaxed);
    job->Finish(Status::Ok(), std::move(region), /*announce=*/false);
  } else {
    job->Finish(r.status(), nullptr, /*announce=*/false);
  }
}

bool Loader::RunIfCached(const std::shared_ptr<Job>& job) {
  if (job->options_.source || workers_.empty()) return false;
  JobState expected = JobState::kPending;
  if (!job->state_.compare_exchange_strong(expected, JobState::kLoading,
                                           std::memory_order_acq_rel)) {
    return false;  // a worker has it (or it was cancelled)
  }
  Result<std::shared_ptr<Region>> r = Status::Error(Code::kNotReady);
  try {
    r = OpenRegionIfCached(job->path(), job->options_);
  } catch (...) {
    r = StatusFromException(job->path());
  }
  if (!r.ok() && r.status().code() == Code::kNotReady) {
    // Back to the workers. The job's task may still be queued: whichever task a worker takes
    // first runs it (RunLoad claims the job), the other finds it taken and skips it. A cancel
    // asked for meanwhile set cancel_requested_, which that run honours.
    job->state_.store(JobState::kPending, std::memory_order_release);
    bool queued = false;
    bool stopping = false;
    try {
      std::lock_guard lock(mu_);
      stopping = stopping_;
      if (!stopping) {
        queue_.push_front(Task{job, false, nullptr});
        link_->loads_waiting.fetch_add(1, std::memory_order_relaxed);
        queued = true;
      }
    } catch (...) {
      // No memory to queue it again.
    }
    if (queued) {
      cv_.notify_one();
      return false;
    }
    // A worker may already have dropped the original task (it found the job claimed): run or
    // end the job here, so that it never stays pending forever.
    JobState pending = JobState::kPending;
    if (job->state_.compare_exchange_strong(pending, JobState::kLoading,
                                            std::memory_order_acq_rel)) {
      if (stopping) {
        job->Finish(Status::Error(Code::kCancelled, job->path(), "loader shut down"), nullptr);
      } else {
        try {
          RunClaimed(job);
        } catch (...) {
          job->Finish(StatusFromException(job->path()), nullptr);
        }
      }
    }
    return job->is_done();
  }
  FinishCached(job, std::move(r));
  return true;
}

void Loader::Help(unsigned n, std::shared_ptr<const std::function<void()>> fn) noexcept {
  if (n == 0 || workers_.empty() || !fn) return;
  unsigned queued = 0;
  try {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (; queued < n; ++queued) queue_.push_front(Task{nullptr, false, fn});
  } catch (...) {
    // Fewer helpers: the caller does the rest.
  }
  if (queued == 1) {
    cv_.notify_one();
  } else if (queued > 1) {
    cv_.notify_all();
  }
}

void Loader::PrefaultInBackground(const std::shared_ptr<Job>& job, std::shared_ptr<Region> region) {
  struct State {
    std::shared_ptr<Region> region;
    uint64_t chunk = 0;
    uint64_t count = 0;
    bool touch = false;
    std::atomic<uint64_t> next{0};
    std::atomic<bool> stop{false};
  };
  auto st = std::make_shared<State>();
  st->chunk = job->chunk_size_;
  st->count = job->chunk_count_;
  st->region = std::move(region);
  auto fn = std::make_shared<const std::function<void()>>([st] {
    Region& r = *st->region;
    const uint64_t window = r.memory_window();
    for (;;) {
      uint64_t i = st->next.fetch_add(1, std::memory_order_relaxed);
      if (i >= st->count || st->stop.load(std::memory_order_relaxed)) return;
      const uint64_t off = i * st->chunk;
      const uint64_t len = std::min(st->chunk, r.size() - off);
      const uint64_t frontier = r.scan_frontier();
      if (off + len <= frontier) continue;  // a scan has been there already
      if (window != 0 && off > frontier + window / 2) {
        // Never further ahead of the scans than half the window (the other half is for the
        // chunks being scanned and their read-ahead): scans read on from here.
        st->stop.store(true, std::memory_order_relaxed);
        return;
      }
      PrefaultMethod used = PrefaultMethod::kNone;
      Status s;
      try {
        s = r.Prefault(off, len, false, &used);
      } catch (...) {
        s = Status::Error(Code::kOutOfMemory);
      }
      // Closed or truncated meanwhile: stop; the scans report what matters to the program.
      if (!s.ok()) st->stop.store(true, std::memory_order_relaxed);
    }
  });
  // Cold data is brought in by one worker (one stream reads it fastest; see MostlyCold).
  const unsigned workers = st->region->MostlyCold(0, st->region->size())
                               ? 1u
                               : std::max(1u, job->options_.prefault_workers);
  unsigned queued = 0;
  try {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (; queued < workers; ++queued) queue_.push_back(Task{nullptr, false, fn});
  } catch (...) {
  }
  if (queued > 0) cv_.notify_all();
}

Status Loader::AttachLoop(uv_loop_t* loop, CompletionFn on_complete) {
  std::lock_guard lock(link_->mu);
  if (link_->async != nullptr) {
    return Status::Error(Code::kInvalidArgument, {}, "a loop is already attached");
  }
  auto* async = new (std::nothrow) uv_async_t;
  if (async == nullptr) return Status::Error(Code::kOutOfMemory, {}, "attaching the loop");
  int rc = uv_async_init(loop, async, &LoopLink::OnAsync);
  if (rc != 0) {
    delete async;
    return Status::Error(Code::kIoError, {}, fmt::format("uv_async_init: {}", uv_strerror(rc)));
  }
  async->data = link_.get();
  uv_unref(reinterpret_cast<uv_handle_t*>(async));
  link_->on_complete = std::move(on_complete);
  link_->async = async;
  return Status::Ok();
}

Status Loader::SetLoopRef(bool keep_alive) {
  std::lock_guard lock(link_->mu);
  if (link_->async == nullptr) return Status::Error(Code::kInvalidArgument, {}, "no loop attached");
  auto* handle = reinterpret_cast<uv_handle_t*>(link_->async);
  if (keep_alive) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
  return Status::Ok();
}

Result<size_t> Loader::DeliverCompletions() {
  {
    std::lock_guard lock(link_->mu);
    if (link_->async == nullptr) {
      return Status::Error(Code::kInvalidArgument, {}, "no loop attached");
    }
  }
  return link_->Deliver();
}

void Loader::DetachLoop() {
  uv_async_t* async;
  {
    std::lock_guard lock(link_->mu);
    async = link_->async;
    link_->async = nullptr;
    link_->ClearLocked();
  }
  if (async == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(async),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void Loader::WorkerMain() {
  // Background work: SCHED_BATCH keeps a woken worker from preempting the thread that
  // submitted (measured: submit latency went from milliseconds to microseconds on 2 cores).
  struct sched_param param {};
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
  t_on_worker = true;
  std::vector<std::shared_ptr<Job>> batch;  // loads taken together (RunLoads)
  for (;;) {
    Task task;
    bool from_source = false;
    bool wake_next = false;
    {
      std::unique_lock lock(mu_);
      std::deque<Task>::iterator next;
      if (!stopping_ && NextRunnable() == queue_.end()) {
        // Nothing to take: wake the loop for what this pool finished (batched announcements)
        // before sleeping. (Outside our lock: the link's lock is taken under jobs' locks.)
        lock.unlock();
        link_->Flush();
        lock.lock();
      }
      cv_.wait(lock, [&] { return stopping_ || (next = NextRunnable()) != queue_.end(); });
      if (stopping_ && queue_.empty()) return;  // stopping and drained
      next = NextRunnable();
      if (next == queue_.end()) continue;
      task = std::move(*next);
      queue_.erase(next);
      from_source = !task.fn && !task.prefault_helper && task.job->options_.source != nullptr;
      if (from_source) source_running_ = true;
      if (task.job && !task.prefault_helper) {
        link_->loads_waiting.fetch_sub(1, std::memory_order_relaxed);
        if (batch_reads_ && !task.job->batch_declined_.load(std::memory_order_relaxed) &&
            BatchReader::Eligible(task.job->options_)) {
          // More loads waiting: this worker takes half of them into one batch (the other
          // workers share the rest), up to BatchReader's limit. (Its ring is made then, so a
          // pool that never sees two loads at once holds no ring.)
          size_t want = std::min(BatchReader::kMaxBatch,
                                 1 + link_->loads_waiting.load(std::memory_order_relaxed) / 2);
          if (want > 1 && ThreadBatchReader() != nullptr) {
            try {
              batch.reserve(want);
              batch.push_back(task.job);
              for (auto it = queue_.begin(); it != queue_.end() && batch.size() < want;) {
                if (it->job && !it->fn && !it->prefault_helper &&
                    !it->job->batch_declined_.load(std::memory_order_relaxed) &&
                    BatchReader::Eligible(it->job->options_)) {
                  batch.push_back(std::move(it->job));
                  it = queue_.erase(it);
                  link_->loads_waiting.fetch_sub(1, std::memory_order_relaxed);
                } else {
                  ++it;
                }
              }
            } catch (...) {
              // (reserve failed before anything was taken: the one load runs alone)
              batch.clear();
            }
          }
        }
      }
      wake_next = NextRunnable() != queue_.end();
    }
    // Work left behind: wake one more worker (which does the same), so a submission of many
    // loads wakes as many workers as find work, each woken by a worker rather than by the
    // thread that submitted.
    if (wake_next) cv_.notify_one();
    if (batch.size() > 1) {
      RunLoads(batch);
      batch.clear();
      continue;
    }
    batch.clear();
    if (task.fn) {
      try {
        (*task.fn)();
      } catch (...) {
        // Helpers catch their own failures; nothing may leave a worker.
      }
    } else if (task.prefault_helper) {
      RunPrefaultChunks(task.job);  // catches per chunk: the chunk count must stay right
    } else {
      try {
        RunLoad(task.job);
      } catch (...) {
        task.job->Finish(StatusFromException(task.job->path()), nullptr);
      }
    }
    if (from_source) {
      std::lock_guard lock(mu_);
      source_running_ = false;
      cv_.notify_all();
    }
  }
}

std::deque<Loader::Task>::iterator Loader::NextRunnable() {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->fn || it->prefault_helper || it->job->options_.source == nullptr || !source_running_) {
      return it;
    }
  }
  return queue_.end();
}

void Loader::RunLoad(const std::shared_ptr<Job>& job) {
  JobState expected = JobState::kPending;
  if (!job->state_.compare_exchange_strong(expected, JobState::kLoading,
                                           std::memory_order_acq_rel)) {
    return;  // cancelled before it started (never runs), or run by RunIfCached
  }
  RunClaimed(job);
}

void Loader::RunLoads(std::vector<std::shared_ptr<Job>>& jobs) {
  // Claim each (a cancel or RunIfCached may have taken some meanwhile).
  size_t claimed = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    JobState expected = JobState::kPending;
    if (jobs[i]->state_.compare_exchange_strong(expected, JobState::kLoading,
                                                std::memory_order_acq_rel)) {
      if (claimed != i) jobs[claimed] = std::move(jobs[i]);
      ++claimed;
    }
  }
  jobs.resize(claimed);
  BatchReader::Item items[BatchReader::kMaxBatch];
  for (size_t i = 0; i < claimed; ++i) {
    items[i].path = &jobs[i]->path();
    items[i].options = &jobs[i]->options_;
  }
  ThreadBatchReader()->Load(items, claimed);
  // The loads the batch did end here; the others go back to the front of the queue, in
  // order, as if never taken: any worker may run them (a batch of big files is not loaded
  // one after the other on this thread) and a cancel ends them at once, as a queued load.
  std::vector<std::shared_ptr<Job>> back;
  for (size_t i = 0; i < claimed; ++i) {
    const std::shared_ptr<Job>& job = jobs[i];
    if (items[i].region) {
      std::shared_ptr<Region> region = std::move(items[i].region);
      job->strategy_.store(region->strategy(), std::memory_order_relaxed);
      job->bytes_total_.store(region->size(), std::memory_order_relaxed);
      job->bytes_done_.store(region->size(), std::memory_order_relaxed);
      job->Finish(Status::Ok(), std::move(region));  // (a cancel asked for meanwhile wins)
      continue;
    }
    if (job->cancel_requested_.load(std::memory_order_acquire)) {
      job->Finish(Status::Error(Code::kCancelled, job->path()), nullptr);
      continue;
    }
    job->batch_declined_.store(true, std::memory_order_relaxed);
    job->state_.store(JobState::kPending, std::memory_order_release);
    try {
      back.push_back(job);
    } catch (...) {
      RunDeclined(job, false);
    }
  }
  if (back.empty()) return;
  size_t queued = 0;
  bool stopping = false;
  try {
    std::lock_guard lock(mu_);
    stopping = stopping_;
    if (!stopping) {
      for (auto it = back.rbegin(); it != back.rend(); ++it, ++queued) {
        queue_.push_front(Task{*it, false, nullptr});
        link_->loads_waiting.fetch_add(1, std::memory_order_relaxed);
      }
    }
  } catch (...) {
    // No memory to queue them again: the rest run here.
  }
  if (queued > 0) cv_.notify_one();  // (more are woken one by one, as in StartMany)
  for (size_t k = 0; k < back.size() - queued; ++k) RunDeclined(back[k], stopping);
}

void Loader::RunDeclined(const std::shared_ptr<Job>& job, bool shut_down) noexcept {
  // (The job went back to Pending: claim it again, unless a cancel ended it meanwhile.)
  JobState expected = JobState::kPending;
  if (!job->state_.compare_exchange_strong(expected, JobState::kLoading,
                                           std::memory_order_acq_rel)) {
    return;
  }
  if (shut_down) {
    job->Finish(Status::Error(Code::kCancelled, job->path(), "loader shut down"), nullptr);
    return;
  }
  try {
    RunClaimed(job);
  } catch (...) {
    job->Finish(StatusFromException(job->path()), nullptr);
  }
}

void Loader::RunClaimed(const std::shared_ptr<Job>& job) {
  const LoadOptions& opts = job->options_;
  auto opened = OpenRegion(job->path(), opts, &job->cancel_requested_);
  if (!opened.ok()) {
    job->Finish(opened.status(), nullptr);
    return;
  }
  std::shared_ptr<Region> region = std::move(opened.value());
  job->strategy_.store(region->strategy(), std::memory_order_relaxed);
  job->bytes_total_.store(region->size(), std::memory_order_relaxed);
  if (job->cancel_requested_.load(std::memory_order_acquire)) {
    job->Finish(Status::Error(Code::kCancelled, job->path()), nullptr);
    return;
  }
  if (!opts.prefault || region->strategy() != Strategy::kMmap) {
    job->bytes_done_.store(region->size(), std::memory_order_relaxed);
    job->Finish(Status::Ok(), std::move(region));
    return;
  }
  job->chunk_size_ = opts.prefault_chunk != 0 ? opts.prefault_chunk : kDefaultPrefaultChunk;
  job->chunk_count_ = (region->size() + job->chunk_size_ - 1) / job->chunk_size_;
  if (opts.stream_threshold != 0 && region->size() >= opts.stream_threshold &&
      job->chunk_count_ > 1) {
    // Big: Ready at once, so that scanning starts now (scans bring in what they read, ahead
    // of themselves); the background prefault starts at the beginning too, ahead of them.
    if (job->cancel_requested_.load(std::memory_order_acquire)) {
      job->Finish(Status::Error(Code::kCancelled, job->path()), nullptr);
      return;
    }
    // A region streaming through a memory window gets no background prefault: its scans read
    // ahead themselves (measured: leaner and no slower in a memory cgroup).
    if (!region->drop_behind()) PrefaultInBackground(job, region);
    job->Finish(Status::Ok(), std::move(region));
    return;
  }
  job->work_region_ = std::move(region);
  uint64_t helpers = std::min<uint64_t>(opts.prefault_workers > 0 ? opts.prefault_workers - 1 : 0,
                                        job->chunk_count_ - 1);
  helpers = std::min<uint64_t>(helpers, workers_.size() - 1);
  // Cold data: this worker alone, one stream (see Region::MostlyCold).
  if (helpers > 0 && job->work_region_->MostlyCold(0, job->work_region_->size())) helpers = 0;
  if (helpers > 0) {
    try {
      std::lock_guard lock(mu_);
      for (uint64_t i = 0; i < helpers; ++i) queue_.push_back(Task{job, true, nullptr});
    } catch (const std::bad_alloc&) {
      // Fewer helpers: chunks are claimed from a shared counter, so this worker does the rest.
    }
    cv_.notify_all();
  }
  RunPrefaultChunks(job);
}

void Loader::RunPrefaultChunks(const std::shared_ptr<Job>& job) {
  const uint64_t count = job->chunk_count_;
  for (;;) {
    uint64_t i = job->next_chunk_.fetch_add(1, std::memory_order_acq_rel);
    if (i >= count) return;
    Region& region = *job->work_region_;
    if (!job->cancel_requested_.load(std::memory_order_acquire) &&
        !job->chunk_failed_.load(std::memory_order_acquire)) {
      uint64_t off = i * job->chunk_size_;
      uint64_t len = std::min(job->chunk_size_, region.size() - off);
      PrefaultMethod used = PrefaultMethod::kNone;
      Status s;
      try {
        s = region.Prefault(off, len, job->options_.prefault_touch, &used);
        if (s.ok()) {
          job->prefault_method_.store(used, std::memory_order_relaxed);
          uint64_t done = job->bytes_done_.fetch_add(len, std::memory_order_relaxed) + len;
          if (job->options_.on_progress) job->options_.on_progress(done, region.size());
        }
      } catch (...) {
        s = StatusFromException(job->path());
      }
      if (!s.ok()) {
        std::lock_guard lock(job->mu_);
        if (!job->chunk_failed_.exchange(true)) job->chunk_error_ = std::move(s);
      }
    }
    if (job->chunks_done_.fetch_add(1, std::memory_order_acq_rel) + 1 == count) {
      if (job->cancel_requested_.load(std::memory_order_acquire)) {
        job->Finish(Status::Error(Code::kCancelled, job->path()), nullptr);
      } else if (job->chunk_failed_.load(std::memory_order_acquire)) {
        Status err;
        {
          std::lock_guard lock(job->mu_);
          err = job->chunk_error_;
        }
        job->Finish(err, nullptr);
      } else {
        std::shared_ptr<Region> region_ref = job->work_region_;
        job->Finish(Status::Ok(), std::move(region_ref));
      }
      return;
    }
  }
}

}  // namespace spl::rt
