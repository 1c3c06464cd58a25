// Guard: turns a SIGBUS raised while touching mapped memory into an error instead of a crash.
// A process-wide SIGBUS handler (installed once, chaining to whatever handler was there) jumps
// back to the innermost guarded section of the faulting thread. Faults outside any guarded
// section get the previous behaviour (usually: the process dies). Works on many threads at
// once: each thread has its own jump target.
//
// REQUIRES: the guarded body must not own objects with destructors that matter (the jump
// skips them) and must not take locks: keep bodies to plain loops over memory.
#pragma once

#include <string>

#include "runtime/status.h"

namespace spl::rt::guard {

// Installs the handler if not yet installed. Idempotent and thread-safe.
void Install();

using Body = void (*)(void* ctx);

// Runs body(ctx). Returns true if it completed, false if a SIGBUS interrupted it.
bool RunGuarded(Body body, void* ctx);

// Runs f() guarded; a SIGBUS gives Truncated naming `path`.
template <typename F>
Status Run(const std::string& path, F&& f) {
  auto thunk = [](void* c) { (*static_cast<std::remove_reference_t<F>*>(c))(); };
  if (RunGuarded(thunk, &f)) return Status::Ok();
  return Status::Error(Code::kTruncated, path, "bus error while reading the mapping");
}

}  // namespace spl::rt::guard
