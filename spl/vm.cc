// The VM: runs Protos (bytecode.h). One C++ call per Simple call (vm_execute), whose registers
// are allocated on the native stack of the running task's fiber; instructions dispatch with
// computed gotos. Ints and floats take inline fast paths; everything else goes through the
// shared runtime (ops.cc, call.cc: calls, method lookup, fields, construction). Errors are
// RuntimeError exceptions as elsewhere in the interpreter: they unwind VM frames (registers are
// released by a guard) and run the exit handlers of active `with`s on the way.
#include "vm.h"

#include <alloca.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "bytecode.h"
#include "format_spec.h"
#include "iter.h"
#include "ops.h"

namespace spl {

const char* opcode_name(Opc op) {
  static const char* const kNames[] = {
#define SPL_OP_NAME(name) #name,
      SPL_OPCODES(SPL_OP_NAME)
#undef SPL_OP_NAME
  };
  return unsigned(op) < unsigned(Opc::Count) ? kNames[unsigned(op)] : "?";
}

Flow exec_declaration(Interp& in, Stmt* s, Frame& f);  // call.cc

namespace {

std::string late_message(const Module* m, const NameExpr* n) {
  if (m) {
    auto it = m->late_names.find(n);
    if (it != m->late_names.end()) return it->second;
  }
  return "unknown name '" + sym_name(n->name) + "'";
}

[[noreturn]] void used_before_assigned(Interp& in, Sym name) {
  in.error(nullptr, "'" + (name ? sym_name(name) : std::string("a variable")) +
                        "' is used before it is assigned");
}

void store_binding(Interp& in, RefKind ref, uint32_t index, Value* slot, const Value& v,
                   Value* regs, Function* fn) {
  switch (ref) {
    case RefKind::Local:
      regs[index] = v;
      return;
    case RefKind::LocalCell:
      regs[index].as<Cell>()->v = v;
      return;
    case RefKind::Upvalue:
      fn->captures[index].as<Cell>()->v = v;
      return;
    case RefKind::Global:
      *slot = v;
      return;
    case RefKind::Captured:  // (the resolver captures by value only what nothing assigns)
      in.error(nullptr, "internal error: assignment to a value captured by a closure");
    default:
      in.error(nullptr, "cannot assign to a builtin name");
  }
}

const Value& pattern_const(const Proto* p, const Expr* e) {
  for (auto& [x, v] : p->pattern_consts)
    if (x == e) return v;
  static const Value nil;
  return nil;
}

// Pattern matching against compiled patterns (literals folded into the Proto); binds names.
bool vm_match(Interp& in, const Proto* p, Pattern* pat, const Value& v, Value* regs, Function* fn) {
  switch (pat->kind) {
    case PK::Wildcard:
      return true;
    case PK::Bind:
      store_binding(in, pat->ref, pat->index, pat->slot, v, regs, fn);
      return true;
    case PK::Literal:
      return values_equal(pattern_const(p, pat->literal), v);
    case PK::Range: {
      const Value& lo = pattern_const(p, pat->literal);
      const Value& hi = pattern_const(p, pat->literal_end);
      if (!v.is_num()) return false;
      if (less_than(in, v, lo, nullptr)) return false;
      return pat->inclusive ? !less_than(in, hi, v, nullptr) : less_than(in, v, hi, nullptr);
    }
    case PK::Or:
      for (auto* q : pat->subs)
        if (vm_match(in, p, q, v, regs, fn)) return true;
      return false;
    case PK::Tuple:
    case PK::Array: {
      const std::vector<Value>* items = nullptr;
      if (v.is(OK::Tuple))
        items = &v.as<Tuple>()->items;
      else if (v.is(OK::Array))
        items = &v.as<Array>()->items;
      if (!items || items->size() != pat->subs.size()) return false;
      for (size_t i = 0; i < pat->subs.size(); i++)
        if (!vm_match(in, p, pat->subs[i], (*items)[i], regs, fn)) return false;
      return true;
    }
    case PK::Variant: {
      if (v.is(OK::EnumVal)) {
        EnumVal* e = v.as<EnumVal>();
        if (e->name() != pat->name) return false;
        if (pat->qualifier && sym_name(e->etype()->name) != sym_name(pat->qualifier)) {
          // the qualifier may be a module alias (mod.Variant): accept when it names no enum
          if (in.builtin_slot(pat->qualifier) == nullptr) {
            const std::string& q = sym_name(pat->qualifier);
            if (!q.empty() && std::isupper((unsigned char)q[0])) return false;
          }
        }
        if (!pat->has_args || pat->subs.empty()) return true;
        const Variant& var = e->etype()->variants[e->variant];
        if (pat->subs.size() == 1 && !pat->sub_names[0])
          return vm_match(in, p, pat->subs[0], e->payload, regs, fn);
        Value single[1];
        const Value* items;
        size_t count;
        if (var.arity == 1) {
          single[0] = e->payload;
          items = single;
          count = 1;
        } else if (e->payload.is(OK::Tuple)) {
          items = e->payload.as<Tuple>()->items.data();
          count = e->payload.as<Tuple>()->items.size();
        } else {
          return false;
        }
        for (size_t i = 0; i < pat->subs.size(); i++) {
          size_t idx = i;
          if (pat->sub_names[i]) {
            auto it = std::find(var.field_names.begin(), var.field_names.end(), pat->sub_names[i]);
            if (it == var.field_names.end()) return false;
            idx = size_t(it - var.field_names.begin());
          }
          if (idx >= count || !vm_match(in, p, pat->subs[i], items[idx], regs, fn)) return false;
        }
        return true;
      }
      if (v.is(OK::Instance)) {  // struct pattern Point(x: 0, y: _)
        Instance* obj = v.as<Instance>();
        StructType* st = obj->stype();
        if (st->name != pat->name) return false;
        for (size_t i = 0; i < pat->subs.size(); i++) {
          size_t idx = i;
          if (pat->sub_names[i]) {
            auto it = st->field_index.find(pat->sub_names[i]);
            if (it == st->field_index.end()) return false;
            idx = it->second;
          }
          if (idx >= obj->fields().size() ||
              !vm_match(in, p, pat->subs[i], obj->fields()[idx], regs, fn))
            return false;
        }
        return true;
      }
      if (v.is_nil() && sym_name(pat->name) == "None") return true;  // `case None:` against nil
      return false;
    }
  }
  return false;
}

Value new_closure(FnDecl* d, Value* regs, Function* cur) {
  Function* fn = new Function(d);
  Value fv(fn);
  fn->flat = d->flat;  // (once the lambda is compiled: flat calls from the first one)
  fn->captures.reserve(d->captures.size());
  for (auto& c : d->captures)
    fn->captures.push_back(c.from_upvalue ? cur->captures[c.index] : regs[c.index]);
  return fv;
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, size_t(r.ptr - buf));
}

// The text of an interpolation, built in a buffer reused across calls (one allocation: the
// resulting Str). A user to_string() may interpolate while the buffer is in use: nested
// calls get their own.
Value interpolate(Interp& in, const InterpExpr* ie, const Value* vals) {
  static std::string shared;
  static bool busy = false;
  std::string own;
  bool mine = !busy;
  std::string& out = mine ? shared : own;
  struct Busy {
    bool on;
    explicit Busy(bool b) : on(b) {
      if (on) busy = true;
    }
    ~Busy() {
      if (on) busy = false;
    }
  } guard(mine);
  out.clear();
  size_t i = 0;
  for (auto& part : ie->parts) {
    if (!part.expr) {
      out += part.text;
      continue;
    }
    const Value& v = vals[i++];
    if (!part.has_spec) {
      if (v.is(OK::Str))
        out += v.as<Str>()->view();
      else if (v.is_int())
        append_int(out, v.as_int());
      else
        out += in.to_display(v);  // (may run Simple code, itself interpolating)
      continue;
    }
    std::string piece, why;
    if (!format_with_spec(v, v.is_num() && part.spec.type != 's' ? std::string() : in.to_display(v),
                          part.spec, &piece, &why))
      in.error(part.expr, why);
    out += piece;
  }
  return make_str(out);
}

// Arguments of a CALLX / CALLMX: spread arrays and tuples expanded in place.
std::vector<Value> spread_args(Interp& in, const CallShape& shape, Value* argv, int argc) {
  std::vector<Value> out;
  for (int i = 0; i < argc; i++) {
    if (!shape.args[size_t(i)].spread) {
      out.push_back(argv[i]);
      continue;
    }
    const Value& v = argv[i];
    if (v.is(OK::Array))
      out.insert(out.end(), v.as<Array>()->items.begin(), v.as<Array>()->items.end());
    else if (v.is(OK::Tuple))
      out.insert(out.end(), v.as<Tuple>()->items.begin(), v.as<Tuple>()->items.end());
    else
      in.error(
          shape.args[size_t(i)].value,
          std::string("only an array or a tuple can be spread with '...', got ") + type_name(v));
  }
  return out;
}

Value exit_arg(const std::shared_ptr<ErrorInfo>& e) {
  if (!e) return Value();
  if (!e->payload.is_nil()) return e->payload;
  return make_str(e->message);
}

// Calls the exit handler of the with whose registers start at r (R[r] resource, R[r+1] exit).
bool call_exit(Interp& in, Value* r, bool is_async, const std::shared_ptr<ErrorInfo>& err) {
  Value exit_fn = r[1];
  if (exit_fn.is_nil()) return false;
  Function* fn = exit_fn.is(OK::Function) ? exit_fn.as<Function>() : nullptr;
  Value arg = exit_arg(err);
  Value res;
  Value self = r[0];
  if (fn && fn->decl->params.empty())
    res = in.call(exit_fn, nullptr, 0, nullptr, &self);
  else
    res = in.call(exit_fn, &arg, 1, nullptr, &self);
  if (is_async) res = in.sched().await(res, nullptr);
  return truthy(res);
}

// WITHENTER: false when the resource (or what __enter__ gave) is an Err (left in R[r]).
bool with_enter(Interp& in, Value* r, bool is_async) {
  Value res = r[0];
  if (is_async && res.is(OK::Future)) res = in.sched().await(res, nullptr);
  if (in.is_variant(res, 2, 0)) {
    res = Value(res.as<EnumVal>()->payload);
  } else if (in.is_variant(res, 2, 1)) {
    r[0] = res;
    return false;  // Err(e) behaves like `?`
  }
  static const Sym s_enter = intern("__enter__"), s_exit = intern("__exit__"),
                   s_aenter = intern("__aenter__"), s_aexit = intern("__aexit__");
  Value enter_fn, exit_fn;
  bool async_pair = false;
  if (is_async) {
    enter_fn = in.find_method(res, s_aenter);
    exit_fn = in.find_method(res, s_aexit);
    async_pair = !enter_fn.is_nil() || !exit_fn.is_nil();
  }
  if (!async_pair) {
    enter_fn = in.find_method(res, s_enter);
    exit_fn = in.find_method(res, s_exit);
    if (!is_async && enter_fn.is_nil() && exit_fn.is_nil() &&
        (!in.find_method(res, s_aenter).is_nil() || !in.find_method(res, s_aexit).is_nil()))
      in.error(nullptr, std::string("'") + type_name(res) +
                            "' is an async context manager: use 'async with' (it has "
                            "__aenter__/__aexit__, not __enter__/__exit__)");
  }
  Value entered = res;
  if (!enter_fn.is_nil()) {
    entered = in.call(enter_fn, nullptr, 0, nullptr, &res);
    if (is_async) entered = in.sched().await(entered, nullptr);
    // An enter that gives a Result is unwrapped like the resource.
    if (in.is_variant(entered, 2, 0)) {
      entered = Value(entered.as<EnumVal>()->payload);
    } else if (in.is_variant(entered, 2, 1)) {
      r[0] = entered;
      return false;
    }
  }
  r[0] = res;
  r[1] = exit_fn;
  r[2] = entered;
  return true;
}

// Binds arguments the general way (named, missing with defaults, variadic); parameters not
// given stay Undef for the DEFAULT prologue. Errors are reported at the call site (the
// caller's frame is still the current one).
void bind_args(Interp& in, FnDecl* d, const Proto* p, Value* regs, Value* argv, int argc,
               const std::vector<Arg>* names, const Node* site) {
  size_t np = d->params.size();
  uint32_t base = p->first_param;
  for (size_t i = 0; i < np; i++) regs[base + i] = Value::undef();
  bool variadic = p->variadic;
  size_t fixed = variadic ? np - 1 : np;
  if (!names) {
    if (size_t(argc) > fixed && !variadic)
      in.error(site, "'" + sym_name(d->name) + "' takes " + std::to_string(np) + " argument" +
                         (np == 1 ? "" : "s") + " but " + std::to_string(argc) + " were given");
    for (size_t i = 0; i < size_t(argc) && i < fixed; i++) regs[base + i] = std::move(argv[i]);
    if (variadic) {
      std::vector<Value> rest;
      for (size_t i = fixed; i < size_t(argc); i++) rest.push_back(argv[i]);
      regs[base + fixed] = make_array(std::move(rest));
    }
  } else {
    size_t pos = 0;
    for (int i = 0; i < argc; i++) {
      const Arg& a = (*names)[size_t(i)];
      size_t idx;
      if (a.name) {
        auto it = std::find_if(d->params.begin(), d->params.end(),
                               [&](const Param& prm) { return prm.name == a.name; });
        if (it == d->params.end())
          in.error(site,
                   "'" + sym_name(d->name) + "' has no parameter named '" + sym_name(a.name) + "'");
        idx = size_t(it - d->params.begin());
      } else {
        while (pos < np && !regs[base + pos].is_undef()) pos++;
        if (pos >= np) in.error(site, "too many arguments in call to '" + sym_name(d->name) + "'");
        idx = pos;
      }
      if (!regs[base + idx].is_undef())
        in.error(site, "argument '" + sym_name(d->params[idx].name) + "' given twice");
      regs[base + idx] = std::move(argv[i]);
    }
    if (variadic && regs[base + fixed].is_undef()) regs[base + fixed] = make_array();
  }
  for (size_t i = 0; i < np; i++) {
    if (!regs[base + i].is_undef() || d->params[i].def) continue;
    in.error(site, "missing argument '" + sym_name(d->params[i].name) + "' in call to '" +
                       sym_name(d->name) + "'");
  }
}

Value call_struct_literal(Interp& in, const Value& type, Value* argv, int argc,
                          const std::vector<Arg>* names, const Node* site) {
  // `E.V { a: 1 }`: an enum variant with named fields (E.V is its constructor).
  if (type.is(OK::BoundMethod) && type.as<BoundMethod>()->self.is(OK::EnumType) &&
      type.as<BoundMethod>()->fn.is(OK::Str)) {
    BoundMethod* b = type.as<BoundMethod>();
    Value et = b->self;
    return in.call_method(et, intern(b->fn.as<Str>()->str()), argv, argc, site, names);
  }
  if (!type.is(OK::StructType)) {
    if (type.is(OK::EnumType))
      in.error(site, "'" + sym_name(type.as<EnumType>()->name) +
                         "' is an enum: name a variant (Enum.Variant { field: value })");
    in.error(site, std::string("'") + type_name(type) + "' is not a struct type");
  }
  return in.call(type, argv, argc, site, nullptr, names);
}

// CALLX / CALLMX: calls with named or spread arguments (callee or receiver in r[0], arguments
// in r[1..argc]).
// Fills the construction cache of a CALLX site if `st` qualifies (see CallShape).
bool cache_constructor(const CallShape& shape, const Value& type, int argc) {
  StructType* st = type.as<StructType>();
  size_t nfields = st->fields.size();
  if (st->init || shape.has_spread || size_t(argc) > nfields) return false;
  std::vector<uint32_t> slots(static_cast<size_t>(argc));
  std::vector<bool> seen(nfields);
  for (int i = 0; i < argc; i++) {
    uint32_t idx = uint32_t(i);
    if (shape.has_named && shape.args[size_t(i)].name) {
      auto it = st->field_index.find(shape.args[size_t(i)].name);
      if (it == st->field_index.end()) return false;  // an instance's own field
      idx = it->second;
    }
    if (seen[idx]) return false;  // (the general path reports it)
    seen[idx] = true;
    slots[size_t(i)] = idx;
  }
  // A field left out takes its default: only a literal one, kept in default_values once the
  // general path has evaluated it (others are evaluated at each construction).
  for (size_t f = 0; f < nfields; f++)
    if (!seen[f] && st->defaults[f] &&
        (f >= st->default_values.size() || st->default_values[f].is_undef()))
      return false;
  shape.ctor_type = type;
  shape.ctor_fields = std::move(slots);
  return true;
}

// A struct built by a cached construction site (see cache_constructor).
Value construct_cached(const CallShape& shape, const Value& type, Value* argv, int argc) {
  StructType* st = type.as<StructType>();
  size_t nfields = st->fields.size();
  Instance* obj = Instance::make(type, uint32_t(nfields));
  Value ov(obj);
  Value* f = obj->slots();
  for (int i = 0; i < argc; i++) f[shape.ctor_fields[size_t(i)]] = std::move(argv[i]);
  if (size_t(argc) < nfields) {  // fields left out: their defaults
    for (size_t i = 0; i < nfields; i++) {
      if (!f[i].is_undef()) continue;
      if (i < st->default_values.size() && !st->default_values[i].is_undef())
        f[i] = st->default_values[i];
      else
        f[i] = Value();
    }
  }
  return ov;
}

Value call_shaped(Interp& in, const CallShape& shape, Value* r, int argc) {
  Value* argv = r + 1;
  // A struct built from named arguments (`P(x: 1, y: 2)`, `P { x: 1, y: 2 }`): the fields
  // straight from the registers, in the order this site's cache says.
  if (!shape.method && r[0].is(OK::StructType) &&
      ((shape.ctor_type.bits() == r[0].bits() && !r[0].as<StructType>()->init) ||
       cache_constructor(shape, r[0], argc)))
    return construct_cached(shape, r[0], argv, argc);
  std::vector<Value> expanded;
  if (shape.has_spread) {
    expanded = spread_args(in, shape, argv, argc);
    argv = expanded.data();
    argc = int(expanded.size());
  }
  const std::vector<Arg>* names = shape.has_named ? &shape.args : nullptr;
  if (shape.method) return in.call_method(r[0], shape.method, argv, argc, nullptr, names);
  Value callee = r[0];
  if (shape.struct_literal) return call_struct_literal(in, callee, argv, argc, names, nullptr);
  return in.call(callee, argv, argc, nullptr, nullptr, names);
}

// A method of a builtin value (text, array, dict, tuple, range, ...) through the site's inline
// cache (keyed on the value's kind; programs that extend builtin types skip it).
// Which of the loop protos runs array method `name` (0 map, 1 filter, 2 each), or 255.
uint8_t loop_kind(Sym name) {
  static const Sym s_map = intern("map"), s_filter = intern("filter"), s_each = intern("each");
  return name == s_map ? 0 : name == s_filter ? 1 : name == s_each ? 2 : 255;
}

// LOOP's first step: R0 becomes a copy of the receiver's items (the callback may change
// the array; the method goes on over what it had, as the native one does), R2 the index, R3
// the result array (map, filter). An array that only R0 holds (a temporary, as in
// `xs.map(f).filter(g)`) cannot be reached by the callback: it is used as it is.
void loop_start(Value* R, int kind) {
  const std::vector<Value>& items = R[0].as<Array>()->items;
  size_t n = items.size();
  if (R[0].obj()->rc != 1) R[0] = make_array(items);
  R[2] = Value::integer(0);
  if (kind != 2) {
    std::vector<Value> out;
    out.reserve(n);
    R[3] = make_array(std::move(out));
  }
}

Proto* make_loop_proto(uint8_t kind) {
  auto* p = new Proto();
  p->name = kind == 0 ? "map" : kind == 1 ? "filter" : "each";
  p->hidden = true;
  Instr loop, ret;
  loop.op = Opc::LOOP;
  loop.k = kind;
  ret.op = Opc::RETURN;
  // The body starts at the second LOOP; a callback returns to the instruction after the
  // frame's saved pc, which LOOP sets to the first one: so to the second LOOP again.
  p->code = {loop, loop, ret};
  p->body_pc = 1;
  p->offs = {0, 0, 0};
  p->caches.resize(p->code.size());
  p->nregs = p->nlocals = 6;  // items, callback, index, result, callback result, argument
  p->nparams = 2;
  return p;
}

// Fills a CALLM cache for an enum value's method or a struct type's associated function when
// the name is a function of the right sort (for an enum value a method taking self; not
// async); otherwise leaves it.
void cache_type_method(InlineCache& ic, Obj* o, bool is_type, const void* key, Sym name) {
  Obj* type = is_type ? o : static_cast<EnumVal*>(o)->etype();
  MethodTable& methods =
      is_type ? static_cast<StructType*>(o)->methods : static_cast<EnumType*>(type)->methods;
  auto it = methods.find(name);
  if (it == methods.end() || !it->second.is(OK::Function)) return;
  FnDecl* d = it->second.as<Function>()->decl;
  // An enum value's method takes it as self; a type's functions are called without one.
  if (d->is_async || (!is_type && !d->is_method)) return;
  // Pinned as the instance entries are (freed at shutdown): a type freed and reallocated at
  // the same address can never match a stale entry.
  type->rc++;
  it->second.obj()->rc++;
  ic.type = key;
  ic.fn = it->second.obj();
}

// The builtin method a CALLM cache holds for self's kind (set by call_builtin_method).
SPL_INLINE Value call_cached_native(Interp& in, InlineCache& ic, Value& self, Value* argv, int argc,
                                    Sym name) {
  CallArgs ca{argv, argc, self, nullptr, name};
  return reinterpret_cast<MethodFn>(ic.native)(in, self, ca);
}

Value call_builtin_method(Interp& in, InlineCache& ic, Value& self, Value* argv, int argc,
                          Sym name) {
  Obj* o = self.obj();
  OK k = o->kind;
  // Only kinds whose methods are the builtin table alone (enums, types and modules look up
  // their own methods first).
  bool plain = k == OK::Str || k == OK::Array || k == OK::Dict || k == OK::Tuple || k == OK::Range;
  if (plain && !in.has_extensions()) {
    if (ic.native_kind != uint8_t(k)) {
      MethodMap& mm = in.methods_for(k);
      auto it = mm.find(name);
      if (it == mm.end()) return in.call_method(self, name, argv, argc, nullptr);
      ic.native_kind = uint8_t(k);
      ic.native = reinterpret_cast<void*>(it->second);
      ic.loop = k == OK::Array ? loop_kind(name) : 255;
    }
    return call_cached_native(in, ic, self, argv, argc, name);
  }
  return in.call_method(self, name, argv, argc, nullptr);
}

Value await_value(Interp& in, const Value& v) {
  Value fut = v;  // kept alive while the task is suspended
  return in.sched().await(fut, nullptr);
}

Value new_dict(const Value* kv, uint32_t pairs) {
  Dict* dict = new Dict();
  Value dv(dict);
  for (uint32_t i = 0; i < pairs; i++) dict->set(kv[2 * i], kv[2 * i + 1]);
  return dv;
}

void unpack(Interp& in, const Value& src, Value* out, uint32_t n) {
  Value v = src;  // (out may overlap the register src lives in)
  const std::vector<Value>* items = nullptr;
  if (v.is(OK::Tuple))
    items = &v.as<Tuple>()->items;
  else if (v.is(OK::Array))
    items = &v.as<Array>()->items;
  if (!items || items->size() != n)
    in.error(nullptr, "cannot unpack " + std::string(type_name(v)) + " into " + std::to_string(n) +
                          " names");
  for (uint32_t i = 0; i < n; i++) out[i] = (*items)[i];
}

}  // namespace

