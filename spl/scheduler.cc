// Task scheduling on fibers and a libuv loop (see scheduler.h). The loop thread is the only
// thread that touches interpreter state.
#include "scheduler.h"

#include <algorithm>

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
}  // namespace

Scheduler::Scheduler(Interp& in) : in_(in) { uv_loop_init(&loop_); }

struct Scheduler::Timer {
  uv_timer_t handle;
  Scheduler* sched;
  Value future;  // resolved (sleep) or rejected (timeout) when the timer fires
  uint64_t ms;
  bool is_timeout;
};

static void timer_closed(uv_handle_t* h) { delete static_cast<Scheduler::Timer*>(h->data); }

void Scheduler::close_timer(Timer* t) {
  timers_.erase(t);
  uv_timer_stop(&t->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&t->handle), timer_closed);
}

Scheduler::Timer* Scheduler::add_timer(uint64_t ms, Value fut, bool is_timeout) {
  Timer* t = new Timer{};
  t->sched = this;
  t->future = std::move(fut);
  t->ms = ms;
  t->is_timeout = is_timeout;
  uv_timer_init(&loop_, &t->handle);
  t->handle.data = t;
  timers_.insert(t);
  // libuv measures timeouts from its cached "now", taken when the loop last ran; after a long
  // stretch of Simple code that time is stale and the timer would fire early.
  uv_update_time(&loop_);
  uv_timer_start(
      &t->handle,
      [](uv_timer_t* h) {
        Timer* tm = static_cast<Timer*>(h->data);
        Scheduler* s = tm->sched;
        Future* f = tm->future.as<Future>();
        if (tm->is_timeout) {
          auto info = std::make_shared<ErrorInfo>();
          info->message = "timed out after " + std::to_string(tm->ms) + " ms";
          s->reject(f, info);
        } else {
          s->resolve(f, Value());
        }
        s->close_timer(tm);
      },
      ms, 0);
  return t;
}

Value Scheduler::sleep(int64_t ms) {
  Value fut = new_future();
  add_timer(uint64_t(ms < 0 ? 0 : ms), fut, false);
  return fut;
}

Value Scheduler::with_timeout(const Value& inner, int64_t ms) {
  if (!inner.is(OK::Future)) return inner;
  Future* in = inner.as<Future>();
  in->observed = true;
  if (in->state != Future::State::Pending) return inner;
  Value outer = new_future();
  Timer* t = add_timer(uint64_t(ms < 0 ? 0 : ms), outer, true);
  Future* out = outer.as<Future>();
  Value keep_outer = outer;
  in->callbacks.push_back([this, t, keep_outer](Future* done) {
    Future* o = keep_outer.as<Future>();
    if (o->state != Future::State::Pending) return;  // timed out already
    if (timers_.count(t)) close_timer(t);
    if (done->state == Future::State::Resolved)
      resolve(o, done->value);
    else
      reject(o, done->error);
  });
  (void)out;
  return outer;
}

Scheduler::~Scheduler() {
  // Unwind tasks that never finished (deadlock, sys_exit, errors) so their stacks are clean.
  shutting_down_ = true;
  ready_.clear();
  while (!tasks_.empty()) {
    Task* t = *tasks_.begin();
    if (t == current_) break;  // cannot happen: destruction runs on the native stack
    resume(t);
  }
  for (auto& hook : close_hooks_) hook();
  // Close our remaining timers (tasks that never finished), then drain the loop.
  std::vector<Timer*> left(timers_.begin(), timers_.end());
  for (Timer* t : left) close_timer(t);
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_loop_close(&loop_);
}

Value Scheduler::new_future() { return Value(new Future()); }

Task* Scheduler::new_task(std::function<Value()> body, size_t stack) {
  Task* t = new Task();
  t->future = new_future();
  t->body = std::move(body);
  t->fiber = std::make_unique<Fiber>(stack, &Scheduler::task_entry, t);
  t->stack_lo = t->fiber->stack_lo();
  live_tasks_++;
  tasks_.insert(t);
  return t;
}

