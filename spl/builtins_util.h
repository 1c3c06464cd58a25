// Small helpers for writing builtin functions and methods: argument checks with uniform
// messages. Only used by builtins_*.cc and methods_*.cc. The checks are inline; building an
// error message is out of line (builtins_core.cc), so a passing check costs a compare.
#pragma once

#include <string>
#include <string_view>

#include "interp.h"

namespace spl {

// "'name': argument i+1 must be <what>, got <type>" (or "got nothing").
[[noreturn]] __attribute__((noinline, cold)) void arg_type_error(Interp& in, CallArgs& a, int i,
                                                                 const char* what);
// "'name' takes N arguments but M were given".
[[noreturn]] __attribute__((noinline, cold)) void arg_count_error(Interp& in, CallArgs& a, int min,
                                                                  int max);

inline std::string_view arg_text(Interp& in, CallArgs& a, int i) {
  if (__builtin_expect(i >= a.argc || !a.argv[i].is(OK::Str), 0)) arg_type_error(in, a, i, "text");
  return a.argv[i].as<Str>()->view();
}
inline int64_t arg_int(Interp& in, CallArgs& a, int i) {
  if (__builtin_expect(i >= a.argc || !(a.argv[i].is_int() || a.argv[i].is_bool()), 0))
    arg_type_error(in, a, i, "an int");
  return a.argv[i].as_int();
}
inline double arg_num(Interp& in, CallArgs& a, int i) {
  if (__builtin_expect(i >= a.argc || !a.argv[i].is_num(), 0)) arg_type_error(in, a, i, "a number");
  return a.argv[i].as_num();
}
inline void want_args(Interp& in, CallArgs& a, int min, int max) {
  if (__builtin_expect(a.argc < min || (max >= 0 && a.argc > max), 0))
    arg_count_error(in, a, min, max);
}

}  // namespace spl
