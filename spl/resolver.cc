// Name resolution (see resolver.h). Scoping is per function, like Python: `let`/`val`/`var`
// declare in the current function; a bare `x = v` assigns the nearest existing binding
// (local, enclosing function, module global) or else declares a local.
#include "resolver.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>

namespace spl {

namespace {

// The deepest expression the passes that walk trees recursively (here, the compiler, the
// evaluator) may meet: 2500 levels with the 8 MiB main-thread stack spl makes sure of at
// start (driver.cc), proportionally fewer under a hard stack limit below that, so that a long
// chain is an error there too, never a crash (`ulimit -s 512`: 156 levels).
int max_expr_depth() {
  static const int depth = [] {
    constexpr rlim_t kCalibrated = rlim_t(8) << 20;
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur >= kCalibrated)
      return 2500;
    return std::max(50, int(2500 * (double(rl.rlim_cur) / double(kCalibrated))));
  }();
  return depth;
}

struct VarInfo {
  explicit VarInfo(uint32_t s) : slot(s) {}
  uint32_t slot;
  bool captured = false;
  bool param = false;     // a parameter (or self): bound before the body runs
  uint32_t writes = 0;    // bindings and assignments after that (its own and nested functions')
  uint32_t let_stmt = 0;  // a `let` (or fn) that is statement let_stmt of the body (from 1)
  uint32_t first_capture = UINT32_MAX;  // the body statement where a closure first captured it
  std::vector<RefKind*> upvalue_refs;   // nested functions' reads of it (patched to Captured)
  // A closure in the default of this or an earlier parameter that uses it (which runs before
  // it has its value): an error.
  NameExpr* early_capture = nullptr;
  NameExpr* default_capture = nullptr;  // any closure in a parameter default that uses it
  // Whether closures can hold its value instead of sharing a cell with the function: nothing
  // assigns it once it has its value, and no closure can exist before that (a parameter; or a
  // `let` run once, directly in the body, before any statement that makes such a closure).
  bool by_value() const {
    if (param) return writes == 0 && !early_capture;
    return writes == 1 && let_stmt > 0 && first_capture > let_stmt;
  }
};

struct Scope {
  Scope* parent = nullptr;
  FnDecl* fn = nullptr;  // null: module scope
  std::unordered_map<Sym, uint32_t> vars;
  std::vector<VarInfo> infos;
  std::unordered_map<Sym, uint32_t> upvals;
  std::vector<std::pair<RefKind*, uint32_t>> refs;  // local refs to patch when captured
  Stmt* top_stmt = nullptr;          // the statement of the function's body being resolved
  uint32_t top_index = 0;            // its number (from 1; 0 while parameters are resolved)
  uint32_t default_of = UINT32_MAX;  // the slot of the parameter whose default is resolved
};

struct Ref {
  RefKind kind = RefKind::Unresolved;
  uint32_t index = 0;
  Value* slot = nullptr;
};

std::unordered_set<Sym>& known_variants() {
  static std::unordered_set<Sym> s;
  return s;
}

class Resolver {
 public:
  Resolver(Interp& in, Module* m, std::vector<Diagnostic>& errors)
      : in_(in), m_(m), errors_(errors) {
    module_scope_.fn = nullptr;
  }

  void run();

 private:
  void error(uint32_t off, std::string msg) {
    m_->has_errors = true;
    errors_.push_back({m_->file.get(), off, std::move(msg)});
  }

  // pre-pass
  void collect(Block* b);
  void collect_stmt(Stmt* s);
  void collect_pattern(Pattern* p);
  void collect_expr_assign_target(Expr* e);
  void process_use(UseStmt* u);
  void process_export(ExportStmt* e);

  // lookup / declare
  Ref find(Scope* s, Sym name);
  Ref declare(Scope* s, Sym name);
  void bind_name(NameExpr* n, Scope* s, bool assign);
  void record(Scope* s, RefKind* ref, uint32_t var) { s->refs.push_back({ref, var}); }
  VarInfo* owner_var(Scope* s, Sym name, Scope** owner = nullptr);
  void note_write(Scope* s, Sym name) {
    if (VarInfo* v = owner_var(s, name)) v->writes++;
  }
  void unknown(NameExpr* n, Scope* s);

