// Async builtins: sleep(ms), spawn(future | fn, args...), gather([futures]), async_yield(),
// with_timeout(future, ms) / timeout(future, ms), and methods on futures.
#include <algorithm>

#include "builtins_util.h"

namespace spl {

namespace {

// A duration in milliseconds: a number >= 0; huge values mean "forever".
uint64_t duration_arg(Interp& in, CallArgs& a, int i, const char* what) {
  uint64_t ms;
  if (duration_ms(a.argv[i], &ms)) return ms;
  if (!a.argv[i].is_num())
    in.error(a.site,
             std::string(what) + " needs a duration in milliseconds, got " + type_name(a.argv[i]));
  in.error(a.site,
           std::string(what) + " needs a duration >= 0 milliseconds, got " + display(a.argv[i]));
}

Value b_sleep(Interp& in, CallArgs& a) {
  return in.sched().sleep(duration_arg(in, a, 0, "sleep(ms)"));
}

Value b_spawn(Interp& in, CallArgs& a) {
  Value r;
  if (a.argv[0].is(OK::Future)) {
    if (a.argc > 1) in.error(a.site, "spawn(future) takes no further arguments");
    r = a.argv[0];
  } else {
    r = in.call(a.argv[0], a.argv + 1, a.argc - 1, a.site);
  }
  if (r.is(OK::Future)) return r;
  Value f = Scheduler::new_future();
  in.sched().resolve(f.as<Future>(), r);
  return f;
}

Value b_gather(Interp& in, CallArgs& a) {
  std::vector<Value> items;
  if (a.argc == 1 && a.argv[0].is(OK::Array))
    items = a.argv[0].as<Array>()->items;
  else
    items.assign(a.argv, a.argv + a.argc);
  Value out = Scheduler::new_future();
  Future* of = out.as<Future>();
  struct State {
    std::vector<Value> results;
    size_t left;
  };
  auto st = std::make_shared<State>();
  st->results.resize(items.size());
  st->left = items.size();
  Scheduler* s = &in.sched();
  for (size_t i = 0; i < items.size(); i++) {
    if (!items[i].is(OK::Future)) {
      st->results[i] = items[i];
      st->left--;
      continue;
    }
    Future* f = items[i].as<Future>();
    f->observed = true;
    auto done = [s, st, i, out](Future* d) {
      Future* o = out.as<Future>();
      if (o->state != Future::State::Pending) return;
      if (d->state == Future::State::Rejected) {
        s->reject(o, d->error);
        return;
      }
      st->results[i] = d->value;
      if (--st->left == 0) s->resolve(o, make_array(st->results));
    };
    if (f->state == Future::State::Pending)
      f->callbacks.push_back(done);
    else
      done(f);
  }
  if (st->left == 0 && of->state == Future::State::Pending) s->resolve(of, make_array(st->results));
  return out;
}

Value b_async_yield(Interp& in, CallArgs&) {
  in.sched().yield_now();
  return Value();
}

Value b_with_timeout(Interp& in, CallArgs& a) {
  return in.sched().with_timeout(a.argv[0], duration_arg(in, a, 1, "with_timeout(future, ms)"));
}

#define M(name) Value name(Interp& in, Value& self, CallArgs& a)
M(f_is_ready) {
  (void)in;
  (void)a;
  return Value::boolean(self.as<Future>()->state != Future::State::Pending);
}
M(f_is_failed) {
  (void)a;
  Future* f = self.as<Future>();
  if (f->state != Future::State::Rejected) return Value::boolean(false);
  // The program has looked at the failure: it is no longer an unobserved task error.
  f->observed = true;
  auto& u = in.sched().unobserved();
  u.erase(std::remove_if(u.begin(), u.end(), [&](const Value& x) { return x.obj() == f; }),
          u.end());
  return Value::boolean(true);
}
M(f_wait) { return in.sched().await(self, a.site); }
#undef M

}  // namespace

void install_async_builtins(Interp& in) {
  in.def_builtin("sleep", b_sleep, 1, 1);
  in.def_builtin("sleep_ms", b_sleep, 1, 1);
  in.def_builtin("spawn", b_spawn, 1, -1);
  in.def_builtin("gather", b_gather, 0, -1);
  in.def_builtin("async_yield", b_async_yield, 0, 0);
  in.def_builtin("yield_now", b_async_yield, 0, 0);
  in.def_builtin("with_timeout", b_with_timeout, 2, 2);
  in.def_builtin("timeout", b_with_timeout, 2, 2);
  MethodMap& m = in.methods_for(OK::Future);
  m[intern("is_ready")] = f_is_ready;
  m[intern("is_done")] = f_is_ready;
  m[intern("is_failed")] = f_is_failed;
  m[intern("wait")] = f_wait;
  m[intern("join")] = f_wait;
  m[intern("get")] = f_wait;
}

}  // namespace spl
