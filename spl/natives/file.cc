// Native table "file": the private natives behind simple_std/file (declared in
// simple_std/sys/mmap.spl). The path "-" means standard input (loaded from descriptor 0). Each one
// is a thin call into the C ABI (spl/file.h); errors come back as Err(code) with the ABI's negative
// code, and rt_file_last_error() gives the message of the last failure. Handles are native
// resources: the C ABI handle is closed when the program closes it (rt_file_close) or drops its
// last reference, whichever comes first. Waiting is real: rt_file_wait returns a pending future
// settled on the loop thread when the loader reports the handle done (or its timeout fires).
// Load sets (rt_file_set_*) collect the completions of many loads submitted together
// (rt_file_submit_many) in completion order, so a program waits once for a batch of finished
// loads instead of once per file. It does not build Simple types (FileError, MmapRegion):
// simple_std/file/*.spl does that.
#include "spl/file.h"

#include <sys/stat.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "native_api.h"

namespace spl {
namespace {

// Futures waiting for loads, keyed by handle. Loop thread only.
struct Waiter {
  PendingFuture future;
  spl_handle_t handle = 0;
  uv_timer_t* timer = nullptr;  // set when the wait has a timeout
};

// Loads submitted together whose completions are collected in order (rt_file_set_*). Holds
// the handle values of loads still running (members) and of finished ones not taken yet
// (ready), so a running load is never cancelled by the program dropping its handle.
struct LoadSet {
  struct Member {
    Value handle;     // nil for a path refused before loading (failed_code says why)
    int64_t seq = 0;  // 0, 1, 2... in the order the loads joined the set
    int failed_code = 0;
    std::string message;
    uint64_t bytes = 0;  // once ready: the region's length (0 when the load failed)
  };
  std::unordered_map<spl_handle_t, Member> members;
  std::deque<std::pair<spl_handle_t, Member>> ready;  // completion order
  uint64_t ready_bytes = 0;                           // sum of the ready members' bytes
  int64_t next_seq = 0;
  PendingFuture waiter;
  bool waiting = false;
};

struct WaitState {
  bool attached = false;
  size_t outstanding = 0;
  std::unordered_map<spl_handle_t, std::vector<Waiter*>> by_handle;
  uint64_t next_set = 1;
  std::unordered_map<uint64_t, std::unique_ptr<LoadSet>> sets;
  std::unordered_map<spl_handle_t, uint64_t> set_of;  // running member -> its set
};

WaitState& State() {
  static WaitState* s = new WaitState;  // lives as long as the process (the loop may outlive us)
  return *s;
}

void UpdateLoopRef() { spl_loop_ref(State().outstanding > 0 ? 1 : 0); }

void CloseTimer(uv_timer_t* t) {
  if (t == nullptr) return;
  uv_timer_stop(t);
  uv_close(reinterpret_cast<uv_handle_t*>(t),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void Settle(Waiter* w, int code) {
  CloseTimer(w->timer);
  w->future.resolve(Value::integer(code));
  --State().outstanding;
  delete w;
}

// A member of a load set finished: it moves to the set's ready queue, and the set's waiter
// (if any) learns how many are ready. Loads finishing together reach the loop in one wake-up
// (the loader queues them), so the waiter resumes once for all of them.
void MoveToReady(WaitState& s, spl_handle_t h) {
  auto it = s.set_of.find(h);
  if (it == s.set_of.end()) return;
  uint64_t id = it->second;
  s.set_of.erase(it);
  auto set_it = s.sets.find(id);
  if (set_it == s.sets.end()) return;
  LoadSet& set = *set_it->second;
  auto m = set.members.find(h);
  if (m == set.members.end()) return;
  uint64_t len = 0;
  if (spl_region_len(h, &len) == 0) m->second.bytes = len;
  set.ready_bytes += m->second.bytes;
  set.ready.emplace_back(h, std::move(m->second));
  set.members.erase(m);
  if (set.waiting) {
    set.waiting = false;
    --s.outstanding;
    PendingFuture f = set.waiter;
    set.waiter = PendingFuture();
    f.resolve(Value::integer(static_cast<int64_t>(set.ready.size())));
  }
}

void OnComplete(spl_handle_t h, int /*state*/, void* /*user*/) {
  WaitState& s = State();
  MoveToReady(s, h);
  auto it = s.by_handle.find(h);
  if (it != s.by_handle.end()) {
    std::vector<Waiter*> ws = std::move(it->second);
    s.by_handle.erase(it);
    int code = spl_file_result(h);
    for (Waiter* w : ws) Settle(w, code);
  }
  UpdateLoopRef();
}

void OnTimeout(uv_timer_t* t) {
  Waiter* w = static_cast<Waiter*>(t->data);
  WaitState& s = State();
  auto it = s.by_handle.find(w->handle);
  if (it != s.by_handle.end()) {
    auto& v = it->second;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == w) {
        v.erase(v.begin() + static_cast<long>(i));
        break;
      }
    }
    if (v.empty()) s.by_handle.erase(it);
  }
  Settle(w, SPL_ETIMEDOUT);
  UpdateLoopRef();
}

bool EnsureAttached(NativeCall& c) {
  WaitState& s = State();
  if (s.attached) return true;
  int rc = spl_loop_attach(c.loop(), OnComplete, nullptr);
  if (rc < 0) {
    c.fail(std::string(c.name()) + ": cannot attach the event loop: " + spl_last_error());
    return false;
  }
  s.attached = true;
  // At shutdown: drop the waits nobody will see settle and give the loop its handles back,
  // so the interpreter's loop closes cleanly and no completion targets a dead loop.
  at_loop_close(c.interp(), [] {
    WaitState& st = State();
    for (auto& [h, ws] : st.by_handle) {
      for (Waiter* w : ws) {
        CloseTimer(w->timer);
        delete w;
      }
    }
    st.by_handle.clear();
    // The sets hold handle values: drop them while the interpreter still exists. Moved out
    // first, since releasing a handle must not find the maps half cleared.
    auto sets = std::move(st.sets);
    st.sets.clear();
    st.set_of.clear();
    sets.clear();
    st.outstanding = 0;
    spl_loop_detach();
    st.attached = false;
  });
  return true;
}

// Arguments shared by open_sync and submit: (path, mode, prefault, advice, offset, length,
// read_limit, streams). streams: the C ABI's SPL_STREAM_* bits. False with *code set when they are
// refused with an error code (a path holding a NUL byte: SPL_EINVAL, with spl_last_error() naming
// it; a negative offset or length: SPL_ERANGE); false with code 0 after c.fail otherwise (wrong
// argument types).
bool LoadOptionsFrom(NativeCall& c, spl_open_options_t* o, int* code);

bool OptionsFrom(NativeCall& c, std::string* path, spl_open_options_t* o, int* code) {
  spl_open_options_init(o);
  *code = 0;
  *path = c.text_arg(0);
  if (c.failed()) return false;
  if ((*code = spl_path_check(path->data(), path->size())) < 0) return false;
  return LoadOptionsFrom(c, o, code);
}

// Arguments 1..7 of the loading natives (the options after the path or paths).
bool LoadOptionsFrom(NativeCall& c, spl_open_options_t* o, int* code) {
  o->mode = static_cast<int>(c.int_arg(1));
  o->prefault = c.bool_arg(2) ? 1 : 0;
  o->advice = static_cast<int>(c.int_arg(3));
  int64_t offset = c.int_arg(4), length = c.int_arg(5), limit = c.int_arg(6);
  int64_t streams = c.int_arg(7);
  if (c.failed()) return false;
  if (streams < 0 || streams > (SPL_STREAM_CHAR_DEVICES | SPL_STREAM_FIFOS)) {
    c.fail(std::string(c.name()) + ": invalid streams bits");
    return false;
  }
  o->streams = static_cast<uint32_t>(streams);
  if (offset < 0 || length < 0) {
    *code = SPL_ERANGE;
    return false;
  }
  if (limit <= 0) {
    c.fail(std::string(c.name()) + ": read_limit must be positive");
    return false;
  }
  o->offset = static_cast<uint64_t>(offset);
  o->length = static_cast<uint64_t>(length);
  o->read_limit = static_cast<uint64_t>(limit);
  return true;
}

// "-" names standard input (the GNU convention): it is loaded from descriptor 0.
const std::string kStdin = "-";

spl_handle_t HandleArg(NativeCall& c, int i) {
  return static_cast<spl_handle_t>(c.resource_arg(i));
}

// Runs once per handle value, when the program closes it or drops its last reference.
void ReleaseHandle(uint64_t id) { spl_file_close(static_cast<spl_handle_t>(id)); }

// A handle as the program holds it: a resource whose last reference closes it.
Value HandleValue(NativeCall& c, spl_handle_t h) { return c.resource(h, ReleaseHandle); }

// Non-negative offset/length arguments at i and i+1.
bool Range(NativeCall& c, int i, uint64_t* off, uint64_t* len) {
  int64_t o = c.int_arg(i), n = c.int_arg(i + 1);
  if (c.failed()) return false;
  if (o < 0 || n < 0) {
    c.fail(std::string(c.name()) + ": offset and length must not be negative");
    return false;
  }
  *off = static_cast<uint64_t>(o);
  *len = static_cast<uint64_t>(n);
  return true;
}

Value Code(NativeCall& c, int rc) { return c.integer(rc); }
Value IntResult(NativeCall& c, int rc, int64_t v) {
  return rc < 0 ? c.err(c.integer(rc)) : c.ok(c.integer(v));
}

Value rt_file_open_sync(NativeCall& c) {
  std::string path;
  spl_open_options_t o;
  int code = 0;
  if (!OptionsFrom(c, &path, &o, &code)) return code < 0 ? c.err(c.integer(code)) : c.nil();
  spl_handle_t h = 0;
  int rc = path == kStdin ? spl_open_sync_fd(0, "-", &o, &h) : spl_open_sync(path.c_str(), &o, &h);
  return rc < 0 ? c.err(c.integer(rc)) : c.ok(HandleValue(c, h));
}

// The name of a load strategy (spl_file_strategy's value) as regions show it.
const char* StrategyName(int s) {
  static const char* names[] = {"empty", "mmap", "read", "read-to-eof", "stream"};
  return s >= 0 && s <= 4 ? names[s] : "unknown";
}

// rt_file_submit's work: 0 with *h set, an ABI error code, or 1 when an argument was refused
// (c.failed(), or attaching to the loop failed: the error is recorded).
int SubmitFrom(NativeCall& c, spl_handle_t* h) {
  std::string path;
  spl_open_options_t o;
  int code = 0;
  if (!OptionsFrom(c, &path, &o, &code)) return code < 0 ? code : 1;
  // (a small file already in the page cache is loaded here at once, see spl_submit_or_load;
  // such a load is not announced to the loop, and nothing waits for this new handle yet. The
  // loop is attached when something first waits for a load that has not ended, and
  // rt_file_wait looks at the load's state again after attaching: a load that ended before
  // is never announced, and needs not be. So a program that opens and awaits small cached
  // files one by one never starts the loader's threads.)
  return path == kStdin ? spl_submit_fd(0, "-", &o, h) : spl_submit_or_load(path.c_str(), &o, h);
}

Value rt_file_submit(NativeCall& c) {
  spl_handle_t h = 0;
  int rc = SubmitFrom(c, &h);
  if (rc > 0) return c.nil();
  return rc < 0 ? c.err(c.integer(rc)) : c.ok(HandleValue(c, h));
}

// rt_file_submit, also giving what a region needs when the load ended here at once (a small
// file in the page cache, see spl_submit_or_load): (handle, length, strategy), with length
// -1 and strategy "" while the load runs or when it failed (its code comes from waiting).
// One call instead of submit, wait, length and strategy for the common case of file.open.
Value rt_file_submit_now(NativeCall& c) {
  spl_handle_t h = 0;
  int rc = SubmitFrom(c, &h);
  if (rc > 0) return c.nil();
  if (rc < 0) return c.err(c.integer(rc));
  Value handle = HandleValue(c, h);
  int64_t len = -1;
  std::string strategy;
  uint64_t n = 0;
  if (spl_file_state(h) == SPL_STATE_READY && spl_region_len(h, &n) == 0) {
    len = static_cast<int64_t>(n);
    strategy = StrategyName(spl_file_strategy(h));
  }
  return c.ok(c.tuple({handle, c.integer(len), c.text(std::move(strategy))}));
}

// ---- load sets: many loads, completions collected in order ----

void ReleaseSet(uint64_t id) {
  WaitState& s = State();
  auto it = s.sets.find(id);
  if (it == s.sets.end()) return;
  std::unique_ptr<LoadSet> set = std::move(it->second);
  s.sets.erase(it);
  for (auto& [h, m] : set->members) s.set_of.erase(h);
  if (set->waiting) {
    set->waiting = false;
    --s.outstanding;
    UpdateLoopRef();
  }
  // set (and the handle values it holds) goes here: a load nobody else holds is closed.
}

LoadSet* SetArg(NativeCall& c, int i) {
  uint64_t id = c.resource_arg(i);
  if (c.failed()) return nullptr;
  auto it = State().sets.find(id);
  if (it == State().sets.end()) {
    c.fail(std::string(c.name()) + ": the load set was released");
    return nullptr;
  }
  return it->second.get();
}

// A new, empty load set (a resource: released with its last reference).
Value rt_file_set_new(NativeCall& c) {
  uint64_t id = State().next_set++;
  State().sets.emplace(id, std::make_unique<LoadSet>());
  return c.resource(id, ReleaseSet);
}

// (paths, mode, prefault, advice, offset, length, read_limit, streams, set) ->
// Ok([handle]) in the order of paths, Err(code). Every path starts loading in one batch
// (spl_submit_many); "-" (standard input) is submitted on its own. With a set (not 0), the
// loads join it and their completions are collected there in order (rt_file_set_take); a
// path holding a NUL byte then joins as a load that already failed (EINVAL, handle nil).
// Without a set such a path fails the whole call with Err(EINVAL), nothing started.
Value rt_file_submit_many(NativeCall& c) {
  const Value& list = c.arg(0);
  if (!list.is(OK::Array))
    return c.fail("rt_file_submit_many: argument 1 must be an array of text");
  spl_open_options_t o;
  spl_open_options_init(&o);
  int code = 0;
  if (!LoadOptionsFrom(c, &o, &code)) return code < 0 ? c.err(c.integer(code)) : c.nil();
  LoadSet* set = nullptr;
  uint64_t set_id = 0;
  if (!(c.arg(8).is_int() && c.arg(8).as_int() == 0)) {
    set = SetArg(c, 8);
    if (set == nullptr) return c.nil();
    set_id = c.resource_arg(8);
  }
  const std::vector<Value>& items = list.as<Array>()->items;
  const size_t n = items.size();
  std::vector<std::string> paths;
  std::vector<int> refused(n, 0);  // spl_path_check's code per path
  std::vector<std::string> refusal(n);
  paths.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!items[i].is(OK::Str)) return c.fail("rt_file_submit_many: every path must be text");
    paths.push_back(items[i].as<Str>()->str());
    if (int rc = spl_path_check(paths[i].data(), paths[i].size()); rc < 0) {
      if (set == nullptr) return c.err(c.integer(rc));
      refused[i] = rc;
      refusal[i] = spl_last_error();
    }
  }
  if (!EnsureAttached(c)) return c.nil();
  std::vector<const char*> batch;
  std::vector<size_t> batch_at;  // index in paths of each batch entry
  batch.reserve(n);
  batch_at.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (paths[i] == kStdin || refused[i] != 0) continue;
    batch.push_back(paths[i].c_str());
    batch_at.push_back(i);
  }
  std::vector<spl_handle_t> handles(n, 0);
  std::vector<spl_handle_t> got(batch.size(), 0);
  if (int rc = spl_submit_many(batch.data(), batch.size(), &o, got.data()); rc < 0) {
    return c.err(c.integer(rc));
  }
  std::vector<Value> out;
  out.reserve(n);
  for (size_t k = 0; k < got.size(); ++k) handles[batch_at[k]] = got[k];
  for (size_t i = 0; i < n; ++i) {
    if (paths[i] == kStdin && refused[i] == 0) {
      int rc = spl_submit_fd(0, "-", &o, &handles[i]);
      // On failure the values made so far close their loads as they go.
      if (rc < 0) return c.err(c.integer(rc));
    }
    out.push_back(handles[i] != 0 ? HandleValue(c, handles[i]) : Value());
  }
  if (set != nullptr) {
    WaitState& s = State();
    for (size_t i = 0; i < n; ++i) {
      LoadSet::Member m{out[i], set->next_seq++, refused[i], std::move(refusal[i])};
      if (refused[i] != 0) {
        set->ready.emplace_back(0, std::move(m));
        continue;
      }
      set->members.emplace(handles[i], std::move(m));
      s.set_of[handles[i]] = set_id;
    }
  }
  return c.ok(c.array(std::move(out)));
}

