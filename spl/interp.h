// The interpreter: owns modules, builtins, the scheduler and the evaluator state. The
// evaluator walks resolved ASTs (eval.cc), calls go through call.cc, builtin methods through
// per-type tables (methods_*.cc). Runtime errors are C++ exceptions inside this layer only.
#pragma once

#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ast.h"
#include "errors.h"
#include "module.h"
#include "scheduler.h"
#include "source.h"
#include "value.h"
#include "vm_stack.h"

namespace spl {

enum class Flow : uint8_t { Normal, Break, Continue, Return };

struct Proto;
struct Instr;

struct Frame {
  Value* locals = nullptr;   // the tree walker's local slots, or the VM's registers
  Function* fn = nullptr;    // null at module top level
  Module* module = nullptr;  // the tree walker's; a VM frame's is its proto's (module_of())
  Frame* parent = nullptr;
  uint32_t off = 0;  // offset of the node being executed (for traces)
  Flow pending = Flow::Normal;
  Value ret;
  const Proto* proto = nullptr;  // VM frames: the code running, and the instruction at the
  const Instr* pc = nullptr;     // last call or possible error (see offset())
  uint16_t ret_reg = 0;          // VM: the caller's register that receives the result
  bool entry = false;            // VM: entered from C++ (returning leaves the dispatch loop)
  bool pinned = false;           // VM: fn was called from its global storage (CALLG) and is
                                 // held by this frame while it runs
  bool dirty = true;             // VM: a register may hold a reference (false: the frame's
                                 // code and arguments gave it numbers, bools and nil only, so
                                 // returning releases nothing; see Proto::numbers_only)
  Proto* loop_callee = nullptr;  // VM, a map/filter/each loop's frame: the callback's
                                 // code when it is called flat (set by its first LOOP)
  Frame* deeper = nullptr;       // VmStack's list of frame records (see vm_stack.h)
  Frame* shallower = nullptr;
  uint32_t offset() const;    // source offset of what the frame is executing
  Module* module_of() const;  // the module whose code runs in this frame (null: hidden code)
};

struct CallArgs {
  Value* argv;
  int argc;
  Value self;  // receiver for methods
  const Node* site = nullptr;
  Sym name = 0;                // callee name for messages
  const void* data = nullptr;  // Native::data (native table entry)
  Value& operator[](int i) { return argv[i]; }
  int size() const { return argc; }
};

using MethodFn = Value (*)(Interp& in, Value& self, CallArgs& a);
using MethodMap = std::unordered_map<Sym, MethodFn>;

struct BddState;

class Interp {
 public:
  Interp();
  ~Interp();
  Interp(const Interp&) = delete;
  Interp& operator=(const Interp&) = delete;

  // ---- driver API ----
  void set_args(std::vector<std::string> args) {
    args_ = std::move(args);
    arg_values_.clear();
  }
  const std::vector<std::string>& args() const { return args_; }
  // The arguments as text values, made once (texts are immutable: each sys_get_args() array
  // shares them).
  const std::vector<Value>& arg_values();
  void set_stdlib_dir(std::string d) { stdlib_dir_ = std::move(d); }
  // `spl check`: unknown names are load errors. `spl run`/`test`: they are looked up when the
  // code runs, and are runtime errors only if reached (names bind at run time, as upstream).
  void set_check_mode(bool on) { check_mode_ = on; }
  bool check_mode() const { return check_mode_; }
  // The storage a late-bound name refers to now (module names, then every loaded module's
  // top-level names, then builtins), or null.
  Value* lookup_late_name(Module* m, Sym name);
  const std::string& stdlib_dir() const { return stdlib_dir_; }
  // Load + resolve a file (and its imports). Errors go to `errors`. Returns null on failure.
  Module* load_main(const std::string& path, std::vector<Diagnostic>& errors);
  // Run a resolved main module (and `async fn main` when defined and not called).
  // Returns the process exit code; prints errors to stderr.
  int run_main(Module* m);
  BddState& bdd() { return *bdd_; }
  void flush_output() { std::fflush(stdout); }

