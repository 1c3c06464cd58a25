// The C ABI functions of spl/file.h over the C++ runtime: global loader, handle table,
// argument checks. Error translation lives in error_codes.cc, not here.
#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ffi/error_codes.h"
#include "ffi/handle_table.h"
#include "runtime/line_search.h"
#include "runtime/loader.h"
#include "runtime/scan.h"
#include "runtime/strategy.h"
#include "spl/file.h"

namespace spl::ffi {
namespace {

using rt::Region;

struct Globals {
  std::mutex mu;
  std::unique_ptr<rt::Loader> loader;  // created on first use
  unsigned threads = 0;                // 0: default
  HandleTable table;
};

Globals& G() {
  // Never destroyed: worker threads may still run while static destructors do at exit.
  static Globals* g = new Globals;
  return *g;
}

unsigned DefaultThreads() {
  if (const char* env = std::getenv("SPL_LOADER_THREADS")) {
    int n = std::atoi(env);
    if (n > 0 && n <= 256) return static_cast<unsigned>(n);
  }
  return std::max(4u, std::thread::hardware_concurrency());
}

// The loader, started on first use. When the system refuses every loader thread (memory or
// limits: `ulimit -v`, too many mappings) this is an error (SPL_ENOMEM) and the next call
// tries again; it never throws.
int GetLoader(rt::Loader** out) {
  Globals& g = G();
  std::lock_guard lock(g.mu);
  if (!g.loader) {
    rt::LoaderOptions o;
    o.threads = g.threads != 0 ? g.threads : DefaultThreads();
    // SPL_IO_URING=0: no batched reads through io_uring (comparisons, or a kernel where
    // io_uring misbehaves); the loader then loads one file per task.
    if (const char* env = std::getenv("SPL_IO_URING"); env && std::string_view(env) == "0") {
      o.batch_reads = false;
    }
    auto loader = std::make_unique<rt::Loader>(o);
    if (loader->threads() == 0) return ToCode(loader->start_status());
    g.loader = std::move(loader);
  }
  *out = g.loader.get();
  return 0;
}

// The loader if it is running, else null (does not start it).
rt::Loader* RunningLoader() {
  Globals& g = G();
  std::lock_guard lock(g.mu);
  return g.loader.get();
}

int ToOptions(const char* path, const spl_open_options_t* in, rt::LoadOptions* out) {
  if (path == nullptr) return Fail(SPL_EINVAL, "path is NULL");
  if (in == nullptr) return 0;
  if (in->mode < SPL_MODE_READ_ONLY || in->mode > SPL_MODE_COPY_ON_WRITE) {
    return Fail(SPL_EINVAL, "invalid map mode");
  }
  if (in->advice < SPL_ADVICE_NORMAL || in->advice > SPL_ADVICE_HUGEPAGE) {
    return Fail(SPL_EINVAL, "invalid advice");
  }
  out->mode = static_cast<rt::MapMode>(in->mode);
  out->prefault = in->prefault != 0;
  out->prefault_touch = in->prefault_touch != 0;
  out->advice = static_cast<rt::Advice>(in->advice);
  out->nofollow = in->nofollow != 0;
  out->offset = in->offset;
  out->length = in->length;
  out->mmap_threshold = in->mmap_threshold;
  out->prefault_chunk = in->prefault_chunk != 0 ? in->prefault_chunk : rt::kDefaultPrefaultChunk;
  out->prefault_workers = in->prefault_workers;
  out->read_limit = in->read_limit != 0 ? in->read_limit : rt::kDefaultReadLimit;
  if ((in->streams & ~(SPL_STREAM_CHAR_DEVICES | SPL_STREAM_FIFOS)) != 0) {
    return Fail(SPL_EINVAL, "invalid streams bits");
  }
  out->read_char_devices = (in->streams & SPL_STREAM_CHAR_DEVICES) != 0;
  out->read_fifos = (in->streams & SPL_STREAM_FIFOS) != 0;
  out->stream_threshold = in->stream_threshold;
  out->memory_window = in->memory_window;
  return 0;
}

// timeout_ms as a wait limit: negative means none, and so does anything too long to count in
// nanoseconds (the conversion would overflow; such a wait is "forever" in practice).
std::optional<std::chrono::nanoseconds> LimitFromMillis(int64_t timeout_ms) {
  constexpr int64_t kMaxMillis = std::chrono::nanoseconds::max().count() / 1000000;
  if (timeout_ms < 0 || timeout_ms > kMaxMillis) return std::nullopt;
  return std::chrono::milliseconds(timeout_ms);
}

// A handle for a load that ended on the calling thread (a finished job; no loader needed).
int AddCompleted(const char* path, rt::Result<std::shared_ptr<Region>> r, rt::PrefaultMethod used,
                 spl_handle_t* out) {
  auto job = rt::Job::Completed(path, std::move(r), used);
  uint64_t id = G().table.Reserve();
  G().table.Fill(id, std::move(job));
  *out = id;
  return 0;
}

// The synchronous load behind spl_open_sync and spl_open_sync_fd.
int OpenSync(const char* path, rt::LoadOptions o, spl_handle_t* out) {
  if (out == nullptr) return Fail(SPL_EINVAL, "out is NULL");
  rt::PrefaultMethod used = rt::PrefaultMethod::kNone;
  auto r = rt::LoadSync(path, o, &used);
  if (!r.ok()) return ToCode(r.status());
  return AddCompleted(path, std::move(r), used, out);
}

// The background load behind spl_submit and spl_submit_fd.
// inline: a load that can be done at once is done on the calling thread (spl_submit_or_load).
int Submit(const char* path, const rt::LoadOptions& o, spl_handle_t* out, bool inline_ok = false) {
  if (out == nullptr) return Fail(SPL_EINVAL, "out is NULL");
  if (inline_ok && !o.source) {
    // Done here when it cannot block (a small cached file, an empty one, a definite error):
    // a finished job, as open_sync makes, and no loader is needed at all (a program that
    // opens and awaits small cached files one by one never starts its threads).
    auto r = rt::OpenRegionIfCached(path, o, /*close_in_background=*/true);
    if (r.ok() || r.status().code() != rt::Code::kNotReady) {
      return AddCompleted(path, std::move(r), rt::PrefaultMethod::kNone, out);
    }
  }
  rt::Loader* loader = nullptr;
  if (int rc = GetLoader(&loader)) return rc;
  uint64_t id = G().table.Reserve();
  try {
    auto job = loader->Prepare(path, o, id);
    G().table.Fill(id, job);
    loader->Start(job);  // (a load that could be done at once was done above)
  } catch (...) {
    G().table.Remove(id);  // nothing was queued: give the id back, then report
    throw;
  }
  *out = id;
  return 0;
}

// The batch behind spl_submit_many: every id and job made first (nothing queued if that
// fails), then one StartMany.
int SubmitMany(const char* const* paths, size_t count, const rt::LoadOptions& o,
               spl_handle_t* out) {
  rt::Loader* loader = nullptr;
  if (int rc = GetLoader(&loader)) return rc;
  std::vector<uint64_t> ids;
  std::vector<std::shared_ptr<rt::Job>> jobs;
  try {
    ids.reserve(count);
    jobs.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      ids.push_back(G().table.Reserve());
      jobs.push_back(loader->Prepare(paths[i], o, ids.back()));
      G().table.Fill(ids.back(), jobs.back());
    }
  } catch (...) {
    for (uint64_t id : ids) G().table.Remove(id);  // nothing was queued: give the ids back
    throw;
  }
  loader->StartMany(jobs);
  for (size_t i = 0; i < count; ++i) out[i] = ids[i];
  return 0;
}

// Makes o load from a duplicate of fd (taken now, so the caller may close fd at once).
int SourceOf(int fd, const char* name, rt::LoadOptions* o) {
  int dup = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
  if (dup < 0) {
    return ToCode(rt::Status::Error(rt::Code::kIoError, name,
                                    fd == 0 ? std::string("standard input is not open")
                                            : fmt::format("descriptor {} is not open", fd),
                                    EBADF));
  }
  o->source = std::make_shared<rt::Fd>(dup);
  return 0;
}

int JobOf(spl_handle_t h, std::shared_ptr<rt::Job>* out) {
  *out = G().table.Get(h);
  if (!*out) return Fail(SPL_ECLOSED, fmt::format("handle {:#x} is closed or stale", h).c_str());
  return 0;
}

int RegionOf(spl_handle_t h, std::shared_ptr<Region>* out) {
  std::shared_ptr<rt::Job> job;
  if (int rc = JobOf(h, &job)) return rc;
  auto r = job->result();
  if (!r.ok()) return ToCode(r.status());
  *out = std::move(r.value());
  return 0;
}

// Runs a scan kernel over [offset, offset+length) of a ready region, guarded.
template <typename F>
int Scan(spl_handle_t h, uint64_t offset, uint64_t length, F&& kernel) {
  std::shared_ptr<Region> region;
  if (int rc = RegionOf(h, &region)) return rc;
  return ToCode(region->Read(offset, length, std::forward<F>(kernel)));
}

// Scans of big ranges run in chunks of this size on this thread and the loader's workers
// (Region::ReadChunked: each chunk read in just before it is scanned, dropped behind it when
// the region streams through a memory window). Smaller ranges are scanned in one go.
constexpr uint64_t kScanChunk = 8 * 1024 * 1024;
constexpr uint64_t kStreamChunk = 1024 * 1024;  // (see ChunkFor)

// The chunk size for scans of a region: 8 MiB, or 1 MiB for a region streaming through a
// memory window. A streamed chunk is copied into a buffer (pread) and then scanned: at 1 MiB
// both stay in the CPU's L2 cache instead of passing through memory twice (a cold 1 GiB
// wc.spl -l in a 256 MiB cgroup: 0.66 -> 0.58 s, paired; 512 KiB was no faster), and the
// chunks in flight stay a small part of the memory the process may use.
uint64_t ChunkFor(const Region& region) { return region.drop_behind() ? kStreamChunk : kScanChunk; }

bool Chunked(uint64_t length, uint64_t chunk = kScanChunk) { return length >= 2 * chunk; }

rt::ChunkPlan PlanFor(bool line_aligned, uint64_t chunk = kScanChunk) {
  rt::ChunkPlan plan;
  plan.chunk = chunk;
  plan.line_aligned = line_aligned;
  rt::Loader* loader = nullptr;
  if (GetLoader(&loader) == 0) {
    plan.exec = loader;
    plan.max_helpers = loader->threads();
  }
  return plan;
}

// A ready region and how a scan of it is cut (see Region::ReadChunked).
struct ChunkedRun {
  std::shared_ptr<Region> region;
  uint64_t chunk = kScanChunk;
  size_t count = 1;
};

// 0 with *run filled when `length` bytes of h's region are scanned in chunks; 1 when they
// are scanned in one go (run->region is set then too); negative on error.
int PrepareChunked(spl_handle_t h, uint64_t length, ChunkedRun* run) {
  if (int rc = RegionOf(h, &run->region)) return rc;
  run->chunk = ChunkFor(*run->region);
  if (!Chunked(length, run->chunk)) return 1;
  run->count = Region::ChunkCount(length, run->chunk);
  return 0;
}

bool HasNewline(const void* needle, size_t n) {
  return n != 0 && std::memchr(needle, '\n', n) != nullptr;
}

}  // namespace
}  // namespace spl::ffi