// (set) -> how many finished loads are waiting to be taken: at once when some are (an int), 0
// when the set has no load running either (nothing will come), else a future of that count,
// settled on the loop thread when the next load of the set finishes.
// Takes in the completions the loader has queued for the loop but not yet woken it for
// (it wakes the loop once per batch): a set then counts every load that has ended.
void PollCompletions(const LoadSet& set) {
  if (!set.members.empty() && State().attached) (void)spl_loop_poll();
}

Value rt_file_set_wait(NativeCall& c) {
  LoadSet* set = SetArg(c, 0);
  if (set == nullptr) return c.nil();
  if (set->ready.empty()) PollCompletions(*set);
  if (!set->ready.empty()) return c.integer(static_cast<int64_t>(set->ready.size()));
  if (set->members.empty()) return c.integer(0);
  if (set->waiting) return c.fail("rt_file_set_wait: the set is already waited for");
  if (!EnsureAttached(c)) return c.nil();
  set->waiter = c.pending_future();
  set->waiting = true;
  ++State().outstanding;
  UpdateLoopRef();
  return set->waiter.value();
}

// (set, max) -> up to max finished loads, in the order they finished, each
// [handle, code, length, strategy, message, seq]: code 0 and the region's length and strategy
// when it loaded, else the error code and its one-line message (length 0, strategy "");
// seq numbers the loads of the set in the order they joined it (0, 1, 2...).
Value rt_file_set_take(NativeCall& c) {
  LoadSet* set = SetArg(c, 0);
  int64_t max = c.int_arg(1);
  if (set == nullptr || c.failed()) return c.nil();
  if (max <= 0) return c.fail("rt_file_set_take: max must be positive");
  static const char* names[] = {"empty", "mmap", "read", "read-to-eof", "stream"};
  std::vector<Value> out;
  size_t n = std::min<size_t>(static_cast<size_t>(max), set->ready.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto [h, member] = std::move(set->ready.front());
    set->ready.pop_front();
    set->ready_bytes -= member.bytes;
    int code = member.failed_code;
    uint64_t len = 0;
    const char* strategy = "";
    std::string message = std::move(member.message);
    if (code == 0) code = spl_file_result(h);
    if (code == 0) code = spl_region_len(h, &len);
    if (code == 0) {
      int st = spl_file_strategy(h);
      strategy = st >= 0 && st <= 4 ? names[st] : "unknown";
    } else if (member.failed_code == 0) {
      message = spl_last_error();
    }
    out.push_back(
        c.array({std::move(member.handle), c.integer(code), c.integer(static_cast<int64_t>(len)),
                 c.text(strategy), c.text(std::move(message)), c.integer(member.seq)}));
  }
  return c.array(std::move(out));
}