Value vm_struct_literal(Interp& in, const Value& type, Value* argv, int argc,
                        const std::vector<Arg>* names, const Node* site) {
  return call_struct_literal(in, type, argv, argc, names, site);
}

// Arithmetic with int and float fast paths; everything else through binary_op.
#define ARITH(NAME, OP, INTCASE)                                           \
  do_##NAME : {                                                            \
    const Instr& i = *pc;                                                  \
    Value& x = R[i.b];                                                     \
    Value& y = R[i.c];                                                     \
    if (x.is_small_int() && y.is_small_int()) {                            \
      int64_t u = x.small_int(), w = y.small_int(), z;                     \
      INTCASE                                                              \
    } else if (x.is_num() && y.is_num() && x.is_float() && y.is_float()) { \
      R[i.a] = Value::floating(x.as_float() OP y.as_float());              \
      NEXT();                                                              \
    }                                                                      \
    SAVE();                                                                \
    R[i.a] = binary_op(in, Op::NAME, x, y, nullptr);                       \
    fr->dirty = true;                                                      \
    NEXT();                                                                \
  }

// The one function that runs compiled code: every Simple call is one C++ call of this (the
// CALL instructions call it directly). For a function `fn` (p null: its Proto, compiled on
// first use) it binds the arguments; for a module-level Proto (fn null) there are none.
static Value vm_enter(Interp& in, Proto* p, Function* fn, Module* module, Value* argv, int argc,
                      const Value* self, const std::vector<Arg>* names, const Node* site);