  // ---- engine ----
  // The VM (compiled code, the default) or the tree walker it replaces (SPL_ENGINE=tree; the
  // golden programs and specs run on both until the tree walker is removed).
  bool use_vm() const { return use_vm_; }
  void set_use_vm(bool on) { use_vm_ = on; }
  Proto* expression_proto(Module* m, Expr* e);  // compiled once per expression
  // The value of a type path in a declaration (`impl mod.Type`, `impl Trait for T`): a name
  // or a chain of fields, looked up without evaluating anything else.
  Value eval_type_path(Expr* e, Frame& f);

  // ---- evaluator ----
  Value eval(Expr* e, Frame& f);
  Flow exec(Stmt* s, Frame& f);
  Flow exec_block(Block* b, Frame& f);
  Value eval_block_value(Block* b, Frame& f);
  void exec_module(Module* m);

  // ---- calls ----
  Value call(const Value& callee, Value* argv, int argc, const Node* site,
             const Value* self = nullptr, const std::vector<Arg>* names = nullptr);
  Value call0(const Value& callee) { return call(callee, nullptr, 0, nullptr); }
  Value call1(const Value& callee, Value a) { return call(callee, &a, 1, nullptr); }
  Value call_method(Value& obj, Sym name, Value* argv, int argc, const Node* site,
                    const std::vector<Arg>* names = nullptr);
  Value run_function_body(Function* fn, Value* argv, int argc, const Value* self,
                          const std::vector<Arg>* names, const Node* site);
  // A new instance of a struct or class (fields by position or name, or __init__).
  Value construct(const Value& type, Value* argv, int argc, const Node* site,
                  const std::vector<Arg>* names);
  Value get_field(const Value& obj, Sym name, const Node* site, FieldExpr* cache = nullptr);
  void set_field(const Value& obj, Sym name, Value v, const Node* site);
  Value find_method(const Value& obj, Sym name);  // user method (Function) or nil

  // ---- errors ----
  [[noreturn]] void error(const Node* at, std::string msg);
  [[noreturn]] void error_here(std::string msg) { error(nullptr, std::move(msg)); }
  std::shared_ptr<ErrorInfo> make_error(const Node* at, std::string msg);
  void report_error(const ErrorInfo& e);
  Frame* frame() { return frame_; }
  // An allocation failed: raises "out of memory" at the current place, first giving back a
  // reserve of memory held for this so that the report and the unwinding can allocate.
  [[noreturn]] void out_of_memory();
  // Takes the reserve again (after an out-of-memory error was handled); no-op if held.
  void refill_memory_reserve();

  // ---- values ----
  Value some(Value v);
  Value none();
  Value ok(Value v);
  Value err(Value v);
  bool is_variant(const Value& v, int builtin, uint32_t variant) const;
  EnumType* option_type() { return option_type_; }
  EnumType* result_type() { return result_type_; }
  std::string to_display(const Value& v);  // uses user to_string() when defined
  // What `error: ...` shows for an Err payload: its message() when it has one (FileError),
  // else its to_string() / display form.
  std::string error_message(const Value& e);

  // ---- builtins ----
  void def_builtin(const char* name, BuiltinFn fn, int min_args = 0, int max_args = -1);
  Value* builtin_slot(Sym s) {
    auto it = builtin_names_.find(s);
    return it == builtin_names_.end() ? nullptr : it->second;
  }
  const std::unordered_map<Sym, Value*>& builtin_names() const { return builtin_names_; }
  MethodMap& methods_for(OK kind) { return builtin_methods_[int(kind)]; }
  MethodMap& scalar_methods() { return scalar_methods_; }
  MethodMap& universal_methods() { return universal_methods_; }
  MethodTable& extension_methods(const std::string& type_name) { return ext_methods_[type_name]; }
  const MethodTable* extension_table_for(const Value& v) const;
  bool has_extensions() const { return !ext_methods_.empty(); }