// (set) -> every load of the set, running or finished but not taken, as [seq, handle] in seq
// order; the set lets go of them (they complete like loads of no set).
Value rt_file_set_drain(NativeCall& c) {
  LoadSet* set = SetArg(c, 0);
  if (set == nullptr) return c.nil();
  WaitState& s = State();
  std::vector<std::pair<int64_t, Value>> all;
  for (auto& [h, m] : set->members) {
    s.set_of.erase(h);
    all.emplace_back(m.seq, std::move(m.handle));
  }
  for (auto& [h, m] : set->ready) all.emplace_back(m.seq, std::move(m.handle));
  set->members.clear();
  set->ready.clear();
  set->ready_bytes = 0;
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Value> out;
  out.reserve(all.size());
  for (auto& [seq, v] : all) out.push_back(c.array({c.integer(seq), std::move(v)}));
  return c.array(std::move(out));
}

// (set) -> [running, ready, ready_bytes]: loads of the set still running, finished ones not
// taken, and the bytes of the regions among those.
Value rt_file_set_counts(NativeCall& c) {
  LoadSet* set = SetArg(c, 0);
  if (set == nullptr) return c.nil();
  PollCompletions(*set);
  return c.array({c.integer(static_cast<int64_t>(set->members.size())),
                  c.integer(static_cast<int64_t>(set->ready.size())),
                  c.integer(static_cast<int64_t>(set->ready_bytes))});
}

