// Small helpers for writing builtin functions and methods: argument checks with uniform
// messages. Only used by builtins_*.cc and methods_*.cc.
#pragma once

#include <string>
#include <string_view>

#include "interp.h"

namespace spl {

inline std::string_view arg_text(Interp& in, CallArgs& a, int i) {
  if (i >= a.argc || !a.argv[i].is(OK::Str))
    in.error(a.site, "'" + sym_name(a.name) + "': argument " + std::to_string(i + 1) +
                         " must be text, got " + (i < a.argc ? type_name(a.argv[i]) : "nothing"));
  return a.argv[i].as<Str>()->view();
}
inline int64_t arg_int(Interp& in, CallArgs& a, int i) {
  if (i >= a.argc || !(a.argv[i].is_int() || a.argv[i].is_bool()))
    in.error(a.site, "'" + sym_name(a.name) + "': argument " + std::to_string(i + 1) +
                         " must be an int, got " + (i < a.argc ? type_name(a.argv[i]) : "nothing"));
  return a.argv[i].as_int();
}
inline double arg_num(Interp& in, CallArgs& a, int i) {
  if (i >= a.argc || !a.argv[i].is_num())
    in.error(a.site, "'" + sym_name(a.name) + "': argument " + std::to_string(i + 1) +
                         " must be a number, got " +
                         (i < a.argc ? type_name(a.argv[i]) : "nothing"));
  return a.argv[i].as_num();
}
inline void want_args(Interp& in, CallArgs& a, int min, int max) {
  if (a.argc < min || (max >= 0 && a.argc > max)) {
    std::string want = min == max ? std::to_string(min)
                       : max < 0  ? "at least " + std::to_string(min)
                                  : std::to_string(min) + " to " + std::to_string(max);
    in.error(a.site, "'" + sym_name(a.name) + "' takes " + want + " argument" +
                         (max == 1 && min == 1 ? "" : "s") + " but " + std::to_string(a.argc) +
                         " were given");
  }
}

}  // namespace spl
