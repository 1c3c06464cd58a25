// Arity and field checks for `spl check` (see checker.h).
#include "checker.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace spl {

namespace {

// Calls every function on each expression of the tree, in source order.
class Walker {
 public:
  explicit Walker(std::function<void(Expr*)> fn) : fn_(std::move(fn)) {}

  void block(Block* b) {
    if (b)
      for (Stmt* s : b->stmts) stmt(s);
  }

  void stmt(Stmt* s) {
    switch (s->kind) {
      case SK::Expr:
        expr(static_cast<ExprStmt*>(s)->expr);
        break;
      case SK::Let:
        expr(static_cast<LetStmt*>(s)->value);
        break;
      case SK::Assign:
        expr(static_cast<AssignStmt*>(s)->target);
        expr(static_cast<AssignStmt*>(s)->value);
        break;
      case SK::Compound:
        expr(static_cast<CompoundStmt*>(s)->target);
        expr(static_cast<CompoundStmt*>(s)->value);
        break;
      case SK::While:
        expr(static_cast<WhileStmt*>(s)->cond);
        block(static_cast<WhileStmt*>(s)->body);
        break;
      case SK::For:
        expr(static_cast<ForStmt*>(s)->iter);
        block(static_cast<ForStmt*>(s)->body);
        break;
      case SK::Loop:
        block(static_cast<LoopStmt*>(s)->body);
        break;
      case SK::Break:
      case SK::Return:
        expr(static_cast<JumpStmt*>(s)->value);
        break;
      case SK::With:
        for (auto& it : static_cast<WithStmt*>(s)->items) expr(it.resource);
        block(static_cast<WithStmt*>(s)->body);
        break;
      case SK::Fn: {
        auto* f = static_cast<FnDecl*>(s);
        for (auto* d : f->decorators) expr(d);
        for (auto& p : f->params) expr(p.def);
        block(f->body);
        break;
      }
      case SK::Struct:
        for (auto& fd : static_cast<StructDecl*>(s)->fields) expr(fd.def);
        for (auto* m : static_cast<StructDecl*>(s)->methods) stmt(m);
        break;
      case SK::Enum:
        for (auto* m : static_cast<EnumDecl*>(s)->methods) stmt(m);
        break;
      case SK::Trait:
        for (auto* m : static_cast<TraitDecl*>(s)->methods) stmt(m);
        break;
      case SK::Impl:
        for (auto* m : static_cast<ImplDecl*>(s)->methods) stmt(m);
        break;
      default:
        break;
    }
  }

  void expr(Expr* e) {
    if (!e) return;
    fn_(e);
    switch (e->kind) {
      case EK::Interp:
        for (auto& p : static_cast<InterpExpr*>(e)->parts) expr(p.expr);
        break;
      case EK::Unary:
        expr(static_cast<UnaryExpr*>(e)->operand);
        break;
      case EK::Binary:
        expr(static_cast<BinaryExpr*>(e)->lhs);
        expr(static_cast<BinaryExpr*>(e)->rhs);
        break;
      case EK::And:
      case EK::Or:
        expr(static_cast<LogicExpr*>(e)->lhs);
        expr(static_cast<LogicExpr*>(e)->rhs);
        break;
      case EK::Compare:
        for (auto* x : static_cast<CompareExpr*>(e)->operands) expr(x);
        break;
      case EK::Call:
        expr(static_cast<CallExpr*>(e)->callee);
        for (auto& a : static_cast<CallExpr*>(e)->args) expr(a.value);
        break;
      case EK::MethodCall:
        expr(static_cast<MethodCallExpr*>(e)->object);
        for (auto& a : static_cast<MethodCallExpr*>(e)->args) expr(a.value);
        break;
      case EK::Field:
        expr(static_cast<FieldExpr*>(e)->object);
        break;
      case EK::Index:
        expr(static_cast<IndexExpr*>(e)->object);
        expr(static_cast<IndexExpr*>(e)->index);
        break;
      case EK::Slice: {
        auto* x = static_cast<SliceExpr*>(e);
        expr(x->object);
        expr(x->start);
        expr(x->end);
        expr(x->step);
        break;
      }
      case EK::Try:
        expr(static_cast<TryExpr*>(e)->operand);
        break;
      case EK::Await:
        expr(static_cast<AwaitExpr*>(e)->operand);
        break;
      case EK::Cast:
        expr(static_cast<CastExpr*>(e)->operand);
        break;
      case EK::If: {
        auto* i = static_cast<IfExpr*>(e);
        for (size_t k = 0; k < i->conds.size(); k++) {
          expr(i->conds[k]);
          block(i->blocks[k]);
        }
        block(i->else_block);
        break;
      }
      case EK::Match: {
        auto* m = static_cast<MatchExpr*>(e);
        expr(m->subject);
        for (auto& arm : m->arms) {
          expr(arm.guard);
          block(arm.body);
        }
        break;
      }
      case EK::Lambda:
        stmt(static_cast<LambdaExpr*>(e)->fn);
        break;
      case EK::Array:
        for (auto* x : static_cast<ArrayExpr*>(e)->items) expr(x);
        break;
      case EK::Dict:
        for (auto& [k, v] : static_cast<DictExpr*>(e)->entries) {
          expr(k);
          expr(v);
        }
        break;
      case EK::Tuple:
        for (auto* x : static_cast<TupleExpr*>(e)->items) expr(x);
        break;
      case EK::StructLit:
        expr(static_cast<StructLitExpr*>(e)->type);
        for (auto& [n, v] : static_cast<StructLitExpr*>(e)->fields) expr(v);
        break;
      case EK::Range:
        expr(static_cast<RangeExpr*>(e)->start);
        expr(static_cast<RangeExpr*>(e)->end);
        break;
      case EK::Block:
        block(static_cast<BlockExpr*>(e)->block);
        break;
      default:
        break;
    }
  }