Value rt_file_state(NativeCall& c) {
  int rc = spl_file_state(HandleArg(c, 0));
  return IntResult(c, rc, rc);
}

Value rt_file_progress(NativeCall& c) {
  uint64_t done = 0, total = 0;
  int rc = spl_file_progress(HandleArg(c, 0), &done, &total);
  if (rc < 0) return c.err(c.integer(rc));
  int state = spl_file_state(HandleArg(c, 0));
  double p = state == SPL_STATE_READY ? 1.0 : total == 0 ? 0.0 : double(done) / double(total);
  return c.ok(c.floating(p));
}

// Timeouts longer than this (about 292 years, as in spl_file_wait) mean no limit.
constexpr int64_t kForeverMs = INT64_MAX / 1000000;

// (handle, timeout_ms): a future of the final code (0 ready, negative error, ETIMEDOUT), or the
// code itself when the load already ended. timeout_ms < 0 or > kForeverMs: no limit.
Value rt_file_wait(NativeCall& c) {
  spl_handle_t h = HandleArg(c, 0);
  int64_t timeout = c.int_arg(1);
  if (c.failed()) return c.nil();
  // Ended (loaded, failed) or not a live handle: its code, without attaching to the loop (a
  // load done at once on this thread, as small cached files are, needs nothing more).
  int result = spl_file_result(h);
  if (result != SPL_ENOTREADY) return Code(c, result);
  if (!EnsureAttached(c)) return c.nil();
  int state = spl_file_state(h);
  if (state < 0) return Code(c, state);
  if (state == SPL_STATE_READY || state == SPL_STATE_FAILED) return Code(c, spl_file_result(h));
  // Not started by a loader thread yet: a small cached file is loaded here at once (a
  // program that opens and awaits files one by one then costs no more than open_sync).
  if (state == SPL_STATE_PENDING && spl_file_run_if_cached(h) == 1) {
    // (not announced to the loop: what OnComplete would do for it is done here, for another
    // task that may wait for the same handle or a load set it belongs to)
    OnComplete(h, spl_file_state(h), nullptr);
    return Code(c, spl_file_result(h));
  }
  if (timeout == 0) return Code(c, SPL_ETIMEDOUT);
  auto* w = new Waiter{c.pending_future(), h, nullptr};
  if (timeout > 0 && timeout <= kForeverMs) {
    w->timer = new uv_timer_t;
    uv_timer_init(c.loop(), w->timer);
    w->timer->data = w;
    uv_update_time(c.loop());  // the loop's cached time is stale after running Simple code
    uv_timer_start(w->timer, OnTimeout, static_cast<uint64_t>(timeout), 0);
  }
  State().by_handle[h].push_back(w);
  ++State().outstanding;
  UpdateLoopRef();
  return w->future.value();
}