const Proto* vm_loop_proto(int kind) {
  static Proto* const protos[3] = {make_loop_proto(0), make_loop_proto(1), make_loop_proto(2)};
  return protos[kind];
}

Value vm_execute(Interp& in, Function* fn, Value* argv, int argc, const Value* self,
                 const std::vector<Arg>* names, const Node* site) {
  return vm_enter(in, nullptr, fn, nullptr, argv, argc, self, names, site);
}

Value vm_run_module(Interp& in, Module* m, Proto* p) {
  return vm_enter(in, p, nullptr, m, nullptr, 0, nullptr, nullptr, nullptr);
}

Value vm_eval_expression(Interp& in, Module* m, Expr* e) {
  Proto* p = in.expression_proto(m, e);
  return vm_run_module(in, m, p);
}

__attribute__((always_inline)) inline Frame* VmStack::push_frame() {
  Frame* f = last_ ? last_->deeper : first_;
  if (__builtin_expect(!f, 0)) {
    owned_.push_back(std::make_unique<Frame>());
    f = owned_.back().get();
    f->shallower = last_;
    if (last_)
      last_->deeper = f;
    else
      first_ = f;
  }
  last_ = f;
  return f;
}

__attribute__((always_inline)) inline void VmStack::pop_frame() { last_ = last_->shallower; }

VmStack::~VmStack() { release_all(); }

