// Global builtin functions: output (print, eprint, ...), panic, conversions, math helpers,
// Some/Ok/Err constructors, sys_get_args/sys_exit. Methods on values live in methods_*.cc.
#include <stdio_ext.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "builtins_util.h"
#include "ops.h"

namespace spl {

void arg_type_error(Interp& in, CallArgs& a, int i, const char* what) {
  in.error(a.site, "'" + sym_name(a.name) + "': argument " + std::to_string(i + 1) + " must be " +
                       what + ", got " + (i < a.argc ? type_name(a.argv[i]) : "nothing"));
}

void arg_count_error(Interp& in, CallArgs& a, int min, int max) {
  std::string want = min == max ? std::to_string(min)
                     : max < 0  ? "at least " + std::to_string(min)
                                : std::to_string(min) + " to " + std::to_string(max);
  in.error(a.site, "'" + sym_name(a.name) + "' takes " + want + " argument" +
                       (max == 1 && min == 1 ? "" : "s") + " but " + std::to_string(a.argc) +
                       " were given");
}

namespace {

std::string join_args(Interp& in, CallArgs& a) {
  std::string out;
  for (int i = 0; i < a.argc; i++) {
    if (i) out += ' ';
    out += in.to_display(a.argv[i]);
  }
  return out;
}

// Writes to stdout; a failed write (full disk, /dev/full) ends the program with an error
// instead of losing output silently. (A closed pipe raises SIGPIPE first, as in GNU tools.)
void write_stdout(Interp& in, const Node* site, const std::string& s) {
  if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size() || std::ferror(stdout)) {
    int e = errno;
    __fpurge(stdout);  // drop what cannot be written, so exit does not report it again
    std::clearerr(stdout);
    in.error(site, std::string("cannot write to standard output: ") + std::strerror(e));
  }
}

Value b_print(Interp& in, CallArgs& a) {
  std::string s = join_args(in, a);
  s += '\n';
  write_stdout(in, a.site, s);
  return Value();
}
Value b_print_raw(Interp& in, CallArgs& a) {
  std::string s = join_args(in, a);
  write_stdout(in, a.site, s);
  return Value();
}
Value b_eprint(Interp& in, CallArgs& a) {
  std::string s = join_args(in, a);
  s += '\n';
  in.flush_output();
  std::fwrite(s.data(), 1, s.size(), stderr);
  return Value();
}
Value b_eprint_raw(Interp& in, CallArgs& a) {
  std::string s = join_args(in, a);
  in.flush_output();
  std::fwrite(s.data(), 1, s.size(), stderr);
  return Value();
}
Value b_panic(Interp& in, CallArgs& a) {
  in.error(a.site, "panic: " + (a.argc ? join_args(in, a) : std::string("explicit panic")));
}
Value b_sys_get_args(Interp& in, CallArgs&) { return make_array(in.arg_values()); }
Value b_sys_exit(Interp& in, CallArgs& a) {
  int64_t code = a.argc ? arg_int(in, a, 0) : 0;
  in.flush_output();
  throw ExitRequest{int(code & 0xff)};
}
Value b_some(Interp& in, CallArgs& a) { return in.some(a.argv[0]); }
Value b_ok(Interp& in, CallArgs& a) { return in.ok(a.argc ? a.argv[0] : Value()); }
Value b_err(Interp& in, CallArgs& a) { return in.err(a.argv[0]); }
Value b_len(Interp& in, CallArgs& a) {
  Value self = a.argv[0];
  static const Sym s_len = intern("len");
  return in.call_method(self, s_len, nullptr, 0, a.site);
}
Value b_to_string(Interp& in, CallArgs& a) { return make_str(in.to_display(a.argv[0])); }
Value b_repr(Interp&, CallArgs& a) { return make_str(repr(a.argv[0])); }
Value b_type_of(Interp&, CallArgs& a) { return make_str(type_name(a.argv[0])); }
Value b_int(Interp& in, CallArgs& a) {
  const Value& v = a.argv[0];
  if (v.is(OK::Str)) {
    const Str* s = v.as<Str>();  // (NUL-terminated)
    char* end;
    errno = 0;
    long long x = std::strtoll(s->data(), &end, 10);
    if (s->empty() || end != s->data() + s->size() || errno)
      in.error(a.site, "cannot convert \"" + s->str() + "\" to an int");
    return Value::integer(x);
  }
  return cast_to(in, v, intern("i64"), a.site);
}
Value b_float(Interp& in, CallArgs& a) {
  const Value& v = a.argv[0];
  if (v.is(OK::Str)) {
    const Str* s = v.as<Str>();  // (NUL-terminated)
    char* end;
    double x = std::strtod(s->data(), &end);
    if (s->empty() || end != s->data() + s->size())
      in.error(a.site, "cannot convert \"" + s->str() + "\" to a float");
    return Value::floating(x);
  }
  return cast_to(in, v, intern("f64"), a.site);
}
Value minmax(Interp& in, CallArgs& a, bool want_min) {
  const std::vector<Value>* items = nullptr;
  std::vector<Value> tmp;
  if (a.argc == 1 && a.argv[0].is(OK::Array))
    items = &a.argv[0].as<Array>()->items;
  else {
    tmp.assign(a.argv, a.argv + a.argc);
    items = &tmp;
  }
  if (items->empty())
    in.error(a.site, std::string("'") + (want_min ? "min" : "max") + "' of an empty sequence");
  Value best = (*items)[0];
  for (size_t i = 1; i < items->size(); i++) {
    bool lt = less_than(in, (*items)[i], best, a.site);
    bool gt = less_than(in, best, (*items)[i], a.site);
    if (want_min ? lt : gt) best = (*items)[i];
  }
  return best;
}
Value b_min(Interp& in, CallArgs& a) { return minmax(in, a, true); }
Value b_max(Interp& in, CallArgs& a) { return minmax(in, a, false); }
Value b_abs(Interp& in, CallArgs& a) {
  const Value& v = a.argv[0];
  if (v.is_int()) {
    if (v.as_int() == INT64_MIN) in.error(a.site, "integer overflow in abs");
    return Value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  return Value::floating(std::fabs(arg_num(in, a, 0)));
}
Value b_sqrt(Interp& in, CallArgs& a) { return Value::floating(std::sqrt(arg_num(in, a, 0))); }
Value b_floor(Interp& in, CallArgs& a) {
  return Value::integer(int64_t(std::floor(arg_num(in, a, 0))));
}
Value b_ceil(Interp& in, CallArgs& a) {
  return Value::integer(int64_t(std::ceil(arg_num(in, a, 0))));
}
Value b_pow(Interp& in, CallArgs& a) {
  return binary_op(in, Op::Pow, a.argv[0], a.argv[1], a.site);
}
Value b_range(Interp& in, CallArgs& a) {
  int64_t s = a.argc == 1 ? 0 : arg_int(in, a, 0);
  int64_t e = a.argc == 1 ? arg_int(in, a, 0) : arg_int(in, a, 1);
  return Value(new RangeObj(s, e, false));
}
Value b_assert(Interp& in, CallArgs& a) {
  if (!truthy(a.argv[0]))
    in.error(a.site,
             "assertion failed" + (a.argc > 1 ? ": " + in.to_display(a.argv[1]) : std::string()));
  return Value();
}
Value b_rt_time_now_seconds(Interp&, CallArgs&) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Value::floating(double(ts.tv_sec) + ts.tv_nsec / 1e9);
}
Value b_unsupported_input(Interp& in, CallArgs& a) {
  in.error(a.site, "'input' is not supported yet");
}

}  // namespace