using namespace spl::ffi;  // NOLINT: this file only implements the C functions.
namespace rt = spl::rt;

extern "C" {

void spl_open_options_init(spl_open_options_t* opts) {
  if (opts == nullptr) return;
  std::memset(opts, 0, sizeof *opts);
  rt::LoadOptions d;
  opts->mode = SPL_MODE_READ_ONLY;
  opts->prefault = d.prefault ? 1 : 0;
  opts->prefault_touch = d.prefault_touch ? 1 : 0;
  opts->advice = SPL_ADVICE_NORMAL;
  opts->mmap_threshold = d.mmap_threshold;
  opts->prefault_chunk = d.prefault_chunk;
  opts->prefault_workers = d.prefault_workers;
  opts->read_limit = d.read_limit;
  opts->stream_threshold = d.stream_threshold;
  opts->memory_window = d.memory_window;
}

int spl_loader_configure(unsigned threads) {
  return Guarded([&]() -> int {
    Globals& g = G();
    std::lock_guard lock(g.mu);
    if (g.loader) return Fail(SPL_EINVAL, "the loader is already running");
    if (threads == 0 || threads > 256) return Fail(SPL_EINVAL, "threads must be 1..256");
    g.threads = threads;
    return 0;
  });
}

int spl_loader_threads(void) {
  return Guarded([&]() -> int {
    rt::Loader* loader = nullptr;
    if (int rc = GetLoader(&loader)) return rc;
    return static_cast<int>(loader->threads());
  });
}

int spl_path_check(const char* path, size_t len) {
  return Guarded([&]() -> int {
    if (path == nullptr) return Fail(SPL_EINVAL, "path is NULL");
    const void* nul = std::memchr(path, '\0', len);
    if (nul == nullptr) return 0;
    size_t at = static_cast<size_t>(static_cast<const char*>(nul) - path);
    std::string shown = rt::DisplayPath(std::string_view(path, len));
    return Fail(SPL_EINVAL,
                fmt::format("path contains a NUL byte at offset {}: {}", at, shown).c_str());
  });
}

int spl_open_sync(const char* path, const spl_open_options_t* opts, spl_handle_t* out) {
  return Guarded([&]() -> int {
    rt::LoadOptions o;
    if (int rc = ToOptions(path, opts, &o)) return rc;
    return OpenSync(path, std::move(o), out);
  });
}

int spl_open_sync_fd(int fd, const char* name, const spl_open_options_t* opts, spl_handle_t* out) {
  return Guarded([&]() -> int {
    rt::LoadOptions o;
    if (int rc = ToOptions(name, opts, &o)) return rc;
    if (int rc = SourceOf(fd, name, &o)) return rc;
    return OpenSync(name, std::move(o), out);
  });
}

int spl_submit(const char* path, const spl_open_options_t* opts, spl_handle_t* out) {
  return Guarded([&]() -> int {
    rt::LoadOptions o;
    if (int rc = ToOptions(path, opts, &o)) return rc;
    return Submit(path, o, out);
  });
}

int spl_submit_or_load(const char* path, const spl_open_options_t* opts, spl_handle_t* out) {
  return Guarded([&]() -> int {
    rt::LoadOptions o;
    if (int rc = ToOptions(path, opts, &o)) return rc;
    return Submit(path, o, out, true);
  });
}

int spl_submit_many(const char* const* paths, size_t count, const spl_open_options_t* opts,
                    spl_handle_t* out) {
  return Guarded([&]() -> int {
    if (count == 0) return 0;
    if (paths == nullptr || out == nullptr) return Fail(SPL_EINVAL, "paths or out is NULL");
    for (size_t i = 0; i < count; ++i) {
      if (paths[i] == nullptr) {
        return Fail(SPL_EINVAL, fmt::format("paths[{}] is NULL", i).c_str());
      }
    }
    rt::LoadOptions o;
    if (int rc = ToOptions(paths[0], opts, &o)) return rc;
    return SubmitMany(paths, count, o, out);
  });
}

int spl_submit_fd(int fd, const char* name, const spl_open_options_t* opts, spl_handle_t* out) {
  return Guarded([&]() -> int {
    rt::LoadOptions o;
    if (int rc = ToOptions(name, opts, &o)) return rc;
    if (int rc = SourceOf(fd, name, &o)) return rc;
    return Submit(name, o, out);
  });
}

int spl_file_state(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    return static_cast<int>(job->state());
  });
}

