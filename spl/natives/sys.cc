// Native table "sys": program arguments, exit, wall clock. Bound by `extern fn` name; the same
// functions are also global builtins where the reference says so (sys_get_args, sys_exit).
#include <time.h>

#include "../interp.h"
#include "native_api.h"

namespace spl {
namespace {

Value sys_get_args(NativeCall& c) {
  std::vector<Value> items;
  for (auto& s : c.interp().args()) items.push_back(c.text(s));
  return c.array(std::move(items));
}

Value sys_exit(NativeCall& c) {
  int64_t code = c.argc() ? c.int_arg(0) : 0;
  if (c.failed()) return c.nil();
  c.interp().flush_output();
  throw ExitRequest{int(code & 0xff)};  // unwinds to the scheduler (inside the interpreter only)
}

Value rt_time_now_seconds(NativeCall& c) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return c.floating(double(ts.tv_sec) + ts.tv_nsec / 1e9);
}

Value rt_time_monotonic_ms(NativeCall& c) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return c.floating(double(ts.tv_sec) * 1e3 + ts.tv_nsec / 1e6);
}

const NativeReg kSys[] = {
    {"sys_get_args", 0, 0, sys_get_args},
    {"rt_get_args", 0, 0, sys_get_args},
    {"sys_exit", 0, 1, sys_exit},
    {"rt_exit", 0, 1, sys_exit},
    {"rt_time_now_seconds", 0, 0, rt_time_now_seconds},
    {"rt_time_monotonic_ms", 0, 0, rt_time_monotonic_ms},
};

}  // namespace

SPL_NATIVE_MODULE(sys, "sys", kSys);

}  // namespace spl
