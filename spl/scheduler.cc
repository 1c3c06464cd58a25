// Task scheduling on fibers and a libuv loop (see scheduler.h). The loop thread is the only
// thread that touches interpreter state; the SIGINT handler only sets a flag and wakes the loop.
#include "scheduler.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "interp.h"

namespace spl {

namespace {
#if defined(SPL_SANITIZED)
constexpr size_t kMainStack = 60u << 20;  // ASan skips stack cleanup above 64 MiB
constexpr size_t kTaskStack = 16u << 20;
#else
constexpr size_t kMainStack = 64u << 20;
constexpr size_t kTaskStack = 4u << 20;
#endif
// VM stacks (registers of Simple calls): 2M values for the main task, 128K for others.
constexpr size_t kMainValues = 32u << 20;
constexpr size_t kTaskValues = 2u << 20;

Scheduler* g_sched = nullptr;  // the scheduler whose tasks run on this thread
uv_async_t* g_sigint_async = nullptr;
struct sigaction g_old_sigint;

void on_sigint(int) {
  // Async-signal-safe only: a flag and uv_async_send. SA_RESETHAND makes a second Ctrl-C
  // end the process at once, should cleanup hang.
  Scheduler::sigint_pending_.store(true, std::memory_order_relaxed);
  if (g_sigint_async) uv_async_send(g_sigint_async);
}
}  // namespace

std::atomic<bool> Scheduler::sigint_pending_{false};

bool duration_ms(const Value& v, uint64_t* ms) {
  if (v.is_int()) {
    if (v.as_int() < 0) return false;
    *ms = uint64_t(v.as_int());
    return true;
  }
  if (v.is_float()) {
    double d = v.as_float();
    if (std::isnan(d) || d < 0) return false;
    *ms = d >= 1.8e19 ? kForever : uint64_t(d);
    return true;
  }
  return false;
}

struct TimerEntry {
  uv_timer_t handle;
  Scheduler* sched;
  Value future;             // resolved (sleep) or rejected (timeout) when the timer fires
  Value cancel_on_timeout;  // with_timeout: the inner future whose work is cancelled
  uint64_t ms;
  bool is_timeout;
};

// "out of memory" without allocating: a static report shared by every use.
static std::shared_ptr<ErrorInfo> out_of_memory_error() {
  static const std::shared_ptr<ErrorInfo> info = [] {
    auto i = std::make_shared<ErrorInfo>();
    i->message = "out of memory";
    return i;
  }();
  return info;
}

Scheduler::Scheduler(Interp& in) : in_(in) {
  uv_loop_init(&loop_);
  (void)out_of_memory_error();  // made now: when it is needed, allocation may fail
}

static void timer_closed(uv_handle_t* h) { delete static_cast<TimerEntry*>(h->data); }

void Scheduler::close_timer(TimerEntry* t) {
  if (!timers_.erase(t)) return;
  if (t->future.is(OK::Future) && t->future.as<Future>()->timer == t)
    t->future.as<Future>()->timer = nullptr;
  uv_timer_stop(&t->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&t->handle), timer_closed);
}

TimerEntry* Scheduler::add_timer(uint64_t ms, Value fut, bool is_timeout, Value cancel_on_timeout) {
  TimerEntry* t = new TimerEntry{};
  t->sched = this;
  t->future = std::move(fut);
  t->cancel_on_timeout = std::move(cancel_on_timeout);
#ifdef SPL_FUZZ_BUDGET
  ms = std::min<uint64_t>(ms, 2);  // (fuzzing: a long sleep must not stall the run)
#endif
  t->ms = ms;
  t->is_timeout = is_timeout;
  uv_timer_init(&loop_, &t->handle);
  t->handle.data = t;
  timers_.insert(t);
  if (!is_timeout) t->future.as<Future>()->timer = t;
  // libuv measures timeouts from its cached "now", taken when the loop last ran; after a long
  // stretch of Simple code that time is stale and the timer would fire early. (libuv
  // saturates now + ms, so kForever never fires.)
  uv_update_time(&loop_);
  uv_timer_start(
      &t->handle,
      [](uv_timer_t* h) {
        TimerEntry* tm = static_cast<TimerEntry*>(h->data);
        Scheduler* s = tm->sched;
        Value fut = tm->future;
        Value inner = tm->cancel_on_timeout;
        uint64_t ms = tm->ms;
        bool is_timeout = tm->is_timeout;
        s->close_timer(tm);
        if (is_timeout) {
          auto info = std::make_shared<ErrorInfo>();
          info->message = "timed out after " + std::to_string(ms) + " ms";
          s->reject(fut.as<Future>(), info);
          if (inner.is(OK::Future)) s->cancel_future(inner.as<Future>());
        } else {
          s->resolve(fut.as<Future>(), Value());
        }
      },
      ms, 0);
  return t;
}

