// Stackful fibers on Boost.Context's fcontext (make_fcontext / jump_fcontext: a register
// switch in a few instructions, no signal-mask syscall, nothing for ASan to intercept) with
// AddressSanitizer fiber annotations. A Fiber owns an mmap'd stack with a guard page; stacks
// are pooled. Only switching lives here: no scheduling policy.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>
#include <memory>

namespace spl {

struct FiberCtx {
  boost::context::detail::fcontext_t fc = nullptr;  // where to resume this context
  void* fake_stack = nullptr;                       // ASan bookkeeping
  const void* stack_bottom = nullptr;
  size_t stack_size = 0;
  void* owner = nullptr;  // the Fiber, or null for the thread's native stack
};

class Fiber {
 public:
  using Entry = void (*)(void* arg);
  // A fiber with its own stack, or null when the system refuses the stack (out of memory,
  // address space or memory-map count: the caller reports it as an error). The mapping also
  // holds `value_bytes` of zero-filled memory above the native stack for the task's VM stack:
  // [guard][native stack, grows down][values, grow up] (one mapping: two memory maps).
  static std::unique_ptr<Fiber> make(size_t stack_size, size_t value_bytes, Entry entry, void* arg);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  FiberCtx& ctx() { return ctx_; }
  char* stack_lo() const { return static_cast<char*>(stack_) + kGuard; }
  char* values_lo() const { return stack_lo() + stack_size_; }
  char* values_hi() const { return static_cast<char*>(stack_) + size_; }

  static constexpr size_t kGuard = 16 * 1024;

 private:
  Fiber(Entry entry, void* arg) : entry_(entry), arg_(arg) {}
  static void trampoline(boost::context::detail::transfer_t from);
  FiberCtx ctx_;
  void* stack_ = nullptr;
  size_t size_ = 0;        // the whole mapping
  size_t stack_size_ = 0;  // the native stack
  Entry entry_;
  void* arg_;
};

// Switch from `from` to `to`. `from_exiting` tells ASan that `from` will never run again.
void fiber_switch(FiberCtx& from, FiberCtx& to, bool from_exiting);

}  // namespace spl
