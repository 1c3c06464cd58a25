// libFuzzer target for the whole interpreter: each input is loaded (parsed, resolved) and run
// as a Simple program. Runaway programs end through budgets: an instruction budget (ticks at
// calls and loop back-edges, SPL_FUZZ_BUDGET in scheduler.h; once spent the program is
// interrupted as by Ctrl-C), a memory budget (this file replaces operator new: beyond it an
// allocation fails with bad_alloc, which the interpreter reports as "out of memory") and
// shortened timers. Only the core builtins exist (no std_lib natives: nothing touches files).
// Build with -DSPL_FUZZ=ON (clang); how to run it is in docs/interpreter.md.
#include <malloc.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "interp.h"
#include "scheduler.h"

namespace {

constexpr size_t kMemoryBudget = size_t(256) << 20;
constexpr uint64_t kTickBudget = 200000;
size_t g_live = 0;          // bytes allocated through operator new and not yet freed
size_t g_base = 0;          // g_live when the current program started
bool g_budget_on = false;   // only while a program runs

void* budget_alloc(size_t n) {
  if (g_budget_on && (n > kMemoryBudget || g_live - g_base + n > kMemoryBudget))
    throw std::bad_alloc();
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  g_live += malloc_usable_size(p);
  return p;
}

void budget_free(void* p) noexcept {
  if (!p) return;
  size_t n = malloc_usable_size(p);
  g_live = n > g_live ? 0 : g_live - n;
  std::free(p);
}

std::string g_path;

}  // namespace

void* operator new(size_t n) { return budget_alloc(n); }
void* operator new[](size_t n) { return budget_alloc(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return budget_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return budget_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { budget_free(p); }
void operator delete[](void* p) noexcept { budget_free(p); }
void operator delete(void* p, size_t) noexcept { budget_free(p); }
void operator delete[](void* p, size_t) noexcept { budget_free(p); }

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Programs read standard input (input()): give them an empty one.
  FILE* devnull = std::freopen("/dev/null", "r", stdin);
  (void)devnull;
  char tmpl[] = "/tmp/spl_fuzz_run_XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) {
    std::perror("mkstemp");
    std::abort();
  }
  ::close(fd);
  g_path = std::string(tmpl) + ".spl";
  ::rename(tmpl, g_path.c_str());
  std::atexit([] { ::unlink(g_path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return 0;
  {
    FILE* f = std::fopen(g_path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  spl::Scheduler::sigint_pending_.store(false);
  spl::Scheduler::fuzz_budget_ = kTickBudget + 1;
  {
    spl::Interp in;
    std::vector<spl::Diagnostic> errors;
    g_base = g_live;
    g_budget_on = true;
    try {
      spl::Module* m = in.load_main(g_path, errors);
      if (m) (void)in.run_main(m);
      in.flush_output();
    } catch (std::bad_alloc&) {
      // (loading over the memory budget: `spl` reports it the same way)
    }
    g_budget_on = false;
  }
  spl::Scheduler::fuzz_budget_ = 0;
  spl::Scheduler::sigint_pending_.store(false);
  return 0;
}
