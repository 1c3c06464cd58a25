// The compiler: resolved AST -> Proto (bytecode.h). One pass per function body; expressions
// are compiled into a requested register when one is given (so `x = a + b` writes x directly),
// conditions into fused compare-and-jump pairs, loops with their back-edges, `with` into
// entry/exit instructions plus a handler region for errors, `?` into TRY with an out-of-line
// early-return stub that runs the exit handlers of the enclosing `with`s. Nothing runs here.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "bytecode.h"
#include "interp.h"

namespace spl {

Proto::~Proto() = default;

Module::~Module() {
  for (Proto* p : protos) delete p;
}

void Module::clear_refs() {
  for (auto& g : globals) g = Value();
  for (auto& p : protos) p->clear_values();
}

namespace {

constexpr uint32_t kMaxRegs = 65000;

struct LoopCtx {
  static constexpr uint32_t kForward = UINT32_MAX;
  uint32_t continue_target;  // kForward: the test at the loop's bottom, not emitted yet
  size_t with_depth;         // number of active withs when the loop started
  std::vector<uint32_t> breaks;
  std::vector<uint32_t> continues;  // forward jumps to that test
};

struct WithCtx {
  uint16_t reg;
  bool is_async;
};

// An early exit (`?` failing, a `with` over an Err) compiled out of line, after the body: it
// runs the exit handlers of the withs that were active, then leaves with R[reg].
struct Stub {
  uint32_t jump;  // the JMP to patch
  uint16_t reg;
  std::vector<WithCtx> withs;
};

class Compiler {
 public:
  Compiler(Interp& in, Proto* p, Module* m) : in_(in), p_(p), m_(m) {}

  void compile_function(FnDecl* d) {
    fn_ = d;
    p_->decl = d;
    p_->name = sym_name(d->name);
    p_->module = d->module;
    p_->first_param = d->is_method ? 1 : 0;
    p_->nparams = uint32_t(d->params.size());
    p_->variadic = !d->params.empty() && d->params.back().variadic;
    top_ = max_ = d->nlocals;
    p_->nlocals = d->nlocals;
    cur_off_ = d->off;
    // Parameters not given: their defaults (the VM starts at body_pc when every parameter was
    // given).
    for (size_t i = 0; i < d->params.size(); i++) {
      const Param& prm = d->params[i];
      uint16_t r = uint16_t(p_->first_param + i);
      if (prm.variadic) continue;  // always given (an array, maybe empty)
      cur_off_ = prm.off;
      if (prm.def) {  // (a parameter without a default is checked when arguments are bound)
        uint32_t j = emit(Opc::DEFAULT, r);
        expr(prm.def, r);
        patch_to_here(j);
      }
    }
    p_->body_pc = here();  // every parameter given: start here
    // Captured locals live in cells (parameters, self included, keep their value).
    for (uint32_t s : d->cell_slots) {
      Instr& ins = code_at(emit(Opc::MKCELL, uint16_t(s)));
      ins.k = s < p_->first_param + p_->nparams ? 1 : 0;  // (self is slot 0 of a method)
    }
    cur_off_ = d->body ? d->body->off : d->off;
    function_body(d->body);
    finish();
  }

  // A function's statements; the value of the last one (an expression) is returned.
  void function_body(Block* b) {
    if (!b || b->stmts.empty()) {
      emit(Opc::RETNIL);
      return;
    }
    size_t n = b->stmts.size();
    for (size_t i = 0; i + 1 < n; i++) stmt(b->stmts[i]);
    Stmt* last = b->stmts[n - 1];
    cur_off_ = last->off;
    if (last->kind == SK::Expr) {
      Expr* e = static_cast<ExprStmt*>(last)->expr;
      uint16_t r = (e->kind == EK::If || e->kind == EK::Match) ? expr(e, alloc()) : operand(e);
      emit(Opc::RETURN, r);
      return;
    }
    stmt(last);
    if (last->kind != SK::Return) emit(Opc::RETNIL);
  }

  void compile_module(Module* m, const std::vector<Stmt*>& stmts) {
    p_->is_module = true;
    p_->module = m;
    p_->name = "<module>";
    top_ = max_ = 0;
    for (Stmt* s : stmts) stmt(s);
    emit(Opc::RETNIL);
    finish();
  }

  void compile_expression(Module* m, Expr* e) {
    p_->is_module = true;
    p_->module = m;
    p_->name = "<expression>";
    top_ = max_ = 0;
    cur_off_ = e->off;
    uint16_t r = alloc();
    expr(e, r);
    emit(Opc::RETURN, r);
    finish();
  }

 private:
  // ---------------------------------------------------------------- emission
  uint32_t emit(Opc op, uint16_t a = 0, uint16_t b = 0, uint16_t c = 0, uint8_t k = 0) {
    Instr i;
    i.op = op;
    i.a = a;
    i.b = b;
    i.c = c;
    i.k = k;
    p_->code.push_back(i);
    p_->offs.push_back(cur_off_);
    return uint32_t(p_->code.size() - 1);
  }
  Instr& code_at(uint32_t pc) { return p_->code[pc]; }
  uint32_t here() const { return uint32_t(p_->code.size()); }
  uint32_t emit_jump(Opc op = Opc::JMP, uint16_t a = 0) {
    uint32_t pc = emit(op, a);
    p_->code[pc].sbx = 0;
    return pc;
  }
  void patch(uint32_t pc, uint32_t target) { p_->code[pc].sbx = int32_t(target) - int32_t(pc + 1); }
  void patch_to_here(uint32_t pc) { patch(pc, here()); }
  void patch_all(const std::vector<uint32_t>& jumps, uint32_t target) {
    for (uint32_t j : jumps) patch(j, target);
  }
  void emit_back_jump(uint32_t target) { patch(emit_jump(), target); }

  // ---------------------------------------------------------------- registers and tables
  uint16_t alloc(uint32_t n = 1) {
    uint32_t r = top_;
    top_ += n;
    if (top_ > kMaxRegs) fail(cur_off_, "function is too large (more than 65000 registers)");
    max_ = std::max(max_, top_);
    return uint16_t(r);
  }
  void free_to(uint32_t mark) { top_ = mark; }

  [[noreturn]] void fail(uint32_t off, const std::string& msg) {
    throw RuntimeError{make_compile_error(off, msg)};
  }
  std::shared_ptr<ErrorInfo> make_compile_error(uint32_t off, const std::string& msg) {
    auto info = std::make_shared<ErrorInfo>();
    info->message = msg;
    info->file = m_ && m_->file ? m_->file.get() : nullptr;
    info->offset = off;
    return info;
  }

  uint32_t k_value(Value v) {
    p_->consts.push_back(std::move(v));
    return uint32_t(p_->consts.size() - 1);
  }
  uint32_t k_sym(Sym s) {
    auto it = sym_consts_.find(s);
    if (it != sym_consts_.end()) return it->second;
    uint32_t k = k_value(Value::integer(int64_t(s)));
    sym_consts_[s] = k;
    return k;
  }
  uint32_t k_str(StrExpr* s) {
    auto it = str_consts_.find(s->value);
    if (it != str_consts_.end()) return it->second;
    Str* lit = Str::make(s->value);
    lit->literal = true;
    uint32_t k = k_value(Value(lit));
    str_consts_[s->value] = k;
    return k;
  }
  uint32_t g_slot(Value* slot, Sym name) {
    auto it = global_index_.find(slot);
    if (it != global_index_.end()) {
      if (name) p_->global_names[it->second] = name;
      return it->second;
    }
    p_->globals.push_back(slot);
    p_->global_names.push_back(name);
    uint32_t g = uint32_t(p_->globals.size() - 1);
    global_index_[slot] = g;
    return g;
  }

