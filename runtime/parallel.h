// Parallel loops over chunks: ParallelFor runs body(i) for every i in [0, count) exactly once,
// on the calling thread and on helper threads an Executor lends (the loader's workers), and
// returns when all are done. Helpers claim indices from a shared counter, so a helper that
// starts late (its pool was busy) just finds nothing left; the caller never waits for a helper
// that has not claimed anything. It does not split work or combine results: callers give each
// index its own slot.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace spl::rt {

class Executor {
 public:
  virtual ~Executor() = default;
  // How many threads could help at most (0: none).
  virtual unsigned helper_threads() const = 0;
  // Runs *fn once on each of up to n other threads, as soon as they are free (ahead of work
  // already queued). Never throws; may run it on fewer threads (memory).
  virtual void Help(unsigned n, std::shared_ptr<const std::function<void()>> fn) noexcept = 0;
};

// body must not throw. With exec null, or count below 2, everything runs on this thread.
void ParallelFor(Executor* exec, size_t count, unsigned max_helpers,
                 const std::function<void(size_t)>& body);

}  // namespace spl::rt
