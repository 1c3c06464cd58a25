// The evaluator: expressions, statements, patterns and module execution over resolved ASTs.
// Control flow (break/continue/return) travels as Flow values; `?` and runtime errors unwind
// as C++ exceptions that stop at function/task boundaries. Calls are in call.cc.
#include <algorithm>

#include "interp.h"
#include "ops.h"

namespace spl {

const char* op_text(Op op) {
  switch (op) {
    case Op::Add:
      return "+";
    case Op::Sub:
      return "-";
    case Op::Mul:
      return "*";
    case Op::Div:
      return "/";
    case Op::Mod:
      return "%";
    case Op::Pow:
      return "**";
    case Op::FloorDiv:
      return "//";
    case Op::BitAnd:
      return "&";
    case Op::BitOr:
      return "|";
    case Op::BitXor:
      return "^";
    case Op::Shl:
      return "<<";
    case Op::Shr:
      return ">>";
    case Op::MatMul:
      return "@";
    case Op::Eq:
      return "==";
    case Op::Ne:
      return "!=";
    case Op::Lt:
      return "<";
    case Op::Le:
      return "<=";
    case Op::Gt:
      return ">";
    case Op::Ge:
      return ">=";
    case Op::In:
      return "in";
    case Op::NotIn:
      return "not in";
    case Op::Is:
      return "is";
    case Op::Neg:
      return "-";
    case Op::Not:
      return "not";
    case Op::BitNot:
      return "~";
    case Op::Ref:
      return "&";
  }
  return "?";
}

namespace {

std::string late_name_message(const Module* m, const NameExpr* n) {
  if (m) {
    auto it = m->late_names.find(n);
    if (it != m->late_names.end()) return it->second;
  }
  return "unknown name '" + sym_name(n->name) + "'";
}

[[noreturn]] void undefined(Interp& in, const Node* at, Sym name) {
  in.error(at, "'" + sym_name(name) + "' is used before it is assigned");
}

inline Value& local_ref(Frame& f, RefKind k, uint32_t index) {
  switch (k) {
    case RefKind::Local:
      return f.locals[index];
    case RefKind::LocalCell:
      return f.locals[index].as<Cell>()->v;
    case RefKind::Captured:
      return f.fn->captures[index];
    default:
      return f.fn->captures[index].as<Cell>()->v;
  }
}

void store(Interp& in, Frame& f, RefKind k, uint32_t index, Value* slot, Value v, const Node* at) {
  switch (k) {
    case RefKind::Local:
      f.locals[index] = std::move(v);
      return;
    case RefKind::LocalCell:
      f.locals[index].as<Cell>()->v = std::move(v);
      return;
    case RefKind::Upvalue:
      f.fn->captures[index].as<Cell>()->v = std::move(v);
      return;
    case RefKind::Captured:  // (the resolver captures by value only what nothing assigns)
      in.error(at, "internal error: assignment to a value captured by a closure");
    case RefKind::Global:
      *slot = std::move(v);
      return;
    case RefKind::Builtin:
      in.error(at, "cannot assign to a builtin name");
    case RefKind::Unresolved:
      in.error(at, "internal error: unresolved name");
  }
}

}  // namespace

// Pattern matching; binds variables on success (bindings made before a failure may remain).
static bool match_pattern(Interp& in, Pattern* p, const Value& v, Frame& f) {
  switch (p->kind) {
    case PK::Wildcard:
      return true;
    case PK::Bind:
      store(in, f, p->ref, p->index, p->slot, v, p);
      return true;
    case PK::Literal:
      return values_equal(in.eval(p->literal, f), v);
    case PK::Range: {
      Value lo = in.eval(p->literal, f), hi = in.eval(p->literal_end, f);
      if (!v.is_num()) return false;
      if (less_than(in, v, lo, p)) return false;
      return p->inclusive ? !less_than(in, hi, v, p) : less_than(in, v, hi, p);
    }
    case PK::Or:
      for (auto* q : p->subs)
        if (match_pattern(in, q, v, f)) return true;
      return false;
    case PK::Tuple:
    case PK::Array: {
      const std::vector<Value>* items = nullptr;
      if (v.is(OK::Tuple))
        items = &v.as<Tuple>()->items;
      else if (v.is(OK::Array))
        items = &v.as<Array>()->items;
      if (!items || items->size() != p->subs.size()) return false;
      for (size_t i = 0; i < p->subs.size(); i++)
        if (!match_pattern(in, p->subs[i], (*items)[i], f)) return false;
      return true;
    }
    case PK::Variant: {
      if (v.is(OK::EnumVal)) {
        EnumVal* e = v.as<EnumVal>();
        if (e->name() != p->name) return false;
        if (p->qualifier && sym_name(e->etype()->name) != sym_name(p->qualifier)) {
          // qualifier may be a module alias (mod.Variant) -- accept when it names no enum
          if (in.builtin_slot(p->qualifier) == nullptr) {
            const std::string& q = sym_name(p->qualifier);
            if (!q.empty() && std::isupper((unsigned char)q[0])) return false;
          }
        }
        if (!p->has_args || p->subs.empty()) return true;
        const Variant& var = e->etype()->variants[e->variant];
        if (p->subs.size() == 1 && !p->sub_names[0]) {
          if (var.arity <= 1) return match_pattern(in, p->subs[0], e->payload, f);
          return match_pattern(in, p->subs[0], e->payload, f);  // whole tuple
        }
        std::vector<Value> single;
        const std::vector<Value>* items;
        if (var.arity == 1) {
          single.push_back(e->payload);
          items = &single;
        } else if (e->payload.is(OK::Tuple)) {
          items = &e->payload.as<Tuple>()->items;
        } else {
          return false;
        }
        for (size_t i = 0; i < p->subs.size(); i++) {
          size_t idx = i;
          if (p->sub_names[i]) {
            auto it = std::find(var.field_names.begin(), var.field_names.end(), p->sub_names[i]);
            if (it == var.field_names.end()) return false;
            idx = size_t(it - var.field_names.begin());
          }
          if (idx >= items->size() || !match_pattern(in, p->subs[i], (*items)[idx], f))
            return false;
        }
        return true;
      }
      if (v.is(OK::Instance)) {  // struct pattern Point(x: 0, y: _)
        Instance* obj = v.as<Instance>();
        StructType* st = obj->stype();
        if (st->name != p->name) return false;
        for (size_t i = 0; i < p->subs.size(); i++) {
          size_t idx = i;
          if (p->sub_names[i]) {
            auto it = st->field_index.find(p->sub_names[i]);
            if (it == st->field_index.end()) return false;
            idx = it->second;
          }
          if (idx >= obj->fields().size() || !match_pattern(in, p->subs[i], obj->fields()[idx], f))
            return false;
        }
        return true;
      }
      // `case None:` against nil
      if (v.is_nil() && sym_name(p->name) == "None") return true;
      return false;
    }
  }
  return false;
}

Value Interp::eval_block_value(Block* b, Frame& f) {
  size_t n = b->stmts.size();
  if (n == 0) return Value();
  for (size_t i = 0; i + 1 < n; i++) {
    Flow fl = exec(b->stmts[i], f);
    if (fl != Flow::Normal) {
      f.pending = fl;
      return Value();
    }
  }
  Stmt* last = b->stmts[n - 1];
  if (last->kind == SK::Expr) {
    f.off = last->off;
    return eval(static_cast<ExprStmt*>(last)->expr, f);
  }
  Flow fl = exec(last, f);
  if (fl != Flow::Normal) f.pending = fl;
  return Value();
}

Flow Interp::exec_block(Block* b, Frame& f) {
  for (Stmt* s : b->stmts) {
    Flow fl = exec(s, f);
    if (fl != Flow::Normal) return fl;
  }
  return Flow::Normal;
}

static inline Flow take_pending(Frame& f) {
  Flow fl = f.pending;
  f.pending = Flow::Normal;
  return fl;
}

static void assign_to(Interp& in, Expr* target, Value v, Frame& f) {
  switch (target->kind) {
    case EK::Name: {
      auto* n = static_cast<NameExpr*>(target);
      store(in, f, n->ref, n->index, n->slot, std::move(v), n);
      return;
    }
    case EK::Field: {
      auto* fe = static_cast<FieldExpr*>(target);
      Value obj = in.eval(fe->object, f);
      in.set_field(obj, fe->field, std::move(v), fe);
      return;
    }
    case EK::Index: {
      auto* ie = static_cast<IndexExpr*>(target);
      Value obj = in.eval(ie->object, f);
      Value idx = in.eval(ie->index, f);
      index_set(in, obj, idx, std::move(v), ie);
      return;
    }
    case EK::Tuple: {
      auto* te = static_cast<TupleExpr*>(target);
      const std::vector<Value>* items = nullptr;
      if (v.is(OK::Tuple))
        items = &v.as<Tuple>()->items;
      else if (v.is(OK::Array))
        items = &v.as<Array>()->items;
      if (!items || items->size() != te->items.size())
        in.error(target, "cannot unpack " + std::string(type_name(v)) + " into " +
                             std::to_string(te->items.size()) + " names");
      std::vector<Value> copy = *items;
      for (size_t i = 0; i < te->items.size(); i++) assign_to(in, te->items[i], copy[i], f);
      return;
    }
    default:
      in.error(target, "cannot assign to this expression");
  }
}

// Arguments of a call with `xs...`: each spread array or tuple gives its elements in place.
static std::vector<Value> eval_spread_args(Interp& in, const std::vector<Arg>& args, Frame& f) {
  std::vector<Value> out;
  for (auto& a : args) {
    Value v = in.eval(a.value, f);
    if (!a.spread) {
      out.push_back(std::move(v));
      continue;
    }
    if (v.is(OK::Array))
      out.insert(out.end(), v.as<Array>()->items.begin(), v.as<Array>()->items.end());
    else if (v.is(OK::Tuple))
      out.insert(out.end(), v.as<Tuple>()->items.begin(), v.as<Tuple>()->items.end());
    else
      in.error(a.value, std::string("only an array or a tuple can be spread with '...', got ") +
                            type_name(v));
  }
  return out;
}

bool is_text_mutator(Sym m) {
  static const Sym push = intern("push"), push_str = intern("push_str"), pop = intern("pop"),
                   clear = intern("clear");
  return m == push || m == push_str || m == pop || m == clear;
}

// A text mutator on a text receiver: runs on the variable's own storage (so the text changes
// in place when nothing else holds it), or on a copy written back to a field or element.
// Returns false (nothing evaluated twice) when the receiver is not text.
static bool text_mutator_call(Interp& in, MethodCallExpr* c, Frame& f, Value* result) {
  Value* slot = nullptr;
  if (c->object->kind == EK::Name) {
    auto* n = static_cast<NameExpr*>(c->object);
    switch (n->ref) {
      case RefKind::Local:
        slot = &f.locals[n->index];
        break;
      case RefKind::LocalCell:
      case RefKind::Upvalue:
        slot = &local_ref(f, n->ref, n->index);
        break;
      case RefKind::Global:
        slot = n->slot;
        break;
      default:
        break;
    }
    if (slot && !slot->is(OK::Str)) return false;
  }
  Value obj;
  if (!slot) {
    obj = in.eval(c->object, f);
    if (!obj.is(OK::Str)) {
      // not text: the ordinary method call, without evaluating the receiver again
      std::vector<Value> args = eval_spread_args(in, c->args, f);
      f.off = c->off;
      *result = in.call_method(obj, c->method, args.data(), int(args.size()), c,
                               c->has_named ? &c->args : nullptr);
      return true;
    }
  }
  std::vector<Value> args = eval_spread_args(in, c->args, f);
  f.off = c->off;
  if (slot) {  // (an argument may have stored something else there: then no write-back)
    Value& self = *slot;
    *result = in.call_method(self, c->method, args.data(), int(args.size()), c, nullptr);
    return true;
  }
  const Obj* before = obj.obj();
  *result = in.call_method(obj, c->method, args.data(), int(args.size()), c, nullptr);
  Expr* target = c->object;
  if (obj.obj() != before && (target->kind == EK::Field || target->kind == EK::Index))
    assign_to(in, target, obj, f);
  return true;
}

static void bind_target(Interp& in, Pattern* p, const Value& v, Frame& f) {
  if (!match_pattern(in, p, v, f)) in.error(p, "value " + repr(v) + " does not match the pattern");
}

static Flow exec_for(Interp& in, ForStmt* s, Frame& f) {
  Value it = in.eval(s->iter, f);
  if (f.pending != Flow::Normal) return take_pending(f);
  Pattern* t = s->target;
  auto body = [&](const Value& v) -> int {  // 0 go on, 1 break, 2 return
    if (t->kind == PK::Bind)
      store(in, f, t->ref, t->index, t->slot, v, t);
    else
      bind_target(in, t, v, f);
    Flow fl = in.exec_block(s->body, f);
    Scheduler::check_interrupt();
    if (fl == Flow::Break) return 1;
    if (fl == Flow::Return) return 2;
    return 0;
  };
  int r = 0;
  if (it.is(OK::Range)) {
    RangeObj* rg = it.as<RangeObj>();
    int64_t stop = rg->stop();
    for (int64_t i = rg->start; i < stop; i++)
      if ((r = body(Value::integer(i)))) break;
  } else if (it.is(OK::Array)) {
    Array* a = it.as<Array>();
    for (size_t i = 0; i < a->items.size(); i++) {
      Value v = a->items[i];
      if ((r = body(v))) break;
    }
  } else if (it.is(OK::Tuple)) {
    std::vector<Value> items = it.as<Tuple>()->items;
    for (auto& v : items)
      if ((r = body(v))) break;
  } else if (it.is(OK::Str)) {
    std::string_view s0 = it.as<Str>()->view();
    std::vector<std::string> chars = utf8_chars(s0);
    for (auto& c : chars)
      if ((r = body(make_str(c)))) break;
  } else if (it.is(OK::Dict)) {
    std::vector<std::pair<Value, Value>> entries = it.as<Dict>()->entries;
    for (auto& [k, v] : entries) {
      Value pair = t->kind == PK::Bind ? make_tuple({k, v}) : make_tuple({k, v});
      if ((r = body(pair))) break;
    }
  } else if (it.is(OK::NativeIter)) {
    NativeIter* ni = it.as<NativeIter>();
    Value v;
    while (ni->next(in, &v))
      if ((r = body(v))) break;
  } else if (Value next = in.find_method(it, intern("next")); !next.is_nil()) {
    // Iterator protocol for user types: next() gives Some(v) until None (e.g. LineIter).
    for (;;) {
      Value item = in.call(next, nullptr, 0, s->iter, &it);
      if (in.is_variant(item, 1, 0)) {
        if ((r = body(Value(item.as<EnumVal>()->payload)))) break;
      } else if (in.is_variant(item, 1, 1)) {
        break;
      } else {
        in.error(s->iter, std::string("next() of ") + type_name(it) +
                              " must give Some(value) or None, got " + type_name(item));
      }
    }
  } else {
    in.error(s->iter, std::string("cannot iterate over ") + type_name(it));
  }
  return r == 2 ? Flow::Return : Flow::Normal;
}

static Value exit_arg(const std::shared_ptr<ErrorInfo>& e) {
  if (!e) return Value();
  if (!e->payload.is_nil()) return e->payload;
  return make_str(e->message);
}

static Flow exec_with(Interp& in, WithStmt* w, size_t idx, Frame& f) {
  if (idx == w->items.size()) return in.exec_block(w->body, f);
  WithItem& item = w->items[idx];
  Value r = in.eval(item.resource, f);
  if (f.pending != Flow::Normal) return take_pending(f);
  if (w->is_async && r.is(OK::Future)) r = in.sched().await(r, item.resource);
  if (in.is_variant(r, 2, 0)) {
    r = Value(r.as<EnumVal>()->payload);
  } else if (in.is_variant(r, 2, 1)) {
    throw TryReturn{r};  // Err(e) behaves like `?`
  }
  static const Sym s_enter = intern("__enter__"), s_exit = intern("__exit__"),
                   s_aenter = intern("__aenter__"), s_aexit = intern("__aexit__");
  Value enter_fn, exit_fn;
  bool async_pair = false;
  if (w->is_async) {
    enter_fn = in.find_method(r, s_aenter);
    exit_fn = in.find_method(r, s_aexit);
    async_pair = !enter_fn.is_nil() || !exit_fn.is_nil();
  }
  if (!async_pair) {
    enter_fn = in.find_method(r, s_enter);
    exit_fn = in.find_method(r, s_exit);
    if (!w->is_async && enter_fn.is_nil() && exit_fn.is_nil() &&
        (!in.find_method(r, s_aenter).is_nil() || !in.find_method(r, s_aexit).is_nil()))
      in.error(item.resource, std::string("'") + type_name(r) +
                                  "' is an async context manager: use 'async with' (it has "
                                  "__aenter__/__aexit__, not __enter__/__exit__)");
  }
  Value entered = r;
  if (!enter_fn.is_nil()) {
    entered = in.call(enter_fn, nullptr, 0, item.resource, &r);
    if (w->is_async) entered = in.sched().await(entered, item.resource);
    // An enter that gives a Result is unwrapped like the resource: Ok(v) binds v, Err(e)
    // leaves the block unrun and behaves like `?` (e.g. a file load that failed).
    if (in.is_variant(entered, 2, 0)) {
      entered = Value(entered.as<EnumVal>()->payload);
    } else if (in.is_variant(entered, 2, 1)) {
      throw TryReturn{entered};
    }
  }
  if (item.target) bind_target(in, item.target, entered, f);
  auto call_exit = [&](const std::shared_ptr<ErrorInfo>& err) -> bool {
    if (exit_fn.is_nil()) return false;
    Function* fn = exit_fn.is(OK::Function) ? exit_fn.as<Function>() : nullptr;
    Value arg = exit_arg(err);
    Value res;
    if (fn && fn->decl->params.empty())
      res = in.call(exit_fn, nullptr, 0, w, &r);
    else
      res = in.call(exit_fn, &arg, 1, w, &r);
    if (w->is_async) res = in.sched().await(res, w);
    return truthy(res);
  };
  Flow fl;
  try {
    try {
      fl = exec_with(in, w, idx + 1, f);
    } catch (std::bad_alloc&) {
      in.out_of_memory();  // (as an error, so that the exit handler runs)
    }
  } catch (RuntimeError& e) {
    if (e.info->expectation) {
      call_exit(nullptr);
      throw;
    }
    // A cancellation runs the handlers but cannot be suppressed by them.
    if (call_exit(e.info) && !e.info->cancelled) return Flow::Normal;  // suppressed
    throw;
  } catch (TryReturn&) {
    call_exit(nullptr);
    throw;
  }
  call_exit(nullptr);
  return fl;
}

Flow Interp::exec(Stmt* s, Frame& f) {
  f.off = s->off;
  switch (s->kind) {
    case SK::Expr: {
      Expr* e = static_cast<ExprStmt*>(s)->expr;
      eval(e, f);
      if (f.pending != Flow::Normal) return take_pending(f);
      return Flow::Normal;
    }
    case SK::Let: {
      auto* l = static_cast<LetStmt*>(s);
      Value v = l->value ? eval(l->value, f) : Value();
      if (f.pending != Flow::Normal) return take_pending(f);
      Pattern* p = l->target;
      if (p->kind == PK::Bind)
        store(*this, f, p->ref, p->index, p->slot, std::move(v), p);
      else
        bind_target(*this, p, v, f);
      return Flow::Normal;
    }
    case SK::Assign: {
      auto* a = static_cast<AssignStmt*>(s);
      Value v = eval(a->value, f);
      if (f.pending != Flow::Normal) return take_pending(f);
      assign_to(*this, a->target, std::move(v), f);
      return Flow::Normal;
    }
    case SK::Compound: {
      auto* c = static_cast<CompoundStmt*>(s);
      Expr* t = c->target;
      if (t->kind == EK::Name) {
        auto* n = static_cast<NameExpr*>(t);
        if (n->ref == RefKind::Local || n->ref == RefKind::LocalCell ||
            n->ref == RefKind::Upvalue || n->ref == RefKind::Global) {
          Value& cur = n->ref == RefKind::Global ? *n->slot : local_ref(f, n->ref, n->index);
          if (cur.is_undef()) undefined(*this, n, n->name);
          Value rhs = eval(c->value, f);
          Value& cur2 = n->ref == RefKind::Global ? *n->slot : local_ref(f, n->ref, n->index);
          // In-place append for `s += "x"` when nobody else holds the text.
          if (c->op == Op::Add && cur2.is(OK::Str) && rhs.is(OK::Str)) {
            str_append(cur2, rhs.as<Str>()->view());
            return Flow::Normal;
          }
          if (c->op == Op::Add && cur2.is(OK::Array) && rhs.is(OK::Array) && false)
            return Flow::Normal;
          cur2 = binary_op(*this, c->op, cur2, rhs, c);
          return Flow::Normal;
        }
        error(n, "cannot assign to '" + sym_name(n->name) + "'");
      }
      if (t->kind == EK::Field) {
        auto* fe = static_cast<FieldExpr*>(t);
        Value obj = eval(fe->object, f);
        Value cur = get_field(obj, fe->field, fe);
        Value rhs = eval(c->value, f);
        set_field(obj, fe->field, binary_op(*this, c->op, cur, rhs, c), fe);
        return Flow::Normal;
      }
      if (t->kind == EK::Index) {
        auto* ie = static_cast<IndexExpr*>(t);
        Value obj = eval(ie->object, f);
        Value idx = eval(ie->index, f);
        Value cur = index_get(*this, obj, idx, ie);
        Value rhs = eval(c->value, f);
        index_set(*this, obj, idx, binary_op(*this, c->op, cur, rhs, c), ie);
        return Flow::Normal;
      }
      error(t, "cannot assign to this expression");
    }
    case SK::While: {
      auto* w = static_cast<WhileStmt*>(s);
      while (true) {
        Value c = eval(w->cond, f);
        if (w->let) {
          if (!match_pattern(*this, w->let, c, f)) break;
        } else if (!truthy(c)) {
          break;
        }
        Flow fl = exec_block(w->body, f);
        if (fl == Flow::Break) break;
        if (fl == Flow::Return) return fl;
        Scheduler::check_interrupt();
      }
      return Flow::Normal;
    }
    case SK::For:
      return exec_for(*this, static_cast<ForStmt*>(s), f);
    case SK::Loop: {
      auto* l = static_cast<LoopStmt*>(s);
      while (true) {
        Flow fl = exec_block(l->body, f);
        if (fl == Flow::Break) break;
        if (fl == Flow::Return) return fl;
        Scheduler::check_interrupt();
      }
      return Flow::Normal;
    }
    case SK::Break:
      return Flow::Break;
    case SK::Continue:
      return Flow::Continue;
    case SK::Return: {
      auto* r = static_cast<JumpStmt*>(s);
      if (!f.fn) error(s, "'return' outside of a function");
      f.ret = r->value ? eval(r->value, f) : Value();
      if (f.pending != Flow::Normal) return take_pending(f);
      return Flow::Return;
    }
    case SK::Pass:
      return Flow::Normal;
    case SK::With:
      return exec_with(*this, static_cast<WithStmt*>(s), 0, f);
    default:
      break;
  }
  extern Flow exec_declaration(Interp & in, Stmt * s, Frame & f);
  return exec_declaration(*this, s, f);
}

Value Interp::eval(Expr* e, Frame& f) {
  switch (e->kind) {
    case EK::Int:
      return Value::integer(static_cast<IntExpr*>(e)->value);
    case EK::Float:
      return Value::floating(static_cast<FloatExpr*>(e)->value);
    case EK::Str: {
      auto* s = static_cast<StrExpr*>(e);
      if (!s->cached) {
        Str* lit = Str::make(s->value);
        lit->literal = true;
        s->cached = lit;
        s->cached->rc++;  // owned by the AST node until shutdown
      }
      return Value(s->cached);
    }
    case EK::Nil:
      return Value();
    case EK::Bool:
      return Value::boolean(static_cast<BoolExpr*>(e)->value);
    case EK::Name: {
      auto* n = static_cast<NameExpr*>(e);
      switch (n->ref) {
        case RefKind::Local:
          return f.locals[n->index];
        case RefKind::LocalCell: {
          Value& v = f.locals[n->index].as<Cell>()->v;
          if (v.is_undef()) undefined(*this, n, n->name);
          return v;
        }
        case RefKind::Upvalue: {
          Value& v = f.fn->captures[n->index].as<Cell>()->v;
          if (v.is_undef()) undefined(*this, n, n->name);
          return v;
        }
        case RefKind::Captured: {
          Value& v = f.fn->captures[n->index];
          if (v.is_undef()) undefined(*this, n, n->name);
          return v;
        }
        case RefKind::Global:
        case RefKind::Builtin:
          if (n->slot->is_undef()) undefined(*this, n, n->name);
          return *n->slot;
        case RefKind::Unresolved: {
          // Late binding: the name was unknown when the module was resolved.
          Value* slot = lookup_late_name(f.module, n->name);
          if (!slot) error(n, late_name_message(f.module, n));
          if (slot->is_undef()) undefined(*this, n, n->name);
          return *slot;
        }
      }
      return Value();
    }
    case EK::Interp: {
      auto* ie = static_cast<InterpExpr*>(e);
      std::string out;
      for (auto& p : ie->parts) {
        if (!p.expr) {
          out += p.text;
          continue;
        }
        Value v = eval(p.expr, f);
        if (!p.has_spec) {
          if (v.is(OK::Str))
            out += v.as<Str>()->view();
          else if (v.is_int())
            out += std::to_string(v.as_int());
          else
            out += to_display(v);
          continue;
        }
        std::string piece, why;
        if (!format_with_spec(v, v.is_num() && p.spec.type != 's' ? std::string() : to_display(v),
                              p.spec, &piece, &why))
          error(p.expr, why);
        out += piece;
      }
      return make_str(std::move(out));
    }
    case EK::Unary: {
      auto* u = static_cast<UnaryExpr*>(e);
      Value v = eval(u->operand, f);
      if (u->op == Op::Not) return Value::boolean(!truthy(v));
      return unary_op(*this, u->op, v, u);
    }
    case EK::Binary: {
      auto* b = static_cast<BinaryExpr*>(e);
      Value l = eval(b->lhs, f);
      Value r = eval(b->rhs, f);
      if (l.is_int() && r.is_int()) {
        int64_t x = l.as_int(), y = r.as_int(), z;
        switch (b->op) {
          case Op::Add:
            if (!__builtin_add_overflow(x, y, &z)) return Value::integer(z);
            break;
          case Op::Sub:
            if (!__builtin_sub_overflow(x, y, &z)) return Value::integer(z);
            break;
          case Op::Lt:
            return Value::boolean(x < y);
          case Op::Le:
            return Value::boolean(x <= y);
          case Op::Gt:
            return Value::boolean(x > y);
          case Op::Ge:
            return Value::boolean(x >= y);
          case Op::Eq:
            return Value::boolean(x == y);
          case Op::Ne:
            return Value::boolean(x != y);
          default:
            break;
        }
      }
      f.off = b->off;  // errors raised below the operator (deep comparisons) point at it
      return binary_op(*this, b->op, l, r, b);
    }
    case EK::And: {
      auto* l = static_cast<LogicExpr*>(e);
      Value a = eval(l->lhs, f);
      if (!truthy(a)) return a;
      return eval(l->rhs, f);
    }
    case EK::Or: {
      auto* l = static_cast<LogicExpr*>(e);
      Value a = eval(l->lhs, f);
      if (truthy(a)) return a;
      return eval(l->rhs, f);
    }
    case EK::Compare: {
      auto* c = static_cast<CompareExpr*>(e);
      Value left = eval(c->operands[0], f);
      for (size_t i = 0; i < c->ops.size(); i++) {
        Value right = eval(c->operands[i + 1], f);
        if (!truthy(binary_op(*this, c->ops[i], left, right, c))) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case EK::Call: {
      auto* c = static_cast<CallExpr*>(e);
      Value callee = eval(c->callee, f);
      if (c->has_spread) {
        std::vector<Value> args = eval_spread_args(*this, c->args, f);
        f.off = c->off;
        return call(callee, args.data(), int(args.size()), c, nullptr, nullptr);
      }
      size_t n = c->args.size();
      Value small[6];
      std::vector<Value> big;
      Value* argv = small;
      if (n > 6) {
        big.resize(n);
        argv = big.data();
      }
      for (size_t i = 0; i < n; i++) argv[i] = eval(c->args[i].value, f);
      f.off = c->off;
      return call(callee, argv, int(n), c, nullptr, c->has_named ? &c->args : nullptr);
    }
    case EK::MethodCall: {
      auto* c = static_cast<MethodCallExpr*>(e);
      if (is_text_mutator(c->method) && !has_extensions()) {
        if (Value r; text_mutator_call(*this, c, f, &r)) return r;
      }
      Value obj = eval(c->object, f);
      if (c->has_spread) {
        std::vector<Value> args = eval_spread_args(*this, c->args, f);
        f.off = c->off;
        return call_method(obj, c->method, args.data(), int(args.size()), c, nullptr);
      }
      size_t n = c->args.size();
      Value small[6];
      std::vector<Value> big;
      Value* argv = small;
      if (n > 6) {
        big.resize(n);
        argv = big.data();
      }
      for (size_t i = 0; i < n; i++) argv[i] = eval(c->args[i].value, f);
      f.off = c->off;
      // inline cache for user methods on struct instances
      if (obj.is(OK::Instance) && c->cache_type == obj.as<Instance>()->type.obj() &&
          !c->has_named) {
        Value fn(c->cache_fn);
        Function* fp = static_cast<Function*>(c->cache_fn);
        if (!fp->decl->is_async) return run_function_body(fp, argv, int(n), &obj, nullptr, c);
      }
      // inline cache for builtin methods (arrays, dicts, text...) when no program-defined
      // extension methods exist
      if (obj.is_obj() && c->cache_kind == uint8_t(obj.obj()->kind) && !has_extensions()) {
        CallArgs a{argv, int(n), obj, c, c->method};
        return reinterpret_cast<MethodFn>(c->cache_native)(*this, obj, a);
      }
      if (obj.is_obj() && !has_extensions()) {
        OK k = obj.obj()->kind;
        if (k == OK::Str || k == OK::Array || k == OK::Dict || k == OK::Tuple || k == OK::Range) {
          MethodMap& mm = methods_for(k);
          auto it = mm.find(c->method);
          if (it != mm.end()) {
            c->cache_kind = uint8_t(k);
            c->cache_native = reinterpret_cast<void*>(it->second);
          }
        }
      }
      if (obj.is(OK::Instance) && !c->has_named) {
        StructType* st = obj.as<Instance>()->stype();
        auto it = st->methods.find(c->method);
        if (it != st->methods.end() && it->second.is(OK::Function) && c->cache_type != st) {
          // The cache pins what it points to (freed at shutdown), so a type freed and
          // reallocated at the same address can never match a stale entry.
          st->rc++;
          it->second.obj()->rc++;
          c->cache_type = st;
          c->cache_fn = it->second.obj();
        }
      }
      return call_method(obj, c->method, argv, int(n), c, c->has_named ? &c->args : nullptr);
    }
    case EK::Field: {
      auto* fe = static_cast<FieldExpr*>(e);
      Value obj = eval(fe->object, f);
      return get_field(obj, fe->field, fe, fe);
    }
    case EK::Index: {
      auto* ie = static_cast<IndexExpr*>(e);
      Value obj = eval(ie->object, f);
      if (ie->index->kind == EK::Range) {  // a[1..3], a[2..], a[..=4]
        auto* r = static_cast<RangeExpr*>(ie->index);
        Value a = r->start ? eval(r->start, f) : Value();
        Value b = r->end ? eval(r->end, f) : Value();
        if (r->inclusive && b.is_int()) b = Value::integer(b.as_int() + 1);
        return slice(*this, obj, a, b, Value(), ie);
      }
      Value idx = eval(ie->index, f);
      return index_get(*this, obj, idx, ie);
    }
    case EK::Slice: {
      auto* se = static_cast<SliceExpr*>(e);
      Value obj = eval(se->object, f);
      Value a = se->start ? eval(se->start, f) : Value();
      Value b = se->end ? eval(se->end, f) : Value();
      Value st = se->step ? eval(se->step, f) : Value();
      return slice(*this, obj, a, b, st, se);
    }
    case EK::Try: {
      auto* t = static_cast<TryExpr*>(e);
      Value v = eval(t->operand, f);
      if (v.is(OK::EnumVal)) {
        EnumVal* ev = v.as<EnumVal>();
        int b = ev->etype()->builtin;
        if (b == 2) {
          if (ev->variant == 0) return ev->payload;
          throw TryReturn{v};
        }
        if (b == 1) {
          if (ev->variant == 0) return ev->payload;
          throw TryReturn{v};
        }
      }
      error(t, std::string("'?' needs an Option or a Result, got ") + type_name(v));
    }
    case EK::Await: {
      auto* a = static_cast<AwaitExpr*>(e);
      Value v = eval(a->operand, f);
      if (!v.is(OK::Future)) return v;
      return sched().await(v, a);
    }
    case EK::Cast: {
      auto* c = static_cast<CastExpr*>(e);
      return cast_to(*this, eval(c->operand, f), c->type, c);
    }
    case EK::If: {
      auto* ie = static_cast<IfExpr*>(e);
      for (size_t i = 0; i < ie->conds.size(); i++) {
        if (ie->lets[i]) {
          Value v = eval(ie->conds[i], f);
          if (match_pattern(*this, ie->lets[i], v, f)) return eval_block_value(ie->blocks[i], f);
          continue;
        }
        if (truthy(eval(ie->conds[i], f))) return eval_block_value(ie->blocks[i], f);
      }
      if (ie->else_block) return eval_block_value(ie->else_block, f);
      return Value();
    }
    case EK::Match: {
      auto* m = static_cast<MatchExpr*>(e);
      Value v = eval(m->subject, f);
      for (auto& arm : m->arms) {
        if (!match_pattern(*this, arm.pattern, v, f)) continue;
        if (arm.guard && !truthy(eval(arm.guard, f))) continue;
        return eval_block_value(arm.body, f);
      }
      return Value();
    }
    case EK::Lambda: {
      FnDecl* d = static_cast<LambdaExpr*>(e)->fn;
      Function* fn = new Function(d);
      Value fv(fn);
      for (auto& c : d->captures)
        fn->captures.push_back(c.from_upvalue ? f.fn->captures[c.index] : f.locals[c.index]);
      return fv;
    }
    case EK::Array: {
      auto* a = static_cast<ArrayExpr*>(e);
      Array* arr = new Array();
      Value v(arr);
      arr->items.reserve(a->items.size());
      for (auto* x : a->items) arr->items.push_back(eval(x, f));
      return v;
    }
    case EK::Dict: {
      auto* d = static_cast<DictExpr*>(e);
      Dict* dict = new Dict();
      Value v(dict);
      for (auto& [k, x] : d->entries) {
        Value key = eval(k, f);
        dict->set(key, eval(x, f));
      }
      return v;
    }
    case EK::Tuple: {
      auto* t = static_cast<TupleExpr*>(e);
      std::vector<Value> items;
      items.reserve(t->items.size());
      for (auto* x : t->items) items.push_back(eval(x, f));
      return make_tuple(std::move(items));
    }
    case EK::StructLit: {
      extern Value eval_struct_literal(Interp & in, StructLitExpr * s, Frame & f);
      return eval_struct_literal(*this, static_cast<StructLitExpr*>(e), f);
    }
    case EK::Range: {
      auto* r = static_cast<RangeExpr*>(e);
      Value a = r->start ? eval(r->start, f) : Value::integer(0);
      if (!r->end) error(r, "open-ended ranges are only allowed in slices");
      Value b = eval(r->end, f);
      if (!a.is_int() || !b.is_int())
        error(r, std::string("range bounds must be integers, got ") + type_name(a) + " and " +
                     type_name(b));
      return Value(new RangeObj(a.as_int(), b.as_int(), r->inclusive));
    }
    case EK::Block:
      return eval_block_value(static_cast<BlockExpr*>(e)->block, f);
  }
  return Value();
}

}  // namespace spl