namespace {

inline void release_window(Value* r, uint32_t n);

// Whether any of the n values holds a reference (a flat call's arguments).
inline bool any_reference(const Value* v, uint32_t n) {
  bool any = false;
  for (uint32_t i = 0; i < n; i++) any |= v[i].refcounted();
  return any;
}

// A frame that held its function (CALLG) lets go of it when it is popped.
inline void unpin(Frame* f) {
  if (f->pinned) {
    f->pinned = false;
    Function* fn = f->fn;
    if (--fn->rc == 0) obj_free(fn);
  }
}

// Whether `name` is the array method push (or its alias append).
bool is_push(Sym name) {
  static const Sym s_push = intern("push"), s_append = intern("append");
  return name == s_push || name == s_append;
}

// A function value's first call through CALL/CALLG: compiles its body if needed and notes
// whether it can run flat (true: the call instruction runs again and takes the flat path).
bool first_call(Interp& in, Function* f) {
  FnDecl* d = f->decl;
  if (f->flat || !d->body) return false;  // (flat already: the arity did not match)
  if (!d->proto) {
    compile_function(in, d);
    d->called = true;
  }
  f->flat = d->flat;
  return f->flat != nullptr;
}

// The entry frame of a dispatch loop is left by an exception.
void unwind_entry(Interp& in, VmStack& vs, Frame* fr, Value* entry_top) {
  release_window(fr->locals, fr->proto->nregs);
  vs.pop_frame();
  in.frame_ = fr->parent;
  vs.set_top(entry_top);
}

// Releases the values a frame's registers hold (numbers may stay behind: a frame clears its
// own locals when it starts, and writes every temporary before reading it).
inline void release_window(Value* r, uint32_t n) {
  if (!any_reference(r, n)) return;  // (branch-free: windows of numbers are the common case)
  for (uint32_t i = 0; i < n; i++) r[i].drop();
}

// A returning frame's result into the caller's register (the windows may overlap: a method's
// self register is the caller's result register).
// A clean frame (Frame::dirty false) passes n = 0: its registers hold no references. A result
// that is one makes the caller's frame dirty.
inline void return_value(Value* callee, uint32_t n, uint16_t from, Value* to, Frame* caller) {
  Value result = std::move(callee[from]);
  release_window(callee, n);
  if (result.refcounted()) caller->dirty = true;
  *to = std::move(result);
}

}  // namespace