int spl_file_is_ready(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    return job->is_ready() ? 1 : 0;
  });
}

int spl_file_progress(spl_handle_t h, uint64_t* done, uint64_t* total) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    bool ready = job->is_ready();
    uint64_t t = job->bytes_total();
    if (done) *done = ready ? t : job->bytes_done();
    if (total) *total = t;
    return 0;
  });
}

int spl_file_wait(spl_handle_t h, int64_t timeout_ms) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    return ToCode(job->Wait(LimitFromMillis(timeout_ms)));
  });
}

int spl_file_result(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    return ToCode(job->result().status());
  });
}

int spl_file_run_if_cached(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    if (job->is_done()) return 1;
    rt::Loader* loader = RunningLoader();
    if (loader == nullptr) return 0;
    return loader->RunIfCached(job) ? 1 : 0;
  });
}

int spl_file_cancel(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    return job->Cancel() ? 1 : 0;
  });
}

int spl_file_strategy(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    return static_cast<int>(job->strategy());
  });
}

int spl_file_prefault_method(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job;
    if (int rc = JobOf(h, &job)) return rc;
    return static_cast<int>(job->prefault_method());
  });
}

int spl_file_close(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<rt::Job> job = G().table.Remove(h);
    if (!job) return Fail(SPL_ECLOSED, fmt::format("handle {:#x} is closed or stale", h).c_str());
    if (!job->is_done()) job->Cancel();
    auto r = job->result();
    if (r.ok()) return ToCode(r.value()->Close());
    return 0;
  });
}