// Blocking wait on the calling thread (the synchronous get()).
Value rt_file_wait_blocking(NativeCall& c) {
  spl_handle_t h = HandleArg(c, 0);
  int64_t timeout = c.int_arg(1);
  if (c.failed()) return c.nil();
  return Code(c, spl_file_wait(h, timeout));
}

// The load's final code (0 ready, negative failure, ENOTREADY while running); also makes
// rt_file_last_error() describe this handle's failure.
Value rt_file_result(NativeCall& c) { return Code(c, spl_file_result(HandleArg(c, 0))); }

Value rt_file_cancel(NativeCall& c) {
  int rc = spl_file_cancel(HandleArg(c, 0));
  return rc < 0 ? c.err(c.integer(rc)) : c.ok(c.boolean(rc == 1));
}

// Closes the handle now (a resource is released once: closing again, or dropping it later,
// does nothing more). 0, or the close's error code.
Value rt_file_close(NativeCall& c) {
  spl_handle_t h = HandleArg(c, 0);
  if (c.failed()) return c.nil();
  if (c.arg(0).is_int()) return Code(c, spl_file_close(h));
  // The release runs spl_file_close; its result is the region's close status, which only
  // fails for a handle already closed (then the release is a no-op too).
  int state = spl_file_state(h);
  c.release_resource(0);
  return Code(c, state == SPL_ECLOSED ? SPL_ECLOSED : 0);
}

