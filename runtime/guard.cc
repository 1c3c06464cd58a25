// SIGBUS guard implementation: one handler, a per-thread stack of sigjmp_buf targets.
#include "runtime/guard.h"

#include <setjmp.h>
#include <signal.h>

#include <cstring>
#include <mutex>

#if defined(__SANITIZE_ADDRESS__)
#define SPL_GUARD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPL_GUARD_ASAN 1
#endif
#endif

namespace spl::rt::guard {
namespace {

// Innermost guarded section of this thread (nullptr when none). initial-exec TLS is safe to
// read from a signal handler.
__attribute__((tls_model("initial-exec"))) thread_local sigjmp_buf* tl_target = nullptr;

struct sigaction g_previous;
std::once_flag g_once;

void Chain(int sig, siginfo_t* info, void* uctx) {
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction != nullptr) {
      g_previous.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // Default (or ignored, which cannot work for a real fault): restore the default action and
  // return, so the faulting instruction runs again and the process dies as it would have.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
}

void OnSigbus(int sig, siginfo_t* info, void* uctx) {
  sigjmp_buf* target = tl_target;
  if (target != nullptr) {
    tl_target = nullptr;
    siglongjmp(*target, 1);
  }
  Chain(sig, info, uctx);
}

}  // namespace

void Install() {
  std::call_once(g_once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
#ifdef SPL_GUARD_ASAN
    // ASan gives every thread an alternate signal stack. Jumping out of a handler running
    // there leaves the poisoned redzones of the abandoned frames on the thread's own stack
    // (ASan clears them only when the jump starts on that stack), and later frames there
    // were reported as stack-buffer-underflows. Without an alternate stack of its own, as
    // in an ordinary build, the handler runs on the faulting stack.
    sa.sa_flags = SA_SIGINFO;
#endif
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_previous);
  });
}

bool RunGuarded(Body body, void* ctx) {
  Install();
  sigjmp_buf target;
  sigjmp_buf* const previous = tl_target;
  if (sigsetjmp(target, 1) != 0) {
    tl_target = previous;
    return false;
  }
  tl_target = &target;
  body(ctx);
  tl_target = previous;
  return true;
}

}  // namespace spl::rt::guard