uint64_t spl_handle_count(void) {
  // (only the first call into the library can fail, making its state: then none is open)
  try {
    return G().table.live();
  } catch (...) {
    return 0;
  }
}

int spl_region_len(spl_handle_t h, uint64_t* len) {
  return Guarded([&]() -> int {
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    if (region->closed())
      return ToCode(rt::Status::Error(rt::Code::kAlreadyClosed, region->path()));
    if (len) *len = region->size();
    return 0;
  });
}

int spl_region_mode(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    return static_cast<int>(region->mode());
  });
}

int spl_region_data(spl_handle_t h, const uint8_t** data, uint64_t* len) {
  return Guarded([&]() -> int {
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    if (data) *data = region->unsafe_data();
    if (len) *len = region->size();
    return 0;
  });
}

int spl_region_advise(spl_handle_t h, int advice, uint64_t offset, uint64_t length) {
  return Guarded([&]() -> int {
    if (advice < SPL_ADVICE_NORMAL || advice > SPL_ADVICE_HUGEPAGE) {
      return Fail(SPL_EINVAL, "invalid advice");
    }
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    return ToCode(region->Advise(static_cast<rt::Advice>(advice), offset, length));
  });
}

int spl_region_flush(spl_handle_t h, uint64_t offset, uint64_t length) {
  return Guarded([&]() -> int {
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    return ToCode(region->Flush(offset, length));
  });
}