Value rt_file_strategy(NativeCall& c) {
  int rc = spl_file_strategy(HandleArg(c, 0));
  if (rc < 0) return c.err(c.integer(rc));
  return c.ok(c.text(StrategyName(rc)));
}

// Handles open in the process (loads and regions not closed or dropped yet).
Value rt_file_open_handles(NativeCall& c) {
  return c.integer(static_cast<int64_t>(spl_handle_count()));
}

Value rt_file_last_error(NativeCall& c) { return c.text(spl_last_error()); }

Value rt_file_error_name(NativeCall& c) {
  int64_t code = c.int_arg(0);
  if (c.failed()) return c.nil();
  return c.text(spl_err_name(static_cast<int>(code)));
}

Value rt_file_strerror(NativeCall& c) {
  int64_t code = c.int_arg(0);
  if (c.failed()) return c.nil();
  return c.text(spl_strerror(static_cast<int>(code)));
}

// False for a path holding a NUL byte (no such file can exist; the system call would see a
// shorter path).
Value rt_file_exists(NativeCall& c) {
  std::string path = c.text_arg(0);
  if (c.failed()) return c.nil();
  if (spl_path_check(path.data(), path.size()) < 0) return c.boolean(false);
  struct stat st;
  return c.boolean(::stat(path.c_str(), &st) == 0);
}

Value rt_file_size(NativeCall& c) {
  std::string path = c.text_arg(0);
  if (c.failed()) return c.nil();
  if (int rc = spl_path_check(path.data(), path.size()); rc < 0) return c.err(c.integer(rc));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return c.err(c.integer(-errno));
  if (S_ISDIR(st.st_mode)) return c.err(c.integer(SPL_EISDIR));
  return c.ok(c.integer(static_cast<int64_t>(st.st_size)));
}

Value rt_region_len(NativeCall& c) {
  uint64_t len = 0;
  int rc = spl_region_len(HandleArg(c, 0), &len);
  return IntResult(c, rc, static_cast<int64_t>(len));
}

Value rt_region_mode(NativeCall& c) {
  int rc = spl_region_mode(HandleArg(c, 0));
  return IntResult(c, rc, rc);
}

Value rt_region_count(NativeCall& c) {
  uint64_t off, len, n = 0;
  if (!Range(c, 1, &off, &len)) return c.nil();
  std::string needle = c.text_arg(3);
  if (c.failed()) return c.nil();
  int rc = spl_scan_count(HandleArg(c, 0), off, len, needle.data(), needle.size(), &n);
  return IntResult(c, rc, static_cast<int64_t>(n));
}

// (h, off, len, from, needle) -> Ok(absolute offset or -1).
Value rt_region_find(NativeCall& c) {
  uint64_t off, len;
  if (!Range(c, 1, &off, &len)) return c.nil();
  int64_t from = c.int_arg(3);
  std::string needle = c.text_arg(4);
  if (c.failed()) return c.nil();
  if (from < 0) return c.fail("rt_region_find: start must not be negative");
  int64_t pos = -1;
  int rc = spl_scan_find(HandleArg(c, 0), off, len, static_cast<uint64_t>(from), needle.data(),
                         needle.size(), &pos);
  return IntResult(c, rc, pos);
}

Value rt_region_count_lines(NativeCall& c) {
  uint64_t off, len, n = 0;
  if (!Range(c, 1, &off, &len)) return c.nil();
  int rc = spl_scan_count_lines(HandleArg(c, 0), off, len, &n);
  return IntResult(c, rc, static_cast<int64_t>(n));
}

