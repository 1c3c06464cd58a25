// Futures and tasks on a libuv loop. Every task (including the main program) runs on its own
// fiber. Calling an async fn starts a task at once and runs it until its first await on a
// pending future; await on a pending future suspends only the current task. The scheduler
// runs ready tasks, then uv_run(UV_RUN_ONCE); it never re-enters the loop from inside await.
//
// Cancellation (as asyncio.run and Trio do it): when `main` ends, every task still running is
// cancelled; so are the task a `with_timeout` gave up on and, on Ctrl-C (SIGINT), every task.
// A cancelled task's awaits on pending futures fail with a cancellation error (a RuntimeError
// with `cancelled` set) that unwinds it through its `__exit__`/`__aexit__` handlers.
#pragma once

#include <uv.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_set>
#include <vector>

#include "errors.h"
#include "fiber.h"
#include "value.h"
#include "vm_stack.h"

namespace spl {

struct Frame;
struct Node;
class Interp;
struct Task;
struct TimerEntry;

struct Future : Obj {
  SPL_OBJ_BYTES(Future)
  enum class State { Pending, Resolved, Rejected };
  State state = State::Pending;
  Value value;
  std::shared_ptr<ErrorInfo> error;
  std::vector<Task*> waiters;
  std::vector<std::function<void(Future*)>> callbacks;
  bool observed = false;  // somebody awaited it (or will): errors are theirs to report
  bool reported = false;
  Task* producer = nullptr;     // the task whose result this is, while it runs
  TimerEntry* timer = nullptr;  // the timer that settles it (sleep), while armed
  Future() : Obj(OK::Future) {}
  void clear_refs() override {
    value = Value();
    callbacks.clear();
  }
};

struct Task {
  std::unique_ptr<Fiber> fiber;
  VmStack vm;    // its registers and frames (memory in the fiber's mapping)
  Value future;  // Future
  std::function<Value()> body;
  uint64_t id = 0;  // creation order: tasks are cancelled in this order
  bool done = false;
  bool cancelled = false;
  Future* waiting_on = nullptr;  // the pending future this task is suspended on
  FiberCtx* resumer = nullptr;   // who to return to when suspending/finishing
  // interpreter state saved while switched out
  Frame* frame = nullptr;
  int depth = 0;
  char* stack_lo = nullptr;
  std::string name;
};

// Durations in milliseconds, as Simple passes them: a number >= 0 (huge values saturate to
// kForever). Returns false for negative and NaN values and for non-numbers.
constexpr uint64_t kForever = UINT64_MAX;
bool duration_ms(const Value& v, uint64_t* ms);

class Scheduler {
 public:
  explicit Scheduler(Interp& in);
  ~Scheduler();

  uv_loop_t* loop() { return &loop_; }
  // Runs fn (on the loop thread) when the scheduler shuts down, before its loop is drained
  // and closed: native modules close the loop handles they own there.
  void on_close(std::function<void()> fn) { close_hooks_.push_back(std::move(fn)); }

  // Run `body` as the main task and drive everything to completion: when the main task ends,
  // the other tasks are cancelled and run until they have unwound. Returns the main task's
  // future (settled, or pending if the program deadlocked or sys_exit was called).
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

  // Builtins: a future resolved after `ms` (sleep; kForever never fires), and one that
  // rejects with "timed out" unless `inner` settles first (the inner work is then cancelled).
  Value sleep(uint64_t ms);
  Value with_timeout(const Value& inner, uint64_t ms);

  void close_timer(TimerEntry* t);

  // Cancellation: a task's pending and later awaits fail with a cancellation error.
  void cancel_task(Task* t);
  // Cancels what settles `f`: its task, or its timer.
  void cancel_future(Future* f);

  // Ctrl-C: checked by the evaluator at calls and loop back-edges (one relaxed load).
  static bool interrupt_pending() {
#ifdef SPL_FUZZ_BUDGET
    // The run fuzz target's instruction budget: each check is a tick; once the budget is
    // spent every check interrupts, as Ctrl-C would (the program's tasks are cancelled).
    if (fuzz_budget_ > 1) --fuzz_budget_;
    if (fuzz_budget_ == 1) sigint_pending_.store(true, std::memory_order_relaxed);
#endif
    return sigint_pending_.load(std::memory_order_relaxed);
  }
#ifdef SPL_FUZZ_BUDGET
  static inline uint64_t fuzz_budget_ = 0;  // ticks left + 1 (0: no budget)
#endif
  static void check_interrupt() {
    if (interrupt_pending()) handle_interrupt_here();
  }
  bool interrupted() const { return interrupted_; }
  static std::atomic<bool> sigint_pending_;  // set by the SIGINT handler (async-signal-safe)

  // Cooperative yield: requeue the current task behind the others.
  void yield_now();

  // Unobserved task errors (to report at exit).
  std::vector<Value>& unobserved() { return unobserved_; }
  bool deadlocked() const { return deadlocked_; }
  int exit_requested() const { return exit_code_; }  // -1 when sys_exit was not called
  size_t live_tasks() const { return live_tasks_; }

 private:
  static void handle_interrupt_here();
  void interrupt();  // cancel everything (the main task included)
  [[noreturn]] void throw_cancelled(const Node* site);
  static void task_entry(void* arg);
  void resume(Task* t);
  void suspend();
  void wake(Future* f);
  void run_ready_round();
  void finish_all_tasks();
  void install_sigint();
  void remove_sigint();

  Interp& in_;
  uv_loop_t loop_;
  uv_async_t sigint_async_;
  std::vector<std::function<void()>> close_hooks_;
  FiberCtx native_;
  Task* current_ = nullptr;
  Task* main_ = nullptr;
  std::deque<Task*> ready_;
  std::vector<Value> unobserved_;
  size_t live_tasks_ = 0;
  bool deadlocked_ = false;
  bool draining_ = false;  // main has ended: new tasks start cancelled
  bool interrupted_ = false;
  int exit_code_ = -1;
  Frame* native_frame_ = nullptr;
  int native_depth_ = 0;
  char* native_stack_lo_ = nullptr;
  TimerEntry* add_timer(uint64_t ms, Value fut, bool is_timeout, Value cancel_on_timeout);
  std::unordered_set<TimerEntry*> timers_;
  std::unordered_set<Task*> tasks_;  // alive (running, suspended or ready)
  uint64_t next_task_id_ = 0;
  std::vector<Task*> tasks_in_order() const;
  Task* new_task(std::function<Value()> body, size_t stack, size_t values);
  VmStack* native_vm_stack_ = nullptr;
};

}  // namespace spl