int spl_region_write(spl_handle_t h, uint64_t offset, const void* src, size_t n) {
  return Guarded([&]() -> int {
    if (src == nullptr && n != 0) return Fail(SPL_EINVAL, "src is NULL");
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    return ToCode(region->Write(offset, src, n));
  });
}

int spl_region_is_stale(spl_handle_t h) {
  return Guarded([&]() -> int {
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    auto r = region->IsStale();
    if (!r.ok()) return ToCode(r.status());
    return *r ? 1 : 0;
  });
}

int spl_scan_count(spl_handle_t h, uint64_t offset, uint64_t length, const void* needle,
                   size_t needle_len, uint64_t* count) {
  return Guarded([&]() -> int {
    if ((needle == nullptr && needle_len != 0) || count == nullptr) {
      return Fail(SPL_EINVAL, "needle or count is NULL");
    }
    const auto* nd = static_cast<const uint8_t*>(needle);
    ChunkedRun run;
    int prep = PrepareChunked(h, length, &run);
    if (prep < 0) return prep;
    if (prep == 0 && needle_len != 0 && !HasNewline(needle, needle_len)) {
      // A match cannot straddle the end of a line-aligned chunk (it would hold the '\n').
      std::vector<uint64_t> parts(run.count, 0);
      int rc = ToCode(
          run.region->ReadChunked(offset, length, PlanFor(needle_len > 1, run.chunk),
                                  [&](size_t i, const uint8_t* p, size_t n, uint64_t /*pos*/) {
                                    parts[i] = spl::rt::scan::Count(p, n, nd, needle_len);
                                  }));
      if (rc == 0) {
        uint64_t total = 0;
        for (uint64_t v : parts) total += v;
        *count = total;
      }
      return rc;
    }
    size_t result = 0;
    int rc = Scan(h, offset, length, [&](const uint8_t* p, size_t n) {
      result = spl::rt::scan::Count(p, n, nd, needle_len);
    });
    if (rc == 0) *count = result;
    return rc;
  });
}