  // ---- modules ----
  Module* load_module(const std::vector<Sym>& path, Module* from, const Node* site,
                      std::vector<Diagnostic>& errors, Sym* item_out);
  std::unordered_map<Sym, std::vector<Value*>>& global_registry() { return registry_; }
  struct SearchDir {
    std::string path;
    bool is_stdlib;  // a std_lib root (ours or an upstream tree's)
  };
  std::vector<SearchDir> module_search_dirs(const std::string& from_dir);
  Module* module_by_path(const std::string& p);
  std::vector<Module*> all_modules();

  // ---- async ----
  Scheduler& sched() { return *sched_; }

  // stack/recursion guard state (per task, swapped by the scheduler)
  VmStack* vm_stack_ = nullptr;  // the running task's VM stack (or native_vm_stack_)
  Frame* frame_ = nullptr;
  int depth_ = 0;
  char* stack_lo_ = nullptr;
  // Before each call: Ctrl-C, and runaway recursion (a stack-address check, not the guard
  // page). The fast path is inline.
  void check_stack(const Node* at) {
#if defined(SPL_SANITIZED)
    constexpr size_t kMargin = 512 * 1024;
#else
    constexpr size_t kMargin = 128 * 1024;
#endif
    char probe;
    if (__builtin_expect(Scheduler::interrupt_pending() ||
                             (stack_lo_ && (&probe < stack_lo_ + kMargin || depth_ > 200000)),
                         0))
      stack_overflow_or_interrupt(at);
  }
  [[noreturn]] void stack_overflow(const Node* at);
  void stack_overflow_or_interrupt(const Node* at);

  Value bound_method(const Value& self, const Value& fn);
  int64_t exit_code_ = 0;

 private:
  void install_builtins();
  Module* parse_module_file(const std::string& path, const std::string& name,
                            std::vector<Diagnostic>& errors);

  std::vector<std::string> args_;
  std::vector<Value> arg_values_;
  std::string stdlib_dir_;
  bool check_mode_ = false;
  bool use_vm_ = true;
  // The VM stack for code that runs outside any task (tests, loading; tasks have their own):
  // a zero-filled mapping (zero bits are the number 0, never a reference: see VmStack::init),
  // so its pages are touched only as deep as calls go.
  struct ValueMapping {
    Value* values = nullptr;
    size_t count = 0;
    ~ValueMapping();
  };
  ValueMapping native_values_;
  VmStack native_vm_stack_;
  std::unique_ptr<char[]> memory_reserve_;  // see out_of_memory()
  std::unordered_map<const Expr*, Proto*> expression_protos_;
  std::unordered_map<std::string, Value> modules_;  // by canonical path
  std::vector<Module*> module_order_;
  std::deque<Value> builtin_slots_;
  std::unordered_map<Sym, Value*> builtin_names_;
  std::unordered_map<Sym, std::vector<Value*>> registry_;
  MethodMap builtin_methods_[32];
  MethodMap scalar_methods_;     // int/float/bool/nil
  MethodMap universal_methods_;  // any value (to_string, BDD matchers)
  std::unordered_map<std::string, MethodTable> ext_methods_;
  EnumType* option_type_ = nullptr;
  EnumType* result_type_ = nullptr;
  Value option_val_, result_val_;
  std::unique_ptr<Scheduler> sched_;
  std::unique_ptr<BddState> bdd_;
  friend class Resolver;
};

// Defined in the builtin files; each installs its table into the interpreter.
void install_core_builtins(Interp& in);
void install_text_methods(Interp& in);
// Piece `index` of s.split(sep) (negative: from the end) without making the others, for the
// VM's `text.split(sep)[k]`: false when sep is empty, the index is out of range, or a
// negative index with a separator longer than one byte (then the caller splits in full).
bool text_split_piece(std::string_view s, std::string_view sep, int64_t index,
                      std::string_view* piece);
void install_collection_methods(Interp& in);
void install_enum_methods(Interp& in);
void install_async_builtins(Interp& in);
void install_bdd_builtins(Interp& in);
Value native_function_value(const char* name, BuiltinFn fn, int min_args, int max_args);
void check_arity(Interp& in, CallArgs& a, int min, int max, const char* what);

}  // namespace spl