  // walkers
  void block(Block* b, Scope* s);
  void stmt(Stmt* st, Scope* s);
  void expr(Expr* e, Scope* s);
  void pattern(Pattern* p, Scope* s);
  void function(FnDecl* fn, Scope* parent);
  void decorators(FnDecl* fn, Scope* s);
  void class_fields(StructDecl* d);
  void assign_target(Expr* e, Scope* s);
  void decl_binding(Scope* s, Sym name, RefKind* ref, uint32_t* index, Value** slot);

  Interp& in_;
  Module* m_;
  std::vector<Diagnostic>& errors_;
  Scope module_scope_;
  std::unordered_set<Stmt*> done_uses_;
  const int max_expr_depth_ = max_expr_depth();
  int expr_depth_ = 0;
  bool too_deep_reported_ = false;
};

// ---------------------------------------------------------------- pre-pass

void Resolver::collect_pattern(Pattern* p) {
  if (!p) return;
  switch (p->kind) {
    case PK::Bind: {
      const std::string& n = sym_name(p->name);
      if (!known_variants().count(p->name) && !(n.size() && std::isupper((unsigned char)n[0])))
        m_->declare(p->name);
      break;
    }
    case PK::Variant:
    case PK::Tuple:
    case PK::Or:
    case PK::Array:
      for (auto* q : p->subs) collect_pattern(q);
      break;
    default:
      break;
  }
}

void Resolver::collect_expr_assign_target(Expr* e) {
  if (e->kind == EK::Name) {
    Sym n = static_cast<NameExpr*>(e)->name;
    if (!m_->names.count(n) && !in_.builtin_slot(n)) m_->declare(n);
  } else if (e->kind == EK::Tuple) {
    for (auto* x : static_cast<TupleExpr*>(e)->items) collect_expr_assign_target(x);
  }
}

void Resolver::collect(Block* b) {
  for (Stmt* s : b->stmts) collect_stmt(s);
}

void Resolver::collect_stmt(Stmt* s) {
  switch (s->kind) {
    case SK::Let: {
      // `val MAX = 100` / `const MAX = 100`: a plain name declared by let/val/const binds, even
      // capitalised (only inside larger patterns does a capitalised name mean a variant).
      Pattern* t = static_cast<LetStmt*>(s)->target;
      if (t && t->kind == PK::Bind)
        m_->declare(t->name);
      else
        collect_pattern(t);
      break;
    }
    case SK::Assign:
      collect_expr_assign_target(static_cast<AssignStmt*>(s)->target);
      break;
    case SK::Fn: {
      auto* f = static_cast<FnDecl*>(s);
      m_->declare(f->name);
      break;
    }
    case SK::Struct:
      m_->declare(static_cast<StructDecl*>(s)->name);
      break;
    case SK::Enum: {
      auto* e = static_cast<EnumDecl*>(s);
      m_->declare(e->name);
      for (auto& v : e->variants) known_variants().insert(v.name);
      break;
    }
    case SK::Trait:
      m_->declare(static_cast<TraitDecl*>(s)->name);
      break;
    case SK::While:
      collect_pattern(static_cast<WhileStmt*>(s)->let);
      collect(static_cast<WhileStmt*>(s)->body);
      break;
    case SK::Loop:
      collect(static_cast<LoopStmt*>(s)->body);
      break;
    case SK::For: {
      auto* f = static_cast<ForStmt*>(s);
      collect_pattern(f->target);
      collect(f->body);
      break;
    }
    case SK::With: {
      auto* w = static_cast<WithStmt*>(s);
      for (auto& it : w->items) collect_pattern(it.target);
      collect(w->body);
      break;
    }
    case SK::Expr: {
      Expr* e = static_cast<ExprStmt*>(s)->expr;
      if (e->kind == EK::If) {
        auto* i = static_cast<IfExpr*>(e);
        for (auto* p : i->lets) collect_pattern(p);
        for (auto* b : i->blocks) collect(b);
        if (i->else_block) collect(i->else_block);
      } else if (e->kind == EK::Match) {
        for (auto& arm : static_cast<MatchExpr*>(e)->arms) {
          collect_pattern(arm.pattern);
          collect(arm.body);
        }
      }
      break;
    }
    default:
      break;
  }
}

void Resolver::process_use(UseStmt* u) {
  done_uses_.insert(u);
  const std::string first = sym_name(u->path[0]);
  if (first == "spec") {
    // The BDD DSL (describe, it, expect, ...) is built in: importing it binds nothing new,
    // even where an upstream tree has a spec module of its own.
    u->builtin_spec = true;
    for (auto& it : u->items)
      if (!in_.builtin_slot(it.name))
        error(it.off, "the built-in spec module has no '" + sym_name(it.name) + "'");
    return;
  }
  Sym item = 0;
  std::vector<Diagnostic> load_errors;
  Module* target = in_.load_module(u->path, m_, u, load_errors, &item);
  if (!target) {
    for (auto& d : load_errors) errors_.push_back(d);
    m_->has_errors = true;
    // Declare what the import would have bound, so its uses are not reported again.
    if (u->what == UseStmt::Whole) m_->declare(u->alias ? u->alias : u->path.back());
    for (auto& it : u->items) m_->declare(it.alias);
    return;
  }
  u->target = target;
  auto lookup_item = [&](Sym name, uint32_t off) -> Value* {
    auto it = target->names.find(name);
    if (it != target->names.end()) return it->second;
    std::vector<std::string> cands;
    for (auto& [k, v] : target->names) cands.push_back(sym_name(k));
    std::string hint = closest_name(sym_name(name), cands);
    error(off, "module '" + target->name + "' has no item '" + sym_name(name) + "'" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    return nullptr;
  };
  if (item) {  // import a.B where B is an item of module a
    u->item_of_parent = true;
    if (Value* slot = lookup_item(item, u->off)) m_->names[u->alias ? u->alias : item] = slot;
    return;
  }
  switch (u->what) {
    case UseStmt::Whole: {
      Sym bind = u->alias ? u->alias : u->path.back();
      Value* slot = m_->declare(bind);
      *slot = Value(target);
      break;
    }
    case UseStmt::Items:
      for (auto& it : u->items)
        if (Value* slot = lookup_item(it.name, it.off)) m_->names[it.alias] = slot;
      break;
    case UseStmt::Glob:
      for (auto& [k, v] : target->names)
        if (!m_->own.count(k)) m_->names[k] = v;
      break;
  }
}

void Resolver::process_export(ExportStmt* e) {
  done_uses_.insert(e);
  if (e->from.empty() && e->glob) return;  // `export *`: every top-level name is exported
  if (e->from.empty()) {
    for (auto& it : e->names)
      if (!m_->names.count(it.name))
        error(it.off, "cannot export unknown name '" + sym_name(it.name) + "'");
    return;
  }
  if (sym_name(e->from[0]) == "spec") return;  // the built-in DSL (see process_use)
  Sym item = 0;
  std::vector<Diagnostic> load_errors;
  Module* target = in_.load_module(e->from, m_, e, load_errors, &item);
  if (!target) {
    for (auto& d : load_errors) errors_.push_back(d);
    m_->has_errors = true;
    return;
  }
  e->target = target;
  if (e->glob) {  // export * from mod: everything mod makes visible
    for (auto& [k, v] : target->names)
      if (!m_->own.count(k)) m_->names[k] = v;
  }
  for (auto& it : e->names) {
    auto f = target->names.find(it.name);
    if (f == target->names.end())
      error(it.off, "module '" + target->name + "' has no item '" + sym_name(it.name) + "'");
    else
      m_->names[it.alias] = f->second;
  }
}

// ---------------------------------------------------------------- lookup

Ref Resolver::find(Scope* s, Sym name) {
  Ref r;
  if (!s->fn) {
    auto it = m_->names.find(name);
    if (it != m_->names.end()) {
      r.kind = RefKind::Global;
      r.slot = it->second;
    }
    return r;
  }
  auto v = s->vars.find(name);
  if (v != s->vars.end()) {
    r.kind = RefKind::Local;
    r.index = v->second;  // var index (== slot)
    return r;
  }
  auto u = s->upvals.find(name);
  if (u != s->upvals.end()) {
    r.kind = RefKind::Upvalue;
    r.index = u->second;
    return r;
  }
  Ref p = find(s->parent, name);
  if (p.kind == RefKind::Local) {
    VarInfo& v = s->parent->infos[p.index];
    v.captured = true;
    v.first_capture = std::min(v.first_capture, s->parent->top_index);
    uint32_t idx = uint32_t(s->fn->captures.size());
    s->fn->captures.push_back({false, s->parent->infos[p.index].slot});
    s->upvals[name] = idx;
    r.kind = RefKind::Upvalue;
    r.index = idx;
    return r;
  }
  if (p.kind == RefKind::Upvalue) {
    uint32_t idx = uint32_t(s->fn->captures.size());
    s->fn->captures.push_back({true, p.index});
    s->upvals[name] = idx;
    r.kind = RefKind::Upvalue;
    r.index = idx;
    return r;
  }
  return p;  // Global or Unresolved
}

Ref Resolver::declare(Scope* s, Sym name) {
  Ref r;
  if (!s->fn) {
    r.kind = RefKind::Global;
    auto it = m_->names.find(name);
    r.slot = it != m_->names.end() ? it->second : m_->declare(name);
    return r;
  }
  auto v = s->vars.find(name);
  if (v != s->vars.end()) {
    r.kind = RefKind::Local;
    r.index = v->second;
    return r;
  }
  uint32_t idx = uint32_t(s->infos.size());
  s->infos.emplace_back(idx);
  s->vars[name] = idx;
  r.kind = RefKind::Local;
  r.index = idx;
  return r;
}

// The function-local variable a name in scope s refers to (its own or an enclosing function's),
// or null (a global, a builtin, unknown).
VarInfo* Resolver::owner_var(Scope* s, Sym name, Scope** owner) {
  for (Scope* c = s; c && c->fn; c = c->parent) {
    auto v = c->vars.find(name);
    if (v != c->vars.end()) {
      if (owner) *owner = c;
      return &c->infos[v->second];
    }
  }
  return nullptr;
}

void Resolver::unknown(NameExpr* n, Scope* s) {
  uint32_t off = n->off;
  Sym name = n->name;
  std::vector<std::string> cands;
  for (Scope* c = s; c; c = c->parent) {
    for (auto& [k, v] : c->vars) cands.push_back(sym_name(k));
    for (auto& [k, v] : c->upvals) cands.push_back(sym_name(k));
  }
  for (auto& [k, v] : m_->names) cands.push_back(sym_name(k));
  for (auto& [k, v] : in_.builtin_names()) cands.push_back(sym_name(k));
  std::string hint = closest_name(sym_name(name), cands);
  std::string msg = "unknown name '" + sym_name(name) + "'" +
                    (hint.empty() ? "" : " (did you mean '" + hint + "'?)");
  if (in_.check_mode())
    error(off, std::move(msg));
  else
    m_->late_names[n] = std::move(msg);  // bound when the code runs (an error only if reached)
}

void Resolver::bind_name(NameExpr* n, Scope* s, bool assign) {
  Ref r = find(s, n->name);
  if (r.kind == RefKind::Unresolved) {
    if (assign) {
      r = declare(s, n->name);
    } else if (Value* b = in_.builtin_slot(n->name)) {
      r.kind = RefKind::Builtin;
      r.slot = b;
    } else {
      auto it = in_.global_registry().find(n->name);
      if (it != in_.global_registry().end() && !it->second.empty()) {
        r.kind = RefKind::Global;  // REF merges loaded modules' top-level names
        r.slot = it->second.front();
      } else {
        unknown(n, s);
        return;
      }
    }
  }
  n->ref = r.kind;
  n->index = r.index;
  n->slot = r.slot;
  if (r.kind == RefKind::Local) record(s, &n->ref, r.index);
  if (r.kind == RefKind::Upvalue) {
    Scope* os = nullptr;
    VarInfo* v = owner_var(s, n->name, &os);
    v->upvalue_refs.push_back(&n->ref);
    if (os->default_of != UINT32_MAX) {
      if (!v->default_capture) v->default_capture = n;
      if (v->slot >= os->default_of && !v->early_capture) v->early_capture = n;
    }
  }
  if (assign) note_write(s, n->name);
}

void Resolver::decl_binding(Scope* s, Sym name, RefKind* ref, uint32_t* index, Value** slot) {
  Ref r = declare(s, name);
  *ref = r.kind;
  *index = r.index;
  *slot = r.slot;
  if (r.kind == RefKind::Local) {
    record(s, ref, r.index);
    s->infos[r.index].writes++;
  }
}

// ---------------------------------------------------------------- walkers

void Resolver::pattern(Pattern* p, Scope* s) {
  switch (p->kind) {
    case PK::Bind: {
      const std::string& n = sym_name(p->name);
      if (known_variants().count(p->name) || (n.size() && std::isupper((unsigned char)n[0]))) {
        p->kind = PK::Variant;
        return;
      }
      decl_binding(s, p->name, &p->ref, &p->index, &p->slot);
      return;
    }
    case PK::Literal:
      expr(p->literal, s);
      return;
    case PK::Range:
      expr(p->literal, s);
      expr(p->literal_end, s);
      return;
    case PK::Variant:
    case PK::Tuple:
    case PK::Or:
    case PK::Array:
      for (auto* q : p->subs) pattern(q, s);
      return;
    case PK::Wildcard:
      return;
  }
}

void Resolver::assign_target(Expr* e, Scope* s) {
  switch (e->kind) {
    case EK::Name:
      bind_name(static_cast<NameExpr*>(e), s, true);
      break;
    case EK::Tuple:
      for (auto* x : static_cast<TupleExpr*>(e)->items) assign_target(x, s);
      break;
    default:
      expr(e, s);
      break;
  }
}

// Attribute names the language reserves (`@cfg(...)`, `@deprecated(...)`, `@test`, ...): when
// nothing by that name is in scope they are attributes and are dropped; a name in scope (for
// example `deprecated` imported from a decorators module) is a decorator like any other.
static bool reserved_attribute(const std::string& n) {
  static const char* const kNames[] = {
      "cfg",     "deprecated", "test",       "inline", "derive",    "allow",  "warn",
      "deny",    "doc",        "must_use",   "repr",   "no_mangle", "ignore", "pure",
      "cold",    "hot",        "async_test", "bench",  "export",    "unsafe", "simd",
      "gpu",     "kernel",     "effect",     "io",     "net",       "fs",     "verify",
      "trusted", "contract",   "skip",       "only",   "slow",      "nogc",   "extern"};
  for (const char* k : kNames)
    if (n == k) return true;
  return false;
}

void Resolver::decorators(FnDecl* fn, Scope* s) {
  std::vector<Expr*> kept;
  for (Expr* d : fn->decorators) {
    Expr* root = d->kind == EK::Call ? static_cast<CallExpr*>(d)->callee : d;
    while (root->kind == EK::Field) root = static_cast<FieldExpr*>(root)->object;
    if (root->kind == EK::Name) {
      Sym name = static_cast<NameExpr*>(root)->name;
      bool known = find(s, name).kind != RefKind::Unresolved || in_.builtin_slot(name) ||
                   in_.global_registry().count(name);
      if (!known && reserved_attribute(sym_name(name))) continue;  // an attribute: ignored
    }
    expr(d, s);
    kept.push_back(d);
  }
  fn->decorators = std::move(kept);
}

// A class's fields are its declared ones plus every `self.name = ...` (or `self.name += ...`)
// in its methods, in order of appearance: instances made by __init__ all share that layout.
static void collect_self_fields(Block* b, std::vector<Sym>& out);
static void collect_self_fields_expr(Expr* e, std::vector<Sym>& out) {
  if (!e) return;
  if (e->kind == EK::If) {
    auto* i = static_cast<IfExpr*>(e);
    for (auto* blk : i->blocks) collect_self_fields(blk, out);
    if (i->else_block) collect_self_fields(i->else_block, out);
  } else if (e->kind == EK::Match) {
    for (auto& arm : static_cast<MatchExpr*>(e)->arms) collect_self_fields(arm.body, out);
  }
}
static void note_self_field(Expr* target, std::vector<Sym>& out) {
  if (target->kind != EK::Field) return;
  auto* fe = static_cast<FieldExpr*>(target);
  if (fe->object->kind != EK::Name || sym_name(static_cast<NameExpr*>(fe->object)->name) != "self")
    return;
  if (std::find(out.begin(), out.end(), fe->field) == out.end()) out.push_back(fe->field);
}
static void collect_self_fields(Block* b, std::vector<Sym>& out) {
  for (Stmt* st : b->stmts) {
    switch (st->kind) {
      case SK::Assign:
        note_self_field(static_cast<AssignStmt*>(st)->target, out);
        break;
      case SK::Compound:
        note_self_field(static_cast<CompoundStmt*>(st)->target, out);
        break;
      case SK::Expr:
        collect_self_fields_expr(static_cast<ExprStmt*>(st)->expr, out);
        break;
      case SK::While:
        collect_self_fields(static_cast<WhileStmt*>(st)->body, out);
        break;
      case SK::For:
        collect_self_fields(static_cast<ForStmt*>(st)->body, out);
        break;
      case SK::Loop:
        collect_self_fields(static_cast<LoopStmt*>(st)->body, out);
        break;
      case SK::With:
        collect_self_fields(static_cast<WithStmt*>(st)->body, out);
        break;
      default:
        break;
    }
  }
}

void Resolver::class_fields(StructDecl* d) {
  std::vector<Sym> found;
  for (FnDecl* m : d->methods)
    if (m->body) collect_self_fields(m->body, found);
  for (Sym f : found) {
    bool declared = false;
    for (auto& fd : d->fields) declared |= fd.name == f;
    if (!declared) d->fields.push_back(FieldDecl{f, nullptr});
  }
}

void Resolver::function(FnDecl* fn, Scope* parent) {
  fn->module = m_;
  if (!fn->body) return;
  Scope sc;
  sc.parent = parent;
  sc.fn = fn;
  if (fn->is_method) declare(&sc, intern("self"));
  for (auto& p : fn->params) declare(&sc, p.name);
  for (auto& info : sc.infos) info.param = true;
  for (size_t i = 0; i < fn->params.size(); i++) {
    if (!fn->params[i].def) continue;
    sc.default_of = sc.vars[fn->params[i].name];
    expr(fn->params[i].def, &sc);
  }
  sc.default_of = UINT32_MAX;
  for (Stmt* st : fn->body->stmts) {
    sc.top_stmt = st;
    sc.top_index++;
    stmt(st, &sc);
  }
  fn->nlocals = uint32_t(sc.infos.size());
  // A captured variable lives in a cell that the function and its closures share, unless
  // closures can hold its value (VarInfo::by_value): they read it with RefKind::Captured, the
  // function keeps it in its register.
  for (auto& info : sc.infos) {
    if (!info.captured) continue;
    if (info.by_value()) {
      for (RefKind* ref : info.upvalue_refs) *ref = RefKind::Captured;
    } else {
      fn->cell_slots.push_back(info.slot);
    }
    if (NameExpr* n = info.early_capture)
      error(n->off,
            "a closure in a parameter default can only use the parameters before it, "
            "not '" +
                sym_name(n->name) + "'");
    else if (NameExpr* d = info.default_capture; d && !info.by_value())
      // (cells are made once every parameter has its value, after the defaults ran)
      error(d->off, "a closure in a parameter default cannot use '" + sym_name(d->name) +
                        "': the function assigns it (use a local copy)");
  }
  for (auto& [ref, var] : sc.refs)
    if (sc.infos[var].captured && !sc.infos[var].by_value() && *ref == RefKind::Local)
      *ref = RefKind::LocalCell;
}

void Resolver::block(Block* b, Scope* s) {
  for (Stmt* st : b->stmts) stmt(st, s);
}

void Resolver::stmt(Stmt* st, Scope* s) {
  switch (st->kind) {
    case SK::Expr:
      expr(static_cast<ExprStmt*>(st)->expr, s);
      break;
    case SK::Let: {
      auto* l = static_cast<LetStmt*>(st);
      if (l->value) expr(l->value, s);
      if (l->target->kind == PK::Bind) {
        decl_binding(s, l->target->name, &l->target->ref, &l->target->index, &l->target->slot);
        if (st == s->top_stmt && l->target->ref == RefKind::Local)
          s->infos[l->target->index].let_stmt = s->top_index;
      } else
        pattern(l->target, s);
      break;
    }
    case SK::Assign: {
      auto* a = static_cast<AssignStmt*>(st);
      expr(a->value, s);
      assign_target(a->target, s);
      break;
    }
    case SK::Compound: {
      auto* c = static_cast<CompoundStmt*>(st);
      expr(c->value, s);
      expr(c->target, s);
      if (c->target->kind == EK::Name) note_write(s, static_cast<NameExpr*>(c->target)->name);
      break;
    }
    case SK::While: {
      auto* w = static_cast<WhileStmt*>(st);
      expr(w->cond, s);
      if (w->let) pattern(w->let, s);
      block(w->body, s);
      break;
    }
    case SK::For: {
      auto* f = static_cast<ForStmt*>(st);
      expr(f->iter, s);
      pattern(f->target, s);
      block(f->body, s);
      break;
    }
    case SK::Loop:
      block(static_cast<LoopStmt*>(st)->body, s);
      break;
    case SK::Break:
    case SK::Continue:
    case SK::Return:
    case SK::Pass:
      if (auto* v = static_cast<JumpStmt*>(st)->value) expr(v, s);
      break;
    case SK::With: {
      auto* w = static_cast<WithStmt*>(st);
      for (auto& it : w->items) {
        expr(it.resource, s);
        if (it.target) pattern(it.target, s);
      }
      block(w->body, s);
      break;
    }
    case SK::Fn: {
      auto* f = static_cast<FnDecl*>(st);
      if (f->is_extern) {
        decl_binding(s, f->name, &f->ref, &f->index, &f->slot);
        f->module = m_;
        break;
      }
      decorators(f, s);
      decl_binding(s, f->name, &f->ref, &f->index, &f->slot);
      if (st == s->top_stmt && f->ref == RefKind::Local) s->infos[f->index].let_stmt = s->top_index;
      function(f, s);
      break;
    }
    case SK::Struct: {
      auto* d = static_cast<StructDecl*>(st);
      d->module = m_;
      decl_binding(s, d->name, &d->ref, &d->index, &d->slot);
      if (d->is_class) class_fields(d);
      for (auto& f : d->fields)
        if (f.def) expr(f.def, &module_scope_);
      for (auto* mth : d->methods) {
        decorators(mth, &module_scope_);
        function(mth, &module_scope_);
      }
      break;
    }
    case SK::Enum: {
      auto* d = static_cast<EnumDecl*>(st);
      d->module = m_;
      decl_binding(s, d->name, &d->ref, &d->index, &d->slot);
      for (auto* mth : d->methods) {
        decorators(mth, &module_scope_);
        function(mth, &module_scope_);
      }
      break;
    }
    case SK::Trait: {
      auto* d = static_cast<TraitDecl*>(st);
      decl_binding(s, d->name, &d->ref, &d->index, &d->slot);
      for (auto* mth : d->methods)
        if (mth->body) function(mth, &module_scope_);
      break;
    }
    case SK::Impl: {
      auto* d = static_cast<ImplDecl*>(st);
      // Impl on a builtin type name (impl String:) is allowed even if the name is unknown.
      if (d->type->kind == EK::Name) {
        auto* n = static_cast<NameExpr*>(d->type);
        Ref r = find(s, n->name);
        if (r.kind != RefKind::Unresolved)
          bind_name(n, s, false);
        else if (auto it = in_.global_registry().find(n->name); it != in_.global_registry().end())
          bind_name(n, s, false);
      } else {
        expr(d->type, s);
      }
      if (d->trait) {
        Ref r = find(s, d->trait->name);
        if (r.kind != RefKind::Unresolved || in_.global_registry().count(d->trait->name))
          bind_name(d->trait, s, false);
      }
      for (auto* mth : d->methods) {
        decorators(mth, &module_scope_);
        function(mth, &module_scope_);
      }
      break;
    }
    case SK::Use:
      if (!done_uses_.count(st)) process_use(static_cast<UseStmt*>(st));
      break;
    case SK::Export:
      if (!done_uses_.count(st)) process_export(static_cast<ExportStmt*>(st));
      break;
    case SK::Nop:
      break;
  }
}

void Resolver::expr(Expr* e, Scope* s) {
  if (!e) return;
  // Long chains (`1 + 1 + ...`, `x.f().f()...`) parse into deep trees; everything that walks
  // them recursively (here, the compiler, the evaluator) is bounded by this limit.
  struct Depth {
    int& d;
    explicit Depth(int& x) : d(x) { d++; }
    ~Depth() { d--; }
  } depth{expr_depth_};
  if (expr_depth_ > max_expr_depth_) {
    if (!too_deep_reported_)
      error(e->off, "expression is too deeply nested (limit is " + std::to_string(max_expr_depth_) +
                        " levels; split long chains into several statements)");
    too_deep_reported_ = true;
    return;
  }
  switch (e->kind) {
    case EK::Int:
    case EK::Float:
    case EK::Str:
    case EK::Nil:
    case EK::Bool:
      break;
    case EK::Interp:
      for (auto& p : static_cast<InterpExpr*>(e)->parts)
        if (p.expr) expr(p.expr, s);
      break;
    case EK::Name:
      bind_name(static_cast<NameExpr*>(e), s, false);
      break;
    case EK::Unary:
      expr(static_cast<UnaryExpr*>(e)->operand, s);
      break;
    case EK::Binary:
      expr(static_cast<BinaryExpr*>(e)->lhs, s);
      expr(static_cast<BinaryExpr*>(e)->rhs, s);
      break;
    case EK::And:
    case EK::Or:
      expr(static_cast<LogicExpr*>(e)->lhs, s);
      expr(static_cast<LogicExpr*>(e)->rhs, s);
      break;
    case EK::Compare:
      for (auto* x : static_cast<CompareExpr*>(e)->operands) expr(x, s);
      break;
    case EK::Call: {
      auto* c = static_cast<CallExpr*>(e);
      expr(c->callee, s);
      for (auto& a : c->args) expr(a.value, s);
      break;
    }
    case EK::MethodCall: {
      auto* c = static_cast<MethodCallExpr*>(e);
      expr(c->object, s);
      for (auto& a : c->args) expr(a.value, s);
      // push / push_str / pop / clear on a name may write new text back to the variable.
      if (c->object->kind == EK::Name && is_text_mutator(c->method))
        note_write(s, static_cast<NameExpr*>(c->object)->name);
      break;
    }
    case EK::Field:
      expr(static_cast<FieldExpr*>(e)->object, s);
      break;
    case EK::Index:
      expr(static_cast<IndexExpr*>(e)->object, s);
      expr(static_cast<IndexExpr*>(e)->index, s);
      break;
    case EK::Slice: {
      auto* x = static_cast<SliceExpr*>(e);
      expr(x->object, s);
      expr(x->start, s);
      expr(x->end, s);
      expr(x->step, s);
      break;
    }
    case EK::Try:
      expr(static_cast<TryExpr*>(e)->operand, s);
      break;
    case EK::Await:
      expr(static_cast<AwaitExpr*>(e)->operand, s);
      break;
    case EK::Cast:
      expr(static_cast<CastExpr*>(e)->operand, s);
      break;
    case EK::If: {
      auto* i = static_cast<IfExpr*>(e);
      for (size_t k = 0; k < i->conds.size(); k++) {
        expr(i->conds[k], s);
        if (i->lets[k]) pattern(i->lets[k], s);
        block(i->blocks[k], s);
      }
      if (i->else_block) block(i->else_block, s);
      break;
    }
    case EK::Match: {
      auto* m = static_cast<MatchExpr*>(e);
      expr(m->subject, s);
      for (auto& arm : m->arms) {
        pattern(arm.pattern, s);
        if (arm.guard) expr(arm.guard, s);
        block(arm.body, s);
      }
      break;
    }
    case EK::Lambda:
      function(static_cast<LambdaExpr*>(e)->fn, s);
      break;
    case EK::Array:
      for (auto* x : static_cast<ArrayExpr*>(e)->items) expr(x, s);
      break;
    case EK::Dict:
      for (auto& [k, v] : static_cast<DictExpr*>(e)->entries) {
        expr(k, s);
        expr(v, s);
      }
      break;
    case EK::Tuple:
      for (auto* x : static_cast<TupleExpr*>(e)->items) expr(x, s);
      break;
    case EK::StructLit: {
      auto* x = static_cast<StructLitExpr*>(e);
      expr(x->type, s);
      for (auto& [n, v] : x->fields) expr(v, s);
      break;
    }
    case EK::Range:
      expr(static_cast<RangeExpr*>(e)->start, s);
      expr(static_cast<RangeExpr*>(e)->end, s);
      break;
    case EK::Block:
      block(static_cast<BlockExpr*>(e)->block, s);
      break;
  }
}

void Resolver::run() {
  m_->state = Module::State::Resolving;
  collect(m_->body);
  for (auto& [k, v] : m_->own) in_.global_registry()[k].push_back(v);
  for (Stmt* st : m_->body->stmts) {
    if (st->kind == SK::Use) process_use(static_cast<UseStmt*>(st));
    if (st->kind == SK::Export) process_export(static_cast<ExportStmt*>(st));
  }
  block(m_->body, &module_scope_);
  m_->state = Module::State::Resolved;
}

}  // namespace

void resolve_module(Interp& in, Module* m, std::vector<Diagnostic>& errors) {
  Resolver r(in, m, errors);
  r.run();
}

}  // namespace spl