  void finish() {
    p_->nregs = std::max<uint32_t>(max_, 1);
    for (auto& st : stubs_) {
      patch_to_here(st.jump);
      for (size_t i = st.withs.size(); i-- > 0;) {
        Instr& ins = code_at(emit(Opc::WITHEXIT, st.withs[i].reg));
        ins.k = st.withs[i].is_async;
      }
      emit(Opc::TRYRET, st.reg);
    }
    stubs_.clear();
    p_->caches.resize(p_->code.size());
    p_->numbers_only = true;
    for (const Instr& i : p_->code) p_->numbers_only = p_->numbers_only && marks_references(i.op);
  }

  // The instructions whose handlers set their frame's `dirty` flag whenever they put a
  // reference in a register (vm.cc).
  static bool marks_references(Opc op) {
    switch (op) {
      case Opc::MOVE:
      case Opc::LOADI:
      case Opc::LOADNIL:
      case Opc::LOADBOOL:
      case Opc::GETCAP:
      case Opc::ADD:
      case Opc::SUB:
      case Opc::MUL:
      case Opc::DIV:
      case Opc::MOD:
      case Opc::ADDI:
      case Opc::MULI:
      case Opc::MODI:
      case Opc::EQI:
      case Opc::NEI:
      case Opc::LTI:
      case Opc::LEI:
      case Opc::GTI:
      case Opc::GEI:
      case Opc::EQ:
      case Opc::NE:
      case Opc::LT:
      case Opc::LE:
      case Opc::NOT:
      case Opc::JMP:
      case Opc::JF:
      case Opc::JT:
      case Opc::BEQ:
      case Opc::BNE:
      case Opc::BLT:
      case Opc::BLE:
      case Opc::BEQI:
      case Opc::BNEI:
      case Opc::BLTI:
      case Opc::BLEI:
      case Opc::BGTI:
      case Opc::BGEI:
      case Opc::CALL:
      case Opc::CALLG:
      case Opc::CALLCAP:
      case Opc::RETURN:
      case Opc::RETNIL:
        return true;
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------- names
  void load_name(NameExpr* n, uint16_t dst) {
    switch (n->ref) {
      case RefKind::Local:
        if (n->index != dst) emit(Opc::MOVE, dst, uint16_t(n->index));
        return;
      case RefKind::LocalCell:
        emit(Opc::GETCELL, dst, uint16_t(n->index), uint16_t(k_sym_small(n->name)));
        return;
      case RefKind::Upvalue:
        emit(Opc::GETUPV, dst, uint16_t(n->index), uint16_t(k_sym_small(n->name)));
        return;
      case RefKind::Captured:
        emit(Opc::GETCAP, dst, uint16_t(n->index), uint16_t(k_sym_small(n->name)));
        return;
      case RefKind::Global:
      case RefKind::Builtin: {
        Instr& i = code_at(emit(Opc::GETGLOBAL, dst));
        i.bx = g_slot(n->slot, n->name);
        return;
      }
      case RefKind::Unresolved: {
        p_->late_names.push_back(n);
        Instr& i = code_at(emit(Opc::GETNAME, dst));
        i.bx = uint32_t(p_->late_names.size() - 1);
        return;
      }
    }
  }

  // Stores R[src] into a binding (name or pattern bind).
  void store_ref(RefKind ref, uint32_t index, Value* slot, uint16_t src, uint32_t off) {
    switch (ref) {
      case RefKind::Local:
        if (index != src) emit(Opc::MOVE, uint16_t(index), src);
        return;
      case RefKind::LocalCell:
        emit(Opc::SETCELL, uint16_t(index), src);
        return;
      case RefKind::Upvalue:
        emit(Opc::SETUPV, src, uint16_t(index));
        return;
      case RefKind::Captured:  // (the resolver captures by value only what nothing assigns)
        panic(off, "internal error: assignment to a value captured by a closure");
        return;
      case RefKind::Global: {
        Instr& i = code_at(emit(Opc::SETGLOBAL, src));
        i.bx = g_slot(slot, 0);
        return;
      }
      case RefKind::Builtin:
        panic(off, "cannot assign to a builtin name");
        return;
      case RefKind::Unresolved:
        panic(off, "internal error: unresolved name");
        return;
    }
  }

  void panic(uint32_t off, const std::string& msg) {
    uint32_t saved = cur_off_;
    cur_off_ = off;
    Instr& i = code_at(emit(Opc::PANIC));
    i.bx = k_value(make_str(msg));
    cur_off_ = saved;
  }

  // The register a local name lives in, when it is a plain (uncaptured) local.
  static int local_reg(Expr* e) {
    if (e->kind != EK::Name) return -1;
    auto* n = static_cast<NameExpr*>(e);
    return n->ref == RefKind::Local ? int(n->index) : -1;
  }

  // ---------------------------------------------------------------- expressions
  // Compiles `e`; the value ends up in `dst` when dst >= 0, else in the returned register
  // (a plain local's own register, or a new temporary).
  uint16_t expr(Expr* e, int dst = -1) {
    uint32_t saved_off = cur_off_;
    cur_off_ = e->off;
    uint16_t r = expr_inner(e, dst);
    cur_off_ = saved_off;
    return r;
  }

  uint16_t target(int dst) { return dst >= 0 ? uint16_t(dst) : alloc(); }

  // Value of `e` in some register (no copy for plain locals).
  uint16_t operand(Expr* e) {
    int l = local_reg(e);
    if (l >= 0) return uint16_t(l);
    return expr(e, -1);
  }

  static bool small_int(Expr* e, int64_t* v) {
    if (e->kind == EK::Int) {
      int64_t x = static_cast<IntExpr*>(e)->value;
      if (x >= -32768 && x <= 32767) {
        *v = x;
        return true;
      }
    }
    if (e->kind == EK::Unary && static_cast<UnaryExpr*>(e)->op == Op::Neg &&
        static_cast<UnaryExpr*>(e)->operand->kind == EK::Int) {
      int64_t x = static_cast<IntExpr*>(static_cast<UnaryExpr*>(e)->operand)->value;
      if (x >= 0 && x <= 32768) {
        *v = -x;
        return true;
      }
    }
    return false;
  }

  uint16_t expr_inner(Expr* e, int dst) {
    switch (e->kind) {
      case EK::Int: {
        uint16_t r = target(dst);
        int64_t v = static_cast<IntExpr*>(e)->value;
        if (v >= INT32_MIN && v <= INT32_MAX) {
          Instr& i = code_at(emit(Opc::LOADI, r));
          i.sbx = int32_t(v);
        } else {
          Instr& i = code_at(emit(Opc::LOADK, r));
          i.bx = k_value(Value::integer(v));
        }
        return r;
      }
      case EK::Float: {
        uint16_t r = target(dst);
        Instr& i = code_at(emit(Opc::LOADK, r));
        i.bx = k_value(Value::floating(static_cast<FloatExpr*>(e)->value));
        return r;
      }
      case EK::Str: {
        uint16_t r = target(dst);
        Instr& i = code_at(emit(Opc::LOADK, r));
        i.bx = k_str(static_cast<StrExpr*>(e));
        return r;
      }
      case EK::Nil: {
        uint16_t r = target(dst);
        emit(Opc::LOADNIL, r, 0);
        return r;
      }
      case EK::Bool: {
        uint16_t r = target(dst);
        emit(Opc::LOADBOOL, r, static_cast<BoolExpr*>(e)->value ? 1 : 0);
        return r;
      }
      case EK::Name: {
        auto* n = static_cast<NameExpr*>(e);
        if (n->ref == RefKind::Local && dst < 0) return uint16_t(n->index);
        uint16_t r = target(dst);
        load_name(n, r);
        return r;
      }
      case EK::Interp:
        return interp(static_cast<InterpExpr*>(e), dst);
      case EK::Unary: {
        auto* u = static_cast<UnaryExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t v = operand(u->operand);
        switch (u->op) {
          case Op::Neg:
            emit(Opc::NEG, r, v);
            break;
          case Op::Not:
            emit(Opc::NOT, r, v);
            break;
          case Op::BitNot:
            emit(Opc::BNOT, r, v);
            break;
          default:  // (the parser makes no other unary operator)
            fail(u->off, std::string("unsupported unary operator '") + op_text(u->op) + "'");
        }
        free_to(mark);
        return r;
      }
      case EK::Binary:
        return binary(static_cast<BinaryExpr*>(e), dst);
      case EK::And:
      case EK::Or: {
        auto* l = static_cast<LogicExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        expr(l->lhs, r);
        free_to(mark);
        uint32_t j = emit_jump(e->kind == EK::And ? Opc::JF : Opc::JT, r);
        expr(l->rhs, r);
        free_to(mark);
        patch_to_here(j);
        return r;
      }
      case EK::Compare: {
        // a < b <= c: each comparison in turn, false as soon as one fails.
        auto* c = static_cast<CompareExpr*>(e);
        uint16_t r = target(dst);
        std::vector<uint32_t> fails;
        cond_jump(e, false, fails);
        emit(Opc::LOADBOOL, r, 1);
        uint32_t done = emit_jump();
        patch_all(fails, here());
        emit(Opc::LOADBOOL, r, 0);
        patch_to_here(done);
        (void)c;
        return r;
      }
      case EK::Call:
        return call(static_cast<CallExpr*>(e), dst);
      case EK::MethodCall:
        return method_call(static_cast<MethodCallExpr*>(e), dst);
      case EK::Field: {
        auto* f = static_cast<FieldExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t obj = operand(f->object);
        cur_off_ = f->off;
        emit(Opc::GETFIELD, r, obj, uint16_t(k_sym_small(f->field)));
        free_to(mark);
        return r;
      }
      case EK::Index: {
        auto* ie = static_cast<IndexExpr*>(e);
        if (ie->index->kind == EK::Range) {  // a[1..3], a[2..], a[..=4]
          auto* rg = static_cast<RangeExpr*>(ie->index);
          return slice(ie->object, rg->start, rg->end, nullptr, rg->inclusive, dst);
        }
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t obj = operand(ie->object);
        int64_t imm;
        if (small_int(ie->index, &imm)) {  // xs[0], parts[-1]: the index is an operand
          // `text.split(sep)[k]`: the CALLM may make piece k alone and skip the GETINDEXI
          if (is_split_call(ie->object) && !p_->code.empty() && p_->code.back().op == Opc::CALLM &&
              p_->code.back().a == obj)
            p_->code.back().k = 1;
          cur_off_ = ie->off;
          emit(Opc::GETINDEXI, r, obj, uint16_t(int16_t(imm)));
          free_to(mark);
          return r;
        }
        uint16_t idx = operand(ie->index);
        cur_off_ = ie->off;
        emit(Opc::GETINDEX, r, obj, idx);
        free_to(mark);
        return r;
      }
      case EK::Slice: {
        auto* s = static_cast<SliceExpr*>(e);
        return slice(s->object, s->start, s->end, s->step, false, dst);
      }
      case EK::Try: {
        auto* t = static_cast<TryExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t v = operand(t->operand);
        cur_off_ = t->off;
        emit(Opc::TRY, r, v);
        stubs_.push_back({emit_jump(), r, withs_});
        free_to(mark);
        return r;
      }
      case EK::Await: {
        auto* a = static_cast<AwaitExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t v = operand(a->operand);
        cur_off_ = a->off;
        emit(Opc::AWAIT, r, v);
        free_to(mark);
        return r;
      }
      case EK::Cast: {
        auto* c = static_cast<CastExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t v = operand(c->operand);
        cur_off_ = c->off;
        emit(Opc::CAST, r, v, uint16_t(k_sym_small(c->type)));
        free_to(mark);
        return r;
      }
      case EK::If:
        return if_expr(static_cast<IfExpr*>(e), dst);
      case EK::Match:
        return match_expr(static_cast<MatchExpr*>(e), dst);
      case EK::Lambda: {
        uint16_t r = target(dst);
        closure(static_cast<LambdaExpr*>(e)->fn, r);
        return r;
      }
      case EK::Array:
      case EK::Tuple: {
        const std::vector<Expr*>& items = e->kind == EK::Array ? static_cast<ArrayExpr*>(e)->items
                                                               : static_cast<TupleExpr*>(e)->items;
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t base = alloc(uint32_t(items.size()));
        for (size_t i = 0; i < items.size(); i++) expr(items[i], base + int(i));
        cur_off_ = e->off;
        emit(e->kind == EK::Array ? Opc::NEWARRAY : Opc::NEWTUPLE, r, base, uint16_t(items.size()));
        free_to(mark);
        return r;
      }
      case EK::Dict: {
        auto* d = static_cast<DictExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t base = alloc(uint32_t(d->entries.size() * 2));
        for (size_t i = 0; i < d->entries.size(); i++) {
          expr(d->entries[i].first, base + int(2 * i));
          expr(d->entries[i].second, base + int(2 * i + 1));
        }
        cur_off_ = e->off;
        emit(Opc::NEWDICT, r, base, uint16_t(d->entries.size()));
        free_to(mark);
        return r;
      }
      case EK::StructLit: {
        auto* s = static_cast<StructLitExpr*>(e);
        uint16_t r = target(dst);
        uint32_t mark = top_;
        uint16_t base = alloc(uint32_t(1 + s->fields.size()));
        expr(s->type, base);
        CallShape shape;
        shape.site = s;
        shape.has_named = true;
        shape.struct_literal = true;
        for (size_t i = 0; i < s->fields.size(); i++) {
          expr(s->fields[i].second, base + 1 + int(i));
          Arg a;
          a.name = s->fields[i].first;
          shape.args.push_back(a);
        }
        cur_off_ = s->off;
        p_->calls.push_back(std::move(shape));
        emit(Opc::CALLX, base, uint16_t(s->fields.size()), uint16_t(p_->calls.size() - 1));
        if (r != base) emit(Opc::MOVE, r, base);
        free_to(mark);
        return r;
      }
      case EK::Range: {
        auto* rg = static_cast<RangeExpr*>(e);
        uint16_t r = target(dst);
        if (!rg->end) {
          panic(rg->off, "open-ended ranges are only allowed in slices");
          emit(Opc::LOADNIL, r, 0);
          return r;
        }
        uint32_t mark = top_;
        uint16_t base = alloc(2);
        if (rg->start)
          expr(rg->start, base);
        else
          code_at(emit(Opc::LOADI, base)).sbx = 0;
        expr(rg->end, base + 1);
        cur_off_ = rg->off;
        emit(Opc::NEWRANGE, r, base, 0, rg->inclusive ? 1 : 0);
        free_to(mark);
        return r;
      }
      case EK::Block: {
        uint16_t r = target(dst);
        block_value(static_cast<BlockExpr*>(e)->block, r);
        return r;
      }
    }
    fail(e->off, "internal error: unknown expression");
  }

  uint32_t k_sym_small(Sym s) {
    uint32_t k = k_sym(s);
    if (k > 0xFFFF) fail(cur_off_, "function is too large (more than 65535 constants)");
    return k;
  }

  uint16_t binary(BinaryExpr* b, int dst) {
    uint16_t r = target(dst);
    uint32_t mark = top_;
    Opc op;
    bool swap = false;
    switch (b->op) {
      case Op::Add:
        op = Opc::ADD;
        break;
      case Op::Sub:
        op = Opc::SUB;
        break;
      case Op::Mul:
        op = Opc::MUL;
        break;
      case Op::Div:
        op = Opc::DIV;
        break;
      case Op::Mod:
        op = Opc::MOD;
        break;
      case Op::Pow:
        op = Opc::POW;
        break;
      case Op::FloorDiv:
        op = Opc::FLOORDIV;
        break;
      case Op::BitAnd:
        op = Opc::BAND;
        break;
      case Op::BitOr:
        op = Opc::BOR;
        break;
      case Op::BitXor:
        op = Opc::BXOR;
        break;
      case Op::Shl:
        op = Opc::SHL;
        break;
      case Op::Shr:
        op = Opc::SHR;
        break;
      case Op::Eq:
        op = Opc::EQ;
        break;
      case Op::Ne:
        op = Opc::NE;
        break;
      case Op::Lt:
        op = Opc::LT;
        break;
      case Op::Le:
        op = Opc::LE;
        break;
      case Op::Gt:
        op = Opc::LT;
        swap = true;
        break;
      case Op::Ge:
        op = Opc::LE;
        swap = true;
        break;
      case Op::In:
        op = Opc::IN;
        break;
      case Op::NotIn:
        op = Opc::NOTIN;
        break;
      case Op::Is:
        op = Opc::IS;
        break;
      default:
        op = Opc::BINOP;
        break;
    }
    int64_t imm;
    if ((op == Opc::ADD || op == Opc::SUB) && small_int(b->rhs, &imm) &&
        !(op == Opc::SUB && imm == -32768)) {
      uint16_t l = operand(b->lhs);
      cur_off_ = b->off;
      Instr& i = code_at(emit(Opc::ADDI, r, l));
      i.c = uint16_t(int16_t(op == Opc::SUB ? -imm : imm));
      i.k = op == Opc::SUB ? 1 : 0;  // for messages: the operator written
      free_to(mark);
      return r;
    }
    // `x * 3`, `x % 3`, `x == 0`, `x < 10`...: the constant is an operand of the instruction.
    Opc imm_op = Opc::Count;
    switch (b->op) {
      case Op::Mul:
        imm_op = Opc::MULI;
        break;
      case Op::Mod:
        imm_op = Opc::MODI;
        break;
      case Op::Eq:
        imm_op = Opc::EQI;
        break;
      case Op::Ne:
        imm_op = Opc::NEI;
        break;
      case Op::Lt:
        imm_op = Opc::LTI;
        break;
      case Op::Le:
        imm_op = Opc::LEI;
        break;
      case Op::Gt:
        imm_op = Opc::GTI;
        break;
      case Op::Ge:
        imm_op = Opc::GEI;
        break;
      default:
        break;
    }
    if (imm_op != Opc::Count && small_int(b->rhs, &imm)) {
      uint16_t l = operand(b->lhs);
      cur_off_ = b->off;
      Instr& i = code_at(emit(imm_op, r, l));
      i.c = uint16_t(int16_t(imm));
      free_to(mark);
      return r;
    }
    // Operands are evaluated left to right whatever the instruction's order.
    uint16_t l = operand(b->lhs);
    uint16_t rr = operand(b->rhs);
    cur_off_ = b->off;
    if (swap) std::swap(l, rr);
    emit(op, r, l, rr, op == Opc::BINOP ? uint8_t(b->op) : 0);
    free_to(mark);
    return r;
  }

  uint16_t slice(Expr* obj, Expr* start, Expr* end, Expr* step, bool inclusive, int dst) {
    uint16_t r = target(dst);
    uint32_t mark = top_;
    uint16_t base = alloc(4);
    expr(obj, base);
    if (start)
      expr(start, base + 1);
    else
      emit(Opc::LOADNIL, base + 1, 0);
    if (end)
      expr(end, base + 2);
    else
      emit(Opc::LOADNIL, base + 2, 0);
    if (step)
      expr(step, base + 3);
    else
      emit(Opc::LOADNIL, base + 3, 0);
    emit(Opc::SLICE, r, base, 0, inclusive ? 1 : 0);
    free_to(mark);
    return r;
  }

  uint16_t interp(InterpExpr* ie, int dst) {
    uint16_t r = target(dst);
    uint32_t mark = top_;
    size_t n = 0;
    for (auto& part : ie->parts)
      if (part.expr) n++;
    uint16_t base = alloc(uint32_t(std::max<size_t>(n, 1)));
    size_t i = 0;
    for (auto& part : ie->parts)
      if (part.expr) expr(part.expr, base + int(i++));
    cur_off_ = ie->off;
    p_->interps.push_back({ie});
    emit(Opc::INTERP, r, base, uint16_t(p_->interps.size() - 1));
    free_to(mark);
    return r;
  }

  // Arguments into consecutive registers from `base`; returns the shape index for CALLX /
  // CALLMX when names or spreads are used, else -1.
  int args_into(const std::vector<Arg>& args, uint16_t base, bool has_named, bool has_spread,
                const Node* site, Sym method) {
    for (size_t i = 0; i < args.size(); i++) expr(args[i].value, base + int(i));
    if (!has_named && !has_spread) return -1;
    CallShape shape;
    shape.method = method;
    shape.args = args;
    shape.has_named = has_named;
    shape.has_spread = has_spread;
    shape.site = site;
    p_->calls.push_back(std::move(shape));
    return int(p_->calls.size() - 1);
  }

  // Where a call's callee and arguments go: at the result's own register when that is the
  // newest temporary (no move afterwards), else in new temporaries. Returns the result
  // register; `base` receives where the call is laid out.
  uint16_t call_base(int dst, size_t nargs, uint16_t* base) {
    if (dst < 0) {
      *base = alloc(uint32_t(1 + nargs));
      return *base;
    }
    if (uint32_t(dst) >= nlocals() && uint32_t(dst) + 1 == top_) {
      *base = uint16_t(dst);
      alloc(uint32_t(nargs));
      return *base;
    }
    *base = alloc(uint32_t(1 + nargs));
    return uint16_t(dst);
  }
  uint32_t nlocals() const { return fn_ ? fn_->nlocals : 0; }

  uint16_t call(CallExpr* c, int dst) {
    uint32_t mark = top_;
    uint16_t base;
    uint16_t r = call_base(dst, c->args.size(), &base);
    // A module-level function called by name: CALLG reads it from its global storage (no
    // copy into a register).
    auto* callee_name = c->callee->kind == EK::Name ? static_cast<NameExpr*>(c->callee) : nullptr;
    bool global = callee_name && !c->has_named && !c->has_spread &&
                  (callee_name->ref == RefKind::Global || callee_name->ref == RefKind::Builtin);
    uint32_t g = global ? g_slot(callee_name->slot, callee_name->name) : 0;
    if (g > 0xFFFF) global = false;
    // A closure calling a value it captured: CALLCAP reads it from the closure (the running
    // closure holds it, and nothing can assign it, so no copy into a register).
    bool captured = callee_name && !c->has_named && !c->has_spread &&
                    callee_name->ref == RefKind::Captured && c->args.size() <= 255;
    if (!global && !captured) expr(c->callee, base);
    int shape = args_into(c->args, base + 1, c->has_named, c->has_spread, c, 0);
    cur_off_ = c->off;
    if (global) {
      emit(Opc::CALLG, base, uint16_t(c->args.size()), uint16_t(g));
    } else if (captured) {
      Instr& i = code_at(emit(Opc::CALLCAP, base, uint16_t(callee_name->index),
                              uint16_t(k_sym_small(callee_name->name))));
      i.k = uint8_t(c->args.size());
    } else if (shape >= 0) {
      emit(Opc::CALLX, base, uint16_t(c->args.size()), uint16_t(shape));
    } else {
      emit(Opc::CALL, base, uint16_t(c->args.size()));
    }
    if (r != base) emit(Opc::MOVE, r, base);
    free_to(dst < 0 ? uint32_t(r) + 1 : mark);  // a result in a new temporary stays
    return r;
  }

  // A call `x.split(sep)` with one positional argument.
  static bool is_split_call(Expr* e) {
    static const Sym split = intern("split");
    if (e->kind != EK::MethodCall) return false;
    auto* c = static_cast<MethodCallExpr*>(e);
    return c->method == split && c->args.size() == 1 && !c->has_named && !c->has_spread;
  }

  // An expression whose evaluation reads only (a literal or a name): it cannot change a local.
  static bool is_plain_read(Expr* e) {
    switch (e->kind) {
      case EK::Int:
      case EK::Float:
      case EK::Str:
      case EK::Nil:
      case EK::Bool:
      case EK::Name:
        return true;
      default:
        return false;
    }
  }

  uint16_t method_call(MethodCallExpr* c, int dst) {
    if (is_text_mutator(c->method) && !c->has_named && !c->has_spread) return text_mutator(c, dst);
    uint32_t mark = top_;
    uint16_t base;
    uint16_t r = call_base(dst, c->args.size(), &base);
    // `x.m(args)` on a plain local whose arguments only read: the arguments first, then
    // MOVERECV (the receiver's copy, or a builtin method called on x in place) before CALLM.
    // (Reading the arguments first is the same as reading x first: they cannot change x.)
    int recv = local_reg(c->object);
    bool in_place = recv >= 0 && !c->has_named && !c->has_spread;
    for (const Arg& a : c->args) in_place = in_place && is_plain_read(a.value);
    if (!in_place) expr(c->object, base);
    int shape = args_into(c->args, base + 1, c->has_named, c->has_spread, c, c->method);
    cur_off_ = c->off;
    if (in_place) emit(Opc::MOVERECV, base, uint16_t(recv));
    if (shape >= 0)
      emit(Opc::CALLMX, base, uint16_t(c->args.size()), uint16_t(shape));
    else
      emit(Opc::CALLM, base, uint16_t(c->args.size()), uint16_t(k_sym_small(c->method)));
    if (r != base) emit(Opc::MOVE, r, base);
    free_to(dst < 0 ? uint32_t(r) + 1 : mark);  // a result in a new temporary stays
    return r;
  }

  // push / push_str / pop / clear change the text their receiver holds: the receiver's
  // storage is passed by reference (a plain local's register), or a copy is written back to
  // the variable, field or element it came from (only when it is text: TEXTMUT skips the
  // write-back otherwise).
  uint16_t text_mutator(MethodCallExpr* c, int dst) {
    uint16_t r = target(dst);
    uint32_t mark = top_;
    uint16_t base = alloc(uint32_t(1 + c->args.size()));
    Expr* obj = c->object;
    int home = local_reg(obj);
    uint16_t o1 = 0, o2 = 0;  // object / index registers for the write-back
    uint16_t recv;
    if (home >= 0) {
      recv = uint16_t(home);
    } else {
      recv = alloc();
      if (obj->kind == EK::Field) {
        o1 = operand(static_cast<FieldExpr*>(obj)->object);
        emit(Opc::GETFIELD, recv, o1, uint16_t(k_sym_small(static_cast<FieldExpr*>(obj)->field)));
      } else if (obj->kind == EK::Index && static_cast<IndexExpr*>(obj)->index->kind != EK::Range) {
        o1 = operand(static_cast<IndexExpr*>(obj)->object);
        o2 = operand(static_cast<IndexExpr*>(obj)->index);
        emit(Opc::GETINDEX, recv, o1, o2);
      } else {
        expr(obj, recv);
      }
    }
    for (size_t i = 0; i < c->args.size(); i++) expr(c->args[i].value, base + 1 + int(i));
    cur_off_ = c->off;
    Instr& ins = code_at(emit(Opc::TEXTMUT, base, recv, uint16_t(k_sym_small(c->method))));
    ins.k = uint8_t(c->args.size());
    // The write-back (skipped by TEXTMUT when the receiver is not text): always one
    // instruction, a NOP-like MOVE for receivers that need none.
    if (home >= 0) {
      emit(Opc::MOVE, recv, recv);
    } else if (obj->kind == EK::Field) {
      emit(Opc::SETFIELD, o1, recv, uint16_t(k_sym_small(static_cast<FieldExpr*>(obj)->field)));
    } else if (obj->kind == EK::Index && static_cast<IndexExpr*>(obj)->index->kind != EK::Range) {
      emit(Opc::SETINDEX, o1, o2, recv);
    } else if (obj->kind == EK::Name) {
      auto* n = static_cast<NameExpr*>(obj);
      uint32_t before = here();
      store_ref(n->ref, n->index, n->slot, recv, n->off);
      if (here() == before) emit(Opc::MOVE, recv, recv);
    } else {
      emit(Opc::MOVE, recv, recv);
    }
    if (r != base) emit(Opc::MOVE, r, base);
    free_to(mark);
    return r;
  }

  void closure(FnDecl* d, uint16_t r) {
    p_->lambdas.push_back(d);
    Instr& i = code_at(emit(Opc::CLOSURE, r));
    i.bx = uint32_t(p_->lambdas.size() - 1);
  }

  // An if as a statement (want_value false) computes no value: its branches are blocks.
  uint16_t if_expr(IfExpr* ie, int dst, bool want_value = true) {
    uint16_t r = want_value ? target(dst) : 0;
    std::vector<uint32_t> ends;
    for (size_t i = 0; i < ie->conds.size(); i++) {
      std::vector<uint32_t> next;
      uint32_t mark = top_;
      cur_off_ = ie->conds[i]->off;
      if (ie->lets[i]) {
        uint16_t v = operand(ie->conds[i]);
        match(ie->lets[i], v, next);
      } else {
        cond_jump(ie->conds[i], false, next);
      }
      free_to(mark);
      if (want_value)
        block_value(ie->blocks[i], r);
      else
        block(ie->blocks[i]);
      if (i + 1 < ie->conds.size() || ie->else_block || want_value) ends.push_back(emit_jump());
      patch_all(next, here());
    }
    if (ie->else_block) {
      if (want_value)
        block_value(ie->else_block, r);
      else
        block(ie->else_block);
    } else if (want_value) {
      emit(Opc::LOADNIL, r, 0);
    }
    patch_all(ends, here());
    return r;
  }

  uint16_t match_expr(MatchExpr* m, int dst, bool want_value = true) {
    uint16_t r = want_value ? target(dst) : 0;
    uint32_t mark = top_;
    uint16_t subject = operand(m->subject);
    std::vector<uint32_t> ends;
    for (auto& arm : m->arms) {
      std::vector<uint32_t> next;
      cur_off_ = arm.pattern->off;
      match(arm.pattern, subject, next);
      if (arm.guard) cond_jump(arm.guard, false, next);
      if (want_value)
        block_value(arm.body, r);
      else
        block(arm.body);
      ends.push_back(emit_jump());
      patch_all(next, here());
    }
    if (want_value) emit(Opc::LOADNIL, r, 0);
    patch_all(ends, here());
    free_to(mark);
    return r;
  }

  // Tests R[v] against `p`, binding names on success; failures jump (to patch into `fails`).
  void match(Pattern* p, uint16_t v, std::vector<uint32_t>& fails) {
    switch (p->kind) {
      case PK::Wildcard:
        return;
      case PK::Bind:
        store_ref(p->ref, p->index, p->slot, v, p->off);
        return;
      default:
        break;
    }
    p_->patterns.push_back(p);
    Instr& i = code_at(emit(Opc::MATCH, v));
    i.bx = uint32_t(p_->patterns.size() - 1);
    fails.push_back(emit_jump());
    constant_pattern_values(p);
  }

  // Binds R[v] to `p` or raises "does not match" (let / for / with targets).
  void bind(Pattern* p, uint16_t v) {
    if (p->kind == PK::Bind) {
      store_ref(p->ref, p->index, p->slot, v, p->off);
      return;
    }
    if (p->kind == PK::Wildcard) return;
    p_->patterns.push_back(p);
    uint32_t saved = cur_off_;
    cur_off_ = p->off;                                 // (a mismatch is reported at the pattern)
    Instr& i = code_at(emit(Opc::MATCH, v, 0, 0, 1));  // k=1: error when it does not match
    cur_off_ = saved;
    i.bx = uint32_t(p_->patterns.size() - 1);
    constant_pattern_values(p);
  }

  // Literal and range patterns hold constants: fold them once into the Proto.
  void constant_pattern_values(Pattern* p) {
    if (p->kind == PK::Literal || p->kind == PK::Range) {
      for (Expr* e : {p->literal, p->literal_end}) {
        if (!e) continue;
        Value v;
        if (!fold_constant(e, &v))
          fail(e->off, "a pattern must be a literal (number, text, bool or nil)");
        p_->pattern_consts.emplace_back(e, v);
      }
    }
    for (Pattern* q : p->subs) constant_pattern_values(q);
  }

  bool fold_constant(Expr* e, Value* out) {
    switch (e->kind) {
      case EK::Int:
        *out = Value::integer(static_cast<IntExpr*>(e)->value);
        return true;
      case EK::Float:
        *out = Value::floating(static_cast<FloatExpr*>(e)->value);
        return true;
      case EK::Str: {
        *out = p_->consts[k_str(static_cast<StrExpr*>(e))];
        return true;
      }
      case EK::Bool:
        *out = Value::boolean(static_cast<BoolExpr*>(e)->value);
        return true;
      case EK::Nil:
        *out = Value();
        return true;
      case EK::Unary: {
        auto* u = static_cast<UnaryExpr*>(e);
        Value v;
        if (u->op != Op::Neg || !fold_constant(u->operand, &v)) return false;
        if (v.is_int() && v.as_int() != INT64_MIN) {
          *out = Value::integer(-v.as_int());
          return true;
        }
        if (v.is_float()) {
          *out = Value::floating(-v.as_float());
          return true;
        }
        return false;
      }
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------- conditions
  static Opc branch_op(Op op, bool* swap) {
    *swap = false;
    switch (op) {
      case Op::Eq:
        return Opc::BEQ;
      case Op::Ne:
        return Opc::BNE;
      case Op::Lt:
        return Opc::BLT;
      case Op::Le:
        return Opc::BLE;
      case Op::Gt:
        *swap = true;
        return Opc::BLT;
      case Op::Ge:
        *swap = true;
        return Opc::BLE;
      default:
        return Opc::Count;
    }
  }
  static Opc branch_imm_op(Op op) {
    switch (op) {
      case Op::Eq:
        return Opc::BEQI;
      case Op::Ne:
        return Opc::BNEI;
      case Op::Lt:
        return Opc::BLTI;
      case Op::Le:
        return Opc::BLEI;
      case Op::Gt:
        return Opc::BGTI;
      case Op::Ge:
        return Opc::BGEI;
      default:
        return Opc::Count;
    }
  }

  // Emits code that jumps (jumps to patch go into `out`) when truthy(e) == when, and falls
  // through otherwise.
  void cond_jump(Expr* e, bool when, std::vector<uint32_t>& out) {
    uint32_t saved = cur_off_;
    cur_off_ = e->off;
    uint32_t mark = top_;
    switch (e->kind) {
      case EK::Bool:
        if (static_cast<BoolExpr*>(e)->value == when) out.push_back(emit_jump());
        cur_off_ = saved;
        return;
      case EK::Unary:
        if (static_cast<UnaryExpr*>(e)->op == Op::Not) {
          cond_jump(static_cast<UnaryExpr*>(e)->operand, !when, out);
          cur_off_ = saved;
          return;
        }
        break;
      case EK::And:
      case EK::Or: {
        auto* l = static_cast<LogicExpr*>(e);
        bool is_and = e->kind == EK::And;
        if (is_and != when) {  // and/false, or/true: either side decides
          cond_jump(l->lhs, when, out);
          cond_jump(l->rhs, when, out);
        } else {  // and/true, or/false: the left side must pass first
          std::vector<uint32_t> skip;
          cond_jump(l->lhs, !when, skip);
          cond_jump(l->rhs, when, out);
          patch_all(skip, here());
        }
        cur_off_ = saved;
        return;
      }
      case EK::Binary: {
        auto* b = static_cast<BinaryExpr*>(e);
        bool swap;
        Opc op = branch_op(b->op, &swap);
        if (op == Opc::Count) break;
        int64_t imm;
        if (small_int(b->rhs, &imm)) {
          uint16_t l = operand(b->lhs);
          cur_off_ = b->off;
          Instr& i = code_at(emit(branch_imm_op(b->op), l));
          i.b = uint16_t(int16_t(imm));
          i.k = when ? 1 : 0;
          out.push_back(emit_jump());
          free_to(mark);
          cur_off_ = saved;
          return;
        }
        uint16_t l = operand(b->lhs);
        uint16_t r = operand(b->rhs);
        cur_off_ = b->off;
        if (swap) std::swap(l, r);
        emit(op, l, r, 0, when ? 1 : 0);
        out.push_back(emit_jump());
        free_to(mark);
        cur_off_ = saved;
        return;
      }
      case EK::Compare: {
        // a < b < c: every link must hold; the middle operand is evaluated once.
        auto* c = static_cast<CompareExpr*>(e);
        std::vector<uint32_t> fails;
        uint16_t left = operand(c->operands[0]);
        for (size_t i = 0; i < c->ops.size(); i++) {
          uint16_t right = alloc();
          expr(c->operands[i + 1], right);
          bool swap;
          Opc op = branch_op(c->ops[i], &swap);
          uint16_t x = left, y = right;
          if (swap) std::swap(x, y);
          cur_off_ = c->off;
          emit(op, x, y, 0, 0);  // jump when false
          fails.push_back(emit_jump());
          left = right;
        }
        if (when) {
          out.push_back(emit_jump());  // all held
          patch_all(fails, here());
        } else {
          for (uint32_t f : fails) out.push_back(f);
        }
        free_to(mark);
        cur_off_ = saved;
        return;
      }
      default:
        break;
    }
    uint16_t v = operand(e);
    out.push_back(emit_jump(when ? Opc::JT : Opc::JF, v));
    free_to(mark);
    cur_off_ = saved;
  }

  // ---------------------------------------------------------------- statements
  void block(Block* b) {
    if (!b) return;
    for (Stmt* s : b->stmts) stmt(s);
  }

  // The block's value (its last expression statement; nil otherwise) into R[dst].
  void block_value(Block* b, uint16_t dst) {
    if (!b || b->stmts.empty()) {
      emit(Opc::LOADNIL, dst, 0);
      return;
    }
    size_t n = b->stmts.size();
    for (size_t i = 0; i + 1 < n; i++) stmt(b->stmts[i]);
    Stmt* last = b->stmts[n - 1];
    if (last->kind == SK::Expr) {
      uint32_t mark = top_;
      cur_off_ = last->off;
      expr(static_cast<ExprStmt*>(last)->expr, dst);
      free_to(mark);
      return;
    }
    stmt(last);
    emit(Opc::LOADNIL, dst, 0);
  }

  void stmt(Stmt* s) {
    uint32_t mark = top_;
    cur_off_ = s->off;
    switch (s->kind) {
      case SK::Expr: {
        Expr* e = static_cast<ExprStmt*>(s)->expr;
        if (e->kind == EK::If)
          if_expr(static_cast<IfExpr*>(e), -1, /*want_value=*/false);
        else if (e->kind == EK::Match)
          match_expr(static_cast<MatchExpr*>(e), -1, /*want_value=*/false);
        else
          expr(e, -1);
        break;
      }
      case SK::Let: {
        auto* l = static_cast<LetStmt*>(s);
        Pattern* t = l->target;
        if (t->kind == PK::Bind && t->ref == RefKind::Local) {
          if (l->value)
            expr(l->value, int(t->index));
          else
            emit(Opc::LOADNIL, uint16_t(t->index), 0);
          break;
        }
        uint16_t v = alloc();
        if (l->value)
          expr(l->value, v);
        else
          emit(Opc::LOADNIL, v, 0);
        cur_off_ = s->off;
        bind(t, v);
        break;
      }
      case SK::Assign:
        assign(static_cast<AssignStmt*>(s));
        break;
      case SK::Compound:
        compound(static_cast<CompoundStmt*>(s));
        break;
      case SK::While:
        while_stmt(static_cast<WhileStmt*>(s));
        break;
      case SK::For:
        for_stmt(static_cast<ForStmt*>(s));
        break;
      case SK::Loop: {
        auto* l = static_cast<LoopStmt*>(s);
        uint32_t top = here();
        loops_.push_back({top, withs_.size(), {}, {}});
        block(l->body);
        emit_back_jump(top);
        patch_all(loops_.back().breaks, here());
        loops_.pop_back();
        break;
      }
      case SK::Break:
      case SK::Continue: {
        if (loops_.empty()) {
          panic(s->off, "'break' or 'continue' outside of a loop");
          break;
        }
        LoopCtx& lc = loops_.back();
        exit_withs(lc.with_depth);
        if (s->kind == SK::Break)
          lc.breaks.push_back(emit_jump());
        else if (lc.continue_target == LoopCtx::kForward)
          lc.continues.push_back(emit_jump());
        else
          emit_back_jump(lc.continue_target);
        break;
      }
      case SK::Return: {
        auto* r = static_cast<JumpStmt*>(s);
        if (!fn_) {
          panic(s->off, "'return' outside of a function");
          break;
        }
        cur_off_ = s->off;
        if (!r->value) {
          exit_withs(0);
          emit(Opc::RETNIL);
          break;
        }
        uint16_t v = operand(r->value);
        cur_off_ = s->off;
        exit_withs(0);
        emit(Opc::RETURN, v);
        break;
      }
      case SK::Pass:
        break;
      case SK::With:
        with_stmt(static_cast<WithStmt*>(s), 0);
        break;
      case SK::Fn: {
        auto* d = static_cast<FnDecl*>(s);
        if (d->is_extern) {
          declare(s);
          break;
        }
        uint16_t r = alloc();
        closure(d, r);
        // @decorators, bottom-up: fn = d(fn)
        for (size_t i = d->decorators.size(); i-- > 0;) {
          uint16_t base = alloc(2);
          expr(d->decorators[i], base);
          emit(Opc::MOVE, base + 1, r);
          cur_off_ = d->decorators[i]->off;
          emit(Opc::CALL, base, 1);
          emit(Opc::MOVE, r, base);
        }
        store_ref(d->ref, d->index, d->slot, r, d->off);
        break;
      }
      case SK::Struct:
      case SK::Enum:
      case SK::Trait:
      case SK::Impl:
      case SK::Use:
      case SK::Export:
        declare(s);
        break;
      case SK::Nop:
        break;
    }
    free_to(mark);
  }

  void declare(Stmt* s) {
    p_->stmts.push_back(s);
    Instr& i = code_at(emit(Opc::DECLARE));
    i.bx = uint32_t(p_->stmts.size() - 1);
  }

  // Leaving `with`s (break/continue/return): their exit handlers, innermost first.
  void exit_withs(size_t down_to) {
    for (size_t i = withs_.size(); i-- > down_to;) {
      Instr& ins = code_at(emit(Opc::WITHEXIT, withs_[i].reg));
      ins.k = withs_[i].is_async;
    }
  }

  void assign(AssignStmt* a) {
    Expr* t = a->target;
    switch (t->kind) {
      case EK::Name: {
        auto* n = static_cast<NameExpr*>(t);
        if (n->ref == RefKind::Local) {
          expr(a->value, int(n->index));
          return;
        }
        uint16_t v = alloc();
        expr(a->value, v);
        cur_off_ = a->off;
        store_ref(n->ref, n->index, n->slot, v, n->off);
        return;
      }
      case EK::Field: {
        auto* fe = static_cast<FieldExpr*>(t);
        uint16_t v = alloc();
        expr(a->value, v);
        uint16_t obj = operand(fe->object);
        cur_off_ = fe->off;
        emit(Opc::SETFIELD, obj, v, uint16_t(k_sym_small(fe->field)));
        return;
      }
      case EK::Index: {
        auto* ie = static_cast<IndexExpr*>(t);
        uint16_t v = alloc();
        expr(a->value, v);
        uint16_t obj = operand(ie->object);
        uint16_t idx = operand(ie->index);
        cur_off_ = ie->off;
        emit(Opc::SETINDEX, obj, idx, v);
        return;
      }
      case EK::Tuple: {
        auto* te = static_cast<TupleExpr*>(t);
        uint16_t v = alloc();
        expr(a->value, v);
        uint16_t base = alloc(uint32_t(te->items.size()));
        cur_off_ = a->off;
        emit(Opc::UNPACK, base, v, uint16_t(te->items.size()));
        for (size_t i = 0; i < te->items.size(); i++) assign_reg(te->items[i], base + int(i));
        return;
      }
      default:
        panic(t->off, "cannot assign to this expression");
    }
  }

  // Stores R[v] into an assignment target (tuple unpacking).
  void assign_reg(Expr* t, uint16_t v) {
    uint32_t mark = top_;
    switch (t->kind) {
      case EK::Name: {
        auto* n = static_cast<NameExpr*>(t);
        store_ref(n->ref, n->index, n->slot, v, n->off);
        break;
      }
      case EK::Field: {
        auto* fe = static_cast<FieldExpr*>(t);
        uint16_t obj = operand(fe->object);
        emit(Opc::SETFIELD, obj, v, uint16_t(k_sym_small(fe->field)));
        break;
      }
      case EK::Index: {
        auto* ie = static_cast<IndexExpr*>(t);
        uint16_t obj = operand(ie->object);
        uint16_t idx = operand(ie->index);
        emit(Opc::SETINDEX, obj, idx, v);
        break;
      }
      case EK::Tuple: {
        auto* te = static_cast<TupleExpr*>(t);
        uint16_t base = alloc(uint32_t(te->items.size()));
        emit(Opc::UNPACK, base, v, uint16_t(te->items.size()));
        for (size_t i = 0; i < te->items.size(); i++) assign_reg(te->items[i], base + int(i));
        break;
      }
      default:
        panic(t->off, "cannot assign to this expression");
    }
    free_to(mark);
  }

  static Opc arith_op(Op op) {
    switch (op) {
      case Op::Add:
        return Opc::ADD;
      case Op::Sub:
        return Opc::SUB;
      case Op::Mul:
        return Opc::MUL;
      case Op::Div:
        return Opc::DIV;
      case Op::Mod:
        return Opc::MOD;
      case Op::Pow:
        return Opc::POW;
      case Op::FloorDiv:
        return Opc::FLOORDIV;
      default:
        return Opc::BINOP;
    }
  }

  void emit_arith(Op op, uint16_t dst, uint16_t l, Expr* rhs_expr, uint16_t r) {
    (void)rhs_expr;
    Opc o = arith_op(op);
    emit(o, dst, l, r, o == Opc::BINOP ? uint8_t(op) : 0);
  }

  void compound(CompoundStmt* c) {
    Expr* t = c->target;
    if (t->kind == EK::Name) {
      auto* n = static_cast<NameExpr*>(t);
      if (n->ref == RefKind::Local) {
        int64_t imm;
        uint16_t x = uint16_t(n->index);
        if ((c->op == Op::Add || c->op == Op::Sub) && small_int(c->value, &imm) &&
            !(c->op == Op::Sub && imm == -32768)) {
          cur_off_ = c->off;
          Instr& i = code_at(emit(Opc::ADDI, x, x));
          i.c = uint16_t(int16_t(c->op == Op::Sub ? -imm : imm));
          i.k = c->op == Op::Sub ? 1 : 0;
          return;
        }
        uint16_t r = operand(c->value);
        cur_off_ = c->off;
        emit_arith(c->op, x, x, c->value, r);  // `s += t` appends in place when it can
        return;
      }
      uint16_t cur = alloc();
      load_name(n, cur);
      uint16_t r = operand(c->value);
      cur_off_ = c->off;
      emit_arith(c->op, cur, cur, c->value, r);
      store_ref(n->ref, n->index, n->slot, cur, n->off);
      return;
    }
    if (t->kind == EK::Field) {
      auto* fe = static_cast<FieldExpr*>(t);
      uint16_t obj = operand(fe->object);
      uint16_t cur = alloc();
      uint16_t name = uint16_t(k_sym_small(fe->field));
      cur_off_ = fe->off;
      emit(Opc::GETFIELD, cur, obj, name);
      uint16_t r = operand(c->value);
      cur_off_ = c->off;
      emit_arith(c->op, cur, cur, c->value, r);
      cur_off_ = fe->off;
      emit(Opc::SETFIELD, obj, cur, name);
      return;
    }
    if (t->kind == EK::Index) {
      auto* ie = static_cast<IndexExpr*>(t);
      uint16_t obj = operand(ie->object);
      uint16_t idx = operand(ie->index);
      uint16_t cur = alloc();
      cur_off_ = ie->off;
      emit(Opc::GETINDEX, cur, obj, idx);
      uint16_t r = operand(c->value);
      cur_off_ = c->off;
      emit_arith(c->op, cur, cur, c->value, r);
      cur_off_ = ie->off;
      emit(Opc::SETINDEX, obj, idx, cur);
      return;
    }
    panic(t->off, "cannot assign to this expression");
  }

  // `while cond:` tests at the bottom (entered by a jump to the test), so an iteration runs
  // the body and one test-and-branch; `while let` keeps its test at the top.
  void while_stmt(WhileStmt* w) {
    if (!w->let) {
      uint32_t to_test = emit_jump();
      uint32_t body = here();
      loops_.push_back({LoopCtx::kForward, withs_.size(), {}, {}});
      block(w->body);
      patch_to_here(to_test);
      patch_all(loops_.back().continues, here());
      std::vector<uint32_t> back;
      cond_jump(w->cond, true, back);
      patch_all(back, body);
      patch_all(loops_.back().breaks, here());
      loops_.pop_back();
      return;
    }
    uint32_t top = here();
    std::vector<uint32_t> exits;
    uint32_t mark = top_;
    uint16_t v = operand(w->cond);
    match(w->let, v, exits);
    free_to(mark);
    loops_.push_back({top, withs_.size(), {}, {}});
    block(w->body);
    emit_back_jump(top);
    patch_all(exits, here());
    patch_all(loops_.back().breaks, here());
    loops_.pop_back();
  }

  void for_stmt(ForStmt* f) {
    uint16_t state = alloc(3);
    expr(f->iter, state);
    cur_off_ = f->iter->off;
    emit(Opc::FORPREP, state);
    Pattern* t = f->target;
    bool direct = t->kind == PK::Bind && t->ref == RefKind::Local;
    uint16_t item = direct ? uint16_t(t->index) : alloc();
    // FORNEXT sits at the bottom (entered by a jump): with an item it takes the JMP after it
    // back to the body, so an iteration runs the body and one FORNEXT.
    uint32_t to_next = emit_jump();
    uint32_t body = here();
    if (!direct) {
      cur_off_ = t->off;
      bind(t, item);
    }
    loops_.push_back({LoopCtx::kForward, withs_.size(), {}, {}});
    block(f->body);
    patch_to_here(to_next);
    patch_all(loops_.back().continues, here());
    cur_off_ = f->iter->off;
    emit(Opc::FORNEXT, state, item);
    patch(emit_jump(), body);
    patch_all(loops_.back().breaks, here());
    loops_.pop_back();
  }

  void with_stmt(WithStmt* w, size_t idx) {
    if (idx == w->items.size()) {
      block(w->body);
      return;
    }
    WithItem& item = w->items[idx];
    uint16_t r = alloc(3);
    expr(item.resource, r);
    cur_off_ = item.resource->off;
    Instr& enter = code_at(emit(Opc::WITHENTER, r));
    enter.k = w->is_async;
    stubs_.push_back({emit_jump(), r, withs_});
    if (item.target) {
      cur_off_ = item.target->off;
      bind(item.target, r + 2);
    }
    withs_.push_back({r, w->is_async});
    uint32_t begin = here();
    with_stmt(w, idx + 1);
    uint32_t end = here();
    withs_.pop_back();
    cur_off_ = w->off;
    Instr& ex = code_at(emit(Opc::WITHEXIT, r));
    ex.k = w->is_async;
    p_->handlers.push_back({begin, end, here(), r, w->is_async});
  }

  Interp& in_;
  Proto* p_;
  Module* m_;
  FnDecl* fn_ = nullptr;
  uint32_t top_ = 0, max_ = 0;
  uint32_t cur_off_ = 0;
  std::vector<LoopCtx> loops_;
  std::vector<WithCtx> withs_;
  std::vector<Stub> stubs_;
  std::unordered_map<Sym, uint32_t> sym_consts_;
  std::unordered_map<std::string, uint32_t> str_consts_;
  std::unordered_map<Value*, uint32_t> global_index_;
};

Proto* new_proto(Module* m) {
  m->protos.push_back(new Proto());
  return m->protos.back();
}

}  // namespace

Proto* compile_function(Interp& in, FnDecl* d) {
  if (d->proto) return d->proto;
  Proto* p = new_proto(d->module);
  Compiler(in, p, d->module).compile_function(d);
  d->proto = p;
  if (!d->is_async && !d->is_method && !p->variadic) d->flat = p;
  return p;
}

Proto* compile_module_body(Interp& in, Module* m, const std::vector<Stmt*>& stmts) {
  Proto* p = new_proto(m);
  Compiler(in, p, m).compile_module(m, stmts);
  return p;
}

Proto* compile_expression(Interp& in, Module* m, Expr* e) {
  Proto* p = new_proto(m);
  Compiler(in, p, m).compile_expression(m, e);
  return p;
}

}  // namespace spl