 private:
  std::function<void(Expr*)> fn_;
};

std::string plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

class CallChecker {
 public:
  CallChecker(Interp& in, Module* m, std::vector<Diagnostic>& out) : in_(in), m_(m), out_(out) {
    // Module-level declarations of every loaded module, by their storage (imports share it).
    for (Module* mod : in.all_modules()) {
      if (!mod->body) continue;
      for (Stmt* s : mod->body->stmts) {
        if (s->kind == SK::Fn) {
          auto* f = static_cast<FnDecl*>(s);
          if (f->ref == RefKind::Global && f->slot) decls_[f->slot] = s;
        } else if (s->kind == SK::Struct) {
          auto* d = static_cast<StructDecl*>(s);
          if (d->ref == RefKind::Global && d->slot) decls_[d->slot] = s;
        }
      }
    }
  }

  void run() {
    Walker w([this](Expr* e) { visit(e); });
    w.block(m_->body);
  }

 private:
  void error(uint32_t off, std::string msg, bool warning = false) {
    Diagnostic d{m_->file.get(), off, std::move(msg)};
    d.warning = warning;
    out_.push_back(std::move(d));
  }

  // The declaration a callee names: `f`, or `mod.f` where mod is an imported module.
  Stmt* decl_of(Expr* callee) {
    const Value* slot = nullptr;
    if (callee->kind == EK::Name) {
      auto* n = static_cast<NameExpr*>(callee);
      if (n->ref == RefKind::Global) slot = n->slot;
    } else if (callee->kind == EK::Field) {
      auto* fe = static_cast<FieldExpr*>(callee);
      if (fe->object->kind != EK::Name) return nullptr;
      auto* n = static_cast<NameExpr*>(fe->object);
      if (n->ref != RefKind::Global || !n->slot || !n->slot->is(OK::Module)) return nullptr;
      Module* mod = n->slot->as<Module>();
      auto it = mod->names.find(fe->field);
      if (it != mod->names.end()) slot = it->second;
    }
    if (!slot) return nullptr;
    auto it = decls_.find(slot);
    return it == decls_.end() ? nullptr : it->second;
  }

  // A call of a known function or constructor: its arguments against the declaration.
  template <class CallNode>
  void check_call(CallNode* c, Stmt* d) {
    if (!d || c->has_spread) return;
    if (d->kind == SK::Fn) {
      auto* f = static_cast<FnDecl*>(d);
      if (!f->is_extern && f->decorators.empty()) check_fn_args(c, f, sym_name(f->name));
    } else {
      check_constructor(c, static_cast<StructDecl*>(d));
    }
  }