Value Scheduler::sleep(uint64_t ms) {
  Value fut = new_future();
  add_timer(ms, fut, false, Value());
  return fut;
}

Value Scheduler::with_timeout(const Value& inner, uint64_t ms) {
  if (!inner.is(OK::Future)) return inner;
  Future* in = inner.as<Future>();
  in->observed = true;
  if (in->state != Future::State::Pending || ms == kForever) return inner;
  Value outer = new_future();
  TimerEntry* t = add_timer(ms, outer, true, inner);
  Value keep_outer = outer;
  in->callbacks.push_back([this, t, keep_outer](Future* done) {
    Future* o = keep_outer.as<Future>();
    if (o->state != Future::State::Pending) return;  // timed out already
    close_timer(t);
    if (done->state == Future::State::Resolved)
      resolve(o, done->value);
    else
      reject(o, done->error);
  });
  return outer;
}

Scheduler::~Scheduler() {
  // Tasks left when run_main was not used to its end (unit tests, load errors) unwind here.
  finish_all_tasks();
  for (auto& hook : close_hooks_) hook();
  std::vector<TimerEntry*> left(timers_.begin(), timers_.end());
  for (TimerEntry* t : left) close_timer(t);
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_loop_close(&loop_);
}

Value Scheduler::new_future() { return Value(new Future()); }

Task* Scheduler::new_task(std::function<Value()> body, size_t stack, size_t values) {
  auto t = std::make_unique<Task>();
  t->fiber = Fiber::make(stack, values, &Scheduler::task_entry, t.get());
  if (!t->fiber) return nullptr;
  t->vm.init(reinterpret_cast<Value*>(t->fiber->values_lo()),
             reinterpret_cast<Value*>(t->fiber->values_hi()));
  t->future = new_future();
  t->future.as<Future>()->producer = t.get();
  t->body = std::move(body);
  t->stack_lo = t->fiber->stack_lo();
  t->cancelled = draining_;
  t->id = next_task_id_++;
  live_tasks_++;
  tasks_.insert(t.get());
  return t.release();
}

void Scheduler::task_entry(void* arg) {
  Task* t = static_cast<Task*>(arg);
  Scheduler* s = g_sched;
  {
    Value result;
    std::shared_ptr<ErrorInfo> err;
    bool exit_req = false;
    try {
      result = t->body();
    } catch (RuntimeError& e) {
      err = e.info;
    } catch (TryReturn& r) {
      auto info = std::make_shared<ErrorInfo>();
      if (s->in_.is_variant(r.value, 2, 1)) {
        // main returned Err(e), or `?` / `with` on an Err at top level: "error: <message>".
        Value inner(r.value.as<EnumVal>()->payload);
        try {
          info->message = s->in_.error_message(inner);
        } catch (RuntimeError&) {
          info->message = "unhandled " + repr(r.value) + " reached the top level";
        }
      } else {
        info->message = "unhandled " + repr(r.value) + " reached the top level";
      }
      info->payload = r.value;
      err = info;
    } catch (ExitRequest& x) {
      if (s->exit_code_ < 0) s->exit_code_ = x.code;
      exit_req = true;
    } catch (std::bad_alloc&) {
      // (the tree walker's errors, and allocations outside Simple frames; the VM reports
      // them where they happen)
      err = out_of_memory_error();
    }
    if (err && err->message == "out of memory") s->in_.refill_memory_reserve();
    t->body = nullptr;
    Future* f = t->future.as<Future>();
    f->producer = nullptr;
    if (!exit_req) {
      if (err)
        s->reject(f, err);
      else
        s->resolve(f, std::move(result));
    }
  }
  t->done = true;
  fiber_switch(t->fiber->ctx(), *t->resumer, true);
}