// Ok(-1) when valid, Ok(offset of the first bad byte) when not, Err(code) on failure.
Value rt_region_validate_utf8(NativeCall& c) {
  uint64_t off, len, bad = 0;
  if (!Range(c, 1, &off, &len)) return c.nil();
  int rc = spl_scan_validate_utf8(HandleArg(c, 0), off, len, &bad);
  if (rc == SPL_EUTF8) return c.ok(c.integer(static_cast<int64_t>(bad)));
  return IntResult(c, rc, -1);
}

// Copies [off, off+len) into a text value (bytes as they are; callers validate UTF-8).
Value rt_region_read(NativeCall& c) {
  uint64_t off, len;
  if (!Range(c, 1, &off, &len)) return c.nil();
  uint64_t size = 0;
  int lrc = spl_region_len(HandleArg(c, 0), &size);
  if (lrc < 0) return c.err(c.integer(lrc));
  if (off > size || len > size - off) return c.err(c.integer(SPL_ERANGE));
  std::string out;
  out.resize(len);
  int rc = spl_scan_copy(HandleArg(c, 0), off, len, out.data());
  return rc < 0 ? c.err(c.integer(rc)) : c.ok(c.text(std::move(out)));
}

Value rt_region_byte_at(NativeCall& c) {
  int64_t off = c.int_arg(1);
  if (c.failed()) return c.nil();
  if (off < 0) return c.err(c.integer(SPL_ERANGE));
  uint8_t b = 0;
  int rc = spl_scan_copy(HandleArg(c, 0), static_cast<uint64_t>(off), 1, &b);
  return IntResult(c, rc, b);
}

// What rt_region_grep collects from spl_scan_find_lines: the output text in grep -n's format,
// or only counts.
struct GrepOut {
  std::string prefix;  // "file:" or ""
  bool count_only = false;
  bool numbers = true;
  std::string text;
  int64_t selected = 0;  // lines selected, printed or not
  int64_t binary = 0;    // selected lines not printed: not valid UTF-8 (grep's binary file)
  std::vector<uint64_t> starts, lengths;
  std::vector<size_t> at;  // where each line's bytes go in text
};

int CollectLines(void* user, const spl_line_match_t* lines, size_t count) {
  auto* g = static_cast<GrepOut*>(user);
  for (size_t i = 0; i < count; ++i) {
    const spl_line_match_t& m = lines[i];
    if ((m.flags & SPL_LINE_INVALID_UTF8) != 0) {
      ++g->binary;
      continue;
    }
    g->text += g->prefix;
    if (g->numbers) {
      g->text += std::to_string(m.number);
      g->text += ':';
    }
    g->starts.push_back(m.start);
    g->lengths.push_back(m.length);
    g->at.push_back(g->text.size());
    g->text.append(m.length, '\0');  // filled by one spl_scan_copy_ranges below
    g->text += '\n';
  }
  return 0;
}

// (handle, offset, length, needle, flags, first_line, prefix) ->
// Ok([text, newlines, selected, binary, first_nul]): the lines of the range holding needle,
// formatted as `grep -n` prints them (prefix, line number, ':', the line) in one text;
// newlines: the '\n' bytes of the range (the next range's first line is first_line +
// newlines); selected: the lines that matched; binary: those left out of text because they
// are not valid UTF-8; first_nul: the offset of the range's first NUL byte, or -1.
// flags: 1 ignore case (as GNU grep -i), 2 count only (text stays empty), 4 no line numbers.
// The range should start at a line's start and end after a '\n' or at the region's end.
Value rt_region_grep(NativeCall& c) {
  uint64_t off, len;
  if (!Range(c, 1, &off, &len)) return c.nil();
  std::string needle = c.text_arg(3);
  int64_t flags = c.int_arg(4), first_line = c.int_arg(5);
  std::string prefix = c.text_arg(6);
  if (c.failed()) return c.nil();
  if (flags < 0 || flags > 7) return c.fail("rt_region_grep: invalid flags");
  spl_handle_t h = HandleArg(c, 0);
  GrepOut g;
  g.prefix = std::move(prefix);
  g.count_only = (flags & 2) != 0;
  g.numbers = (flags & 4) == 0;
  uint32_t find_flags =
      SPL_FIND_CHECK_UTF8 | SPL_FIND_CHECK_NUL | ((flags & 1) != 0 ? SPL_FIND_IGNORE_CASE : 0u);
  spl_find_lines_stats_t stats{0, -1, 0};
  int rc = spl_scan_find_lines(h, off, len, needle.data(), needle.size(), find_flags,
                               static_cast<uint64_t>(first_line),
                               g.count_only ? nullptr : CollectLines, &g, &stats);
  if (rc < 0) return c.err(c.integer(rc));
  g.selected = static_cast<int64_t>(stats.selected);
  if (!g.starts.empty()) {
    std::vector<void*> dsts(g.starts.size());
    for (size_t i = 0; i < dsts.size(); ++i) dsts[i] = g.text.data() + g.at[i];
    rc = spl_scan_copy_ranges(h, g.starts.data(), g.lengths.data(), g.starts.size(), dsts.data());
    if (rc < 0) return c.err(c.integer(rc));
  }
  return c.ok(c.array({c.text(std::move(g.text)), c.integer(static_cast<int64_t>(stats.newlines)),
                       c.integer(g.selected), c.integer(g.binary), c.integer(stats.first_nul)}));
}