void install_core_builtins(Interp& in) {
  in.def_builtin("print", b_print);
  in.def_builtin("println", b_print);
  in.def_builtin("print_raw", b_print_raw);
  in.def_builtin("eprint", b_eprint);
  in.def_builtin("eprintln", b_eprint);
  in.def_builtin("eprint_raw", b_eprint_raw);
  in.def_builtin("dprint", b_eprint);
  in.def_builtin("panic", b_panic);
  in.def_builtin("sys_get_args", b_sys_get_args, 0, 0);
  in.def_builtin("sys_exit", b_sys_exit, 0, 1);
  in.def_builtin("exit", b_sys_exit, 0, 1);
  in.def_builtin("Some", b_some, 1, 1);
  in.def_builtin("Ok", b_ok, 0, 1);
  in.def_builtin("Err", b_err, 1, 1);
  in.def_builtin("len", b_len, 1, 1);
  in.def_builtin("to_string", b_to_string, 1, 1);
  in.def_builtin("str", b_to_string, 1, 1);
  in.def_builtin("repr", b_repr, 1, 1);
  in.def_builtin("type_of", b_type_of, 1, 1);
  in.def_builtin("int", b_int, 1, 1);
  in.def_builtin("to_int", b_int, 1, 1);
  in.def_builtin("float", b_float, 1, 1);
  in.def_builtin("min", b_min, 1, -1);
  in.def_builtin("max", b_max, 1, -1);
  in.def_builtin("abs", b_abs, 1, 1);
  in.def_builtin("sqrt", b_sqrt, 1, 1);
  in.def_builtin("floor", b_floor, 1, 1);
  in.def_builtin("ceil", b_ceil, 1, 1);
  in.def_builtin("pow", b_pow, 2, 2);
  in.def_builtin("range", b_range, 1, 2);
  in.def_builtin("assert", b_assert, 1, 2);
  in.def_builtin("rt_time_now_seconds", b_rt_time_now_seconds, 0, 0);
  in.def_builtin("input", b_unsupported_input);
}

}  // namespace spl