void Scheduler::resume(Task* t) {
  g_sched = this;
  Task* prev = current_;
  FiberCtx* from;
  if (prev) {
    prev->frame = in_.frame_;
    prev->depth = in_.depth_;
    from = &prev->fiber->ctx();
  } else {
    native_frame_ = in_.frame_;
    native_depth_ = in_.depth_;
    native_stack_lo_ = in_.stack_lo_;
    native_vm_stack_ = in_.vm_stack_;
    from = &native_;
  }
  t->resumer = from;
  current_ = t;
  in_.frame_ = t->frame;
  in_.depth_ = t->depth;
  in_.stack_lo_ = t->stack_lo;
  in_.vm_stack_ = &t->vm;
  fiber_switch(*from, t->fiber->ctx(), false);
  // back on the resumer's stack: t suspended or finished
  current_ = prev;
  if (prev) {
    in_.frame_ = prev->frame;
    in_.depth_ = prev->depth;
    in_.stack_lo_ = prev->stack_lo;
    in_.vm_stack_ = &prev->vm;
  } else {
    in_.frame_ = native_frame_;
    in_.depth_ = native_depth_;
    in_.stack_lo_ = native_stack_lo_;
    in_.vm_stack_ = native_vm_stack_;
  }
  if (t->done) {
    t->vm.release_all();  // before its fiber (and this memory) goes back to the pool
    live_tasks_--;
    tasks_.erase(t);
    if (t == main_) main_ = nullptr;
    delete t;
  }
}

void Scheduler::suspend() {
  Task* t = current_;
  t->frame = in_.frame_;
  t->depth = in_.depth_;
  fiber_switch(t->fiber->ctx(), *t->resumer, false);
}

Value Scheduler::start_task(const Value& callee, std::vector<Value> args, const Value* self) {
  Value self_copy = self ? *self : Value();
  bool has_self = self != nullptr;
  Interp* in = &in_;
  Value c = callee;
  Task* t = new_task(
      [in, c, args = std::move(args), self_copy, has_self]() mutable -> Value {
        return in->run_function_body(c.as<Function>(), args.data(), int(args.size()),
                                     has_self ? &self_copy : nullptr, nullptr, nullptr);
      },
      kTaskStack, kTaskValues);
  std::string name = sym_name(callee.as<Function>()->decl->name);
  if (!t)
    in_.error_here("cannot start task '" + name + "': the system refused another task stack (" +
                   std::to_string(live_tasks_) + " tasks alive; out of memory or memory maps)");
  t->name = name;
  t->frame = nullptr;  // a task's trace starts at its own function
  Value fut = t->future;
  resume(t);
  return fut;
}

void Scheduler::run_ready_round() {
  // Run the tasks that are ready now; tasks they make ready wait for the next round, so a
  // task that keeps yielding cannot starve timers and I/O completions.
  for (size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) {
    Task* r = ready_.front();
    ready_.pop_front();
    resume(r);
  }
}

std::vector<Task*> Scheduler::tasks_in_order() const {
  std::vector<Task*> all(tasks_.begin(), tasks_.end());
  std::sort(all.begin(), all.end(), [](Task* a, Task* b) { return a->id < b->id; });
  return all;
}

void Scheduler::finish_all_tasks() {
  draining_ = true;
  for (Task* t : tasks_in_order()) cancel_task(t);
  // Cancelled tasks fail at their next await on a pending future, so each round makes
  // progress; a task can only stay if it was never resumable (then resume it directly).
  while (!tasks_.empty()) {
    if (ready_.empty()) {
      for (Task* t : tasks_in_order())
        if (t != current_) ready_.push_back(t);
      if (ready_.empty()) break;
    }
    run_ready_round();
  }
}

// The SIGINT handler and the async handle that wakes the loop live as long as run_main.
void Scheduler::install_sigint() {
  uv_async_init(&loop_, &sigint_async_, [](uv_async_t* a) {
    Scheduler* s = static_cast<Scheduler*>(a->data);
    if (Scheduler::sigint_pending_.exchange(false)) s->interrupt();
  });
  sigint_async_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&sigint_async_));
  Scheduler::sigint_pending_.store(false);
  g_sigint_async = &sigint_async_;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_sigint);
}

void Scheduler::remove_sigint() {
  sigaction(SIGINT, &g_old_sigint, nullptr);
  g_sigint_async = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_async_), nullptr);
}

Value Scheduler::run_main(std::function<Value()> body) {
  Task* t = nullptr;
  // A smaller main stack (shallower recursion) beats not running at all under tight limits.
  for (size_t stack : {kMainStack, size_t(8) << 20, size_t(1) << 20}) {
    if ((t = new_task(body, stack, stack == kMainStack ? kMainValues : stack / 2))) break;
  }
  if (!t) {
    Value fut = new_future();
    auto info = std::make_shared<ErrorInfo>();
    info->message = "cannot allocate the main task's stack (out of memory or address space)";
    fut.as<Future>()->observed = true;
    reject(fut.as<Future>(), info);
    return fut;
  }
  t->name = "<main>";
  main_ = t;
  Value fut = t->future;
  Future* f = fut.as<Future>();
  f->observed = true;
  install_sigint();
  resume(t);
  while (exit_code_ < 0 && f->state == Future::State::Pending) {
    run_ready_round();
    if (exit_code_ >= 0 || f->state != Future::State::Pending) break;
    if (!ready_.empty()) {
      uv_run(&loop_, UV_RUN_NOWAIT);  // poll I/O and timers without blocking
      continue;
    }
    if (!uv_loop_alive(&loop_)) {
      deadlocked_ = true;
      break;
    }
    uv_run(&loop_, UV_RUN_ONCE);
  }
  // The main task has ended (or cannot go on): cancel what is left and let it unwind.
  finish_all_tasks();
  std::vector<TimerEntry*> left(timers_.begin(), timers_.end());
  for (TimerEntry* tm : left) close_timer(tm);
  remove_sigint();
  return fut;
}

