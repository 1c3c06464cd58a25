// Futures and tasks on a libuv loop. Every task (including the main program) runs on its own
// fiber. Calling an async fn starts a task at once and runs it until its first await on a
// pending future; await on a pending future suspends only the current task. The scheduler
// runs ready tasks, then uv_run(UV_RUN_ONCE); it never re-enters the loop from inside await.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>
#include <unordered_set>
#include <vector>

#include "errors.h"
#include "fiber.h"
#include "value.h"

namespace spl {

struct Frame;
struct Node;
class Interp;
struct Task;

struct Future : Obj {
  enum class State { Pending, Resolved, Rejected };
  State state = State::Pending;
  Value value;
  std::shared_ptr<ErrorInfo> error;
  std::vector<Task*> waiters;
  std::vector<std::function<void(Future*)>> callbacks;
  bool observed = false;  // somebody awaited it (or will): errors are theirs to report
  bool reported = false;
  Future() : Obj(OK::Future) {}
  void clear_refs() override {
    value = Value();
    callbacks.clear();
  }
};

struct Task {
  std::unique_ptr<Fiber> fiber;
  Value future;  // Future
  std::function<Value()> body;
  bool done = false;
  FiberCtx* resumer = nullptr;  // who to return to when suspending/finishing
  // interpreter state saved while switched out
  Frame* frame = nullptr;
  int depth = 0;
  char* stack_lo = nullptr;
  std::string name;
};

class Scheduler {
 public:
  explicit Scheduler(Interp& in);
  ~Scheduler();

  uv_loop_t* loop() { return &loop_; }
  // Runs fn (on the loop thread) when the scheduler shuts down, before its loop is drained
  // and closed: native modules close the loop handles they own there.
  void on_close(std::function<void()> fn) { close_hooks_.push_back(std::move(fn)); }

  // Run `fn(args)` as the main task and drive everything to completion. Returns the main
  // task's future (settled, or pending if the program deadlocked).
  Value run_main(std::function<Value()> body);

  // Start a task running `callee(args)` now; returns its future.
  Value start_task(const Value& callee, std::vector<Value> args, const Value* self);

  // Await: returns the value or throws the error. Suspends the current task if pending.
  Value await(const Value& v, const Node* site);

  Task* current() { return current_; }
  bool in_task() const { return current_ != nullptr; }

  static Value new_future();
  void resolve(Future* f, Value v);
  void reject(Future* f, std::shared_ptr<ErrorInfo> e);

  // Builtins: a future resolved after `ms` (sleep), and one that rejects with "timed out"
  // unless `inner` settles first.
  Value sleep(int64_t ms);
  Value with_timeout(const Value& inner, int64_t ms);

  struct Timer;
  void close_timer(Timer* t);

  // Cooperative yield: requeue the current task behind the others.
  void yield_now();

  // Unobserved task errors (to report at exit).
  std::vector<Value>& unobserved() { return unobserved_; }
  bool deadlocked() const { return deadlocked_; }
  int exit_requested() const { return exit_code_; }  // -1 when sys_exit was not called
  size_t live_tasks() const { return live_tasks_; }

 private:
  static void task_entry(void* arg);
  void resume(Task* t);
  void suspend();
  void wake(Future* f);
  void finish_task(Task* t);

  Interp& in_;
  uv_loop_t loop_;
  std::vector<std::function<void()>> close_hooks_;
  FiberCtx native_;
  Task* current_ = nullptr;
  std::deque<Task*> ready_;
  std::vector<Task*> finished_;  // stacks to free once we are off them
  std::vector<Value> unobserved_;
  size_t live_tasks_ = 0;
  bool deadlocked_ = false;
  int exit_code_ = -1;
  Frame* native_frame_ = nullptr;
  int native_depth_ = 0;
  char* native_stack_lo_ = nullptr;
  Timer* add_timer(uint64_t ms, Value fut, bool is_timeout);
  std::unordered_set<Timer*> timers_;
  std::unordered_set<Task*> tasks_;  // alive (suspended or ready)
  bool shutting_down_ = false;
  Task* new_task(std::function<Value()> body, size_t stack);
};

}  // namespace spl
