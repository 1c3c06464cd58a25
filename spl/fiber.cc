// fcontext fibers (see fiber.h). A pooled mapping comes back with its value area zero-filled
// again (the task's VM stack clears what it used before the fiber is released). Under ASan every
// switch is bracketed by
// __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber so that ASan tracks which
// stack is live and does not report false stack-buffer errors.
#include "fiber.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define SPL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPL_ASAN 1
#endif
#endif

#ifdef SPL_ASAN
extern "C" {
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                     size_t* size_old);
void __asan_unpoison_memory_region(void const volatile* addr, size_t size);
}
#endif

namespace spl {

namespace {
FiberCtx* g_prev = nullptr;   // the context being switched away from
Fiber* g_starting = nullptr;  // fiber whose trampoline is about to run

struct StackPool {
  std::vector<std::pair<void*, size_t>> free;
  ~StackPool() {
    for (auto& [p, n] : free) munmap(p, n);
  }
};
StackPool& pool() {
  static StackPool p;
  return p;
}
}  // namespace

std::unique_ptr<Fiber> Fiber::make(size_t stack_size, size_t value_bytes, Entry entry, void* arg) {
  std::unique_ptr<Fiber> f(new Fiber(entry, arg));
  f->size_ = stack_size + kGuard + value_bytes;
  f->stack_size_ = stack_size;
  auto& fl = pool().free;
  for (size_t i = 0; i < fl.size(); i++) {
    if (fl[i].second == f->size_) {
      f->stack_ = fl[i].first;
      fl.erase(fl.begin() + i);
      break;
    }
  }
  if (!f->stack_) {
    void* p = mmap(nullptr, f->size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    if (mprotect(p, kGuard, PROT_NONE) != 0) {  // the guard page splits the mapping in two
      munmap(p, f->size_);
      return nullptr;
    }
    f->stack_ = p;
  }
#ifdef SPL_ASAN
  // A pooled stack may carry stale shadow poison from frames of its previous fiber.
  __asan_unpoison_memory_region(f->stack_lo(), stack_size);
#endif
  f->ctx_.stack_bottom = f->stack_lo();
  f->ctx_.stack_size = stack_size;
  f->ctx_.owner = f.get();
  // make_fcontext takes the top of the stack (it grows down).
  f->ctx_.fc =
      boost::context::detail::make_fcontext(f->stack_lo() + stack_size, stack_size, trampoline);
  return f;
}

Fiber::~Fiber() {
  // A fiber whose stack could not be mapped (Fiber::make gave null) has none to give back: in
  // the pool, its null entry would be unmapped at exit, [0, size) and whatever lies there (the
  // program's own code, in a binary linked at a fixed address).
  if (stack_ == nullptr) return;
  auto& fl = pool().free;
  if (fl.size() < 32)
    fl.emplace_back(stack_, size_);
  else
    munmap(stack_, size_);
}

void Fiber::trampoline(boost::context::detail::transfer_t from) {
  // The context that switched here was suspended at from.fctx: record where to resume it.
  static_cast<FiberCtx*>(from.data)->fc = from.fctx;
  Fiber* self = g_starting;
  g_starting = nullptr;
#ifdef SPL_ASAN
  const void* bottom;
  size_t size;
  __sanitizer_finish_switch_fiber(nullptr, &bottom, &size);
  if (g_prev) {
    g_prev->stack_bottom = bottom;
    g_prev->stack_size = size;
  }
#endif
  self->entry_(self->arg_);
  // entry_ must never return: it switches away for the last time.
  std::fprintf(stderr, "spl: fatal: fiber entry returned\n");
  std::abort();
}

void fiber_switch(FiberCtx& from, FiberCtx& to, bool from_exiting) {
  g_prev = &from;
  g_starting = static_cast<Fiber*>(to.owner);  // read by the trampoline of a fresh fiber
#ifdef SPL_ASAN
  __sanitizer_start_switch_fiber(from_exiting ? nullptr : &from.fake_stack, to.stack_bottom,
                                 to.stack_size);
#else
  (void)from_exiting;
#endif
  boost::context::detail::transfer_t back = boost::context::detail::jump_fcontext(to.fc, &from);
  // Resumed: whoever switched back to us was suspended at back.fctx.
  static_cast<FiberCtx*>(back.data)->fc = back.fctx;
  g_starting = nullptr;
#ifdef SPL_ASAN
  const void* bottom;
  size_t size;
  __sanitizer_finish_switch_fiber(from.fake_stack, &bottom, &size);
  if (g_prev) {
    g_prev->stack_bottom = bottom;
    g_prev->stack_size = size;
  }
#endif
}

}  // namespace spl