void Scheduler::wake(Future* f) {
  for (Task* t : f->waiters) {
    t->waiting_on = nullptr;
    ready_.push_back(t);
  }
  f->waiters.clear();
  auto cbs = std::move(f->callbacks);
  f->callbacks.clear();
  for (auto& cb : cbs) cb(f);
}

void Scheduler::resolve(Future* f, Value v) {
  if (f->state != Future::State::Pending) return;
  f->state = Future::State::Resolved;
  f->value = std::move(v);
  wake(f);
}

void Scheduler::reject(Future* f, std::shared_ptr<ErrorInfo> e) {
  if (f->state != Future::State::Pending) return;
  f->state = Future::State::Rejected;
  f->error = std::move(e);
  bool watched = !f->waiters.empty() || !f->callbacks.empty() || f->observed;
  wake(f);
  if (!watched && !f->error->cancelled) unobserved_.push_back(Value(f));
}

void Scheduler::cancel_task(Task* t) {
  if (t->done || t->cancelled) return;
  t->cancelled = true;
  if (Future* w = t->waiting_on) {
    w->waiters.erase(std::remove(w->waiters.begin(), w->waiters.end(), t), w->waiters.end());
    t->waiting_on = nullptr;
    ready_.push_back(t);
  }
  // Otherwise the task is running, resuming another task, or already ready: it sees the flag
  // at its next await.
}

void Scheduler::cancel_future(Future* f) {
  if (f->state != Future::State::Pending) return;
  if (f->producer) {
    cancel_task(f->producer);
  } else if (f->timer) {
    close_timer(f->timer);
    auto info = std::make_shared<ErrorInfo>();
    info->message = "cancelled";
    info->cancelled = true;
    reject(f, info);
  }
}

void Scheduler::handle_interrupt_here() {
  if (!Scheduler::sigint_pending_.exchange(false) || !g_sched) return;
  g_sched->interrupt();
  if (g_sched->current_ && g_sched->current_->cancelled) g_sched->throw_cancelled(nullptr);
}

void Scheduler::interrupt() {
  if (interrupted_) return;
  interrupted_ = true;
  for (Task* t : tasks_in_order()) cancel_task(t);
}

void Scheduler::throw_cancelled(const Node* site) {
  auto info = in_.make_error(site, interrupted_ ? "interrupted" : "task was cancelled");
  info->cancelled = true;
  throw RuntimeError{info};
}

Value Scheduler::await(const Value& v, const Node* site) {
  if (!v.is(OK::Future)) return v;
  Value keep = v;
  Future* f = v.as<Future>();
  f->observed = true;
  if (f->state == Future::State::Pending) {
    Task* t = current_;
    if (!t) in_.error_here("'await' on a pending future outside of a task");
    if (t->cancelled) throw_cancelled(site);
    f->waiters.push_back(t);
    t->waiting_on = f;
    suspend();
    if (t->cancelled) throw_cancelled(site);
    if (f->state == Future::State::Pending)
      in_.error_here("internal error: task resumed before its future settled");
  }
  if (f->state == Future::State::Rejected) {
    auto it = std::find_if(unobserved_.begin(), unobserved_.end(),
                           [&](const Value& x) { return x.obj() == f; });
    if (it != unobserved_.end()) unobserved_.erase(it);
    if (!f->error->file) {
      // errors made outside Simple code (timeouts, natives) get the location of the await
      auto info = in_.make_error(site, f->error->message);
      info->payload = f->error->payload;
      info->cancelled = f->error->cancelled;
      throw RuntimeError{info};
    }
    throw RuntimeError{f->error};
  }
  return f->value;
}

void Scheduler::yield_now() {
  Task* t = current_;
  if (!t) return;
  if (t->cancelled) throw_cancelled(nullptr);
  ready_.push_back(t);
  suspend();
  if (t->cancelled) throw_cancelled(nullptr);
}

}  // namespace spl