static Value vm_enter(Interp& in, Proto* p, Function* fn, Module* module, Value* argv, int argc,
                      const Value* self, const std::vector<Arg>* names, const Node* site) {
  uint32_t start = 0;
  FnDecl* d = nullptr;
  if (fn) {
    d = fn->decl;
    d->called = true;
    if (__builtin_expect(!d->body, 0))
      in.error(site, "trait method '" + sym_name(d->name) + "' has no body");
    p = d->proto ? d->proto : compile_function(in, d);
    module = d->module;
    start = p->body_pc;
  }
  in.check_stack(site);  // this entry nests on the native stack (a call from C++)
  VmStack& vs = *in.vm_stack_;
  Value* const entry_top = vs.top();
  Value* R = entry_top;
  if (!vs.room_for(R, p->nregs)) in.stack_overflow(site);
  for (uint32_t i = 0; i < p->nlocals; i++) R[i].clear();  // (temporaries are written first)
  if (fn) {
    // Bind before the frame is current: argument errors belong to the caller.
    struct Release {  // bind_args may throw: leave the window nil again
      Value* r;
      uint32_t n;
      bool armed = true;
      ~Release() {
        if (armed) release_window(r, n);
      }
    } release{R, p->nregs};
    if (d->is_method && self) R[0] = *self;
    if (!names && uint32_t(argc) == p->nparams && !p->variadic) {
      uint32_t base = p->first_param;
      for (int i = 0; i < argc; i++) R[base + i] = std::move(argv[i]);
    } else {
      bind_args(in, d, p, R, argv, argc, names, site);
      start = 0;
    }
    release.armed = false;
  }
  Frame* fr = vs.push_frame();
  fr->locals = R;
  fr->fn = fn;
  fr->module = module;  // (VM frames read their proto's: Frame::module_of)
  fr->parent = in.frame_;
  fr->off = d ? d->off : 0;
  fr->proto = p;
  fr->pc = nullptr;
  fr->entry = true;
  fr->pinned = false;
  fr->dirty = true;
  fr->ret_reg = 0;
  in.frame_ = fr;
  vs.set_top(R + p->nregs);
  static void* const labels[] = {
#define SPL_OP_LABEL(name) &&do_##name,
      SPL_OPCODES(SPL_OP_LABEL)
#undef SPL_OP_LABEL
  };
  // (the proto's code, constants and the frame's function are read through p and fr: fewer
  // live variables keep R, pc and fr in machine registers)
  const Instr* pc = p->code.data() + start;
#define DISPATCH() goto* labels[unsigned(pc->op)]
#define NEXT()  \
  do {          \
    ++pc;       \
    DISPATCH(); \
  } while (0)
#define SAVE() (fr->pc = pc)
// An int result into a register: past 48 bits it is boxed, a reference, and the frame is dirty.
#define PUT_INT(dst, z)                                                            \
  do {                                                                             \
    int64_t z_ = (z);                                                              \
    if (__builtin_expect(z_ < -(int64_t(1) << 47) || z_ >= (int64_t(1) << 47), 0)) \
      fr->dirty = true;                                                            \
    (dst) = Value::integer(z_);                                                    \
  } while (0)
// Moves pc by `off` past the instruction at pc + `len` - 1; a jump backwards (a loop's back
// edge: loops test at their bottom) checks for Ctrl-C.
#define JUMP_BY(len, off)                           \
  do {                                              \
    int32_t o_ = (off);                             \
    pc += (len) + o_;                               \
    if (o_ < 0 && Scheduler::interrupt_pending()) { \
      SAVE();                                       \
      Scheduler::check_interrupt();                 \
    }                                               \
  } while (0)
// The test at pc decided `take`: take the JMP after it, or skip it.
#define BRANCH(take)         \
  do {                       \
    if (take)                \
      JUMP_BY(2, pc[1].sbx); \
    else                     \
      pc += 2;               \
    DISPATCH();              \
  } while (0)
// Switch the loop's state to frame f (after a call or a return).
#define ENTER_FRAME(f)                 \
  do {                                 \
    fr = (f);                          \
    in.frame_ = fr;                    \
    p = const_cast<Proto*>(fr->proto); \
    R = fr->locals;                    \
  } while (0)
// A flat call of compiled code: the callee's window starts at nR (its arguments are there
// already); registers past the arguments are cleared (they may hold the caller's dead
// temporaries).
#define FLAT_CALL(F, Q, NR, NARGS, RET, PIN)                                  \
  do {                                                                        \
    Function* f_ = (F);                                                       \
    Proto* q_ = (Q);                                                          \
    Value* nr_ = (NR);                                                        \
    uint16_t ret_ = (RET);                                                    \
    uint32_t nargs_ = (NARGS); /* (read before pc moves: NARGS may use it) */ \
    if (!vs.room_for(nr_, q_->nregs)) in.stack_overflow(nullptr);             \
    if (Scheduler::interrupt_pending()) Scheduler::check_interrupt();         \
    for (uint32_t i_ = nargs_; i_ < q_->nlocals; i_++) nr_[i_].clear();       \
    Frame* nf_ = vs.push_frame();                                             \
    nf_->locals = nr_;                                                        \
    nf_->fn = f_;                                                             \
    nf_->parent = fr;                                                         \
    nf_->proto = q_;                                                          \
    pc = q_->code.data() + q_->body_pc;                                       \
    nf_->pc = pc; /* (where errors before the first SAVE point) */            \
    nf_->entry = false;                                                       \
    nf_->ret_reg = ret_;                                                      \
    nf_->pinned = (PIN);                                                      \
    nf_->dirty = !q_->numbers_only || any_reference(nr_, nargs_);             \
    if (PIN) f_->rc++;                                                        \
    ENTER_FRAME(nf_);                                                         \
    vs.set_top(R + p->nregs);                                                 \
    DISPATCH();                                                               \
  } while (0)
  // Rule for the handlers below: a computed goto leaves a scope WITHOUT running destructors,
  // so no handler may hold a local with one (Value, vector, string) when it dispatches: such
  // work goes into the helper functions above, or assigns a temporary directly to a register.
  bool out_of_memory = false;
  for (;;) {
    try {
      if (__builtin_expect(out_of_memory, 0)) {
        // An allocation failed at pc: raised here as an error of that instruction, so that
        // `with` exit handlers run and the report has a place and a stack trace. (If making
        // the report fails too, the bad_alloc itself leaves this loop.)
        SAVE();
        in.out_of_memory();
      }
      DISPATCH();

    do_MOVE : {
      const Value& v = R[pc->b];
      if (v.refcounted()) fr->dirty = true;
      R[pc->a] = v;
      NEXT();
    }
    do_LOADK : {
      R[pc->a] = p->consts[pc->bx];
      NEXT();
    }
    do_LOADI : {
      R[pc->a] = Value::integer(pc->sbx);
      NEXT();
    }
    do_LOADNIL : {
      for (uint32_t i = 0; i <= pc->b; i++) R[pc->a + i] = Value();
      NEXT();
    }
    do_LOADBOOL : {
      R[pc->a] = Value::boolean(pc->b != 0);
      NEXT();
    }
    do_GETGLOBAL : {
      Value* s = p->globals[pc->bx];
      if (s->is_undef()) {
        SAVE();
        used_before_assigned(in, p->global_names[pc->bx]);
      }
      R[pc->a] = *s;
      NEXT();
    }
    do_SETGLOBAL : {
      *p->globals[pc->bx] = R[pc->a];
      NEXT();
    }
    do_GETNAME : {
      SAVE();
      NameExpr* ne = p->late_names[pc->bx];
      Value* s = in.lookup_late_name(p->module, ne->name);
      if (!s) in.error(nullptr, late_message(p->module, ne));
      if (s->is_undef()) used_before_assigned(in, ne->name);
      R[pc->a] = *s;
      // Bound now: from here on this instruction reads the storage directly.
      Instr& self_ins = const_cast<Instr&>(*pc);
      p->globals.push_back(s);
      p->global_names.push_back(ne->name);
      self_ins.bx = uint32_t(p->globals.size() - 1);
      self_ins.op = Opc::GETGLOBAL;
      NEXT();
    }
    do_GETCELL : {
      Value& v = R[pc->b].as<Cell>()->v;
      if (v.is_undef()) {
        SAVE();
        used_before_assigned(in, Sym(p->consts[pc->c].small_int()));
      }
      R[pc->a] = v;
      NEXT();
    }
    do_SETCELL : {
      R[pc->a].as<Cell>()->v = R[pc->b];
      NEXT();
    }
    do_GETUPV : {
      Value& v = fr->fn->captures[pc->b].as<Cell>()->v;
      if (v.is_undef()) {
        SAVE();
        used_before_assigned(in, Sym(p->consts[pc->c].small_int()));
      }
      R[pc->a] = v;
      NEXT();
    }
    do_GETCAP : {
      const Value& v = fr->fn->captures[pc->b];
      if (__builtin_expect(v.is_undef(), 0)) {
        SAVE();
        used_before_assigned(in, Sym(p->consts[pc->c].small_int()));
      }
      if (v.refcounted()) fr->dirty = true;
      R[pc->a] = v;
      NEXT();
    }
    do_SETUPV : {
      fr->fn->captures[pc->b].as<Cell>()->v = R[pc->a];
      NEXT();
    }
    do_MKCELL : {
      Cell* c = new Cell();
      if (pc->k) c->v = std::move(R[pc->a]);
      R[pc->a] = Value(c);
      NEXT();
    }

      ARITH(
          Add, +, if (!__builtin_add_overflow(u, w, &z)) {
            PUT_INT(R[i.a], z);
            NEXT();
          })
      ARITH(
          Sub, -, if (!__builtin_sub_overflow(u, w, &z)) {
            PUT_INT(R[i.a], z);
            NEXT();
          })
      ARITH(
          Mul, *, if (!__builtin_mul_overflow(u, w, &z)) {
            PUT_INT(R[i.a], z);
            NEXT();
          })
    do_ADD:
      // `s += t` on a text nothing else holds appends in place.
      if (pc->a == pc->b && R[pc->b].is(OK::Str) && R[pc->c].is(OK::Str)) {
        str_append(R[pc->a], R[pc->c].as<Str>()->view());
        NEXT();
      }
      goto do_Add;
    do_SUB:
      goto do_Sub;
    do_MUL:
      goto do_Mul;
    do_DIV : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_float() && y.is_float() && y.as_float() != 0) {
        R[pc->a] = Value::floating(x.as_float() / y.as_float());
        NEXT();
      }
      if (x.is_small_int() && y.is_small_int() && y.small_int() > 0) {
        R[pc->a] = Value::integer(x.small_int() / y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = binary_op(in, Op::Div, x, y, nullptr);
      fr->dirty = true;
      NEXT();
    }
    do_MOD : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int() && y.small_int() > 0 && x.small_int() >= 0) {
        R[pc->a] = Value::integer(x.small_int() % y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = binary_op(in, Op::Mod, x, y, nullptr);
      fr->dirty = true;
      NEXT();
    }
    do_POW : {
      SAVE();
      R[pc->a] = binary_op(in, Op::Pow, R[pc->b], R[pc->c], nullptr);
      NEXT();
    }
    do_FLOORDIV : {
      SAVE();
      R[pc->a] = binary_op(in, Op::FloorDiv, R[pc->b], R[pc->c], nullptr);
      NEXT();
    }
    do_BAND : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int()) {
        R[pc->a] = Value::integer(x.small_int() & y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = binary_op(in, Op::BitAnd, x, y, nullptr);
      NEXT();
    }
    do_BOR : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int()) {
        R[pc->a] = Value::integer(x.small_int() | y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = binary_op(in, Op::BitOr, x, y, nullptr);
      NEXT();
    }
    do_BXOR : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int()) {
        R[pc->a] = Value::integer(x.small_int() ^ y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = binary_op(in, Op::BitXor, x, y, nullptr);
      NEXT();
    }
    do_SHL : {
      SAVE();
      R[pc->a] = binary_op(in, Op::Shl, R[pc->b], R[pc->c], nullptr);
      NEXT();
    }
    do_SHR : {
      SAVE();
      R[pc->a] = binary_op(in, Op::Shr, R[pc->b], R[pc->c], nullptr);
      NEXT();
    }
    do_ADDI : {
      Value& x = R[pc->b];
      int64_t imm = int16_t(pc->c);
      int64_t z;
      if (x.is_small_int() && !__builtin_add_overflow(x.small_int(), imm, &z)) {
        PUT_INT(R[pc->a], z);
        NEXT();
      }
      if (x.is_float()) {
        R[pc->a] = Value::floating(x.as_float() + double(imm));
        NEXT();
      }
      SAVE();
      // k: written as `x - n` (for the operator in messages)
      R[pc->a] = pc->k ? binary_op(in, Op::Sub, x, Value::integer(-imm), nullptr)
                       : binary_op(in, Op::Add, x, Value::integer(imm), nullptr);
      fr->dirty = true;
      NEXT();
    }
    do_MULI : {
      Value& x = R[pc->b];
      int64_t imm = int16_t(pc->c);
      int64_t z;
      if (x.is_small_int() && !__builtin_mul_overflow(x.small_int(), imm, &z)) {
        PUT_INT(R[pc->a], z);
        NEXT();
      }
      if (x.is_float()) {
        R[pc->a] = Value::floating(x.as_float() * double(imm));
        NEXT();
      }
      SAVE();
      R[pc->a] = binary_op(in, Op::Mul, x, Value::integer(imm), nullptr);
      fr->dirty = true;
      NEXT();
    }
    do_MODI : {
      Value& x = R[pc->b];
      int64_t imm = int16_t(pc->c);
      if (x.is_small_int() && imm > 0 && x.small_int() >= 0) {
        R[pc->a] = Value::integer(x.small_int() % imm);
        NEXT();
      }
      SAVE();
      R[pc->a] = binary_op(in, Op::Mod, x, Value::integer(imm), nullptr);
      fr->dirty = true;
      NEXT();
    }
#define CMPI(NAME, INTOP, SLOW)                                  \
  do_##NAME : {                                                  \
    Value& x = R[pc->b];                                         \
    int64_t imm = int16_t(pc->c);                                \
    if (x.is_small_int()) {                                      \
      R[pc->a] = Value::boolean(x.small_int() INTOP imm);        \
      NEXT();                                                    \
    }                                                            \
    if (x.is_float()) {                                          \
      R[pc->a] = Value::boolean(x.as_float() INTOP double(imm)); \
      NEXT();                                                    \
    }                                                            \
    SAVE();                                                      \
    R[pc->a] = Value::boolean(SLOW);                             \
    NEXT();                                                      \
  }
      // (the slow paths as EQ, NE, LT and LE compute them, the constant as their operand)
      CMPI(EQI, ==, values_equal(x, Value::integer(imm)))
      CMPI(NEI, !=, !values_equal(x, Value::integer(imm)))
      CMPI(LTI, <, less_than(in, x, Value::integer(imm), nullptr))
      CMPI(LEI, <=, less_equal(in, x, Value::integer(imm), nullptr))
      CMPI(GTI, >, less_than(in, Value::integer(imm), x, nullptr))
      CMPI(GEI, >=, less_equal(in, Value::integer(imm), x, nullptr))
#undef CMPI
    do_EQ : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int()) {
        R[pc->a] = Value::boolean(x.small_int() == y.small_int());
        NEXT();
      }
      SAVE();  // (nested values may be too deep to compare)
      R[pc->a] = Value::boolean(values_equal(x, y));
      NEXT();
    }
    do_NE : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int()) {
        R[pc->a] = Value::boolean(x.small_int() != y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = Value::boolean(!values_equal(x, y));
      NEXT();
    }
    do_LT : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int()) {
        R[pc->a] = Value::boolean(x.small_int() < y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = Value::boolean(less_than(in, x, y, nullptr));
      NEXT();
    }
    do_LE : {
      Value& x = R[pc->b];
      Value& y = R[pc->c];
      if (x.is_small_int() && y.is_small_int()) {
        R[pc->a] = Value::boolean(x.small_int() <= y.small_int());
        NEXT();
      }
      SAVE();
      R[pc->a] = Value::boolean(less_equal(in, x, y, nullptr));
      NEXT();
    }
    do_IN : {
      SAVE();
      R[pc->a] = Value::boolean(contains(in, R[pc->c], R[pc->b], nullptr));
      NEXT();
    }
    do_NOTIN : {
      SAVE();
      R[pc->a] = Value::boolean(!contains(in, R[pc->c], R[pc->b], nullptr));
      NEXT();
    }
    do_IS : {
      SAVE();
      R[pc->a] = binary_op(in, Op::Is, R[pc->b], R[pc->c], nullptr);
      NEXT();
    }
    do_NEG : {
      Value& x = R[pc->b];
      if (x.is_small_int()) {
        R[pc->a] = Value::integer(-x.small_int());
        NEXT();
      }
      if (x.is_float()) {
        R[pc->a] = Value::floating(-x.as_float());
        NEXT();
      }
      SAVE();
      R[pc->a] = unary_op(in, Op::Neg, x, nullptr);
      NEXT();
    }
    do_NOT : {
      R[pc->a] = Value::boolean(!truthy(R[pc->b]));
      NEXT();
    }
    do_BNOT : {
      SAVE();
      R[pc->a] = unary_op(in, Op::BitNot, R[pc->b], nullptr);
      NEXT();
    }
    do_BINOP : {
      SAVE();
      R[pc->a] = binary_op(in, Op(pc->k), R[pc->b], R[pc->c], nullptr);
      NEXT();
    }

    do_JMP : {
      JUMP_BY(1, pc->sbx);
      DISPATCH();
    }
    do_JF : {
      if (!truthy(R[pc->a])) {
        JUMP_BY(1, pc->sbx);
        DISPATCH();
      }
      NEXT();
    }
    do_JT : {
      if (truthy(R[pc->a])) {
        JUMP_BY(1, pc->sbx);
        DISPATCH();
      }
      NEXT();
    }
#define CMP_BRANCH(NAME, INTOP, SLOW)           \
  do_##NAME : {                                 \
    Value& x = R[pc->a];                        \
    Value& y = R[pc->b];                        \
    bool cond;                                  \
    if (x.is_small_int() && y.is_small_int()) { \
      cond = x.small_int() INTOP y.small_int(); \
    } else if (x.is_float() && y.is_float()) {  \
      cond = x.as_float() INTOP y.as_float();   \
    } else {                                    \
      SAVE();                                   \
      cond = SLOW;                              \
    }                                           \
    BRANCH(cond == bool(pc->k));                \
  }
      CMP_BRANCH(BEQ, ==, values_equal(x, y))
      CMP_BRANCH(BNE, !=, !values_equal(x, y))
      CMP_BRANCH(BLT, <, less_than(in, x, y, nullptr))
      CMP_BRANCH(BLE, <=, less_equal(in, x, y, nullptr))