int spl_scan_find(spl_handle_t h, uint64_t offset, uint64_t length, uint64_t from,
                  const void* needle, size_t needle_len, int64_t* pos) {
  return Guarded([&]() -> int {
    if ((needle == nullptr && needle_len != 0) || pos == nullptr) {
      return Fail(SPL_EINVAL, "needle or pos is NULL");
    }
    if (from < offset || from - offset > length) {
      return Fail(SPL_ERANGE, "`from` is outside the scanned range");
    }
    const auto* nd = static_cast<const uint8_t*>(needle);
    const uint64_t rest = offset + length - from;
    ChunkedRun run;
    int prep = PrepareChunked(h, rest, &run);
    if (prep < 0) return prep;
    if (prep == 0 && needle_len != 0 && !HasNewline(needle, needle_len)) {
      // In chunks from `from` on; once a chunk has a match, later ones are skipped.
      std::vector<int64_t> hits(run.count, -1);
      std::atomic<size_t> first{SIZE_MAX};
      rt::ChunkPlan plan = PlanFor(needle_len > 1, run.chunk);
      plan.stop_after = &first;
      int rc = ToCode(run.region->ReadChunked(
          from, rest, plan, [&](size_t i, const uint8_t* p, size_t n, uint64_t pos) {
            size_t at = spl::rt::scan::Find(p, n, nd, needle_len, 0);
            if (at == spl::rt::scan::kNotFound) return;
            hits[i] = static_cast<int64_t>(pos + at);
            size_t seen = first.load(std::memory_order_relaxed);
            while (i < seen && !first.compare_exchange_weak(seen, i, std::memory_order_release)) {
            }
          }));
      if (rc != 0) return rc;
      *pos = -1;
      for (int64_t v : hits) {
        if (v >= 0) {
          *pos = v;
          break;
        }
      }
      return 0;
    }
    size_t found = spl::rt::scan::kNotFound;
    int rc = Scan(h, offset, length, [&](const uint8_t* p, size_t n) {
      found = spl::rt::scan::Find(p, n, nd, needle_len, static_cast<size_t>(from - offset));
    });
    if (rc == 0)
      *pos = found == spl::rt::scan::kNotFound ? -1 : static_cast<int64_t>(offset + found);
    return rc;
  });
}

int spl_scan_count_lines(spl_handle_t h, uint64_t offset, uint64_t length, uint64_t* count) {
  return Guarded([&]() -> int {
    if (count == nullptr) return Fail(SPL_EINVAL, "count is NULL");
    ChunkedRun run;
    int prep = PrepareChunked(h, length, &run);
    if (prep < 0) return prep;
    if (prep == 0) {
      std::vector<uint64_t> parts(run.count, 0);
      int rc = ToCode(
          run.region->ReadChunked(offset, length, PlanFor(false, run.chunk),
                                  [&](size_t i, const uint8_t* p, size_t n, uint64_t /*pos*/) {
                                    parts[i] = spl::rt::scan::CountLines(p, n);
                                  }));
      if (rc == 0) {
        uint64_t total = 0;
        for (uint64_t v : parts) total += v;
        *count = total;
      }
      return rc;
    }
    size_t result = 0;
    int rc = Scan(h, offset, length,
                  [&](const uint8_t* p, size_t n) { result = spl::rt::scan::CountLines(p, n); });
    if (rc == 0) *count = result;
    return rc;
  });
}

int spl_scan_validate_utf8(spl_handle_t h, uint64_t offset, uint64_t length, uint64_t* bad_offset) {
  return Guarded([&]() -> int {
    size_t bad = spl::rt::scan::kValid;
    ChunkedRun run;
    int prep = PrepareChunked(h, length, &run);
    if (prep < 0) return prep;
    if (prep == 0) {
      // Line-aligned chunks: no UTF-8 sequence holds a '\n', so none is cut in two.
      std::vector<uint64_t> first_bad(run.count, UINT64_MAX);
      std::atomic<size_t> first{SIZE_MAX};
      rt::ChunkPlan plan = PlanFor(true, run.chunk);
      plan.stop_after = &first;
      int rc = ToCode(run.region->ReadChunked(
          offset, length, plan, [&](size_t i, const uint8_t* p, size_t n, uint64_t pos) {
            size_t at = spl::rt::scan::ValidateUtf8(p, n);
            if (at == spl::rt::scan::kValid) return;
            first_bad[i] = pos + at - offset;
            size_t seen = first.load(std::memory_order_relaxed);
            while (i < seen && !first.compare_exchange_weak(seen, i, std::memory_order_release)) {
            }
          }));
      if (rc != 0) return rc;
      for (uint64_t v : first_bad) {
        if (v != UINT64_MAX) {
          bad = static_cast<size_t>(v);
          break;
        }
      }
    } else {
      int rc = Scan(h, offset, length,
                    [&](const uint8_t* p, size_t n) { bad = spl::rt::scan::ValidateUtf8(p, n); });
      if (rc != 0) return rc;
    }
    if (bad == spl::rt::scan::kValid) return 0;
    if (bad_offset) *bad_offset = offset + bad;
    return ToCode(rt::Status::AtOffset(rt::Code::kInvalidUtf8, offset + bad));
  });
}