namespace {
Scheduler* g_sched = nullptr;
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
      info->message = "unhandled " + repr(r.value) + " reached the top level";
      // An error type that describes itself (to_string, e.g. FileError) is shown as such:
      // "error: no such file: data.txt".
      if (s->in_.is_variant(r.value, 2, 1)) {
        Value inner(r.value.as<EnumVal>()->payload);
        static const Sym s_to_string = intern("to_string");
        if ((inner.is(OK::Instance) || inner.is(OK::EnumVal)) &&
            !s->in_.find_method(inner, s_to_string).is_nil()) {
          try {
            info->message = s->in_.to_display(inner);
          } catch (RuntimeError&) {
            // keep the generic message when to_string itself fails
          }
        }
      }
      if (s->in_.frame_ && s->in_.frame_->module) info->file = s->in_.frame_->module->file.get();
      info->payload = r.value;
      err = info;
    } catch (ExitRequest& x) {
      s->exit_code_ = x.code;
      exit_req = true;
    } catch (TaskCancelled&) {
      exit_req = true;  // shutting down: nothing to settle
    }
    t->body = nullptr;
    Future* f = t->future.as<Future>();
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
    from = &native_;
  }
  t->resumer = from;
  current_ = t;
  in_.frame_ = t->frame;
  in_.depth_ = t->depth;
  in_.stack_lo_ = t->stack_lo;
  fiber_switch(*from, t->fiber->ctx(), false);
  // back on the resumer's stack: t suspended or finished
  current_ = prev;
  if (prev) {
    in_.frame_ = prev->frame;
    in_.depth_ = prev->depth;
    in_.stack_lo_ = prev->stack_lo;
  } else {
    in_.frame_ = native_frame_;
    in_.depth_ = native_depth_;
    in_.stack_lo_ = native_stack_lo_;
  }
  if (t->done) {
    live_tasks_--;
    tasks_.erase(t);
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
      kTaskStack);
  t->name = sym_name(callee.as<Function>()->decl->name);
  t->frame = nullptr;  // a task's trace starts at its own function
  Value fut = t->future;
  resume(t);
  return fut;
}

Value Scheduler::run_main(std::function<Value()> body) {
  Task* t = new_task(std::move(body), kMainStack);
  t->name = "<main>";
  Value fut = t->future;
  fut.as<Future>()->observed = true;
  resume(t);
  Future* f = fut.as<Future>();
  while (exit_code_ < 0) {
    // Run the tasks that are ready now; tasks they make ready wait for the next round, so a
    // task that keeps yielding cannot starve timers and I/O completions.
    for (size_t n = ready_.size(); n > 0 && !ready_.empty() && exit_code_ < 0; --n) {
      Task* r = ready_.front();
      ready_.pop_front();
      resume(r);
    }
    if (exit_code_ >= 0) break;
    if (!ready_.empty()) {
      uv_run(&loop_, UV_RUN_NOWAIT);  // poll I/O and timers without blocking
      continue;
    }
    bool alive = uv_loop_alive(&loop_);
    if (!alive) {
      if (f->state == Future::State::Pending) deadlocked_ = true;
      break;
    }
    uv_run(&loop_, UV_RUN_ONCE);
  }
  return fut;
}

void Scheduler::wake(Future* f) {
  for (Task* t : f->waiters) ready_.push_back(t);
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
  if (!watched) unobserved_.push_back(Value(f));
}

Value Scheduler::await(const Value& v, const Node* site) {
  if (!v.is(OK::Future)) return v;
  Value keep = v;
  Future* f = v.as<Future>();
  f->observed = true;
  if (f->state == Future::State::Pending) {
    if (!current_) in_.error_here("'await' on a pending future outside of a task");
    if (shutting_down_) throw TaskCancelled{};
    f->waiters.push_back(current_);
    suspend();
    if (shutting_down_) throw TaskCancelled{};
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
      throw RuntimeError{info};
    }
    throw RuntimeError{f->error};
  }
  return f->value;
}

void Scheduler::yield_now() {
  if (!current_) return;
  ready_.push_back(current_);
  suspend();
  if (shutting_down_) throw TaskCancelled{};
}

}  // namespace spl
