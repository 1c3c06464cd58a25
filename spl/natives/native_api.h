// The API for native modules: one declarative table per module (name, arity, function), bound
// to Simple `extern fn` declarations by name. A native gets a NativeCall (arguments, uniform
// argument checks, value constructors) and reports errors with call.fail(...) -- never with
// exceptions. It may return a pending future and settle it later from loop-thread code (e.g. a
// libuv callback). Nothing here is thread-safe: call it only on the interpreter's loop thread.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../value.h"

namespace spl {

class Interp;
class NativeCall;

using NativeFn = Value (*)(NativeCall& call);

// One entry of a native table. max_args < 0 means "no upper limit".
struct NativeReg {
  const char* name;
  int min_args;
  int max_args;
  NativeFn fn;
};

// Registers a table under a module name (for messages and listing). Tables normally register
// themselves at start-up with SPL_NATIVE_MODULE. A name registered twice is a start-up error
// printed to stderr; the first registration wins.
void register_native_module(const char* module, const NativeReg* regs, size_t count);

#define SPL_NATIVE_MODULE(ident, module_name, table)                                       \
  static const bool spl_native_module_registered_##ident = [] {                            \
    ::spl::register_native_module(module_name, table, sizeof(table) / sizeof((table)[0])); \
    return true;                                                                           \
  }()

// A handle to a pending future. Copyable; keeps the future alive. Settle it at most once,
// on the loop thread; later calls return false.
class PendingFuture {
 public:
  PendingFuture() = default;
  Value value() const { return future_; }  // return this from the native
  bool resolve(Value v);
  bool reject(const std::string& message);
  bool is_pending() const;

 private:
  friend PendingFuture make_pending_future(Interp& in);
  Interp* in_ = nullptr;
  Value future_;
};

PendingFuture make_pending_future(Interp& in);
uv_loop_t* interp_loop(Interp& in);
// Runs fn on the loop thread when the interpreter shuts down, before the loop is closed: a
// native module closes the loop handles it opened there.
void at_loop_close(Interp& in, std::function<void()> fn);

class NativeCall {
 public:
  NativeCall(Interp& in, Value* argv, int argc, const char* name)
      : in_(in), argv_(argv), argc_(argc), name_(name) {}

  Interp& interp() { return in_; }
  uv_loop_t* loop() { return interp_loop(in_); }
  int argc() const { return argc_; }
  const Value& arg(int i) const { return argv_[i]; }
  const char* name() const { return name_; }

  // Typed argument access. On a type mismatch these record an error such as
  // "rt_file_open: argument 1 must be text, got int" and return a neutral value.
  int64_t int_arg(int i);
  double num_arg(int i);
  bool bool_arg(int i);
  std::string text_arg(int i);
  // The id of a resource argument (made by resource() below; a plain int is accepted too, for
  // callers that keep ids as numbers); 0 with an error recorded otherwise.
  uint64_t resource_arg(int i);

  // Record an error (the first one wins); the interpreter raises it when the native returns.
  Value fail(const std::string& message);
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }

  // Constructors for Simple values.
  Value nil() { return Value(); }
  Value integer(int64_t v) { return Value::integer(v); }
  Value floating(double v) { return Value::floating(v); }
  Value boolean(bool v) { return Value::boolean(v); }
  Value text(std::string s) { return make_str(std::move(s)); }
  Value array(std::vector<Value> items) { return make_array(std::move(items)); }
  Value tuple(std::vector<Value> items) { return make_tuple(std::move(items)); }
  Value some(Value v);
  Value none();
  Value ok(Value v);
  Value err(Value v);
  PendingFuture pending_future() { return make_pending_future(in_); }
  // A value owning native resource `id`: release(id) runs once, when the program releases it
  // (release_resource) or when its last reference goes. Must not throw.
  Value resource(uint64_t id, void (*release)(uint64_t id)) {
    return Value(new Resource(id, release));
  }
  // Releases the resource argument i now (idempotent); false if it is not a resource.
  bool release_resource(int i);

 private:
  Interp& in_;
  Value* argv_;
  int argc_;
  const char* name_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace spl