int spl_scan_wc(spl_handle_t h, uint64_t offset, uint64_t length, spl_wc_counts_t* out) {
  return Guarded([&]() -> int {
    if (out == nullptr) return Fail(SPL_EINVAL, "out is NULL");
    spl::rt::scan::WcCounts c;
    ChunkedRun run;
    int prep = PrepareChunked(h, length, &run);
    if (prep < 0) return prep;
    if (prep == 0) {
      // Line-aligned chunks: a '\n' ends every word and no character holds one, so the
      // counts of the chunks add up to those of the whole.
      std::vector<spl::rt::scan::WcCounts> parts(run.count);
      int rc = ToCode(
          run.region->ReadChunked(offset, length, PlanFor(true, run.chunk),
                                  [&](size_t i, const uint8_t* p, size_t n, uint64_t /*pos*/) {
                                    parts[i] = spl::rt::scan::WordCount(p, n);
                                  }));
      if (rc != 0) return rc;
      for (const auto& part : parts) {
        c.lines += part.lines;
        c.words += part.words;
        c.chars += part.chars;
        c.bytes += part.bytes;
      }
      *out = spl_wc_counts_t{c.lines, c.words, c.chars, c.bytes};
      return 0;
    }
    int rc = Scan(h, offset, length,
                  [&](const uint8_t* p, size_t n) { c = spl::rt::scan::WordCount(p, n); });
    if (rc == 0) *out = spl_wc_counts_t{c.lines, c.words, c.chars, c.bytes};
    return rc;
  });
}

int spl_scan_copy(spl_handle_t h, uint64_t offset, uint64_t length, void* dst) {
  return Guarded([&]() -> int {
    if (dst == nullptr && length != 0) return Fail(SPL_EINVAL, "dst is NULL");
    auto* d = static_cast<uint8_t*>(dst);
    return Scan(h, offset, length,
                [&](const uint8_t* p, size_t n) { spl::rt::scan::CopyOut(p, n, d); });
  });
}

int spl_scan_copy_ranges(spl_handle_t h, const uint64_t* starts, const uint64_t* lengths,
                         size_t count, void* const* dsts) {
  return Guarded([&]() -> int {
    if (count == 0) return 0;
    if (starts == nullptr || lengths == nullptr || dsts == nullptr) {
      return Fail(SPL_EINVAL, "starts, lengths or dsts is NULL");
    }
    std::shared_ptr<Region> region;
    if (int rc = RegionOf(h, &region)) return rc;
    for (size_t i = 0; i < count; ++i) {
      if (starts[i] > region->size() || lengths[i] > region->size() - starts[i]) {
        return Fail(SPL_ERANGE, fmt::format("range {} is outside the region", i).c_str());
      }
      if (dsts[i] == nullptr && lengths[i] != 0) return Fail(SPL_EINVAL, "a dst is NULL");
    }
    return ToCode(region->Read(0, region->size(), [&](const uint8_t* p, size_t) {
      for (size_t i = 0; i < count; ++i) {
        if (lengths[i] != 0) std::memcpy(dsts[i], p + starts[i], lengths[i]);
      }
    }));
  });
}

