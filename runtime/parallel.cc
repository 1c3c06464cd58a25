// ParallelFor implementation (see parallel.h).
#include "runtime/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace spl::rt {
namespace {

struct ForState {
  size_t count = 0;
  const std::function<void(size_t)>* body = nullptr;  // valid until all claimed ones are done
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex mu;
  std::condition_variable cv;
};

void Work(ForState& st) {
  for (;;) {
    size_t i = st.next.fetch_add(1, std::memory_order_acq_rel);
    if (i >= st.count) return;
    (*st.body)(i);
    if (st.done.fetch_add(1, std::memory_order_acq_rel) + 1 == st.count) {
      std::lock_guard lock(st.mu);
      st.cv.notify_all();
    }
  }
}

}  // namespace

void ParallelFor(Executor* exec, size_t count, unsigned max_helpers,
                 const std::function<void(size_t)>& body) {
  if (count == 0) return;
  if (exec == nullptr || count < 2 || max_helpers == 0) {
    for (size_t i = 0; i < count; ++i) body(i);
    return;
  }
  auto st = std::make_shared<ForState>();
  st->count = count;
  st->body = &body;
  unsigned helpers = std::min<size_t>(
      {static_cast<size_t>(max_helpers), static_cast<size_t>(exec->helper_threads()), count - 1});
  if (helpers > 0) {
    // The helpers keep the state alive; they touch body only for indices they claim, which
    // this function waits for.
    exec->Help(helpers, std::make_shared<const std::function<void()>>([st] { Work(*st); }));
  }
  Work(*st);
  std::unique_lock lock(st->mu);
  st->cv.wait(lock, [&] { return st->done.load(std::memory_order_acquire) == count; });
}

}  // namespace spl::rt
