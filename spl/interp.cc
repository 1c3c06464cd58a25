// Interpreter lifecycle: construction (builtins, Option/Result), running the main module as
// the main task, executing module bodies (declarations first), shutdown.
#include "interp.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "bdd.h"
#include "bytecode.h"
#include "iter.h"
#include "natives/registry.h"
#include "resolver.h"
#include "vm.h"

namespace spl {

struct BddState;
std::unique_ptr<BddState> make_bdd_state();
void destroy_bdd_state(BddState* s);

Value native_function_value(const char* name, BuiltinFn fn, int min_args, int max_args) {
  Native* n = new Native();
  n->name = intern(name);
  n->fn = fn;
  n->min_args = min_args;
  n->max_args = max_args;
  return Value(n);
}

void Interp::def_builtin(const char* name, BuiltinFn fn, int min_args, int max_args) {
  Sym s = intern(name);
  Value v = native_function_value(name, fn, min_args, max_args);
  auto it = builtin_names_.find(s);
  if (it != builtin_names_.end()) {
    *it->second = v;
    return;
  }
  builtin_slots_.push_back(v);
  builtin_names_[s] = &builtin_slots_.back();
}

static EnumType* make_builtin_enum(const char* name, int builtin,
                                   std::vector<std::pair<const char*, int>> variants,
                                   Value& holder) {
  EnumType* et = new EnumType();
  holder = Value(et);
  et->name = intern(name);
  et->builtin = builtin;
  for (auto& [vn, arity] : variants) {
    Variant v;
    v.name = intern(vn);
    v.arity = arity;
    et->by_name[v.name] = uint32_t(et->variants.size());
    et->variants.push_back(v);
  }
  for (size_t i = 0; i < et->variants.size(); i++) {
    if (et->variants[i].arity == 0) {
      EnumVal* ev = new EnumVal();
      ev->type = holder;
      ev->variant = uint32_t(i);
      et->unit_values.push_back(Value(ev));
    } else {
      et->unit_values.push_back(Value());
    }
  }
  return et;
}

namespace {
Interp* g_value_error_interp = nullptr;  // the interpreter running on this thread
[[noreturn]] void raise_value_error(const std::string& msg) {
  g_value_error_interp->error_here(msg);
}
}  // namespace

Flow exec_declaration(Interp& in, Stmt* s, Frame& f);  // call.cc

Interp::Interp() {
  if (const char* e = std::getenv("SPL_ENGINE")) use_vm_ = std::string(e) != "tree";
  // (A Value[] would set every slot to nil: 512 KiB touched, 128 page faults at each start.)
  constexpr size_t kNativeValues = 1u << 16;
  void* m = ::mmap(nullptr, kNativeValues * sizeof(Value), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  native_values_.values = static_cast<Value*>(m);
  native_values_.count = kNativeValues;
  native_vm_stack_.init(native_values_.values, native_values_.values + kNativeValues);
  vm_stack_ = &native_vm_stack_;
  g_value_error_interp = this;
  set_value_error_handler(raise_value_error);
  option_type_ = make_builtin_enum("Option", 1, {{"Some", 1}, {"None", 0}}, option_val_);
  result_type_ = make_builtin_enum("Result", 2, {{"Ok", 1}, {"Err", 1}}, result_val_);
  sched_ = std::make_unique<Scheduler>(*this);
  bdd_ = make_bdd_state();
  install_builtins();
  refill_memory_reserve();
}

namespace {
constexpr size_t kMemoryReserve = 1 << 20;
}

void Interp::out_of_memory() {
  memory_reserve_.reset();
  error(nullptr, "out of memory");
}

const std::vector<Value>& Interp::arg_values() {
  if (arg_values_.size() != args_.size()) {
    arg_values_.clear();
    arg_values_.reserve(args_.size());
    for (const std::string& s : args_) arg_values_.push_back(make_str(s));
  }
  return arg_values_;
}

void Interp::refill_memory_reserve() {
  if (!memory_reserve_) memory_reserve_.reset(new (std::nothrow) char[kMemoryReserve]);
}

Interp::~Interp() {
  if (g_value_error_interp == this) {
    g_value_error_interp = nullptr;
    set_value_error_handler(nullptr);
  }
  sched_.reset();
  destroy_bdd_state(bdd_.release());
  for (auto& [p, m] : modules_) m.as<Module>()->clear_refs();
  modules_.clear();
  builtin_slots_.clear();
  arg_values_.clear();
  option_val_ = Value();
  result_val_ = Value();
  for (auto& t : ext_methods_) t.second.clear();
  native_vm_stack_.release_all();
  heap_free_all();
}

Interp::ValueMapping::~ValueMapping() {
  // (the values were released by the stack's release_all: only the memory goes)
  if (values != nullptr) ::munmap(values, count * sizeof(Value));
}

void Interp::install_builtins() {
  install_core_builtins(*this);
  install_text_methods(*this);
  install_collection_methods(*this);
  install_iter_methods(*this);
  install_enum_methods(*this);
  install_async_builtins(*this);
  install_bdd_builtins(*this);
  // Option / Result as values
  auto add_value = [&](const char* name, Value v) {
    builtin_slots_.push_back(std::move(v));
    builtin_names_[intern(name)] = &builtin_slots_.back();
  };
  add_value("None", none());
  add_value("void", Value());  // `Ok(void)`: unit
  add_value("Option", option_val_);
  add_value("Result", result_val_);
}

std::vector<Module*> Interp::all_modules() { return module_order_; }

Proto* Interp::expression_proto(Module* m, Expr* e) {
  auto it = expression_protos_.find(e);
  if (it != expression_protos_.end()) return it->second;
  Proto* p = compile_expression(*this, m, e);
  expression_protos_[e] = p;
  return p;
}

Value* Interp::lookup_late_name(Module* m, Sym name) {
  if (m) {
    auto it = m->names.find(name);
    if (it != m->names.end()) return it->second;
  }
  auto r = registry_.find(name);
  if (r != registry_.end() && !r->second.empty()) return r->second.front();
  return builtin_slot(name);
}

Module* Interp::module_by_path(const std::string& p) {
  auto it = modules_.find(p);
  return it == modules_.end() ? nullptr : it->second.as<Module>();
}

void Interp::exec_module(Module* m) {
  if (m->state == Module::State::Executing || m->state == Module::State::Done ||
      m->state == Module::State::Failed)
    return;
  m->state = Module::State::Executing;
  Frame fr;
  fr.module = m;
  fr.parent = frame_;
  Frame* saved = frame_;
  frame_ = &fr;
  struct Restore {
    Interp& in;
    Frame* f;
    ~Restore() { in.frame_ = f; }
  } restore{*this, saved};
  auto& stmts = m->body->stmts;
  // Declarations first, by kind (so they may be used in any order): plain functions, types
  // (whose method decorators are called now), decorated functions (their decorators are
  // called when they are declared); then the statements. The VM runs the decorated functions and
  // the statements as compiled code.
  auto decorated = [](Stmt* s) {
    return s->kind == SK::Fn && !static_cast<FnDecl*>(s)->decorators.empty();
  };
  auto declare = [&](Stmt* s) {
    if (use_vm_)
      exec_declaration(*this, s, fr);
    else
      exec(s, fr);
  };
  auto run_kind = [&](auto pred) {
    for (Stmt* s : stmts)
      if (pred(s)) declare(s);
  };
  run_kind([](Stmt* s) { return s->kind == SK::Use || s->kind == SK::Export; });
  // (plain functions before types: a method's decorator may be a function of the module)
  run_kind([&](Stmt* s) { return s->kind == SK::Fn && !decorated(s); });
  run_kind(
      [](Stmt* s) { return s->kind == SK::Struct || s->kind == SK::Enum || s->kind == SK::Trait; });
  std::vector<Stmt*> decorated_fns, rest;
  for (Stmt* s : stmts) {
    SK k = s->kind;
    if (decorated(s))
      decorated_fns.push_back(s);
    else if (!(k == SK::Use || k == SK::Export || k == SK::Struct || k == SK::Enum ||
               k == SK::Trait || k == SK::Fn || k == SK::Impl))
      rest.push_back(s);
  }
  if (use_vm_) {
    // Compiled top-level code runs in its own frame (in place of this declaration frame).
    auto run_compiled = [&](const std::vector<Stmt*>& list) {
      frame_ = saved;
      vm_run_module(*this, m, compile_module_body(*this, m, list));
      frame_ = &fr;
    };
    if (!decorated_fns.empty()) run_compiled(decorated_fns);
    run_kind([](Stmt* s) { return s->kind == SK::Impl; });
    if (!rest.empty()) run_compiled(rest);
  } else {
    for (Stmt* s : decorated_fns) exec(s, fr);
    run_kind([](Stmt* s) { return s->kind == SK::Impl; });
    for (Stmt* s : rest) {
      Flow fl = exec(s, fr);
      if (fl == Flow::Break || fl == Flow::Continue)
        error(s, "'break' or 'continue' outside of a loop");
    }
  }
  m->state = Module::State::Done;
}

Module* Interp::load_main(const std::string& path, std::vector<Diagnostic>& errors) {
  Module* m = parse_module_file(path, path, errors);
  if (!m) return nullptr;
  // Resolve even after parse errors: the partial tree is well formed, and unknown names are
  // worth reporting in the same run.
  resolve_module(*this, m, errors);
  std::stable_sort(errors.begin(), errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.file != b.file) return false;
    return a.offset < b.offset;
  });
  if (m->has_errors || !errors.empty()) return nullptr;
  return m;
}

