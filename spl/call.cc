// Calls, method dispatch, field access, struct/enum construction, declarations and error
// construction with Simple-level stack traces.
#include <algorithm>

#include "bytecode.h"
#include "interp.h"
#include "ops.h"
#include "vm.h"

namespace spl {

// ---------------------------------------------------------------- errors

uint32_t Frame::offset() const {
  if (proto && pc) return proto->offs[size_t(pc - proto->code.data())];
  return off;
}

Module* Frame::module_of() const { return proto ? proto->module : module; }

std::shared_ptr<ErrorInfo> Interp::make_error(const Node* at, std::string msg) {
  auto info = std::make_shared<ErrorInfo>();
  info->message = std::move(msg);
  Frame* f = frame_;
  // An error inside builtin code the VM runs (Proto::hidden) is placed where it was called.
  for (; f && f->proto && f->proto->hidden; f = f->parent) at = nullptr;
  if (Module* m = f ? f->module_of() : nullptr) {
    info->file = m->file.get();
    info->offset = at ? at->off : f->offset();
  }
  bool first = true;
  for (; f; f = f->parent) {
    Module* m = f->module_of();
    if (!m) continue;
    TraceEntry t;
    t.file = m->file.get();
    t.offset = first && at ? at->off : f->offset();
    t.function = f->fn ? sym_name(f->fn->decl->name) : "<module>";
    info->trace.push_back(std::move(t));
    first = false;
  }
  return info;
}

void Interp::error(const Node* at, std::string msg) {
  throw RuntimeError{make_error(at, std::move(msg))};
}

std::string ErrorInfo::render() const {
  std::string out;
  Diagnostic d{file, offset, message};
  out += format_diagnostic(d);
  if (trace.size() > 1) {
    out += "stack trace (most recent call last):\n";
    size_t n = trace.size();
    size_t shown = 0;
    for (size_t i = n; i-- > 0;) {
      if (n > 24 && i < n - 10 && i >= 10) {
        if (shown == 10) out += "  ... " + std::to_string(n - 20) + " more frames ...\n";
        shown++;
        continue;
      }
      const TraceEntry& t = trace[i];
      int line, col;
      t.file->line_col(t.offset, &line, &col);
      out += "  " + t.file->path + ":" + std::to_string(line) + ":" + std::to_string(col) + " in " +
             t.function + "\n";
      shown++;
    }
  }
  return out;
}

void Interp::report_error(const ErrorInfo& e) {
  flush_output();
  std::string s = e.render();
  std::fwrite(s.data(), 1, s.size(), stderr);
  std::fflush(stderr);
}

void Interp::stack_overflow_or_interrupt(const Node* at) {
  Scheduler::check_interrupt();
  char probe;
#if defined(SPL_SANITIZED)
  constexpr size_t kMargin = 512 * 1024;
#else
  constexpr size_t kMargin = 128 * 1024;
#endif
  if (stack_lo_ && (&probe < stack_lo_ + kMargin || depth_ > 200000)) stack_overflow(at);
}

void Interp::stack_overflow(const Node* at) {
  Frame* f = frame_;
  while (f && f->proto && f->proto->hidden) f = f->parent;
  std::string name = f && f->fn ? sym_name(f->fn->decl->name) : "<module>";
  error(at, "stack overflow: recursion is too deep (in '" + name + "')");
}

// ---------------------------------------------------------------- enums

Value Interp::some(Value v) {
  EnumVal* e = new EnumVal();
  e->type = option_val_;
  e->variant = 0;
  e->payload = std::move(v);
  return Value(e);
}
Value Interp::none() { return option_type_->unit_values[1]; }
Value Interp::ok(Value v) {
  EnumVal* e = new EnumVal();
  e->type = result_val_;
  e->variant = 0;
  e->payload = std::move(v);
  return Value(e);
}
Value Interp::err(Value v) {
  EnumVal* e = new EnumVal();
  e->type = result_val_;
  e->variant = 1;
  e->payload = std::move(v);
  return Value(e);
}
bool Interp::is_variant(const Value& v, int builtin, uint32_t variant) const {
  if (!v.is(OK::EnumVal)) return false;
  EnumVal* e = v.as<EnumVal>();
  return e->etype()->builtin == builtin && e->variant == variant;
}

std::string Interp::to_display(const Value& v) {
  static const Sym s_to_string = intern("to_string");
  if (v.is(OK::Instance) || v.is(OK::EnumVal)) {
    Value m = find_method(v, s_to_string);
    if (m.is(OK::Function)) {
      Value r = call(m, nullptr, 0, nullptr, &v);
      if (r.is(OK::Str)) return r.as<Str>()->str();
    }
  }
  return display(v);
}

std::string Interp::error_message(const Value& e) {
  static const Sym s_message = intern("message");
  if (e.is(OK::Instance) || e.is(OK::EnumVal)) {
    Value m = find_method(e, s_message);
    if (m.is(OK::Function)) {
      Value r = call(m, nullptr, 0, nullptr, &e);
      if (r.is(OK::Str)) return r.as<Str>()->str();
    }
  }
  return to_display(e);
}

Value Interp::bound_method(const Value& self, const Value& fn) {
  BoundMethod* b = new BoundMethod();
  b->self = self;
  b->fn = fn;
  return Value(b);
}

// ---------------------------------------------------------------- calls

namespace {
struct FrameGuard {
  Interp& in;
  Frame* saved;
  FrameGuard(Interp& i, Frame* f) : in(i), saved(i.frame_) {
    in.frame_ = f;
    in.depth_++;
  }
  ~FrameGuard() {
    in.frame_ = saved;
    in.depth_--;
  }
};
}  // namespace

Value Interp::run_function_body(Function* fn, Value* argv, int argc, const Value* self,
                                const std::vector<Arg>* names, const Node* site) {
  if (use_vm_) return vm_execute(*this, fn, argv, argc, self, names, site);
  FnDecl* d = fn->decl;
  d->called = true;
  if (!d->body) error(site, "trait method '" + sym_name(d->name) + "' has no body");
  check_stack(site);
  uint32_t n = d->nlocals;
  // Locals live in uninitialized stack storage; only the n slots used are constructed.
  alignas(Value) unsigned char raw[10 * sizeof(Value)];
  std::unique_ptr<Value[]> big;
  Value* locals;
  struct Slots {
    Value* p = nullptr;
    uint32_t n = 0;
    ~Slots() {
      for (uint32_t i = 0; i < n; i++) p[i].~Value();
    }
  } slots;
  if (n > 10) {
    big = std::make_unique<Value[]>(n);
    locals = big.get();
  } else {
    locals = reinterpret_cast<Value*>(raw);
    for (uint32_t i = 0; i < n; i++) new (&locals[i]) Value();
    slots.p = locals;
    slots.n = n;
  }
  uint32_t base = d->is_method ? 1 : 0;
  if (d->is_method && self) locals[0] = *self;
  size_t np = d->params.size();
  bool variadic = np && d->params.back().variadic;
  // Which parameters got a value: a bit mask (functions with more than 64 parameters use
  // the vector).
  uint64_t given_bits = 0;
  std::vector<bool> given_big;
  if (np > 64) given_big.resize(np, false);
  auto is_given = [&](size_t i) {
    return np > 64 ? bool(given_big[i]) : ((given_bits >> i) & 1) != 0;
  };
  auto set_given = [&](size_t i) {
    if (np > 64)
      given_big[i] = true;
    else
      given_bits |= uint64_t(1) << i;
  };
  if (!names) {
    size_t fixed = variadic ? np - 1 : np;
    if (size_t(argc) > fixed && !variadic)
      error(site, "'" + sym_name(d->name) + "' takes " + std::to_string(np) + " argument" +
                      (np == 1 ? "" : "s") + " but " + std::to_string(argc) + " were given");
    for (size_t i = 0; i < size_t(argc) && i < fixed; i++) {
      locals[base + i] = std::move(argv[i]);
      set_given(i);
    }
    if (variadic) {
      std::vector<Value> rest;
      for (size_t i = fixed; i < size_t(argc); i++) rest.push_back(argv[i]);
      locals[base + fixed] = make_array(std::move(rest));
      set_given(fixed);
    }
  } else {
    size_t pos = 0;
    for (int i = 0; i < argc; i++) {
      const Arg& a = (*names)[i];
      size_t idx;
      if (a.name) {
        auto it = std::find_if(d->params.begin(), d->params.end(),
                               [&](const Param& p) { return p.name == a.name; });
        if (it == d->params.end())
          error(site,
                "'" + sym_name(d->name) + "' has no parameter named '" + sym_name(a.name) + "'");
        idx = size_t(it - d->params.begin());
      } else {
        while (pos < np && is_given(pos)) pos++;
        if (pos >= np) error(site, "too many arguments in call to '" + sym_name(d->name) + "'");
        idx = pos;
      }
      if (is_given(idx))
        error(site, "argument '" + sym_name(d->params[idx].name) + "' given twice");
      locals[base + idx] = std::move(argv[i]);
      set_given(idx);
    }
  }
  Frame fr;
  fr.locals = locals;
  fr.fn = fn;
  fr.module = d->module;
  fr.parent = frame_;
  fr.off = d->off;
  FrameGuard guard(*this, &fr);
  // A parameter whose default is not computed yet is unassigned (as in the VM): a default that
  // makes a closure over a later parameter gives "used before it is assigned" when called.
  for (size_t i = 0; i < np; i++)
    if (!is_given(i) && d->params[i].def) locals[base + i] = Value::undef();
  for (size_t i = 0; i < np; i++) {
    if (is_given(i)) continue;
    if (d->params[i].variadic) {
      locals[base + i] = make_array();
    } else if (d->params[i].def) {
      locals[base + i] = eval(d->params[i].def, fr);
    } else {
      frame_ = fr.parent;
      error(site, "missing argument '" + sym_name(d->params[i].name) + "' in call to '" +
                      sym_name(d->name) + "'");
    }
  }
  for (uint32_t s : d->cell_slots) {
    Cell* c = new Cell();
    if (s < base + np) c->v = std::move(locals[s]);
    locals[s] = Value(c);
  }
  Value result;
  try {
    result = eval_block_value(d->body, fr);
    if (fr.pending == Flow::Return)
      result = std::move(fr.ret);
    else if (fr.pending == Flow::Break || fr.pending == Flow::Continue)
      error(d->body, "'break' or 'continue' outside of a loop");
  } catch (TryReturn& t) {
    result = std::move(t.value);
  }
  return result;
}

Value Interp::call(const Value& callee, Value* argv, int argc, const Node* site, const Value* self,
                   const std::vector<Arg>* names) {
  if (callee.is(OK::Function)) {
    Function* fn = callee.as<Function>();
    if (self && !fn->decl->is_method) {
      // A plain function in a method table (what a method's decorator returned): the
      // receiver is its first argument, as Python binds functions found on a class.
      std::vector<Value> all;
      all.reserve(size_t(argc) + 1);
      all.push_back(*self);
      all.insert(all.end(), argv, argv + argc);
      std::vector<Arg> all_names;
      if (names) {
        all_names.push_back(Arg{});
        all_names.insert(all_names.end(), names->begin(), names->end());
      }
      return call(callee, all.data(), argc + 1, site, nullptr, names ? &all_names : nullptr);
    }
    if (!self && fn->decl->explicit_self && argc >= 1 && !(names && (*names)[0].name)) {
      // A method called as a plain function (`f(obj, x)` where f is `fn m(self, x)`, as a
      // decorator's wrapper does): its first argument is the receiver.
      Value receiver = argv[0];
      std::vector<Arg> rest_names;
      if (names) rest_names.assign(names->begin() + 1, names->end());
      return call(callee, argv + 1, argc - 1, site, &receiver, names ? &rest_names : nullptr);
    }
    if (__builtin_expect(use_vm_ && !fn->decl->is_async, 1))
      return vm_execute(*this, fn, argv, argc, self, names, site);
    if (fn->decl->is_async) {
      std::vector<Value> args(argv, argv + argc);
      if (names) {
        // resolve named args now: build the positional list in parameter order
        FnDecl* d = fn->decl;
        std::vector<Value> ordered(d->params.size(), Value::undef());
        size_t pos = 0;
        for (int i = 0; i < argc; i++) {
          const Arg& a = (*names)[i];
          size_t idx = pos;
          if (a.name) {
            auto it = std::find_if(d->params.begin(), d->params.end(),
                                   [&](const Param& p) { return p.name == a.name; });
            if (it == d->params.end())
              error(site, "'" + sym_name(d->name) + "' has no parameter named '" +
                              sym_name(a.name) + "'");
            idx = size_t(it - d->params.begin());
          } else {
            pos++;
          }
          if (idx < ordered.size()) ordered[idx] = argv[i];
        }
        while (!ordered.empty() && ordered.back().is_undef()) ordered.pop_back();
        for (auto& v : ordered)
          if (v.is_undef()) error(site, "async call with named arguments must not skip parameters");
        args = std::move(ordered);
      }
      return sched().start_task(callee, std::move(args), self);
    }
    return run_function_body(fn, argv, argc, self, names, site);
  }
  if (callee.is(OK::Native)) {
    Native* nf = callee.as<Native>();
    if (argc < nf->min_args || (nf->max_args >= 0 && argc > nf->max_args)) {
      std::string want = nf->min_args == nf->max_args ? std::to_string(nf->min_args)
                         : nf->max_args < 0
                             ? "at least " + std::to_string(nf->min_args)
                             : std::to_string(nf->min_args) + " to " + std::to_string(nf->max_args);
      error(site, "'" + sym_name(nf->name) + "' takes " + want + " argument" +
                      (nf->max_args == 1 && nf->min_args == 1 ? "" : "s") + " but " +
                      std::to_string(argc) + " were given");
    }
    CallArgs a{argv, argc, self ? *self : Value(), site, nf->name, nf->data};
    return nf->fn(*this, a);
  }
  if (callee.is(OK::BoundMethod)) {
    BoundMethod* b = callee.as<BoundMethod>();
    Value s = b->self;
    if (b->fn.is(OK::Str))
      return call_method(s, intern(b->fn.as<Str>()->str()), argv, argc, site, names);
    return call(b->fn, argv, argc, site, &s, names);
  }
  if (callee.is(OK::StructType)) return construct(callee, argv, argc, site, names);
  if (callee.is(OK::Instance)) {  // an object with __call__
    static const Sym s_call = intern("__call__");
    Value m = find_method(callee, s_call);
    if (!m.is_nil()) return call(m, argv, argc, site, &callee, names);
  }
  error(site, std::string("'") + type_name(callee) + "' value is not callable");
}

Value Interp::construct(const Value& type, Value* argv, int argc, const Node* site,
                        const std::vector<Arg>* names) {
  StructType* st = type.as<StructType>();
  Instance* obj = Instance::make(type, uint32_t(st->fields.size()));
  Value ov(obj);
  const Value* init = st->init;
  if (!init) {
    // Field-wise construction: W(1, 2), W(x: 1, y: 2), W { x: 1 }. A name the declaration
    // lacks becomes a field of this instance only.
    for (int i = 0; i < argc; i++) {
      size_t idx = size_t(i);
      if (names && (*names)[i].name) {
        Sym fname = (*names)[i].name;
        auto it = st->field_index.find(fname);
        if (it == st->field_index.end()) {
          obj->set_extra(fname, argv[i]);
          continue;
        }
        idx = it->second;
      } else if (idx >= st->fields.size()) {
        error(site, "too many arguments to construct '" + sym_name(st->name) + "' (it has " +
                        std::to_string(st->fields.size()) + " fields)");
      }
      obj->fields()[idx] = argv[i];
    }
  }
  for (size_t i = 0; i < obj->fields().size(); i++) {
    if (!obj->fields()[i].is_undef()) continue;
    Expr* def = st->defaults[i];
    if (!def) {
      obj->fields()[i] = Value();
    } else if (!st->default_values[i].is_undef()) {
      obj->fields()[i] = st->default_values[i];
    } else if (use_vm_) {
      obj->fields()[i] = vm_eval_expression(*this, st->module, def);
    } else {
      Frame mf;
      mf.module = st->module;
      mf.parent = frame_;
      obj->fields()[i] = eval(def, mf);
    }
    // Kept for next time: a literal's value (texts are immutable once shared), and a unit
    // enum variant named directly (`None`, `MmapMode::ReadOnly`), which is immutable too.
    if (def && st->default_values[i].is_undef()) {
      const Value& v = obj->fields()[i];
      bool literal = def->kind == EK::Int || def->kind == EK::Float || def->kind == EK::Str ||
                     def->kind == EK::Bool || def->kind == EK::Nil;
      bool unit_variant = (def->kind == EK::Name || def->kind == EK::Field) && v.is(OK::EnumVal) &&
                          v.as<EnumVal>()->payload.is_nil();
      if (literal || unit_variant) st->default_values[i] = v;
    }
  }
  // A class: __init__(args) runs on the new instance (fields it does not set stay nil).
  if (init) call(*init, argv, argc, site, &ov, names);
  return ov;
}

// ---------------------------------------------------------------- methods and fields

const MethodTable* Interp::extension_table_for(const Value& v) const {
  if (ext_methods_.empty()) return nullptr;  // no `impl String:` etc. in this program
  const char* names[3] = {nullptr, nullptr, nullptr};
  switch (v.tag()) {
    case VT::Int:
      names[0] = "i64";
      names[1] = "Int";
      names[2] = "int";
      break;
    case VT::Float:
      names[0] = "f64";
      names[1] = "Float";
      names[2] = "float";
      break;
    case VT::Bool:
      names[0] = "bool";
      names[1] = "Bool";
      break;
    case VT::Obj:
      switch (v.obj()->kind) {
        case OK::Str:
          names[0] = "String";
          names[1] = "text";
          names[2] = "str";
          break;
        case OK::Array:
          names[0] = "Array";
          names[1] = "List";
          names[2] = "Vec";
          break;
        case OK::Dict:
          names[0] = "Dict";
          names[1] = "Map";
          break;
        default:
          break;
      }
      break;
    default:
      break;
  }
  for (const char* n : names) {
    if (!n) continue;
    auto it = ext_methods_.find(n);
    if (it != ext_methods_.end()) return &it->second;
  }
  return nullptr;
}

Value Interp::find_method(const Value& obj, Sym name) {
  const MethodTable* t = nullptr;
  if (obj.is(OK::Instance))
    t = &obj.as<Instance>()->stype()->methods;
  else if (obj.is(OK::EnumVal))
    t = &obj.as<EnumVal>()->etype()->methods;
  else
    t = extension_table_for(obj);
  if (t) {
    auto it = t->find(name);
    if (it != t->end()) return it->second;
  }
  return Value();
}

static std::string method_hint(Interp& in, const Value& obj, Sym name) {
  std::vector<std::string> cands;
  auto add_table = [&](const MethodMap& m) {
    for (auto& [k, v] : m) cands.push_back(sym_name(k));
  };
  if (obj.is(OK::Instance)) {
    for (auto& [k, v] : obj.as<Instance>()->stype()->methods) cands.push_back(sym_name(k));
    for (auto f : obj.as<Instance>()->stype()->fields) cands.push_back(sym_name(f));
  } else if (obj.is(OK::EnumVal)) {
    for (auto& [k, v] : obj.as<EnumVal>()->etype()->methods) cands.push_back(sym_name(k));
    add_table(in.methods_for(OK::EnumVal));
  } else if (obj.is_obj()) {
    add_table(in.methods_for(obj.obj()->kind));
  } else {
    add_table(in.scalar_methods());
  }
  std::string h = closest_name(sym_name(name), cands);
  return h.empty() ? "" : " (did you mean '" + h + "'?)";
}

Value Interp::call_method(Value& obj, Sym name, Value* argv, int argc, const Node* site,
                          const std::vector<Arg>* names) {
  switch (obj.tag()) {
    case VT::Obj: {
      Obj* o = obj.obj();
      switch (o->kind) {
        case OK::Instance: {
          StructType* st = static_cast<Instance*>(o)->stype();
          auto it = st->methods.find(name);
          if (it != st->methods.end()) return call(it->second, argv, argc, site, &obj, names);
          auto fi = st->field_index.find(name);
          if (fi != st->field_index.end() &&
              fi->second < static_cast<Instance*>(o)->fields().size()) {
            Value fv = static_cast<Instance*>(o)->fields()[fi->second];
            return call(fv, argv, argc, site, nullptr, names);
          }
          if (Value* x = static_cast<Instance*>(o)->extra_field(name)) {
            Value fv = *x;
            return call(fv, argv, argc, site, nullptr, names);
          }
          break;
        }
        case OK::EnumVal: {
          EnumType* et = static_cast<EnumVal*>(o)->etype();
          auto it = et->methods.find(name);
          if (it != et->methods.end()) return call(it->second, argv, argc, site, &obj, names);
          break;
        }
        case OK::StructType: {
          StructType* st = static_cast<StructType*>(o);
          auto it = st->methods.find(name);
          if (it != st->methods.end()) return call(it->second, argv, argc, site, nullptr, names);
          error(
              site, "struct '" + sym_name(st->name) + "' has no associated function '" +
                        sym_name(name) + "'" + [&] {
                          std::vector<std::string> c;
                          for (auto& [k, v] : st->methods) c.push_back(sym_name(k));
                          std::string h = closest_name(sym_name(name), c);
                          return h.empty() ? std::string() : " (did you mean '" + h + "'?)";
                        }());
        }
        case OK::EnumType: {
          EnumType* et = static_cast<EnumType*>(o);
          auto vi = et->by_name.find(name);
          if (vi != et->by_name.end()) {
            const Variant& var = et->variants[vi->second];
            if (argc != var.arity)
              error(site, "variant '" + sym_name(et->name) + "::" + sym_name(name) + "' takes " +
                              std::to_string(var.arity) + " value" + (var.arity == 1 ? "" : "s") +
                              ", got " + std::to_string(argc));
            EnumVal* ev = new EnumVal();
            Value r(ev);
            ev->type = obj;
            ev->variant = vi->second;
            // Named values must name the variant's fields, each once.
            std::vector<size_t> slot(static_cast<size_t>(argc));
            std::vector<bool> taken(static_cast<size_t>(argc));
            for (int i = 0; i < argc; i++) {
              size_t idx = size_t(i);
              if (names && (*names)[i].name) {
                auto f =
                    std::find(var.field_names.begin(), var.field_names.end(), (*names)[i].name);
                if (f == var.field_names.end()) {
                  std::vector<std::string> c;
                  for (Sym fn : var.field_names) c.push_back(sym_name(fn));
                  std::string h = closest_name(sym_name((*names)[i].name), c);
                  error(site, "variant '" + sym_name(et->name) + "." + sym_name(name) +
                                  "' has no field '" + sym_name((*names)[i].name) + "'" +
                                  (h.empty() ? "" : " (did you mean '" + h + "'?)"));
                }
                idx = size_t(f - var.field_names.begin());
              }
              if (taken[idx])
                error(site, "variant '" + sym_name(et->name) + "." + sym_name(name) +
                                "' is given its field " + std::to_string(idx + 1) + " twice");
              taken[idx] = true;
              slot[size_t(i)] = idx;
            }
            if (argc == 1) {
              ev->payload = argv[0];
            } else if (argc > 1) {
              std::vector<Value> items(static_cast<size_t>(argc));
              for (int i = 0; i < argc; i++) items[slot[size_t(i)]] = argv[i];
              ev->payload = make_tuple(std::move(items));
            }
            return r;
          }
          auto it = et->methods.find(name);
          if (it != et->methods.end()) return call(it->second, argv, argc, site, nullptr, names);
          error(site, "enum '" + sym_name(et->name) + "' has no variant or function '" +
                          sym_name(name) + "'");
        }
        case OK::Module: {
          Module* m = static_cast<Module*>(o);
          auto it = m->names.find(name);
          if (it == m->names.end()) {
            std::vector<std::string> c;
            for (auto& [k, v] : m->names) c.push_back(sym_name(k));
            std::string h = closest_name(sym_name(name), c);
            error(site, "module '" + m->name + "' has no item '" + sym_name(name) + "'" +
                            (h.empty() ? "" : " (did you mean '" + h + "'?)"));
          }
          if (it->second->is_undef())
            error(site, "'" + sym_name(name) + "' in module '" + m->name +
                            "' is not initialized yet (circular import?)");
          Value fv = *it->second;
          return call(fv, argv, argc, site, nullptr, names);
        }
        case OK::TraitType: {
          TraitType* t = static_cast<TraitType*>(o);
          auto it = t->defaults.find(name);
          if (it != t->defaults.end()) return call(it->second, argv, argc, site, nullptr, names);
          break;
        }
        default:
          break;
      }
      if (const MethodTable* ext = extension_table_for(obj)) {
        auto it = ext->find(name);
        if (it != ext->end()) return call(it->second, argv, argc, site, &obj, names);
      }
      MethodMap& mm = methods_for(o->kind);
      auto it = mm.find(name);
      if (it != mm.end()) {
        CallArgs a{argv, argc, obj, site, name};
        return it->second(*this, obj, a);
      }
      break;
    }
    default: {
      if (const MethodTable* ext = extension_table_for(obj)) {
        auto it = ext->find(name);
        if (it != ext->end()) return call(it->second, argv, argc, site, &obj, names);
      }
      auto it = scalar_methods_.find(name);
      if (it != scalar_methods_.end()) {
        CallArgs a{argv, argc, obj, site, name};
        return it->second(*this, obj, a);
      }
    }
  }
  auto it = universal_methods_.find(name);
  if (it != universal_methods_.end()) {
    CallArgs a{argv, argc, obj, site, name};
    return it->second(*this, obj, a);
  }
  error(site, std::string("no method '") + sym_name(name) + "' on " + type_name(obj) +
                  method_hint(*this, obj, name));
}

Value Interp::get_field(const Value& obj, Sym name, const Node* site, FieldExpr* cache) {
  if (obj.is(OK::Instance)) {
    Instance* in = obj.as<Instance>();
    StructType* st = in->stype();
    if (cache && cache->cache_type == st && cache->cache_index < in->fields().size())
      return in->fields()[cache->cache_index];
    auto it = st->field_index.find(name);
    if (it != st->field_index.end()) {
      if (cache && cache->cache_type != st) {
        st->rc++;  // pinned (see the method cache in eval.cc)
        cache->cache_type = st;
        cache->cache_index = it->second;
      }
      return it->second < in->fields().size() ? in->fields()[it->second] : Value();
    }
    if (Value* x = in->extra_field(name)) return *x;
    auto m = st->methods.find(name);
    if (m != st->methods.end()) return bound_method(obj, m->second);
    error(site, "'" + sym_name(st->name) + "' has no field '" + sym_name(name) + "'" +
                    method_hint(*this, obj, name));
  }
  if (obj.is(OK::Module)) {
    Module* m = obj.as<Module>();
    auto it = m->names.find(name);
    if (it == m->names.end()) {
      std::vector<std::string> c;
      for (auto& [k, v] : m->names) c.push_back(sym_name(k));
      std::string h = closest_name(sym_name(name), c);
      error(site, "module '" + m->name + "' has no item '" + sym_name(name) + "'" +
                      (h.empty() ? "" : " (did you mean '" + h + "'?)"));
    }
    if (it->second->is_undef())
      error(site, "'" + sym_name(name) + "' in module '" + m->name +
                      "' is not initialized yet (circular import?)");
    return *it->second;
  }
  const std::string& fname = sym_name(name);
  bool numeric = !fname.empty() && std::isdigit((unsigned char)fname[0]);
  if (obj.is(OK::Tuple) && numeric) {
    auto& items = obj.as<Tuple>()->items;
    size_t i = std::stoul(fname);
    if (i >= items.size())
      error(site, "tuple index " + fname + " is out of range (length " +
                      std::to_string(items.size()) + ")");
    return items[i];
  }
  if (obj.is(OK::EnumVal)) {
    EnumVal* e = obj.as<EnumVal>();
    const Variant& var = e->etype()->variants[e->variant];
    for (size_t i = 0; i < var.field_names.size(); i++) {
      if (var.field_names[i] != name) continue;
      if (var.arity == 1) return e->payload;
      return e->payload.as<Tuple>()->items[i];
    }
    if (numeric) {
      size_t i = std::stoul(fname);
      if (var.arity == 1 && i == 0) return e->payload;
      if (e->payload.is(OK::Tuple) && i < e->payload.as<Tuple>()->items.size())
        return e->payload.as<Tuple>()->items[i];
    }
    auto m = e->etype()->methods.find(name);
    if (m != e->etype()->methods.end()) return bound_method(obj, m->second);
  }
  if (obj.is(OK::StructType)) {
    StructType* st = obj.as<StructType>();
    auto it = st->methods.find(name);
    if (it != st->methods.end()) return it->second;
    error(site, "struct '" + sym_name(st->name) + "' has no associated function '" + fname + "'");
  }
  if (obj.is(OK::EnumType)) {
    EnumType* et = obj.as<EnumType>();
    auto vi = et->by_name.find(name);
    if (vi != et->by_name.end()) {
      if (et->variants[vi->second].arity == 0) return et->unit_values[vi->second];
      return bound_method(obj, make_str(fname));  // constructor
    }
    auto it = et->methods.find(name);
    if (it != et->methods.end()) return it->second;
    std::vector<std::string> c;
    for (auto& v : et->variants) c.push_back(sym_name(v.name));
    std::string h = closest_name(fname, c);
    error(site, "enum '" + sym_name(et->name) + "' has no variant '" + fname + "'" +
                    (h.empty() ? "" : " (did you mean '" + h + "'?)"));
  }
  if (obj.is(OK::Future) && fname == "value") {
    // not a field: fall through to error below
  }
  // Builtin types: `x.len` calls the zero-argument method.
  Value self = obj;
  return call_method(self, name, nullptr, 0, site);
}

void Interp::set_field(const Value& obj, Sym name, Value v, const Node* site) {
  if (obj.is(OK::Instance)) {
    Instance* in = obj.as<Instance>();
    StructType* st = in->stype();
    auto it = st->field_index.find(name);
    if (it == st->field_index.end()) {
      in->set_extra(name, std::move(v));  // a field of this instance only
      return;
    }
    in->fields()[it->second] = std::move(v);
    return;
  }
  if (obj.is(OK::Module)) {
    Module* m = obj.as<Module>();
    auto it = m->names.find(name);
    if (it == m->names.end())
      error(site, "module '" + m->name + "' has no item '" + sym_name(name) + "'");
    *it->second = std::move(v);
    return;
  }
  error(site, std::string("cannot set field '") + sym_name(name) + "' on " + type_name(obj));
}

// ---------------------------------------------------------------- declarations

Value eval_struct_literal(Interp& in, StructLitExpr* s, Frame& f) {
  Value type = in.eval(s->type, f);
  std::vector<Value> vals;
  std::vector<Arg> names;
  for (auto& [n, e] : s->fields) {
    vals.push_back(in.eval(e, f));
    Arg a;
    a.name = n;
    names.push_back(a);
  }
  return vm_struct_literal(in, type, vals.data(), int(vals.size()), &names, s);
}

static void store_decl(Frame& f, RefKind ref, uint32_t index, Value* slot, Value v) {
  switch (ref) {
    case RefKind::Local:
      f.locals[index] = std::move(v);
      break;
    case RefKind::LocalCell:
      f.locals[index].as<Cell>()->v = std::move(v);
      break;
    case RefKind::Global:
      *slot = std::move(v);
      break;
    default:
      break;
  }
}

static Value make_function(FnDecl* d, Frame& f, const Value& owner) {
  Function* fn = new Function(d);
  Value fv(fn);
  fn->owner = owner;
  for (auto& c : d->captures)
    fn->captures.push_back(c.from_upvalue ? f.fn->captures[c.index] : f.locals[c.index]);
  return fv;
}

Value Interp::eval_type_path(Expr* e, Frame& f) {
  if (e->kind == EK::Name) {
    auto* n = static_cast<NameExpr*>(e);
    Value* v = nullptr;
    switch (n->ref) {
      case RefKind::Local:
        v = &f.locals[n->index];
        break;
      case RefKind::LocalCell:
        v = &f.locals[n->index].as<Cell>()->v;
        break;
      case RefKind::Upvalue:
        v = &f.fn->captures[n->index].as<Cell>()->v;
        break;
      case RefKind::Captured:
        v = &f.fn->captures[n->index];
        break;
      case RefKind::Global:
      case RefKind::Builtin:
        v = n->slot;
        break;
      case RefKind::Unresolved:
        v = lookup_late_name(f.module, n->name);
        if (!v) error(n, "unknown name '" + sym_name(n->name) + "'");
        break;
    }
    if (v->is_undef()) error(n, "'" + sym_name(n->name) + "' is used before it is assigned");
    return *v;
  }
  if (e->kind == EK::Field) {
    auto* fe = static_cast<FieldExpr*>(e);
    return get_field(eval_type_path(fe->object, f), fe->field, fe);
  }
  error(e, "expected a type name");
}

Value extern_function_value(Interp& in, FnDecl* d);  // natives/registry.cc

// `@d` before a declaration: the function becomes d(fn); stacked decorators apply bottom-up,
// and `@d(args)` calls d(args) first to get the decorator.
static Value apply_decorators(Interp& in, FnDecl* d, Value fv, Frame& f) {
  for (size_t i = d->decorators.size(); i-- > 0;) {
    Value deco = in.eval(d->decorators[i], f);
    fv = in.call(deco, &fv, 1, d->decorators[i]);
  }
  return fv;
}

static void add_methods(Interp& in, MethodTable& t, const std::vector<FnDecl*>& methods, Frame& f,
                        const Value& owner) {
  for (FnDecl* m : methods) {
    if (!m->body) continue;
    if (t.count(m->name)) continue;  // first definition wins
    Value fv = make_function(m, f, owner);
    t[m->name] = m->decorators.empty() ? fv : apply_decorators(in, m, fv, f);
  }
}

Flow exec_declaration(Interp& in, Stmt* s, Frame& f) {
  switch (s->kind) {
    case SK::Fn: {
      auto* d = static_cast<FnDecl*>(s);
      if (d->is_extern) {
        store_decl(f, d->ref, d->index, d->slot, extern_function_value(in, d));
        break;
      }
      Value fv = make_function(d, f, Value());
      if (!d->decorators.empty()) fv = apply_decorators(in, d, fv, f);
      store_decl(f, d->ref, d->index, d->slot, fv);
      break;
    }
    case SK::Struct: {
      auto* d = static_cast<StructDecl*>(s);
      StructType* st = new StructType();
      Value tv(st);
      st->name = d->name;
      st->module = d->module;
      for (auto& fd : d->fields) {
        st->field_index[fd.name] = uint32_t(st->fields.size());
        st->fields.push_back(fd.name);
        st->defaults.push_back(fd.def);
        st->default_values.push_back(Value::undef());
      }
      add_methods(in, st->methods, d->methods, f, tv);
      st->refresh_init();
      store_decl(f, d->ref, d->index, d->slot, tv);
      break;
    }
    case SK::Enum: {
      auto* d = static_cast<EnumDecl*>(s);
      EnumType* et = new EnumType();
      Value tv(et);
      et->name = d->name;
      for (auto& vd : d->variants) {
        Variant v;
        v.name = vd.name;
        v.arity = vd.arity;
        v.field_names = vd.field_names;
        et->by_name[vd.name] = uint32_t(et->variants.size());
        et->variants.push_back(v);
      }
      for (size_t i = 0; i < et->variants.size(); i++) {
        if (et->variants[i].arity == 0) {
          EnumVal* ev = new EnumVal();
          ev->type = tv;
          ev->variant = uint32_t(i);
          et->unit_values.push_back(Value(ev));
        } else {
          et->unit_values.push_back(Value());
        }
      }
      add_methods(in, et->methods, d->methods, f, tv);
      store_decl(f, d->ref, d->index, d->slot, tv);
      break;
    }
    case SK::Trait: {
      auto* d = static_cast<TraitDecl*>(s);
      TraitType* t = new TraitType();
      Value tv(t);
      t->name = d->name;
      add_methods(in, t->defaults, d->methods, f, Value());
      store_decl(f, d->ref, d->index, d->slot, tv);
      break;
    }
    case SK::Impl: {
      auto* d = static_cast<ImplDecl*>(s);
      MethodTable* table = nullptr;
      Value owner;
      if (d->type->kind == EK::Name &&
          static_cast<NameExpr*>(d->type)->ref == RefKind::Unresolved) {
        table = &in.extension_methods(sym_name(static_cast<NameExpr*>(d->type)->name));
      } else {
        owner = in.eval_type_path(d->type, f);
        if (owner.is(OK::StructType))
          table = &owner.as<StructType>()->methods;
        else if (owner.is(OK::EnumType))
          table = &owner.as<EnumType>()->methods;
        else
          in.error(d->type, std::string("cannot implement methods for ") + type_name(owner));
      }
      add_methods(in, *table, d->methods, f, owner);
      if (d->trait && d->trait->ref != RefKind::Unresolved) {
        Value tv = in.eval_type_path(d->trait, f);
        if (tv.is(OK::TraitType))
          for (auto& [k, v] : tv.as<TraitType>()->defaults)
            if (!table->count(k)) (*table)[k] = v;
      }
      if (owner.is(OK::StructType)) owner.as<StructType>()->refresh_init();
      break;
    }
    case SK::Use: {
      auto* u = static_cast<UseStmt*>(s);
      if (u->target) in.exec_module(u->target);
      break;
    }
    case SK::Export: {
      auto* e = static_cast<ExportStmt*>(s);
      if (e->target) in.exec_module(e->target);
      break;
    }
    case SK::Nop:
      break;
    default:
      in.error(s, "internal error: unknown statement");
  }
  return Flow::Normal;
}

}  // namespace spl
