// Methods of the builtin Option (Some/None) and Result (Ok/Err) enums, and methods every
// value has (to_string, is_nil).
#include "builtins_util.h"

namespace spl {

namespace {

#define M(name) Value name(Interp& in, Value& self, CallArgs& a)

// 1 = Option, 2 = Result; returns variant index or -1
int kind_of(Interp& in, Value& self, CallArgs& a, int want) {
  EnumVal* e = self.as<EnumVal>();
  int b = e->etype()->builtin;
  if (b == 0 || (want && b != want))
    in.error(a.site, "no method '" + sym_name(a.name) + "' on " + sym_name(e->etype()->name));
  return b;
}
bool is_good(Value& self) { return self.as<EnumVal>()->variant == 0; }  // Some / Ok
Value& payload(Value& self) { return self.as<EnumVal>()->payload; }

M(e_is_some) {
  kind_of(in, self, a, 1);
  return Value::boolean(is_good(self));
}
M(e_is_none) {
  kind_of(in, self, a, 1);
  return Value::boolean(!is_good(self));
}
M(e_is_ok) {
  kind_of(in, self, a, 2);
  return Value::boolean(is_good(self));
}
M(e_is_err) {
  kind_of(in, self, a, 2);
  return Value::boolean(!is_good(self));
}
M(e_unwrap) {
  int b = kind_of(in, self, a, 0);
  if (is_good(self)) return payload(self);
  if (b == 1) in.error(a.site, "called unwrap on None");
  in.error(a.site, "called unwrap on Err: " + in.to_display(payload(self)));
}
M(e_expect) {
  int b = kind_of(in, self, a, 0);
  want_args(in, a, 1, 1);
  if (is_good(self)) return payload(self);
  std::string msg = in.to_display(a.argv[0]);
  if (b == 2) msg += ": " + in.to_display(payload(self));
  in.error(a.site, msg);
}
M(e_unwrap_err) {
  kind_of(in, self, a, 2);
  if (!is_good(self)) return payload(self);
  in.error(a.site, "called unwrap_err on Ok: " + in.to_display(payload(self)));
}
M(e_unwrap_or) {
  kind_of(in, self, a, 0);
  want_args(in, a, 1, 1);
  return is_good(self) ? payload(self) : a.argv[0];
}
M(e_unwrap_or_else) {
  int b = kind_of(in, self, a, 0);
  want_args(in, a, 1, 1);
  if (is_good(self)) return payload(self);
  if (b == 2) return in.call1(a.argv[0], payload(self));
  return in.call0(a.argv[0]);
}
M(e_map) {
  int b = kind_of(in, self, a, 0);
  want_args(in, a, 1, 1);
  if (!is_good(self)) return self;
  Value v = in.call1(a.argv[0], payload(self));
  return b == 1 ? in.some(v) : in.ok(v);
}
M(e_map_err) {
  kind_of(in, self, a, 2);
  want_args(in, a, 1, 1);
  if (is_good(self)) return self;
  return in.err(in.call1(a.argv[0], payload(self)));
}
M(e_and_then) {
  kind_of(in, self, a, 0);
  want_args(in, a, 1, 1);
  if (!is_good(self)) return self;
  return in.call1(a.argv[0], payload(self));
}
M(e_or_else) {
  int b = kind_of(in, self, a, 0);
  want_args(in, a, 1, 1);
  if (is_good(self)) return self;
  return b == 2 ? in.call1(a.argv[0], payload(self)) : in.call0(a.argv[0]);
}
M(e_or) {
  kind_of(in, self, a, 0);
  want_args(in, a, 1, 1);
  return is_good(self) ? self : a.argv[0];
}
M(e_ok_or) {
  kind_of(in, self, a, 1);
  want_args(in, a, 1, 1);
  return is_good(self) ? in.ok(payload(self)) : in.err(a.argv[0]);
}
M(e_filter) {
  kind_of(in, self, a, 1);
  want_args(in, a, 1, 1);
  if (is_good(self) && truthy(in.call1(a.argv[0], payload(self)))) return self;
  return in.none();
}
M(e_flatten) {
  kind_of(in, self, a, 0);
  if (is_good(self) && payload(self).is(OK::EnumVal)) return payload(self);
  return self;
}
M(e_ok) {
  kind_of(in, self, a, 2);
  return is_good(self) ? in.some(payload(self)) : in.none();
}
M(e_err) {
  kind_of(in, self, a, 2);
  return is_good(self) ? in.none() : in.some(payload(self));
}
M(e_to_string) {
  (void)a;
  return make_str(in.to_display(self));
}

M(u_to_string) {
  (void)a;
  return make_str(in.to_display(self));
}
M(u_is_nil) {
  (void)in;
  (void)a;
  return Value::boolean(self.is_nil());
}

#undef M

}  // namespace

void install_enum_methods(Interp& in) {
  MethodMap& m = in.methods_for(OK::EnumVal);
  auto def = [&](const char* n, MethodFn f) { m[intern(n)] = f; };
  def("is_some", e_is_some);
  def("is_none", e_is_none);
  def("is_ok", e_is_ok);
  def("is_err", e_is_err);
  def("unwrap", e_unwrap);
  def("expect", e_expect);
  def("unwrap_err", e_unwrap_err);
  def("unwrap_or", e_unwrap_or);
  def("unwrap_or_else", e_unwrap_or_else);
  def("map", e_map);
  def("map_err", e_map_err);
  def("and_then", e_and_then);
  def("or_else", e_or_else);
  def("or", e_or);
  def("ok_or", e_ok_or);
  def("filter", e_filter);
  def("flatten", e_flatten);
  def("ok", e_ok);
  def("err", e_err);
  def("to_string", e_to_string);
  MethodMap& u = in.universal_methods();
  u[intern("to_string")] = u_to_string;
  u[intern("is_nil")] = u_is_nil;
}

}  // namespace spl