  // `mod.f(...)` where mod names an imported module: the declaration of its item f.
  Stmt* module_item_decl(MethodCallExpr* c) {
    if (c->object->kind != EK::Name) return nullptr;
    auto* n = static_cast<NameExpr*>(c->object);
    if (n->ref != RefKind::Global || !n->slot || !n->slot->is(OK::Module)) return nullptr;
    Module* mod = n->slot->as<Module>();
    auto it = mod->names.find(c->method);
    if (it == mod->names.end()) return nullptr;
    auto d = decls_.find(it->second);
    return d == decls_.end() ? nullptr : d->second;
  }

  void visit(Expr* e) {
    if (e->kind == EK::Call) {
      auto* c = static_cast<CallExpr*>(e);
      check_call(c, decl_of(c->callee));
    } else if (e->kind == EK::MethodCall) {
      auto* c = static_cast<MethodCallExpr*>(e);
      check_call(c, module_item_decl(c));
    } else if (e->kind == EK::StructLit) {
      auto* s = static_cast<StructLitExpr*>(e);
      Stmt* d = decl_of(s->type);
      if (d && d->kind == SK::Struct) {
        auto* sd = static_cast<StructDecl*>(d);
        for (auto& [name, v] : s->fields) unknown_field(sd, name, v ? v->off : s->off);
      }
    }
  }

  static FnDecl* init_of(StructDecl* d) {
    static const Sym s_init = intern("__init__");
    for (FnDecl* m : d->methods)
      if (m->name == s_init) return m;
    return nullptr;
  }

  void unknown_field(StructDecl* d, Sym name, uint32_t off) {
    std::vector<std::string> names;
    for (auto& f : d->fields) {
      if (f.name == name) return;
      names.push_back(sym_name(f.name));
    }
    std::string hint = closest_name(sym_name(name), names);
    error(off,
          "struct '" + sym_name(d->name) + "' has no field '" + sym_name(name) + "'" +
              (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
              "; it will exist on this instance only",
          /*warning=*/true);
  }

  template <class CallNode>
  void check_constructor(CallNode* c, StructDecl* d) {
    if (FnDecl* init = init_of(d)) {
      check_fn_args(c, init, sym_name(d->name));
      return;
    }
    size_t positional = 0;
    for (auto& a : c->args) {
      if (a.name)
        unknown_field(d, a.name, a.off);
      else
        positional++;
    }
    if (positional > d->fields.size())
      error(c->off, "'" + sym_name(d->name) + "' has " + plural(d->fields.size(), "field") +
                        " but " + std::to_string(positional) + " values were given");
  }

  template <class CallNode>
  void check_fn_args(CallNode* c, FnDecl* f, const std::string& name) {
    size_t np = f->params.size();
    bool variadic = np && f->params.back().variadic;
    size_t fixed = variadic ? np - 1 : np;
    std::vector<bool> given(np, false);
    size_t positional = 0;
    for (auto& a : c->args) {
      if (!a.name) {
        if (positional < fixed) given[positional] = true;
        positional++;
        continue;
      }
      auto it = std::find_if(f->params.begin(), f->params.end(),
                             [&](const Param& p) { return p.name == a.name; });
      if (it == f->params.end()) {
        std::vector<std::string> names;
        for (auto& p : f->params) names.push_back(sym_name(p.name));
        std::string hint = closest_name(sym_name(a.name), names);
        error(a.off, "'" + name + "' has no parameter named '" + sym_name(a.name) + "'" +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        return;
      }
      given[size_t(it - f->params.begin())] = true;
    }
    if (!variadic && positional > fixed) {
      error(c->off, "'" + name + "' takes " + plural(fixed, "argument") + " but " +
                        std::to_string(positional) + " were given");
      return;
    }
    for (size_t i = 0; i < fixed; i++) {
      if (given[i] || f->params[i].def) continue;
      error(c->off, "missing argument '" + sym_name(f->params[i].name) + "' in call to '" + name +
                        "' (it takes " + plural(fixed, "argument") + ")");
      return;
    }
  }

  Interp& in_;
  Module* m_;
  std::vector<Diagnostic>& out_;
  std::unordered_map<const Value*, Stmt*> decls_;
};

}  // namespace

void check_module_calls(Interp& in, Module* m, std::vector<Diagnostic>& out) {
  CallChecker(in, m, out).run();
}

}  // namespace spl