int spl_scan_find_lines(spl_handle_t h, uint64_t offset, uint64_t length, const void* needle,
                        size_t needle_len, uint32_t flags, uint64_t first_line, spl_lines_cb cb,
                        void* user, spl_find_lines_stats_t* stats) {
  return Guarded([&]() -> int {
    if (needle == nullptr && needle_len != 0) return Fail(SPL_EINVAL, "needle is NULL");
    if ((flags & ~(SPL_FIND_IGNORE_CASE | SPL_FIND_CHECK_UTF8 | SPL_FIND_CHECK_NUL)) != 0) {
      return Fail(SPL_EINVAL, "invalid find flags");
    }
    if (HasNewline(needle, needle_len)) {
      return Fail(SPL_EINVAL, "the needle holds a newline (one line is searched at a time)");
    }
    std::string nd(static_cast<const char*>(needle), needle_len);
    const rt::LineMatcher matcher(nd, (flags & SPL_FIND_IGNORE_CASE) != 0 && needle_len != 0);
    const bool check = (flags & SPL_FIND_CHECK_UTF8) != 0;
    const bool nul = (flags & SPL_FIND_CHECK_NUL) != 0;
    ChunkedRun run;
    int prep = PrepareChunked(h, length, &run);
    if (prep < 0) return prep;
    if (prep == 1 && length >= (2u << 20)) {
      // Callers search piece by piece to keep what they collect small: even a few MiB are
      // cut in chunks of at least 1 MiB, so the threads share them.
      run.chunk = std::max<uint64_t>(length / 4, 1 << 20);
      run.count = Region::ChunkCount(length, run.chunk);
      prep = 0;
    }
    std::shared_ptr<Region>& region = run.region;
    // Per chunk: its lines, with offsets in the region and numbers within the chunk, and the
    // chunk's newlines. Grown between kernel calls only (a SIGBUS can only come from inside
    // FindLines, whose frames hold nothing to destroy).
    struct Part {
      std::vector<rt::LineHit> hits;
      size_t used = 0;
      uint64_t base = 0;
      uint64_t newlines = 0;
      uint64_t selected = 0;
      int64_t first_nul = -1;
    };
    const size_t count = prep == 0 ? run.count : 1;
    std::vector<Part> parts(count);
    for (auto& part : parts) part.hits.resize(256);
    auto body = [&](size_t i, const uint8_t* p, size_t n, uint64_t pos) {
      Part& part = parts[i];
      part.used = 0;
      part.base = pos;
      part.selected = 0;
      rt::FindLinesState st;
      while (st.pos < n) {
        size_t got = rt::FindLines(p, n, matcher, part.hits.data() + part.used,
                                   part.hits.size() - part.used, check, &st);
        part.selected += got;
        if (cb == nullptr) continue;  // counting: the buffer is reused
        part.used += got;
        if (st.pos >= n) break;
        part.hits.resize(part.hits.size() * 2);
      }
      part.newlines = st.newlines;
      part.first_nul = -1;
      if (nul && n != 0) {
        // A second pass over the chunk, from the cache the first one left it in.
        const void* z = std::memchr(p, 0, n);
        if (z != nullptr) {
          part.first_nul = static_cast<int64_t>(part.base) + (static_cast<const uint8_t*>(z) - p);
        }
      }
    };
    int rc;
    if (count > 1) {
      rc = ToCode(region->ReadChunked(offset, length, PlanFor(true, run.chunk), body));
    } else {
      rc = ToCode(
          region->Read(offset, length, [&](const uint8_t* p, size_t n) { body(0, p, n, offset); }));
    }
    if (rc != 0) return rc;
    std::vector<spl_line_match_t> batch;
    uint64_t line = first_line;
    int64_t first_nul = -1;
    uint64_t selected = 0;
    for (const Part& part : parts) {
      selected += part.selected;
      batch.clear();
      for (size_t k = 0; k < part.used; ++k) {
        const rt::LineHit& hit = part.hits[k];
        batch.push_back(
            spl_line_match_t{part.base + hit.start, hit.length, line + hit.number, hit.flags, 0});
      }
      if (cb != nullptr && !batch.empty() && cb(user, batch.data(), batch.size()) != 0) return 1;
      line += part.newlines;
      if (first_nul < 0) first_nul = part.first_nul;
    }
    if (stats != nullptr) *stats = spl_find_lines_stats_t{line - first_line, first_nul, selected};
    return 0;
  });
}

int spl_loop_attach(struct uv_loop_s* loop, spl_completion_cb cb, void* user_data) {
  return Guarded([&]() -> int {
    if (loop == nullptr || cb == nullptr) return Fail(SPL_EINVAL, "loop or cb is NULL");
    rt::Loader* loader = nullptr;
    if (int rc = GetLoader(&loader)) return rc;
    return ToCode(loader->AttachLoop(loop, [cb, user_data](const std::shared_ptr<rt::Job>& job) {
      cb(job->tag(), static_cast<int>(job->state()), user_data);
    }));
  });
}

int spl_loop_ref(int keep_alive) {
  return Guarded([&]() -> int {
    rt::Loader* loader = RunningLoader();
    if (loader == nullptr) return Fail(SPL_EINVAL, "no loop attached");
    return ToCode(loader->SetLoopRef(keep_alive != 0));
  });
}

int spl_loop_poll(void) {
  return Guarded([&]() -> int {
    rt::Loader* loader = RunningLoader();
    if (loader == nullptr) return Fail(SPL_EINVAL, "no loop attached");
    auto n = loader->DeliverCompletions();
    if (!n.ok()) return ToCode(n.status());
    return static_cast<int>(std::min<size_t>(*n, INT32_MAX));
  });
}

int spl_loop_detach(void) {
  return Guarded([&]() -> int {
    if (rt::Loader* loader = RunningLoader()) loader->DetachLoop();
    return 0;
  });
}

}  // extern "C"