#undef CMP_BRANCH
#define CMPI_BRANCH(NAME, INTOP, SLOWOP)                                         \
  do_##NAME : {                                                                  \
    Value& x = R[pc->a];                                                         \
    int64_t imm = int16_t(pc->b);                                                \
    bool cond;                                                                   \
    if (x.is_small_int()) {                                                      \
      cond = x.small_int() INTOP imm;                                            \
    } else if (x.is_float()) {                                                   \
      cond = x.as_float() INTOP double(imm);                                     \
    } else {                                                                     \
      SAVE();                                                                    \
      cond = truthy(binary_op(in, Op::SLOWOP, x, Value::integer(imm), nullptr)); \
    }                                                                            \
    BRANCH(cond == bool(pc->k));                                                 \
  }
      CMPI_BRANCH(BEQI, ==, Eq)
      CMPI_BRANCH(BNEI, !=, Ne)
      CMPI_BRANCH(BLTI, <, Lt)
      CMPI_BRANCH(BLEI, <=, Le)
      CMPI_BRANCH(BGTI, >, Gt)
      CMPI_BRANCH(BGEI, >=, Ge)
#undef CMPI_BRANCH

    do_CALL : {
      Value& callee = R[pc->a];
      SAVE();
      if (callee.is(OK::Function)) {
        Function* f = callee.as<Function>();
        if (Proto* q = f->flat; q && pc->b == q->nparams)
          FLAT_CALL(f, q, R + pc->a + 1, pc->b, pc->a, false);
        if (first_call(in, f)) DISPATCH();  // compiled now: flat from here on
      }
      fr->dirty = true;  // (what the callee did with its arguments is not known)
      R[pc->a] = in.call(callee, &R[pc->a + 1], pc->b, nullptr);
      NEXT();
    }
    do_CALLG : {
      Value& callee = *p->globals[pc->c];
      SAVE();
      if (callee.is(OK::Function)) {
        Function* f = callee.as<Function>();
        if (Proto* q = f->flat; q && pc->b == q->nparams)
          FLAT_CALL(f, q, R + pc->a + 1, pc->b, pc->a, true);  // the frame holds f
        if (first_call(in, f)) DISPATCH();
      }
      if (callee.is_undef()) used_before_assigned(in, p->global_names[pc->c]);
      fr->dirty = true;
      R[pc->a] = callee;  // (held in a register during the call)
      R[pc->a] = in.call(R[pc->a], &R[pc->a + 1], pc->b, nullptr);
      NEXT();
    }
    do_CALLCAP : {
      // (no pin: the running closure holds the callee, and nothing assigns a captured value)
      const Value& callee = fr->fn->captures[pc->b];
      SAVE();
      if (callee.is(OK::Function)) {
        Function* f = callee.as<Function>();
        if (Proto* q = f->flat; q && pc->k == q->nparams)
          FLAT_CALL(f, q, R + pc->a + 1, pc->k, pc->a, false);
        if (first_call(in, f)) DISPATCH();
      }
      if (callee.is_undef()) used_before_assigned(in, Sym(p->consts[pc->c].small_int()));
      fr->dirty = true;
      R[pc->a] = callee;  // (held in a register during the call)
      R[pc->a] = in.call(R[pc->a], &R[pc->a + 1], pc->k, nullptr);
      NEXT();
    }
    do_CALLX : {
      SAVE();
      R[pc->a] = call_shaped(in, p->calls[pc->c], &R[pc->a], pc->b);
      NEXT();
    }
    do_CALLM : {
      SAVE();
      Value& obj = R[pc->a];
      int argc = pc->b;
      InlineCache& ic = p->caches[size_t(pc - p->code.data())];
      Sym name = Sym(p->consts[pc->c].small_int());
      if (pc->k && obj.is(OK::Str) && argc == 1 && R[pc->a + 1].is(OK::Str) &&
          !in.has_extensions()) {
        std::string_view piece;
        if (text_split_piece(obj.as<Str>()->view(), R[pc->a + 1].as<Str>()->view(),
                             int16_t(pc[1].c), &piece)) {
          R[pc[1].a] = make_str(piece);  // (made before the register's old value goes)
          pc += 2;
          DISPATCH();
        }
      }
      if (obj.is_obj()) {
        Obj* o = obj.obj();
        if (o->kind == OK::Instance) {
          StructType* st = static_cast<Instance*>(o)->stype();
          if (ic.type == st) {
            Function* f = static_cast<Function*>(ic.fn);
            Proto* q = f->decl->proto;
            if (q && uint32_t(argc) == q->nparams && !q->variadic)
              FLAT_CALL(f, q, R + pc->a, uint32_t(argc) + 1, pc->a, false);  // self is R[a]
            R[pc->a] =
                vm_enter(in, nullptr, f, nullptr, &R[pc->a + 1], argc, &obj, nullptr, nullptr);
            NEXT();
          }
          auto it = st->methods.find(name);
          if (it != st->methods.end() && it->second.is(OK::Function) &&
              it->second.as<Function>()->decl->is_method &&
              !it->second.as<Function>()->decl->is_async) {
            // The cache pins what it points to (freed at shutdown): a type freed and
            // reallocated at the same address can never match a stale entry.
            st->rc++;
            it->second.obj()->rc++;
            ic.type = st;
            ic.fn = it->second.obj();
            R[pc->a] = vm_enter(in, nullptr, static_cast<Function*>(ic.fn), nullptr, &R[pc->a + 1],
                                argc, &obj, nullptr, nullptr);
            NEXT();  // (compiled now: the next call through this cache is flat)
          }
        } else if (o->kind == OK::Module) {
          // `mod.f(..)`: the item's storage is found once per site (the module is pinned and
          // its storage never moves); a function there is called as CALLG calls one.
          if (ic.type != o) {
            Module* m = static_cast<Module*>(o);
            auto it = m->names.find(name);
            if (it != m->names.end()) {
              o->rc++;
              ic.type = o;
              ic.slot = it->second;
            }
          }
          if (ic.type == o && ic.slot->is(OK::Function)) {
            Function* f = ic.slot->as<Function>();
            if (Proto* q = f->flat; q && uint32_t(argc) == q->nparams)
              FLAT_CALL(f, q, R + pc->a + 1, uint32_t(argc), pc->a, true);  // the frame holds f
            if (first_call(in, f)) DISPATCH();
          }
        } else if (o->kind == OK::EnumVal || o->kind == OK::StructType) {
          // A method of an enum value (self is R[a]) or an associated function of a struct
          // type (`T::new(..)`: its self slot R[a] is nil, as when called uncached), cached
          // here like an instance's methods. A type's entry is keyed on its address + 1, so one
          // site seeing both an instance and its type never takes one for the other.
          const bool is_type = o->kind == OK::StructType;
          const void* key = is_type ? static_cast<const void*>(reinterpret_cast<char*>(o) + 1)
                                    : static_cast<const void*>(static_cast<EnumVal*>(o)->etype());
          if (ic.type != key) cache_type_method(ic, o, is_type, key, name);
          if (ic.type == key) {
            Function* f = static_cast<Function*>(ic.fn);
            FnDecl* d = f->decl;
            Proto* q = d->proto;
            if (q && uint32_t(argc) == q->nparams && !q->variadic) {
              // (a function set on a type from outside, as a decorator's wrapper: no self slot)
              if (!d->is_method) FLAT_CALL(f, q, R + pc->a + 1, uint32_t(argc), pc->a, false);
              // A type's own functions have a self slot, nil as when called uncached.
              if (is_type) R[pc->a] = Value();
              FLAT_CALL(f, q, R + pc->a, uint32_t(argc) + 1, pc->a, false);  // self is R[a]
            }
            R[pc->a] = vm_enter(in, nullptr, f, nullptr, &R[pc->a + 1], argc,
                                is_type ? nullptr : &obj, nullptr, nullptr);
            NEXT();
          }
        } else {
          // map / filter / each of an array: the loop runs here, the callbacks as flat calls
          if (ic.loop != 255 && ic.native_kind == uint8_t(o->kind) && argc == 1 &&
              !in.has_extensions())
            FLAT_CALL(nullptr, const_cast<Proto*>(vm_loop_proto(ic.loop)), R + pc->a, 2, pc->a,
                      false);
          // (a kind's builtin method cached here: called without the helper's checks)
          if (ic.native_kind == uint8_t(o->kind) && !in.has_extensions())
            R[pc->a] = call_cached_native(in, ic, obj, &R[pc->a + 1], argc, name);
          else
            R[pc->a] = call_builtin_method(in, ic, obj, &R[pc->a + 1], argc, name);
          NEXT();
        }
      }
      R[pc->a] = in.call_method(obj, name, &R[pc->a + 1], argc, nullptr);
      NEXT();
    }
    do_MOVERECV : {
      Value& obj = R[pc->b];
      if (obj.is_obj()) {
        const Instr* call = pc + 1;
        InlineCache& ic = p->caches[size_t(call - p->code.data())];
        if (ic.native_kind == uint8_t(obj.obj()->kind) && ic.loop == 255 && call->k == 0 &&
            !in.has_extensions()) {
          pc = call;
          SAVE();
          R[pc->a] = call_cached_native(in, ic, obj, &R[pc->a + 1], pc->b,
                                        Sym(p->consts[pc->c].small_int()));
          NEXT();
        }
      }
      R[pc->a] = obj;
      NEXT();
    }
    do_CALLMX : {
      SAVE();
      R[pc->a] = call_shaped(in, p->calls[pc->c], &R[pc->a], pc->b);
      NEXT();
    }
    do_TEXTMUT : {
      SAVE();
      bool text = R[pc->b].is(OK::Str);
      Sym name = Sym(p->consts[pc->c].small_int());
      if (R[pc->b].is(OK::Array) && pc->k == 1 && is_push(name) &&
          !in.has_extensions()) {  // the array method push(x), inline
        array_push(R[pc->b].as<Array>()->items, R[pc->a + 1]);
        R[pc->a] = R[pc->b];
        pc += 2;
        DISPATCH();
      }
      if (R[pc->b].is_obj() && !R[pc->b].is(OK::Instance))
        R[pc->a] = call_builtin_method(in, p->caches[size_t(pc - p->code.data())], R[pc->b],
                                       &R[pc->a + 1], pc->k, name);
      else
        R[pc->a] = in.call_method(R[pc->b], name, &R[pc->a + 1], pc->k, nullptr);
      pc += text ? 1 : 2;  // the write-back runs only for text
      DISPATCH();
    }
    do_RETURN : {
      if (fr->entry) goto leave_entry;
      {
        Frame* caller = fr->parent;
        return_value(R, fr->dirty ? p->nregs : 0, pc->a, &caller->locals[fr->ret_reg], caller);
        unpin(fr);
        vs.pop_frame();
        ENTER_FRAME(caller);
        vs.lower_top(R + p->nregs);
        pc = caller->pc + 1;
      }
      DISPATCH();
    }
    do_RETNIL : {
      R[0] = Value();  // (RETNIL's a is 0: RETURN gives R[0])
      goto do_RETURN;
    }
    do_TRY : {
      Value& v = R[pc->b];
      if (v.is(OK::EnumVal)) {
        EnumVal* ev = v.as<EnumVal>();
        int b = ev->etype()->builtin;
        if (b == 1 || b == 2) {
          if (ev->variant == 0) {
            R[pc->a] = Value(ev->payload);  // (a copy first: R[a] may hold the Ok itself)
            pc += 2;
            DISPATCH();
          }
          R[pc->a] = v;
          pc += 2 + pc[1].sbx;
          DISPATCH();
        }
      }
      SAVE();
      in.error(nullptr, std::string("'?' needs an Option or a Result, got ") + type_name(v));
    }
    do_TRYRET : {
      if (p->is_module) throw TryReturn{R[pc->a]};
      goto do_RETURN;
    }
    do_AWAIT : {
      SAVE();
      if (!R[pc->b].is(OK::Future))
        R[pc->a] = R[pc->b];
      else
        R[pc->a] = await_value(in, R[pc->b]);
      NEXT();
    }
    do_NEWARRAY : {
      R[pc->a] = make_array(std::vector<Value>(&R[pc->b], &R[pc->b] + pc->c));
      NEXT();
    }
    do_NEWTUPLE : {
      R[pc->a] = make_tuple(std::vector<Value>(&R[pc->b], &R[pc->b] + pc->c));
      NEXT();
    }
    do_NEWDICT : {
      SAVE();
      R[pc->a] = new_dict(&R[pc->b], pc->c);
      NEXT();
    }
    do_NEWRANGE : {
      Value& a = R[pc->b];
      Value& b = R[pc->b + 1];
      if (!a.is_int() || !b.is_int()) {
        SAVE();
        in.error(nullptr, std::string("range bounds must be integers, got ") + type_name(a) +
                              " and " + type_name(b));
      }
      R[pc->a] = Value(new RangeObj(a.as_int(), b.as_int(), pc->k != 0));
      NEXT();
    }
    do_CLOSURE : {
      R[pc->a] = new_closure(p->lambdas[pc->bx], R, fr->fn);
      NEXT();
    }
    do_INTERP : {
      SAVE();
      R[pc->a] = interpolate(in, p->interps[pc->c].expr, &R[pc->b]);
      NEXT();
    }
    do_GETFIELD : {
      Value& obj = R[pc->b];
      if (obj.is(OK::Instance)) {
        Instance* inst = obj.as<Instance>();
        InlineCache& ic = p->caches[size_t(pc - p->code.data())];
        if (ic.type == inst->type.obj()) {
          R[pc->a] = inst->fields()[ic.index];
          NEXT();
        }
        StructType* st = inst->stype();
        auto it = st->field_index.find(Sym(p->consts[pc->c].small_int()));
        if (it != st->field_index.end()) {
          st->rc++;  // pinned (see CALLM)
          ic.type = st;
          ic.index = it->second;
          R[pc->a] = inst->fields()[it->second];
          NEXT();
        }
      }
      SAVE();
      R[pc->a] = in.get_field(obj, Sym(p->consts[pc->c].small_int()), nullptr);
      NEXT();
    }
    do_SETFIELD : {
      Value& obj = R[pc->a];
      if (obj.is(OK::Instance)) {
        Instance* inst = obj.as<Instance>();
        InlineCache& ic = p->caches[size_t(pc - p->code.data())];
        if (ic.type == inst->type.obj()) {
          inst->fields()[ic.index] = R[pc->b];
          NEXT();
        }
        StructType* st = inst->stype();
        auto it = st->field_index.find(Sym(p->consts[pc->c].small_int()));
        if (it != st->field_index.end()) {
          st->rc++;
          ic.type = st;
          ic.index = it->second;
          inst->fields()[it->second] = R[pc->b];
          NEXT();
        }
      }
      SAVE();
      in.set_field(obj, Sym(p->consts[pc->c].small_int()), R[pc->b], nullptr);
      NEXT();
    }
    do_GETINDEX : {
      Value& obj = R[pc->b];
      Value& idx = R[pc->c];
      if (obj.is(OK::Array) && idx.is_small_int()) {
        auto& items = obj.as<Array>()->items;
        int64_t i = idx.small_int();
        if (i < 0) i += int64_t(items.size());
        if (i >= 0 && size_t(i) < items.size()) {
          R[pc->a] = items[size_t(i)];
          NEXT();
        }
      } else if (obj.is(OK::Dict)) {
        SAVE();
        Value* v = obj.as<Dict>()->find(idx);
        R[pc->a] = v ? *v : Value();
        NEXT();
      }
      SAVE();
      R[pc->a] = index_get(in, obj, idx, nullptr);
      NEXT();
    }
    do_GETINDEXI : {
      Value& obj = R[pc->b];
      const int64_t i = int16_t(pc->c);
      if (obj.is(OK::Array)) {
        auto& items = obj.as<Array>()->items;
        int64_t at = i < 0 ? i + int64_t(items.size()) : i;
        if (at >= 0 && size_t(at) < items.size()) {
          R[pc->a] = items[size_t(at)];
          NEXT();
        }
      }
      SAVE();
      R[pc->a] = index_get(in, obj, Value::integer(i), nullptr);
      NEXT();
    }
    do_SETINDEX : {
      Value& obj = R[pc->a];
      Value& idx = R[pc->b];
      if (obj.is(OK::Array) && idx.is_small_int()) {
        auto& items = obj.as<Array>()->items;
        int64_t i = idx.small_int();
        if (i < 0) i += int64_t(items.size());
        if (i >= 0 && size_t(i) < items.size()) {
          items[size_t(i)] = R[pc->c];
          NEXT();
        }
      } else if (obj.is(OK::Dict)) {
        SAVE();
        obj.as<Dict>()->set(idx, R[pc->c]);
        NEXT();
      }
      SAVE();
      index_set(in, obj, idx, R[pc->c], nullptr);
      NEXT();
    }
    do_SLICE : {
      SAVE();
      Value* b = &R[pc->b];
      if (pc->k && b[2].is_int()) b[2] = Value::integer(b[2].as_int() + 1);  // ..= (a temp)
      R[pc->a] = slice(in, b[0], b[1], b[2], b[3], nullptr);
      NEXT();
    }
    do_CAST : {
      SAVE();
      R[pc->a] = cast_to(in, R[pc->b], Sym(p->consts[pc->c].small_int()), nullptr);
      NEXT();
    }
    do_UNPACK : {
      SAVE();
      unpack(in, R[pc->b], &R[pc->a], pc->c);
      NEXT();
    }
    do_MATCH : {
      SAVE();
      Pattern* pat = p->patterns[pc->bx];
      bool ok = vm_match(in, p, pat, R[pc->a], R, fr->fn);
      if (pc->k) {
        if (!ok) in.error(nullptr, "value " + repr(R[pc->a]) + " does not match the pattern");
        NEXT();
      }
      BRANCH(!ok);
    }
    do_FORPREP : {
      SAVE();
      iter_prep(in, &R[pc->a]);
      NEXT();
    }
    do_FORNEXT : {
      Value* st = &R[pc->a];
      // (at the loop's bottom: the JMP after it goes back to the body when there is an item)
      if (st[0].is(OK::Range)) {  // the common case, inline
        int64_t i = st[1].as_int();
        if (i >= st[2].as_int()) BRANCH(false);
        R[pc->b] = Value::integer(i);
        st[1] = Value::integer(i + 1);
        BRANCH(true);
      }
      if (st[0].is(OK::Array)) {  // (as iter_next does)
        const std::vector<Value>& items = st[0].as<Array>()->items;
        int64_t i = st[1].small_int();
        if (size_t(i) >= items.size()) BRANCH(false);
        R[pc->b] = items[size_t(i)];
        st[1] = Value::integer(i + 1);
        BRANCH(true);
      }
      SAVE();
      if (st[0].is(OK::NativeIter)) BRANCH(st[0].as<NativeIter>()->next(in, &R[pc->b]));
      BRANCH(iter_next(in, st, &R[pc->b]));
    }
    do_WITHENTER : {
      SAVE();
      bool ok = with_enter(in, &R[pc->a], pc->k != 0);
      BRANCH(!ok);
    }
    do_WITHEXIT : {
      SAVE();
      call_exit(in, &R[pc->a], pc->k != 0, nullptr);
      NEXT();
    }
    do_DECLARE : {
      SAVE();
      exec_declaration(in, p->stmts[pc->bx], *fr);
      NEXT();
    }
    do_DEFAULT : {
      if (!R[pc->a].is_undef()) {
        pc += 1 + pc->sbx;
        DISPATCH();
      }
      NEXT();
    }
    do_LOOP : {
      SAVE();
      if (R[2].is_nil()) {
        loop_start(R, pc->k);
        // The callback (R1, which nothing else can assign) is looked at once: compiled Simple
        // code taking one argument is called flat at every item.
        fr->loop_callee = nullptr;
        if (R[1].is(OK::Function) && !R[0].as<Array>()->items.empty()) {
          Function* f = R[1].as<Function>();
          if (!f->flat) first_call(in, f);
          if (Proto* q = f->flat; q && q->nparams == 1) fr->loop_callee = q;
        }
      } else if (pc->k == 0) {
        // The last callback's result R4: map pushes it, filter pushes the item it was given
        // (R0[R2 - 1]: the callback's window, where the item was passed, is gone) when it is
        // true, each drops it. (The result array was given room for every item: no push
        // reallocates, so none can fail.)
        R[3].as<Array>()->items.push_back(std::move(R[4]));
      } else if (pc->k == 1) {
        if (truthy(R[4]))
          R[3].as<Array>()->items.push_back(R[0].as<Array>()->items[size_t(R[2].small_int() - 1)]);
      }
      {
        const std::vector<Value>& items = R[0].as<Array>()->items;
        int64_t i = R[2].small_int();
        if (size_t(i) >= items.size()) {
          if (pc->k == 2)
            R[0] = Value();
          else
            R[0] = std::move(R[3]);
          pc = p->code.data() + 2;  // the RETURN
          DISPATCH();
        }
        R[2] = Value::integer(i + 1);
        R[5] = items[size_t(i)];
      }
      fr->pc = p->code.data();  // (the callback returns to the instruction after this one)
      if (Proto* q = fr->loop_callee) FLAT_CALL(R[1].as<Function>(), q, R + 5, 1, 4, false);
      R[4] = in.call1(R[1], R[5]);  // (natives, callable objects, other arities: their errors)
      DISPATCH();                   // (this LOOP again)
    }
    do_PANIC : {
      SAVE();
      in.error(nullptr, p->consts[pc->bx].as<Str>()->str());
    }
    } catch (RuntimeError& e) {
      // An error unwinds frames of this loop, innermost first. In each, the exit handlers of
      // the `with`s around the failing instruction (a call, in the outer frames) run,
      // innermost first; one that returns true suppresses the error (never a cancellation or a
      // failed expectation) and execution goes on after that with.
      for (;;) {
        uint32_t at = uint32_t(pc - p->code.data());
        bool resumed = false;
        for (const WithHandler& h : p->handlers) {
          if (at < h.begin || at >= h.end) continue;
          if (pc->op == Opc::WITHEXIT && pc->a == h.reg) continue;  // its own exit failed
          vs.set_top(R + p->nregs);
          std::shared_ptr<ErrorInfo> info = e.info;
          bool suppressed;
          try {
            suppressed = call_exit(in, &R[h.reg], h.is_async, info->expectation ? nullptr : info);
          } catch (...) {  // the handler failed: its error leaves every frame of this loop
            while (!fr->entry) {
              Frame* caller = fr->parent;
              release_window(R, p->nregs);
              unpin(fr);
              vs.pop_frame();
              ENTER_FRAME(caller);
              vs.lower_top(R + p->nregs);
            }
            unwind_entry(in, vs, fr, entry_top);
            throw;
          }
          if (suppressed && !info->cancelled && !info->expectation) {
            pc = p->code.data() + h.after;
            resumed = true;
            break;
          }
        }
        if (resumed) break;
        if (fr->entry) {
          unwind_entry(in, vs, fr, entry_top);
          throw;
        }
        Frame* caller = fr->parent;
        release_window(R, p->nregs);
        unpin(fr);
        vs.pop_frame();
        ENTER_FRAME(caller);
        vs.lower_top(R + p->nregs);
        pc = caller->pc;
      }
    } catch (std::bad_alloc&) {
      if (!out_of_memory) {
        out_of_memory = true;  // (raised as an error at the top of the loop)
        continue;
      }
      out_of_memory = false;
      while (!fr->entry) {
        Frame* caller = fr->parent;
        release_window(R, p->nregs);
        unpin(fr);
        vs.pop_frame();
        ENTER_FRAME(caller);
        vs.lower_top(R + p->nregs);
      }
      unwind_entry(in, vs, fr, entry_top);
      throw;
    } catch (...) {
      // Anything else (`?` at top level, sys_exit) leaves every frame of this loop, releasing
      // its registers.
      while (!fr->entry) {
        Frame* caller = fr->parent;
        release_window(R, p->nregs);
        unpin(fr);
        vs.pop_frame();
        ENTER_FRAME(caller);
        vs.lower_top(R + p->nregs);
      }
      unwind_entry(in, vs, fr, entry_top);
      throw;
    }
  }
leave_entry : {
  Value result = std::move(R[pc->a]);
  release_window(R, p->nregs);
  vs.pop_frame();
  in.frame_ = fr->parent;
  vs.set_top(entry_top);
  return result;
}
#undef DISPATCH
#undef NEXT
#undef SAVE
#undef BRANCH
#undef PUT_INT
#undef ENTER_FRAME
#undef FLAT_CALL
}

}  // namespace spl