// Ok([lines, words, chars, bytes]) as GNU wc counts them.
Value rt_region_wc(NativeCall& c) {
  uint64_t off, len;
  if (!Range(c, 1, &off, &len)) return c.nil();
  spl_wc_counts_t w;
  int rc = spl_scan_wc(HandleArg(c, 0), off, len, &w);
  if (rc < 0) return c.err(c.integer(rc));
  return c.ok(c.array({c.integer(int64_t(w.lines)), c.integer(int64_t(w.words)),
                       c.integer(int64_t(w.chars)), c.integer(int64_t(w.bytes))}));
}

Value rt_region_write(NativeCall& c) {
  int64_t off = c.int_arg(1);
  std::string data = c.text_arg(2);
  if (c.failed()) return c.nil();
  if (off < 0) return Code(c, SPL_ERANGE);
  return Code(
      c, spl_region_write(HandleArg(c, 0), static_cast<uint64_t>(off), data.data(), data.size()));
}

Value rt_region_flush(NativeCall& c) { return Code(c, spl_region_flush(HandleArg(c, 0), 0, 0)); }

Value rt_region_advise(NativeCall& c) {
  int64_t advice = c.int_arg(1);
  uint64_t off, len;
  if (!Range(c, 2, &off, &len)) return c.nil();
  return Code(c, spl_region_advise(HandleArg(c, 0), static_cast<int>(advice), off, len));
}

Value rt_region_is_stale(NativeCall& c) {
  int rc = spl_region_is_stale(HandleArg(c, 0));
  return rc < 0 ? c.err(c.integer(rc)) : c.ok(c.boolean(rc == 1));
}

const NativeReg kFile[] = {
    {"rt_file_open_sync", 8, 8, rt_file_open_sync},
    {"rt_file_submit", 8, 8, rt_file_submit},
    {"rt_file_submit_now", 8, 8, rt_file_submit_now},
    {"rt_file_submit_many", 9, 9, rt_file_submit_many},
    {"rt_file_set_new", 0, 0, rt_file_set_new},
    {"rt_file_set_wait", 1, 1, rt_file_set_wait},
    {"rt_file_set_take", 2, 2, rt_file_set_take},
    {"rt_file_set_counts", 1, 1, rt_file_set_counts},
    {"rt_file_set_drain", 1, 1, rt_file_set_drain},
    {"rt_file_state", 1, 1, rt_file_state},
    {"rt_file_progress", 1, 1, rt_file_progress},
    {"rt_file_wait", 2, 2, rt_file_wait},
    {"rt_file_wait_blocking", 2, 2, rt_file_wait_blocking},
    {"rt_file_result", 1, 1, rt_file_result},
    {"rt_file_cancel", 1, 1, rt_file_cancel},
    {"rt_file_close", 1, 1, rt_file_close},
    {"rt_file_strategy", 1, 1, rt_file_strategy},
    {"rt_file_last_error", 0, 0, rt_file_last_error},
    {"rt_file_open_handles", 0, 0, rt_file_open_handles},
    {"rt_file_error_name", 1, 1, rt_file_error_name},
    {"rt_file_strerror", 1, 1, rt_file_strerror},
    {"rt_file_exists", 1, 1, rt_file_exists},
    {"rt_file_size", 1, 1, rt_file_size},
    {"rt_region_len", 1, 1, rt_region_len},
    {"rt_region_mode", 1, 1, rt_region_mode},
    {"rt_region_count", 4, 4, rt_region_count},
    {"rt_region_find", 5, 5, rt_region_find},
    {"rt_region_count_lines", 3, 3, rt_region_count_lines},
    {"rt_region_validate_utf8", 3, 3, rt_region_validate_utf8},
    {"rt_region_read", 3, 3, rt_region_read},
    {"rt_region_byte_at", 2, 2, rt_region_byte_at},
    {"rt_region_wc", 3, 3, rt_region_wc},
    {"rt_region_grep", 7, 7, rt_region_grep},
    {"rt_region_write", 3, 3, rt_region_write},
    {"rt_region_flush", 1, 1, rt_region_flush},
    {"rt_region_advise", 4, 4, rt_region_advise},
    {"rt_region_is_stale", 1, 1, rt_region_is_stale},
};

}  // namespace

SPL_NATIVE_MODULE(file, "file", kFile);

}  // namespace spl
