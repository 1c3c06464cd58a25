// Native table registry, the NativeCall helpers, pending futures, and extern fn binding.
#include "registry.h"

#include <cstdio>
#include <map>

namespace spl {

namespace {
struct Entry {
  std::string module;
  const NativeReg* reg;
};
std::map<std::string, Entry>& table() {
  static std::map<std::string, Entry> t;
  return t;
}

Value call_native(Interp& in, CallArgs& a) {
  const NativeReg* r = static_cast<const NativeReg*>(a.data);
  NativeCall c(in, a.argv, a.argc, r->name);
  Value v = r->fn(c);
  if (c.failed()) in.error(a.site, c.error());
  return v;
}

Value call_unbound(Interp& in, CallArgs& a) {
  in.error(a.site,
           "extern function '" + sym_name(a.name) + "' is not bound: no native module provides it");
}
}  // namespace

void register_native_module(const char* module, const NativeReg* regs, size_t count) {
  for (size_t i = 0; i < count; i++) {
    auto [it, inserted] = table().emplace(regs[i].name, Entry{module, &regs[i]});
    if (!inserted)
      std::fprintf(stderr, "spl: native '%s' of module '%s' is already provided by '%s'\n",
                   regs[i].name, module, it->second.module.c_str());
  }
}

const NativeReg* find_native(const std::string& name) {
  auto it = table().find(name);
  return it == table().end() ? nullptr : it->second.reg;
}

std::vector<std::pair<std::string, const NativeReg*>> all_natives() {
  std::vector<std::pair<std::string, const NativeReg*>> out;
  for (auto& [k, e] : table()) out.push_back({e.module, e.reg});
  return out;
}

Value extern_function_value(Interp&, FnDecl* d) {
  Native* n = new Native();
  Value v(n);
  n->name = d->name;
  const NativeReg* r = find_native(sym_name(d->name));
  if (r) {
    n->fn = call_native;
    n->data = const_cast<NativeReg*>(r);
    n->min_args = r->min_args;
    n->max_args = r->max_args;
  } else {
    n->fn = call_unbound;
  }
  return v;
}

// ---- NativeCall ----
Value NativeCall::fail(const std::string& message) {
  if (!failed_) {
    failed_ = true;
    error_ = message;
  }
  return Value();
}

static std::string arg_error(const char* fn, int i, const char* want, const Value& v) {
  return std::string(fn) + ": argument " + std::to_string(i + 1) + " must be " + want + ", got " +
         type_name(v);
}

int64_t NativeCall::int_arg(int i) {
  if (i >= argc_)
    return fail(std::string(name_) + ": missing argument " + std::to_string(i + 1)), 0;
  if (argv_[i].is_int() || argv_[i].is_bool()) return argv_[i].as_int();
  fail(arg_error(name_, i, "an int", argv_[i]));
  return 0;
}
double NativeCall::num_arg(int i) {
  if (i >= argc_)
    return fail(std::string(name_) + ": missing argument " + std::to_string(i + 1)), 0.0;
  if (argv_[i].is_num()) return argv_[i].as_num();
  fail(arg_error(name_, i, "a number", argv_[i]));
  return 0;
}
bool NativeCall::bool_arg(int i) {
  if (i >= argc_)
    return fail(std::string(name_) + ": missing argument " + std::to_string(i + 1)), false;
  if (argv_[i].is_bool()) return argv_[i].as_bool();
  fail(arg_error(name_, i, "a bool", argv_[i]));
  return false;
}
std::string NativeCall::text_arg(int i) {
  if (i >= argc_)
    return fail(std::string(name_) + ": missing argument " + std::to_string(i + 1)), std::string();
  if (argv_[i].is(OK::Str)) return argv_[i].as<Str>()->str();
  fail(arg_error(name_, i, "text", argv_[i]));
  return {};
}
uint64_t NativeCall::resource_arg(int i) {
  if (i >= argc_)
    return fail(std::string(name_) + ": missing argument " + std::to_string(i + 1)), 0;
  if (argv_[i].is(OK::Resource)) return argv_[i].as<Resource>()->id;
  if (argv_[i].is_int() && argv_[i].as_int() >= 0) return uint64_t(argv_[i].as_int());
  fail(arg_error(name_, i, "a resource", argv_[i]));
  return 0;
}
bool NativeCall::release_resource(int i) {
  if (i >= argc_ || !argv_[i].is(OK::Resource)) return false;
  argv_[i].as<Resource>()->release_now();
  return true;
}
Value NativeCall::some(Value v) { return in_.some(std::move(v)); }
Value NativeCall::none() { return in_.none(); }
Value NativeCall::ok(Value v) { return in_.ok(std::move(v)); }
Value NativeCall::err(Value v) { return in_.err(std::move(v)); }

// ---- futures ----
PendingFuture make_pending_future(Interp& in) {
  PendingFuture p;
  p.in_ = &in;
  p.future_ = Scheduler::new_future();
  return p;
}
uv_loop_t* interp_loop(Interp& in) { return in.sched().loop(); }

void at_loop_close(Interp& in, std::function<void()> fn) { in.sched().on_close(std::move(fn)); }

bool PendingFuture::is_pending() const {
  return future_.is(OK::Future) && future_.as<Future>()->state == Future::State::Pending;
}
bool PendingFuture::resolve(Value v) {
  if (!is_pending()) return false;
  in_->sched().resolve(future_.as<Future>(), std::move(v));
  return true;
}
bool PendingFuture::reject(const std::string& message) {
  if (!is_pending()) return false;
  auto info = std::make_shared<ErrorInfo>();
  info->message = message;
  in_->sched().reject(future_.as<Future>(), info);
  return true;
}

}  // namespace spl