int Interp::run_main(Module* m) {
  static const Sym s_main = intern("main");
  Value result = sched_->run_main([this, m]() -> Value {
    exec_module(m);
    auto it = m->own.find(s_main);
    if (it != m->own.end() && it->second->is(OK::Function)) {
      Function* fn = it->second->as<Function>();
      if (!fn->decl->called && fn->decl->params.empty()) {
        Value mv = *it->second;
        Value r = call(mv, nullptr, 0, nullptr);
        r = sched_->await(r, nullptr);
        // `main` returning Err(e) ends the program with "error: <message>" and status 1.
        if (is_variant(r, 2, 1)) throw TryReturn{r};
        return r;
      }
    }
    return Value();
  });
  flush_output();
  int code = 0;
  if (sched_->exit_requested() >= 0) return sched_->exit_requested();
  if (sched_->interrupted()) return 130;  // Ctrl-C: tasks were cancelled and unwound
  Future* f = result.as<Future>();
  if (sched_->deadlocked()) {
    std::fprintf(
        stderr, "error: deadlock: the main task is waiting for a future that can never complete\n");
    code = 1;
  } else if (f->state == Future::State::Rejected) {
    report_error(*f->error);
    code = 1;
  }
  for (auto& u : sched_->unobserved()) {
    Future* uf = u.as<Future>();
    if (uf->observed || !uf->error) continue;
    std::fprintf(stderr, "error in a task whose result was never awaited:\n");
    report_error(*uf->error);
    code = 1;
  }
  return code;
}

}  // namespace spl
