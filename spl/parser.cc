// Recursive-descent parser with precedence climbing (docs/language.md, "Operators and precedence").
// Statement-level error recovery: on an error the parser records it, skips to the next line at the
// same block level and continues. Type annotations are parsed and dropped (types are dynamic).
#include "parser.h"

#include <algorithm>
#include <cctype>

namespace spl {

namespace {

struct ParseError {};
constexpr int kMaxDepth = 200;
constexpr size_t kMaxErrors = 25;

class Parser {
 public:
  Parser(const SourceFile& file, AstArena& arena, std::vector<Diagnostic>& errors,
         std::vector<Token> toks, std::vector<std::vector<StrPart>> strings, int depth)
      : file_(file),
        a_(arena),
        errors_(errors),
        toks_(std::move(toks)),
        strings_(std::move(strings)),
        depth_(depth) {}

  Block* parse_module();
  Expr* parse_sub_expression();  // for interpolations: one expression then EOF

 private:
  // ---- token helpers ----
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(int k = 1) const {
    size_t i = pos_ + k;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  bool at(Tok k) const { return cur().kind == k; }
  bool at_ident(const char* s) const { return at(Tok::Ident) && cur().text == s; }
  bool accept(Tok k) {
    if (at(k)) {
      pos_++;
      return true;
    }
    return false;
  }
  const Token& advance() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  [[noreturn]] void fail(uint32_t off, std::string msg) {
    error(off, std::move(msg));
    throw ParseError{};
  }
  void error(uint32_t off, std::string msg) {
    if (errors_.size() < kMaxErrors) errors_.push_back({&file_, off, std::move(msg)});
    if (errors_.size() >= kMaxErrors) too_many_ = true;
  }
  // The ':' that opens a block. When it is missing but an indented block follows, the error is
  // reported and parsing goes on inside the block (so its own errors are reported too, and the
  // declaration still binds its name).
  void expect_block_colon(const char* what) {
    if (accept(Tok::Colon)) return;
    if (at(Tok::Newline) && peek().kind == Tok::Indent) {
      error(cur().offset, std::string("expected ") + what + ", found end of line");
      return;
    }
    fail_here(what);
  }
  [[noreturn]] void fail_here(const std::string& what) {
    fail(cur().offset, "expected " + what + ", found " + describe(cur()));
  }
  std::string describe(const Token& t) const {
    if (t.kind == Tok::Ident) return "'" + t.text + "'";
    if (t.kind == Tok::Int || t.kind == Tok::Float)
      return "number '" + file_.text.substr(t.offset, t.length) + "'";
    return tok_name(t.kind);
  }
  const Token& expect(Tok k, const char* what) {
    if (!at(k)) fail_here(what);
    return advance();
  }
  Sym expect_ident(const char* what) {
    if (at(Tok::Ident)) return intern(advance().text);
    if (is_keyword(cur().kind) && cur().kind != Tok::KwFn) {
      // keywords are allowed as member names after '.', handled by the lexer; elsewhere not
    }
    fail_here(what);
  }
  struct DepthGuard {
    Parser* p;
    explicit DepthGuard(Parser* pp) : p(pp) {
      if (++p->depth_ > kMaxDepth)
        p->fail(p->cur().offset, "nesting is too deep (limit is 200 levels)");
    }
    ~DepthGuard() { p->depth_--; }
  };

  void synchronize();
  void end_statement();

  // ---- statements ----
  Block* parse_block();           // after ':' : inline statement or NEWLINE INDENT ... DEDENT
  Block* parse_indented_block();  // NEWLINE INDENT ... DEDENT
  void parse_statements_until_dedent(Block* b);
  Stmt* parse_statement();
  Stmt* parse_simple_statement();
  Stmt* parse_fn(bool is_async, bool is_extern, bool in_type);
  Stmt* parse_struct();
  Stmt* parse_enum();
  Stmt* parse_trait();
  Stmt* parse_impl();
  Stmt* parse_use(bool is_pub);
  Stmt* parse_export();
  Stmt* parse_let();
  Stmt* parse_while();
  Stmt* parse_for();
  Stmt* parse_with(bool is_async);
  void parse_type_body(std::vector<FnDecl*>& methods, std::vector<FieldDecl>* fields,
                       std::vector<VariantDecl>* variants);
  std::vector<Sym> parse_module_path(bool* glob, std::vector<ImportItem>* items);
  Expr* parse_decorator();
  std::vector<Expr*> parse_decorators();
  Stmt* attach_decorators(Stmt* s, std::vector<Expr*> decorators);
  Stmt* parse_undecorated_statement();
  bool is_expect_call(Expr* e);
  Expr* unwrap_leading_expect(Expr* e);

  // ---- expressions ----
  Expr* parse_expr();
  Expr* parse_binary(int min_prec);  // binary operators, by the table kBinaryOps
  const struct BinaryOp* binary_op_here();
  Expr* parse_bitor();
  Expr* parse_unary();
  Expr* parse_postfix(Expr* e, bool stop_at_try);
  Expr* parse_primary();
  Expr* parse_if_expr();
  Expr* parse_match_expr();
  Expr* parse_lambda_backslash();
  Expr* parse_lambda_pipe();
  Expr* parse_lambda_fn();
  Expr* parse_string(const Token& t);
  Pattern* parse_pattern();
  Pattern* parse_pattern_single();
  void parse_call_args(std::vector<Arg>& args, bool* has_named);
  bool looks_like_struct_literal(Expr* e) const;
  Expr* parse_struct_literal(Expr* type);
  Sym parse_type();  // returns the first name in the type (for casts)
  void skip_generic_params();
  void parse_params(FnDecl* fn, Tok close);
  Expr* parse_lambda_body(FnDecl* fn, uint32_t off);
  Expr* parse_no_paren_call(Expr* callee);
  bool starts_no_paren_arg() const;
  FnDecl* make_block_lambda(Block* b, uint32_t off);
  bool can_start_expr() const;

  const SourceFile& file_;
  AstArena& a_;
  std::vector<Diagnostic>& errors_;
  std::vector<Token> toks_;
  std::vector<std::vector<StrPart>> strings_;
  size_t pos_ = 0;
  int depth_ = 0;
  int pending_gt_ = 0;       // '>>' closing two generic lists
  bool no_as_ = false;       // `with x as y`: 'as' is not a cast
  bool in_pattern_ = false;  // a literal pattern: '->' ends it (`case 1 -> x`)
  bool too_many_ = false;
};

template <class T>
T* at_off(T* n, uint32_t off) {
  n->off = off;
  return n;
}

// ---------------------------------------------------------------- statements

void Parser::synchronize() {
  // Skip to the end of the current logical line, including any nested indented block.
  int nest = 0;
  while (!at(Tok::Eof)) {
    if (at(Tok::Indent)) nest++;
    if (at(Tok::Dedent)) {
      if (nest == 0) return;
      nest--;
      advance();
      if (nest == 0) return;
      continue;
    }
    if (at(Tok::Newline) && nest == 0) {
      advance();
      if (at(Tok::Indent)) continue;  // block belonging to the broken statement
      return;
    }
    advance();
  }
}

void Parser::end_statement() {
  if (pos_ > 0 && toks_[pos_ - 1].kind == Tok::Dedent) return;  // statement ended with a block
  if (accept(Tok::Newline) || accept(Tok::Semicolon)) {
    if (at(Tok::Newline)) advance();
    return;
  }
  if (at(Tok::Eof) || at(Tok::Dedent)) return;
  fail_here("end of line after statement");
}

Block* Parser::parse_module() {
  Block* b = a_.make<Block>();
  while (!at(Tok::Eof) && !too_many_) {
    if (accept(Tok::Newline)) continue;
    if (at(Tok::Dedent) || at(Tok::Indent)) {
      if (at(Tok::Indent)) error(cur().offset, "unexpected indentation");
      synchronize();
      if (at(Tok::Dedent)) advance();
      continue;
    }
    try {
      Stmt* s = parse_statement();
      if (s) b->stmts.push_back(s);
    } catch (ParseError&) {
      synchronize();
    }
  }
  return b;
}

void Parser::parse_statements_until_dedent(Block* b) {
  while (!at(Tok::Dedent) && !at(Tok::Eof) && !too_many_) {
    if (accept(Tok::Newline)) continue;
    if (at(Tok::Indent)) {
      error(cur().offset, "unexpected indentation");
      advance();
      synchronize();
      continue;
    }
    try {
      Stmt* s = parse_statement();
      if (s) b->stmts.push_back(s);
    } catch (ParseError&) {
      synchronize();
    }
  }
  accept(Tok::Dedent);
}

Block* Parser::parse_indented_block() {
  DepthGuard g(this);
  Block* b = at_off(a_.make<Block>(), cur().offset);
  expect(Tok::Newline, "end of line before block");
  if (!at(Tok::Indent)) fail(cur().offset, "expected an indented block");
  advance();
  parse_statements_until_dedent(b);
  return b;
}

Block* Parser::parse_block() {
  if (at(Tok::Newline)) return parse_indented_block();
  // Inline block: one simple statement on the same line (not consuming the newline).
  DepthGuard g(this);
  Block* b = at_off(a_.make<Block>(), cur().offset);
  b->stmts.push_back(parse_simple_statement());
  while (accept(Tok::Semicolon)) {
    if (at(Tok::Newline) || at(Tok::Eof)) break;
    b->stmts.push_back(parse_simple_statement());
  }
  return b;
}

Expr* Parser::parse_decorator() {
  // @name, @mod.name or @name(args) on its own line before a declaration.
  advance();  // '@'
  uint32_t off = cur().offset;
  Expr* e = at_off(a_.make<NameExpr>(expect_ident("a decorator name after '@'")), off);
  while (at(Tok::Dot) && peek().kind == Tok::Ident) {
    advance();
    uint32_t foff = cur().offset;
    e = at_off(a_.make<FieldExpr>(e, intern(advance().text)), foff);
  }
  if (accept(Tok::LParen)) {
    CallExpr* c = at_off(a_.make<CallExpr>(e), off);
    parse_call_args(c->args, &c->has_named);
    for (auto& a : c->args) c->has_spread |= a.spread;
    e = c;
  }
  if (!accept(Tok::Newline)) fail_here("end of line after a decorator");
  return e;
}

std::vector<Expr*> Parser::parse_decorators() {
  std::vector<Expr*> out;
  while (at(Tok::At) && peek().kind == Tok::Ident) out.push_back(parse_decorator());
  return out;
}

Stmt* Parser::attach_decorators(Stmt* s, std::vector<Expr*> decorators) {
  // Decorators apply to functions; on anything else they are attributes and mean nothing.
  if (!decorators.empty() && s && s->kind == SK::Fn)
    static_cast<FnDecl*>(s)->decorators = std::move(decorators);
  return s;
}

Stmt* Parser::parse_statement() {
  std::vector<Expr*> decorators = parse_decorators();
  return attach_decorators(parse_undecorated_statement(), std::move(decorators));
}

Stmt* Parser::parse_undecorated_statement() {
  DepthGuard g(this);
  uint32_t off = cur().offset;
  bool is_pub = false;
  if (accept(Tok::KwPub)) is_pub = true;
  (void)is_pub;
  switch (cur().kind) {
    case Tok::KwFn:
      return parse_fn(false, false, false);
    case Tok::KwAsync:
      if (peek().kind == Tok::KwFn) {
        advance();
        return parse_fn(true, false, false);
      }
      if (peek().kind == Tok::KwWith) {
        advance();
        advance();
        return parse_with(true);
      }
      break;
    case Tok::KwExtern:
      advance();
      if (at(Tok::Str)) advance();  // extern "C"
      if (!at(Tok::KwFn)) fail_here("'fn' after 'extern'");
      return parse_fn(false, true, false);
    case Tok::KwStruct:
    case Tok::KwClass:
      return parse_struct();
    case Tok::KwEnum:
      return parse_enum();
    case Tok::KwTrait:
      return parse_trait();
    case Tok::KwImpl:
      return parse_impl();
    case Tok::KwUse:
    case Tok::KwImport:
      return parse_use(is_pub);
    case Tok::KwExport:
      return parse_export();
    case Tok::KwIf: {
      Expr* e = parse_if_expr();
      accept(Tok::Newline);
      return at_off(a_.make<ExprStmt>(e), off);
    }
    case Tok::KwMatch: {
      Expr* e = parse_match_expr();
      return at_off(a_.make<ExprStmt>(e), off);
    }
    case Tok::KwWhile:
      return parse_while();
    case Tok::KwFor:
      return parse_for();
    case Tok::KwLoop: {
      advance();
      expect_block_colon("':' after 'loop'");
      Block* b = parse_block();
      accept(Tok::Newline);
      return at_off(a_.make<LoopStmt>(b), off);
    }
    case Tok::KwWith:
      advance();
      return parse_with(false);
    case Tok::Ident:
      if ((cur().text == "sync" || cur().text == "static") && peek().kind == Tok::KwFn) {
        advance();
        return parse_fn(false, false, false);
      }
      if ((cur().text == "static") && (peek().kind == Tok::Ident || peek().kind == Tok::KwMut))
        return parse_let();
      if ((cur().text == "try" && peek().kind == Tok::Colon) ||
          (cur().text == "catch" && (peek().kind == Tok::Ident || peek().kind == Tok::Colon)))
        fail(cur().offset,
             "'try'/'catch' is not supported: Simple reports errors with Result values and '?'");
      if (cur().text == "type" && peek().kind == Tok::Ident) {
        // type alias: parsed and dropped
        advance();
        advance();
        if (at(Tok::LBracket) || at(Tok::Lt)) skip_generic_params();
        expect(Tok::Assign, "'=' in type alias");
        parse_type();
        end_statement();
        return at_off(a_.make<NopStmt>(), off);
      }
      break;
    default:
      break;
  }
  Stmt* s = parse_simple_statement();
  // A call statement may end with ':' + block: the block becomes a trailing closure argument.
  end_statement();
  return s;
}

FnDecl* Parser::make_block_lambda(Block* b, uint32_t off) {
  FnDecl* fn = at_off(a_.make<FnDecl>(), off);
  fn->is_lambda = true;
  fn->body = b;
  fn->name = intern("<block>");
  return fn;
}

bool Parser::can_start_expr() const {
  switch (cur().kind) {
    case Tok::Ident:
    case Tok::Int:
    case Tok::Float:
    case Tok::Str:
    case Tok::Symbol:
    case Tok::LParen:
    case Tok::LBracket:
    case Tok::LBrace:
    case Tok::Minus:
    case Tok::KwNot:
    case Tok::Bang:
    case Tok::Tilde:
    case Tok::KwTrue:
    case Tok::KwFalse:
    case Tok::KwNil:
    case Tok::Backslash:
    case Tok::Pipe:
    case Tok::KwFn:
    case Tok::KwIf:
    case Tok::KwMatch:
    case Tok::KwAwait:
    case Tok::Amp:
    case Tok::Star:
    case Tok::DotDot:
      return true;
    default:
      return false;
  }
}

bool Parser::starts_no_paren_arg() const {
  switch (cur().kind) {
    case Tok::Str:
    case Tok::Int:
    case Tok::Float:
    case Tok::Ident:
    case Tok::Symbol:
    case Tok::KwTrue:
    case Tok::KwFalse:
    case Tok::KwNil:
    case Tok::Backslash:
    case Tok::KwNot:
    case Tok::KwAwait:
      return true;
    case Tok::LBracket:
    case Tok::LParen: {
      // `f [1, 2]` with a space is a no-paren call; `f[1]` / `f(1)` are not
      const Token& prev = toks_[pos_ - 1];
      return cur().offset > prev.offset + prev.length && cur().kind == Tok::LBracket;
    }
    default:
      return false;
  }
}

Expr* Parser::parse_no_paren_call(Expr* callee) {
  // callee arg, arg ...  [to|not_to matcher]  (statement level only)
  if (callee->kind == EK::Field) {  // obj.method arg, ...  (e.g. items.each \x: print(x))
    auto* f = static_cast<FieldExpr*>(callee);
    MethodCallExpr* m = at_off(a_.make<MethodCallExpr>(f->object, f->field), f->off);
    do {
      Arg a;
      a.off = cur().offset;
      a.value = parse_expr();
      m->args.push_back(a);
    } while (accept(Tok::Comma));
    return m;
  }
  CallExpr* call = at_off(a_.make<CallExpr>(callee), callee->off);
  do {
    Arg a;
    a.off = cur().offset;
    a.value = parse_expr();
    call->args.push_back(a);
  } while (accept(Tok::Comma));
  if (at(Tok::Ident) && (cur().text == "to" || cur().text == "not_to") &&
      callee->kind == EK::Name) {
    Sym m = intern(advance().text);
    Expr* matcher;
    uint32_t moff = cur().offset;
    if (at(Tok::Ident) &&
        (peek().kind == Tok::Int || peek().kind == Tok::Float || peek().kind == Tok::Str ||
         peek().kind == Tok::Ident || peek().kind == Tok::KwTrue || peek().kind == Tok::KwFalse ||
         peek().kind == Tok::KwNil || peek().kind == Tok::LBracket)) {
      Expr* mname = at_off(a_.make<NameExpr>(intern(advance().text)), moff);
      CallExpr* mc = at_off(a_.make<CallExpr>(mname), moff);
      Arg a;
      a.off = cur().offset;
      a.value = parse_expr();
      mc->args.push_back(a);
      matcher = mc;
    } else {
      matcher = parse_expr();
    }
    MethodCallExpr* mc = at_off(a_.make<MethodCallExpr>(call, m), moff);
    Arg a;
    a.off = moff;
    a.value = matcher;
    mc->args.push_back(a);
    return mc;
  }
  return call;
}

bool Parser::is_expect_call(Expr* e) {
  if (e->kind != EK::Call) return false;
  auto* c = static_cast<CallExpr*>(e);
  return c->callee->kind == EK::Name &&
         sym_name(static_cast<NameExpr*>(c->callee)->name) == "expect" && c->args.size() == 1 &&
         !c->args[0].name && !c->has_spread;
}

// For a statement `expect(a) OP b ...` (a binary, comparison or logic expression whose
// leftmost operand is a one-argument expect call): the same expression with that call replaced
// by its argument; null otherwise.
Expr* Parser::unwrap_leading_expect(Expr* e) {
  Expr** leftmost = nullptr;
  for (Expr* cur = e;;) {
    Expr** next = nullptr;
    if (cur->kind == EK::Binary)
      next = &static_cast<BinaryExpr*>(cur)->lhs;
    else if (cur->kind == EK::Compare)
      next = &static_cast<CompareExpr*>(cur)->operands[0];
    else if (cur->kind == EK::And || cur->kind == EK::Or)
      next = &static_cast<LogicExpr*>(cur)->lhs;
    if (!next) break;
    leftmost = next;
    cur = *next;
  }
  if (!leftmost || !is_expect_call(*leftmost)) return nullptr;
  *leftmost = static_cast<CallExpr*>(*leftmost)->args[0].value;
  return e;
}

Stmt* Parser::parse_simple_statement() {
  uint32_t off = cur().offset;
  switch (cur().kind) {
    case Tok::KwLet:
    case Tok::KwVal:
    case Tok::KwVar:
    case Tok::KwConst:
      return parse_let();
    case Tok::KwReturn: {
      advance();
      Expr* v = nullptr;
      if (can_start_expr()) v = parse_expr();
      if (v && at(Tok::Comma)) {  // return a, b  -> tuple
        TupleExpr* t = at_off(a_.make<TupleExpr>(), v->off);
        t->items.push_back(v);
        while (accept(Tok::Comma)) t->items.push_back(parse_expr());
        v = t;
      }
      return at_off(a_.make<JumpStmt>(SK::Return, v), off);
    }
    case Tok::KwBreak: {
      advance();
      Expr* v = can_start_expr() ? parse_expr() : nullptr;
      return at_off(a_.make<JumpStmt>(SK::Break, v), off);
    }
    case Tok::KwContinue:
      advance();
      return at_off(a_.make<JumpStmt>(SK::Continue), off);
    case Tok::KwPass:
      advance();
      return at_off(a_.make<JumpStmt>(SK::Pass), off);
    case Tok::KwIf:
      return at_off(a_.make<ExprStmt>(parse_if_expr()), off);
    case Tok::KwMatch:
      return at_off(a_.make<ExprStmt>(parse_match_expr()), off);
    default:
      break;
  }
  Expr* e;
  // Statement-level no-paren call: `print "x"`, `describe "X":`, `expect a == b`.
  if (at(Tok::Ident)) {
    size_t save = pos_;
    Expr* callee = at_off(a_.make<NameExpr>(intern(advance().text)), off);
    while (at(Tok::Dot) && peek().kind == Tok::Ident) {
      advance();
      uint32_t foff = cur().offset;
      callee = at_off(a_.make<FieldExpr>(callee, intern(advance().text)), foff);
    }
    if (starts_no_paren_arg() &&
        !(at(Tok::Ident) && (cur().text == "to" || cur().text == "not_to"))) {
      e = parse_no_paren_call(callee);
    } else {
      pos_ = save;
      e = parse_expr();
    }
  } else {
    e = parse_expr();
  }
  // Tuple on the left of '=': a, b = ...
  if (at(Tok::Comma)) {
    TupleExpr* t = at_off(a_.make<TupleExpr>(), e->off);
    t->items.push_back(e);
    while (accept(Tok::Comma)) t->items.push_back(parse_expr());
    e = t;
  }
  // Trailing colon block: f(args): / f "x": -> closure as last argument
  if (at(Tok::Colon) && peek().kind == Tok::Newline) {
    uint32_t boff = cur().offset;
    advance();
    Block* body = parse_indented_block();
    FnDecl* fn = make_block_lambda(body, boff);
    Arg a;
    a.off = boff;
    a.value = at_off(a_.make<LambdaExpr>(fn), boff);
    if (e->kind == EK::Call) {
      static_cast<CallExpr*>(e)->args.push_back(a);
    } else if (e->kind == EK::MethodCall) {
      static_cast<MethodCallExpr*>(e)->args.push_back(a);
    } else if (e->kind == EK::Name || e->kind == EK::Field) {
      CallExpr* c = at_off(a_.make<CallExpr>(e), e->off);
      c->args.push_back(a);
      e = c;
    } else {
      fail(boff, "a ':' block can only follow a call");
    }
    // the block consumed its own newline/dedent; make end_statement happy
    toks_.insert(toks_.begin() + pos_, Token{Tok::Newline, cur().offset, 0, {}, 0, 0, -1});
    return at_off(a_.make<ExprStmt>(e), off);
  }
  Op op;
  switch (cur().kind) {
    case Tok::Assign:
    case Tok::TildeEq: {
      bool await = at(Tok::TildeEq);
      uint32_t aoff = cur().offset;
      advance();
      if (e->kind != EK::Name && e->kind != EK::Field && e->kind != EK::Index &&
          e->kind != EK::Tuple)
        fail(aoff, "cannot assign to this expression");
      Expr* v = parse_expr();
      if (at(Tok::Comma)) {
        TupleExpr* t = at_off(a_.make<TupleExpr>(), v->off);
        t->items.push_back(v);
        while (accept(Tok::Comma)) t->items.push_back(parse_expr());
        v = t;
      }
      if (await) v = at_off(a_.make<AwaitExpr>(v), v->off);
      return at_off(a_.make<AssignStmt>(e, v), aoff);
    }
    case Tok::PlusEq:
      op = Op::Add;
      break;
    case Tok::MinusEq:
      op = Op::Sub;
      break;
    case Tok::StarEq:
      op = Op::Mul;
      break;
    case Tok::SlashEq:
      op = Op::Div;
      break;
    case Tok::PercentEq:
      op = Op::Mod;
      break;
    case Tok::StarStarEq:
      op = Op::Pow;
      break;
    case Tok::SlashSlashEq:
      op = Op::FloorDiv;
      break;
    default:
      if (is_expect_call(e)) {
        // bare `expect <bool>` statement: fails when false
        static_cast<NameExpr*>(static_cast<CallExpr*>(e)->callee)->name = intern("__expect_stmt");
      } else if (Expr* checked = unwrap_leading_expect(e)) {
        // `expect (2 + 3) * 4 == 20` parses as `expect(2 + 3) * 4 == 20`: the operators after
        // the parenthesised group belong to what is checked.
        CallExpr* c =
            at_off(a_.make<CallExpr>(at_off(a_.make<NameExpr>(intern("__expect_stmt")), off)), off);
        Arg a;
        a.value = checked;
        a.off = checked->off;
        c->args.push_back(a);
        e = c;
      }
      return at_off(a_.make<ExprStmt>(e), off);
  }
  uint32_t aoff = cur().offset;
  advance();
  if (e->kind != EK::Name && e->kind != EK::Field && e->kind != EK::Index)
    fail(aoff, "cannot assign to this expression");
  Expr* v = parse_expr();
  return at_off(a_.make<CompoundStmt>(op, e, v), aoff);
}

Stmt* Parser::parse_let() {
  uint32_t off = cur().offset;
  bool is_const = at(Tok::KwConst);
  advance();  // let / val / var / const / static
  (void)is_const;
  accept(Tok::KwMut);
  Pattern* target;
  if (at(Tok::LParen)) {
    target = parse_pattern();
  } else {
    target = at_off(a_.make<Pattern>(), cur().offset);
    target->kind = PK::Bind;
    target->name = expect_ident("a variable name");
  }
  if (accept(Tok::Colon)) parse_type();
  Expr* v = nullptr;
  if (accept(Tok::Assign))
    v = parse_expr();
  else if (accept(Tok::TildeEq))
    v = at_off(a_.make<AwaitExpr>(parse_expr()), off);
  if (v && at(Tok::Comma) && target->kind == PK::Tuple) {
    TupleExpr* t = at_off(a_.make<TupleExpr>(), v->off);
    t->items.push_back(v);
    while (accept(Tok::Comma)) t->items.push_back(parse_expr());
    v = t;
  }
  return at_off(a_.make<LetStmt>(target, v), off);
}

Stmt* Parser::parse_while() {
  uint32_t off = cur().offset;
  advance();
  accept(Tok::Tilde);  // while~
  Pattern* let = nullptr;
  if (at(Tok::KwLet) || at(Tok::KwVal) || at(Tok::KwVar)) {
    advance();
    let = parse_pattern();
    expect(Tok::Assign, "'=' in 'while let'");
  }
  Expr* c = parse_expr();
  expect_block_colon("':' after while condition");
  Block* b = parse_block();
  accept(Tok::Newline);
  WhileStmt* w = at_off(a_.make<WhileStmt>(c, b), off);
  w->let = let;
  return w;
}

Stmt* Parser::parse_for() {
  uint32_t off = cur().offset;
  advance();
  accept(Tok::Tilde);
  Pattern* target = parse_pattern();
  if (at(Tok::Comma)) {  // for k, v in ...
    Pattern* t = at_off(a_.make<Pattern>(), target->off);
    t->kind = PK::Tuple;
    t->subs.push_back(target);
    while (accept(Tok::Comma)) t->subs.push_back(parse_pattern());
    target = t;
  }
  expect(Tok::KwIn, "'in' in for loop");
  accept(Tok::Amp);
  Expr* it = parse_expr();
  expect_block_colon("':' after for header");
  Block* b = parse_block();
  accept(Tok::Newline);
  return at_off(a_.make<ForStmt>(target, it, b), off);
}

Stmt* Parser::parse_with(bool is_async) {
  uint32_t off = toks_[pos_ - 1].offset;
  std::vector<WithItem> items;
  do {
    WithItem it;
    no_as_ = true;
    try {
      it.resource = parse_expr();
    } catch (ParseError&) {
      no_as_ = false;
      throw;
    }
    no_as_ = false;
    if (accept(Tok::KwAs)) it.target = parse_pattern();
    items.push_back(it);
  } while (accept(Tok::Comma));
  expect_block_colon("':' after with header");
  Block* b = parse_block();
  accept(Tok::Newline);
  WithStmt* w = at_off(a_.make<WithStmt>(is_async, b), off);
  w->items = std::move(items);
  return w;
}

void Parser::skip_generic_params() {
  Tok open = cur().kind;
  Tok close = open == Tok::LBracket ? Tok::RBracket : Tok::Gt;
  advance();
  int n = 1;
  while (n > 0 && !at(Tok::Eof) && !at(Tok::Newline)) {
    if (at(open)) n++;
    if (at(close)) n--;
    if (close == Tok::Gt && at(Tok::Shr)) n -= 2;
    advance();
  }
}

Sym Parser::parse_type() {
  DepthGuard g(this);
  Sym first = 0;
  while (at(Tok::Amp) || at(Tok::Star) || at(Tok::KwMut) || at_ident("dyn") || at_ident("impl"))
    advance();
  if (at(Tok::Ident)) {
    first = intern(advance().text);
    while ((at(Tok::Dot) || at(Tok::ColonColon)) && peek().kind == Tok::Ident) {
      advance();
      first = intern(advance().text);
    }
    if (at(Tok::LBracket)) {
      advance();
      if (!at(Tok::RBracket)) {
        parse_type();
        while (accept(Tok::Comma)) parse_type();
      }
      expect(Tok::RBracket, "']' closing type arguments");
    } else if (at(Tok::Lt)) {
      advance();
      parse_type();
      while (accept(Tok::Comma)) parse_type();
      if (pending_gt_ > 0) {
        pending_gt_--;
      } else if (at(Tok::Shr)) {
        advance();
        pending_gt_++;
      } else {
        expect(Tok::Gt, "'>' closing type arguments");
      }
    }
  } else if (at(Tok::LBracket)) {
    advance();
    parse_type();
    if (accept(Tok::Semicolon)) parse_expr();
    expect(Tok::RBracket, "']' in array type");
  } else if (at(Tok::LParen)) {
    advance();
    if (!at(Tok::RParen)) {
      parse_type();
      while (accept(Tok::Comma)) parse_type();
    }
    expect(Tok::RParen, "')' in tuple type");
  } else if (at(Tok::KwFn)) {
    advance();
    expect(Tok::LParen, "'(' in function type");
    if (!at(Tok::RParen)) {
      parse_type();
      while (accept(Tok::Comma)) parse_type();
    }
    expect(Tok::RParen, "')' in function type");
    if (accept(Tok::Arrow)) parse_type();
  } else if (at(Tok::KwNil)) {
    advance();
  } else {
    fail_here("a type");
  }
  while (at(Tok::Question)) advance();
  return first;
}

void Parser::parse_params(FnDecl* fn, Tok close) {
  while (!at(close)) {
    uint32_t off = cur().offset;
    accept(Tok::Amp);
    accept(Tok::KwMut);
    if (fn->is_method && at(Tok::Ident) && cur().text == "self") {
      // (a method's receiver; outside types `self` is an ordinary parameter, as in a
      // decorator's wrapper `fn wrapper(self): ...`)
      advance();
      fn->explicit_self = true;
      if (accept(Tok::Colon)) parse_type();
    } else {
      Param p;
      p.off = off;
      if (accept(Tok::Star) || accept(Tok::Ellipsis)) p.variadic = true;
      p.name = expect_ident("a parameter name");
      if (accept(Tok::Colon)) parse_type();
      if (accept(Tok::Ellipsis)) p.variadic = true;
      if (accept(Tok::Assign)) p.def = parse_expr();
      for (auto& q : fn->params)
        if (q.name == p.name) error(off, "duplicate parameter '" + sym_name(p.name) + "'");
      fn->params.push_back(p);
    }
    if (!accept(Tok::Comma)) break;
  }
  if (!at(close)) fail_here(close == Tok::RParen ? "')' after parameters" : "'|' after parameters");
  advance();
}

Stmt* Parser::parse_fn(bool is_async, bool is_extern, bool in_type) {
  uint32_t off = cur().offset;
  expect(Tok::KwFn, "'fn'");
  FnDecl* fn = at_off(a_.make<FnDecl>(), off);
  fn->is_async = is_async;
  fn->is_extern = is_extern;
  fn->is_method = in_type;
  fn->off = cur().offset;
  fn->name = expect_ident("a function name");
  if (at(Tok::LBracket) || at(Tok::Lt)) skip_generic_params();
  expect(Tok::LParen, "'(' after function name");
  parse_params(fn, Tok::RParen);
  if (accept(Tok::Arrow)) parse_type();
  if (at_ident("where")) {
    while (!at(Tok::Colon) && !at(Tok::Newline) && !at(Tok::Eof)) advance();
  }
  if (is_extern || (in_type && !at(Tok::Colon))) {
    end_statement();  // extern, or a trait method without a default body
    return fn;
  }
  expect_block_colon("':' before function body");
  if (at(Tok::Newline)) {
    fn->body = parse_indented_block();
  } else {
    // one-line body: an expression (implicit return) or a simple statement
    Block* b = at_off(a_.make<Block>(), cur().offset);
    b->stmts.push_back(parse_simple_statement());
    fn->body = b;
    end_statement();
  }
  return fn;
}

void Parser::parse_type_body(std::vector<FnDecl*>& methods, std::vector<FieldDecl>* fields,
                             std::vector<VariantDecl>* variants) {
  expect(Tok::Newline, "end of line before body");
  if (!accept(Tok::Indent)) return;  // empty body
  while (!at(Tok::Dedent) && !at(Tok::Eof) && !too_many_) {
    if (accept(Tok::Newline)) continue;
    try {
      std::vector<Expr*> decorators = parse_decorators();
      accept(Tok::KwPub);
      if (at(Tok::Ident) && (cur().text == "static" || cur().text == "sync") &&
          peek().kind == Tok::KwFn)
        advance();
      if (at(Tok::KwMut) && peek().kind == Tok::KwFn) advance();
      if (at(Tok::KwFn)) {
        methods.push_back(
            static_cast<FnDecl*>(attach_decorators(parse_fn(false, false, true), decorators)));
        continue;
      }
      if (at(Tok::KwAsync) && peek().kind == Tok::KwFn) {
        advance();
        methods.push_back(
            static_cast<FnDecl*>(attach_decorators(parse_fn(true, false, true), decorators)));
        continue;
      }
      if (at(Tok::Str)) {  // docstring
        advance();
        end_statement();
        continue;
      }
      if (at(Tok::KwPass)) {
        advance();
        end_statement();
        continue;
      }
      if (fields && (at(Tok::Ident) || at(Tok::KwVar) || at(Tok::KwVal) || at(Tok::KwLet))) {
        if (!at(Tok::Ident)) advance();
        accept(Tok::KwMut);
        FieldDecl f;
        f.name = expect_ident("a field name");
        if (accept(Tok::Colon)) parse_type();
        if (accept(Tok::Assign)) f.def = parse_expr();
        fields->push_back(f);
        if (!accept(Tok::Comma)) end_statement();
        continue;
      }
      if (variants && at(Tok::Ident)) {
        VariantDecl v;
        v.off = cur().offset;
        v.name = intern(advance().text);
        if (accept(Tok::LParen)) {
          while (!at(Tok::RParen)) {
            if (at(Tok::Ident) && peek().kind == Tok::Colon) {
              v.field_names.push_back(intern(advance().text));
              advance();
            }
            parse_type();
            v.arity++;
            if (!accept(Tok::Comma)) break;
          }
          expect(Tok::RParen, "')' after variant payload");
          if (!v.field_names.empty() && int(v.field_names.size()) != v.arity)
            fail(v.off, "mix of named and positional fields in variant");
        } else if (at(Tok::LBrace)) {
          advance();
          while (!at(Tok::RBrace)) {
            v.field_names.push_back(expect_ident("a field name"));
            expect(Tok::Colon, "':' after field name");
            parse_type();
            v.arity++;
            if (!accept(Tok::Comma)) break;
          }
          expect(Tok::RBrace, "'}' after variant fields");
        }
        for (auto& o : *variants)
          if (o.name == v.name) error(v.off, "duplicate variant '" + sym_name(v.name) + "'");
        variants->push_back(v);
        if (!accept(Tok::Comma) && !accept(Tok::Pipe)) end_statement();
        continue;
      }
      fail_here(fields ? "a field or method" : variants ? "a variant or method" : "a method");
    } catch (ParseError&) {
      synchronize();
    }
  }
  accept(Tok::Dedent);
}

Stmt* Parser::parse_struct() {
  uint32_t off = cur().offset;
  bool is_class = at(Tok::KwClass);
  advance();
  StructDecl* s = at_off(a_.make<StructDecl>(expect_ident("a struct name")), off);
  s->is_class = is_class;
  if (at(Tok::LBracket) || at(Tok::Lt)) skip_generic_params();
  if (at(Tok::LBrace)) {  // struct Name { a: T, b: U }
    advance();
    while (!at(Tok::RBrace)) {
      FieldDecl f;
      f.name = expect_ident("a field name");
      if (accept(Tok::Colon)) parse_type();
      if (accept(Tok::Assign)) f.def = parse_expr();
      s->fields.push_back(f);
      if (!accept(Tok::Comma)) break;
    }
    expect(Tok::RBrace, "'}' after struct fields");
    end_statement();
    return s;
  }
  if (at(Tok::LParen)) fail(cur().offset, "tuple structs are not supported yet");
  if (!at(Tok::Colon) && !(at(Tok::Newline) && peek().kind == Tok::Indent)) {
    end_statement();
    return s;  // unit struct
  }
  expect_block_colon("':' after the name");
  parse_type_body(s->methods, &s->fields, nullptr);
  return s;
}

Stmt* Parser::parse_enum() {
  uint32_t off = cur().offset;
  advance();
  EnumDecl* e = at_off(a_.make<EnumDecl>(expect_ident("an enum name")), off);
  if (at(Tok::LBracket) || at(Tok::Lt)) skip_generic_params();
  expect_block_colon("':' after enum name");
  parse_type_body(e->methods, nullptr, &e->variants);
  return e;
}

Stmt* Parser::parse_trait() {
  uint32_t off = cur().offset;
  advance();
  TraitDecl* t = at_off(a_.make<TraitDecl>(expect_ident("a trait name")), off);
  if (at(Tok::LBracket) || at(Tok::Lt)) skip_generic_params();
  expect(Tok::Colon, "':' after trait name");
  if (!at(Tok::Newline)) {  // supertraits: trait A: B, C:
    parse_type();
    while (accept(Tok::Comma) || accept(Tok::Plus)) parse_type();
    if (!accept(Tok::Colon)) {
      end_statement();
      return t;
    }
  }
  parse_type_body(t->methods, nullptr, nullptr);
  return t;
}

Stmt* Parser::parse_impl() {
  uint32_t off = cur().offset;
  advance();
  if (at(Tok::LBracket) || at(Tok::Lt)) skip_generic_params();
  auto parse_type_name = [&]() -> Expr* {
    uint32_t o = cur().offset;
    Expr* e = at_off(a_.make<NameExpr>(expect_ident("a type name")), o);
    while ((at(Tok::Dot) || at(Tok::ColonColon)) && peek().kind == Tok::Ident) {
      advance();
      uint32_t fo = cur().offset;
      e = at_off(a_.make<FieldExpr>(e, intern(advance().text)), fo);
    }
    if (at(Tok::LBracket) || at(Tok::Lt)) skip_generic_params();
    return e;
  };
  Expr* first = parse_type_name();
  ImplDecl* d;
  if (at(Tok::KwFor)) {
    advance();
    Expr* ty = parse_type_name();
    d = at_off(a_.make<ImplDecl>(ty), off);
    if (first->kind == EK::Name) d->trait = static_cast<NameExpr*>(first);
  } else {
    d = at_off(a_.make<ImplDecl>(first), off);
  }
  expect_block_colon("':' after impl header");
  parse_type_body(d->methods, nullptr, nullptr);
  return d;
}

std::vector<Sym> Parser::parse_module_path(bool* glob, std::vector<ImportItem>* items) {
  std::vector<Sym> path;
  *glob = false;
  accept(Tok::ColonColon);
  while (true) {
    if (at(Tok::Ident)) {
      path.push_back(intern(advance().text));
    } else if (at(Tok::Star)) {
      advance();
      *glob = true;
      break;
    } else if (at(Tok::LBrace)) {
      advance();
      while (!at(Tok::RBrace)) {
        ImportItem it;
        it.off = cur().offset;
        it.name = expect_ident("an imported name");
        it.alias = it.name;
        if (accept(Tok::KwAs)) it.alias = expect_ident("an alias");
        items->push_back(it);
        if (!accept(Tok::Comma)) break;
      }
      expect(Tok::RBrace, "'}' after imported names");
      break;
    } else {
      fail_here("a module name");
    }
    if (at(Tok::Dot) || at(Tok::ColonColon)) {
      advance();
      continue;
    }
    break;
  }
  return path;
}

Stmt* Parser::parse_use(bool is_pub) {
  uint32_t off = cur().offset;
  advance();
  UseStmt* u = at_off(a_.make<UseStmt>(), off);
  u->is_pub = is_pub;
  bool glob;
  u->path = parse_module_path(&glob, &u->items);
  if (!u->items.empty())
    u->what = UseStmt::Items;
  else if (glob)
    u->what = UseStmt::Glob;
  if (u->path.empty() && glob && is_pub) {  // `export use *`: every name is exported already
    end_statement();
    return at_off(a_.make<NopStmt>(), off);
  }
  if (u->path.empty()) fail(off, "expected a module path");
  if (!u->path.empty() && sym_name(u->path[0]) == "std" && u->path.size() > 1)
    u->path.erase(u->path.begin());
  if (accept(Tok::KwAs)) u->alias = expect_ident("an alias");
  end_statement();
  return u;
}

Stmt* Parser::parse_export() {
  uint32_t off = cur().offset;
  advance();
  if (at(Tok::KwUse) || at(Tok::KwImport)) return parse_use(true);
  ExportStmt* e = at_off(a_.make<ExportStmt>(), off);
  if (accept(Tok::Star)) e->glob = true;  // export * [from mod]
  if (!e->glob && at(Tok::LBrace)) advance();
  while (!e->glob && at(Tok::Ident)) {  // (after `*` comes `from`, not names)
    ImportItem it;
    it.off = cur().offset;
    it.name = intern(advance().text);
    it.alias = it.name;
    if (accept(Tok::KwAs)) it.alias = expect_ident("an alias");
    e->names.push_back(it);
    if (!accept(Tok::Comma)) break;
  }
  if (!e->glob) accept(Tok::RBrace);
  if (at_ident("from")) {
    advance();
    bool glob;
    std::vector<ImportItem> dummy;
    e->from = parse_module_path(&glob, &dummy);
  }
  end_statement();
  return e;
}

// ---------------------------------------------------------------- expressions

// Binary operators by precedence, lowest first (docs/language.md, "Operators and precedence").
// parse_binary() climbs this table: one loop that reads an operator, parses its right operand at a
// higher level and builds the node. The shape says how an operator combines:
//   kLeft   left-associative BinaryExpr (a - b - c is (a - b) - c)
//   kLogic  left-associative LogicExpr (`and`, `or`; short-circuit)
//   kChain  comparisons: a < b <= c is one CompareExpr (a single one stays a BinaryExpr);
//           not associative with itself otherwise
//   kRange  a .. b / a ..= b: the end may be left out, and ranges do not chain
//   kRight  right-associative (a ** b ** c is a ** (b ** c))
// Two spellings take two tokens: `not in`, and `is not` (the negation of `is`).
enum class Shape : uint8_t { kLeft, kLogic, kChain, kRange, kRight };

struct BinaryOp {  // fields a shape does not use hold Op::Add, EK::Nil, false
  Tok tok;
  int prec;
  Shape shape;
  Op op;           // kLeft, kChain, kRight
  EK logic;        // kLogic
  bool inclusive;  // kRange
};

constexpr BinaryOp kBinaryOps[] = {
    {Tok::KwOr, 1, Shape::kLogic, Op::Add, EK::Or, false},
    {Tok::OrOr, 1, Shape::kLogic, Op::Add, EK::Or, false},
    {Tok::KwAnd, 2, Shape::kLogic, Op::Add, EK::And, false},
    {Tok::AndAnd, 2, Shape::kLogic, Op::Add, EK::And, false},
    {Tok::EqEq, 3, Shape::kLeft, Op::Eq, EK::Nil, false},
    {Tok::NotEq, 3, Shape::kLeft, Op::Ne, EK::Nil, false},
    {Tok::KwIn, 3, Shape::kLeft, Op::In, EK::Nil, false},
    {Tok::KwNot, 3, Shape::kLeft, Op::NotIn, EK::Nil, false},  // `not in`
    {Tok::KwIs, 3, Shape::kLeft, Op::Is, EK::Nil, false},      // `is`, `is not`
    {Tok::Lt, 4, Shape::kChain, Op::Lt, EK::Nil, false},
    {Tok::Le, 4, Shape::kChain, Op::Le, EK::Nil, false},
    {Tok::Gt, 4, Shape::kChain, Op::Gt, EK::Nil, false},
    {Tok::Ge, 4, Shape::kChain, Op::Ge, EK::Nil, false},
    {Tok::DotDot, 5, Shape::kRange, Op::Add, EK::Nil, false},
    {Tok::DotDotEq, 5, Shape::kRange, Op::Add, EK::Nil, true},
    {Tok::Pipe, 6, Shape::kLeft, Op::BitOr, EK::Nil, false},
    {Tok::Caret, 7, Shape::kLeft, Op::BitXor, EK::Nil, false},
    {Tok::Amp, 8, Shape::kLeft, Op::BitAnd, EK::Nil, false},
    {Tok::Shl, 9, Shape::kLeft, Op::Shl, EK::Nil, false},
    {Tok::Shr, 9, Shape::kLeft, Op::Shr, EK::Nil, false},
    {Tok::At, 10, Shape::kLeft, Op::MatMul, EK::Nil, false},
    {Tok::Plus, 11, Shape::kLeft, Op::Add, EK::Nil, false},
    {Tok::Minus, 11, Shape::kLeft, Op::Sub, EK::Nil, false},
    {Tok::Star, 12, Shape::kLeft, Op::Mul, EK::Nil, false},
    {Tok::Slash, 12, Shape::kLeft, Op::Div, EK::Nil, false},
    {Tok::Percent, 12, Shape::kLeft, Op::Mod, EK::Nil, false},
    {Tok::SlashSlash, 12, Shape::kLeft, Op::FloorDiv, EK::Nil, false},
    {Tok::StarStar, 13, Shape::kRight, Op::Pow, EK::Nil, false},
};
constexpr int kLowestPrec = 1;
constexpr int kBitOrPrec = 6;
constexpr int kNoLimit = 1 << 30;

Expr* Parser::parse_expr() {
  DepthGuard g(this);
  return parse_binary(kLowestPrec);
}

// The operand of a prefix range `..b`: everything that binds tighter than `..`.
Expr* Parser::parse_bitor() { return parse_binary(kBitOrPrec); }

// The binary operator at the current token, if any (`not` counts only before `in`).
const BinaryOp* Parser::binary_op_here() {
  for (const BinaryOp& b : kBinaryOps) {
    if (!at(b.tok)) continue;
    if (b.tok == Tok::KwNot && peek().kind != Tok::KwIn) return nullptr;
    return &b;
  }
  return nullptr;
}

// Parses operators of precedence >= min_prec (precedence climbing over kBinaryOps). `limit`
// is the highest precedence still allowed at this point: after a node at precedence p,
// only operators up to p may follow (p - 1 after a chain or a range, which do not repeat),
// so every input gives the tree the grammar's one-function-per-level form would give.
Expr* Parser::parse_binary(int min_prec) {
  Expr* l = parse_unary();
  int limit = kNoLimit;
  while (const BinaryOp* b = binary_op_here()) {
    if (b->prec < min_prec || b->prec > limit) break;
    uint32_t off = cur().offset;
    switch (b->shape) {
      case Shape::kLogic:
        advance();
        l = at_off(a_.make<LogicExpr>(b->logic, l, parse_binary(b->prec + 1)), off);
        break;
      case Shape::kLeft:
        if (b->op == Op::Is) {
          advance();
          bool neg = accept(Tok::KwNot);
          Expr* e = at_off(a_.make<BinaryExpr>(Op::Is, l, parse_binary(b->prec + 1)), off);
          l = neg ? at_off(a_.make<UnaryExpr>(Op::Not, e), off) : e;
          break;
        }
        if (b->op == Op::NotIn) advance();  // `not`, then `in` below
        advance();
        l = at_off(a_.make<BinaryExpr>(b->op, l, parse_binary(b->prec + 1)), off);
        break;
      case Shape::kChain: {
        CompareExpr* c = at_off(a_.make<CompareExpr>(), off);
        c->operands.push_back(l);
        for (const BinaryOp* k = b; k && k->shape == Shape::kChain; k = binary_op_here()) {
          advance();
          c->ops.push_back(k->op);
          c->operands.push_back(parse_binary(k->prec + 1));
        }
        if (c->ops.size() == 1)
          l = at_off(a_.make<BinaryExpr>(c->ops[0], c->operands[0], c->operands[1]), c->off);
        else
          l = c;
        break;
      }
      case Shape::kRange: {
        advance();
        Expr* r = can_start_expr() ? parse_binary(b->prec + 1) : nullptr;
        l = at_off(a_.make<RangeExpr>(l, r, b->inclusive), off);
        break;
      }
      case Shape::kRight: {
        advance();
        DepthGuard g(this);
        l = at_off(a_.make<BinaryExpr>(b->op, l, parse_binary(b->prec)), off);
        break;
      }
    }
    bool repeats = b->shape != Shape::kChain && b->shape != Shape::kRange;
    limit = std::min(limit, repeats ? b->prec : b->prec - 1);
  }
  return l;
}

Expr* Parser::parse_unary() {
  DepthGuard g(this);
  uint32_t off = cur().offset;
  switch (cur().kind) {
    case Tok::Minus:
      advance();
      return at_off(a_.make<UnaryExpr>(Op::Neg, parse_unary()), off);
    case Tok::Plus:
      advance();
      return parse_unary();
    case Tok::KwNot:
    case Tok::Bang:
      advance();
      return at_off(a_.make<UnaryExpr>(Op::Not, parse_unary()), off);
    case Tok::Tilde:
      advance();
      return at_off(a_.make<UnaryExpr>(Op::BitNot, parse_unary()), off);
    case Tok::Amp:
      advance();
      accept(Tok::KwMut);
      return parse_unary();
    case Tok::Star:
      advance();
      return parse_unary();
    case Tok::KwAwait: {
      advance();
      // `await e?` means `(await e)?`: the operand stops before '?'.
      Expr* operand = parse_postfix(parse_primary(), true);
      Expr* e = at_off(a_.make<AwaitExpr>(operand), off);
      return parse_postfix(e, false);
    }
    default:
      return parse_postfix(parse_primary(), false);
  }
}

void Parser::parse_call_args(std::vector<Arg>& args, bool* has_named) {
  // after '('
  while (!at(Tok::RParen)) {
    Arg a;
    a.off = cur().offset;
    if (at(Tok::Ident) && (peek().kind == Tok::Colon || peek().kind == Tok::Assign) &&
        !(peek().kind == Tok::Colon && peek(2).kind == Tok::Newline)) {
      a.name = intern(advance().text);
      advance();
      *has_named = true;
      for (auto& prev : args)
        if (prev.name == a.name) fail(a.off, "argument '" + sym_name(a.name) + "' is given twice");
    } else if (*has_named) {
      // positional after named: allowed only for trailing lambdas; keep as positional
    }
    a.value = parse_expr();
    if (at(Tok::Ellipsis)) {  // f(xs...): spread an array or tuple
      if (a.name) fail(cur().offset, "a named argument cannot be spread with '...'");
      advance();
      a.spread = true;
    }
    args.push_back(a);
    if (!accept(Tok::Comma)) break;
  }
  expect(Tok::RParen, "')' after arguments");
  for (auto& a : args)
    if (a.spread && *has_named) fail(a.off, "spread arguments cannot be mixed with named ones");
}

bool Parser::looks_like_struct_literal(Expr* e) const {
  Sym name;
  if (e->kind == EK::Name)
    name = static_cast<NameExpr*>(e)->name;
  else if (e->kind == EK::Field)
    name = static_cast<FieldExpr*>(e)->field;
  else
    return false;
  const std::string& s = sym_name(name);
  if (s.empty() || !std::isupper((unsigned char)s[0])) return false;
  const Token& n1 = peek(1);
  if (n1.kind == Tok::RBrace) return true;
  if (n1.kind == Tok::Ident) {
    Tok k2 = peek(2).kind;
    return k2 == Tok::Colon || k2 == Tok::Comma || k2 == Tok::RBrace;
  }
  return false;
}

Expr* Parser::parse_struct_literal(Expr* type) {
  StructLitExpr* s = at_off(a_.make<StructLitExpr>(type), type->off);
  expect(Tok::LBrace, "'{'");
  while (!at(Tok::RBrace)) {
    uint32_t off = cur().offset;
    Sym f = expect_ident("a field name");
    for (auto& prev : s->fields)
      if (prev.first == f) fail(off, "field '" + sym_name(f) + "' is given twice");
    Expr* v;
    if (accept(Tok::Colon)) {
      v = parse_expr();
    } else {
      v = at_off(a_.make<NameExpr>(f), off);  // shorthand { name }
    }
    s->fields.push_back({f, v});
    if (!accept(Tok::Comma)) break;
  }
  expect(Tok::RBrace, "'}' after struct fields");
  return s;
}

static const char* const kChannelMessage =
    "channel operations ('<-') are not supported yet (for a comparison with a negative number, "
    "write 'a < -b')";

Expr* Parser::parse_postfix(Expr* e, bool stop_at_try) {
  while (true) {
    uint32_t off = cur().offset;
    switch (cur().kind) {
      case Tok::LParen: {
        advance();
        if (e->kind == EK::Field) {
          FieldExpr* f = static_cast<FieldExpr*>(e);
          MethodCallExpr* m = at_off(a_.make<MethodCallExpr>(f->object, f->field), f->off);
          parse_call_args(m->args, &m->has_named);
          for (auto& a : m->args) m->has_spread |= a.spread;
          e = m;
        } else {
          CallExpr* c = at_off(a_.make<CallExpr>(e), e->off);
          parse_call_args(c->args, &c->has_named);
          for (auto& a : c->args) c->has_spread |= a.spread;
          e = c;
        }
        break;
      }
      case Tok::LBracket: {
        advance();
        DepthGuard g(this);
        Expr* start = nullptr;
        if (!at(Tok::Colon) && !at(Tok::ColonColon)) start = parse_expr();
        if (at(Tok::ColonColon)) {  // a[::2], a[1::2]
          advance();
          Expr* step = at(Tok::RBracket) ? nullptr : parse_expr();
          expect(Tok::RBracket, "']' after slice");
          e = at_off(a_.make<SliceExpr>(e, start, nullptr, step), off);
          break;
        }
        if (at(Tok::Colon)) {
          advance();
          Expr* end = nullptr;
          Expr* step = nullptr;
          if (!at(Tok::RBracket) && !at(Tok::Colon)) end = parse_expr();
          if (accept(Tok::Colon) && !at(Tok::RBracket)) step = parse_expr();
          expect(Tok::RBracket, "']' after slice");
          e = at_off(a_.make<SliceExpr>(e, start, end, step), off);
        } else {
          if (at(Tok::Comma)) fail(cur().offset, "multi-dimensional indexing is not supported yet");
          expect(Tok::RBracket, "']' after index");
          e = at_off(a_.make<IndexExpr>(e, start), off);
        }
        break;
      }
      case Tok::Dot: {
        advance();
        uint32_t foff = cur().offset;
        if (at(Tok::Int)) {
          e = at_off(a_.make<FieldExpr>(e, intern(std::to_string(advance().ival))), foff);
        } else if (at(Tok::Float)) {  // t.0.1 lexed as float "0.1"
          std::string txt = file_.text.substr(cur().offset, cur().length);
          advance();
          size_t dot = txt.find('.');
          e = at_off(a_.make<FieldExpr>(e, intern(txt.substr(0, dot))), foff);
          e = at_off(a_.make<FieldExpr>(e, intern(txt.substr(dot + 1))), foff);
        } else if (at(Tok::Ident) && cur().text == "await") {
          advance();
          e = at_off(a_.make<AwaitExpr>(e), foff);
        } else {
          Sym f = expect_ident("a field or method name after '.'");
          e = at_off(a_.make<FieldExpr>(e, f), foff);
          if (at(Tok::LBrace) && looks_like_struct_literal(e)) e = parse_struct_literal(e);
        }
        break;
      }
      case Tok::ColonColon: {
        advance();
        uint32_t foff = cur().offset;
        if (at(Tok::Lt)) {  // turbofish ::<T>
          skip_generic_params();
          break;
        }
        Sym f = expect_ident("a name after '::'");
        FieldExpr* fe = at_off(a_.make<FieldExpr>(e, f), foff);
        fe->is_path = true;
        e = fe;
        if (at(Tok::LBrace) && looks_like_struct_literal(e)) e = parse_struct_literal(e);
        break;
      }
      case Tok::Question:
        if (stop_at_try) return e;
        advance();
        e = at_off(a_.make<TryExpr>(e), off);
        break;
      case Tok::KwAs: {
        if (no_as_) return e;
        advance();
        Sym t = parse_type();
        e = at_off(a_.make<CastExpr>(e, t), off);
        break;
      }
      case Tok::LBrace:
        if (looks_like_struct_literal(e)) {
          e = parse_struct_literal(e);
          break;
        }
        return e;
      case Tok::Arrow:
        if (in_pattern_) return e;  // `case 1 -> body`
        fail(off, "functional update '->' is not supported yet");
      case Tok::LArrow:
        fail(off, kChannelMessage);
      default:
        return e;
    }
  }
}

Expr* Parser::parse_string(const Token& t) {
  if (t.str_index < 0) return at_off(a_.make<StrExpr>(t.text), t.offset);
  InterpExpr* ie = at_off(a_.make<InterpExpr>(), t.offset);
  for (const StrPart& p : strings_[t.str_index]) {
    InterpPart ip;
    if (!p.is_expr) {
      ip.text = p.text;
    } else {
      Lexer lx(file_, p.begin, p.end, true);
      std::vector<Token> toks = lx.tokenize();
      for (auto& d : lx.errors()) error(d.offset, d.message);
      Parser sub(file_, a_, errors_, std::move(toks), std::move(lx.strings()), depth_ + 1);
      ip.expr = sub.parse_sub_expression();
      if (!p.fmt.empty()) ip.has_spec = parse_format_spec(p.fmt, &ip.spec);
      if (!ip.expr) throw ParseError{};
    }
    ie->parts.push_back(std::move(ip));
  }
  return ie;
}

Expr* Parser::parse_sub_expression() {
  try {
    if (depth_ > kMaxDepth) fail(cur().offset, "nesting is too deep (limit is 200 levels)");
    Expr* e = parse_expr();
    if (!at(Tok::Eof)) fail_here("end of interpolated expression");
    return e;
  } catch (ParseError&) {
    return nullptr;
  }
}

Expr* Parser::parse_lambda_body(FnDecl* fn, uint32_t off) {
  if (at(Tok::Newline)) {
    fn->body = parse_indented_block();
    // the block consumed the newline ending the statement that contains the lambda
    toks_.insert(toks_.begin() + pos_, Token{Tok::Newline, cur().offset, 0, {}, 0, 0, -1});
  } else {
    Block* b = at_off(a_.make<Block>(), cur().offset);
    Expr* body = parse_expr();
    if (at(Tok::Assign) &&
        (body->kind == EK::Name || body->kind == EK::Field || body->kind == EK::Index)) {
      // `fn(): x = 1` inside brackets: an assignment body
      uint32_t aoff = advance().offset;
      Expr* v = parse_expr();
      b->stmts.push_back(at_off(a_.make<AssignStmt>(body, v), aoff));
    } else {
      b->stmts.push_back(at_off(a_.make<ExprStmt>(body), body->off));
    }
    fn->body = b;
  }
  return at_off(a_.make<LambdaExpr>(fn), off);
}

Expr* Parser::parse_lambda_backslash() {
  uint32_t off = advance().offset;  // '\'
  FnDecl* fn = at_off(a_.make<FnDecl>(), off);
  fn->is_lambda = true;
  fn->name = intern("<lambda>");
  if (accept(Tok::LParen)) {
    parse_params(fn, Tok::RParen);
    if (accept(Tok::Arrow)) parse_type();
  } else {
    while (at(Tok::Ident)) {
      Param p;
      p.off = cur().offset;
      p.name = intern(advance().text);
      fn->params.push_back(p);
      if (!accept(Tok::Comma)) break;
    }
  }
  expect(Tok::Colon, "':' after lambda parameters");
  return parse_lambda_body(fn, off);
}

Expr* Parser::parse_lambda_pipe() {
  uint32_t off = advance().offset;  // '|'
  FnDecl* fn = at_off(a_.make<FnDecl>(), off);
  fn->is_lambda = true;
  fn->name = intern("<lambda>");
  parse_params(fn, Tok::Pipe);
  if (accept(Tok::Arrow)) parse_type();
  accept(Tok::Colon);
  return parse_lambda_body(fn, off);
}

Expr* Parser::parse_lambda_fn() {
  uint32_t off = advance().offset;  // 'fn'
  FnDecl* fn = at_off(a_.make<FnDecl>(), off);
  fn->is_lambda = true;
  fn->name = intern("<lambda>");
  expect(Tok::LParen, "'(' after 'fn'");
  parse_params(fn, Tok::RParen);
  if (accept(Tok::Arrow)) parse_type();
  expect(Tok::Colon, "':' before lambda body");
  return parse_lambda_body(fn, off);
}

Expr* Parser::parse_if_expr() {
  uint32_t off = advance().offset;  // 'if'
  accept(Tok::Tilde);
  IfExpr* ie = at_off(a_.make<IfExpr>(), off);
  auto parse_let_pattern = [&]() -> Pattern* {
    if (!(at(Tok::KwLet) || at(Tok::KwVal) || at(Tok::KwVar))) return nullptr;
    advance();
    Pattern* p = parse_pattern();
    expect(Tok::Assign, "'=' in 'if let'");
    return p;
  };
  Pattern* first_let = parse_let_pattern();
  Expr* cond = parse_expr();
  if (at_ident("then")) {
    if (first_let) fail(cur().offset, "'if let ... then' is not supported; use ':'");
    advance();
    Block* b = at_off(a_.make<Block>(), cur().offset);
    Expr* v = parse_expr();
    b->stmts.push_back(at_off(a_.make<ExprStmt>(v), v->off));
    ie->conds.push_back(cond);
    ie->lets.push_back(nullptr);
    ie->blocks.push_back(b);
    if (accept(Tok::KwElse)) {
      Block* eb = at_off(a_.make<Block>(), cur().offset);
      Expr* ev = parse_expr();
      eb->stmts.push_back(at_off(a_.make<ExprStmt>(ev), ev->off));
      ie->else_block = eb;
    }
    return ie;
  }
  expect_block_colon("':' after if condition");
  ie->conds.push_back(cond);
  ie->lets.push_back(first_let);
  ie->blocks.push_back(parse_block());
  while (true) {
    if (at(Tok::Newline) && (peek().kind == Tok::KwElif || peek().kind == Tok::KwElse)) advance();
    if (at(Tok::KwElif) || (at(Tok::KwElse) && peek().kind == Tok::KwIf)) {
      if (at(Tok::KwElse)) advance();
      advance();
      Pattern* let = parse_let_pattern();
      Expr* c = parse_expr();
      expect_block_colon("':' after elif condition");
      ie->conds.push_back(c);
      ie->lets.push_back(let);
      ie->blocks.push_back(parse_block());
      continue;
    }
    if (at(Tok::KwElse)) {
      advance();
      expect_block_colon("':' after else");
      ie->else_block = parse_block();
    }
    break;
  }
  return ie;
}

Pattern* Parser::parse_pattern() {
  DepthGuard g(this);
  Pattern* p = parse_pattern_single();
  if (at(Tok::Pipe)) {
    Pattern* alt = at_off(a_.make<Pattern>(), p->off);
    alt->kind = PK::Or;
    alt->subs.push_back(p);
    while (accept(Tok::Pipe)) alt->subs.push_back(parse_pattern_single());
    return alt;
  }
  return p;
}

Pattern* Parser::parse_pattern_single() {
  DepthGuard g(this);
  Pattern* p = at_off(a_.make<Pattern>(), cur().offset);
  switch (cur().kind) {
    case Tok::Int:
    case Tok::Float:
    case Tok::Str:
    case Tok::KwTrue:
    case Tok::KwFalse:
    case Tok::KwNil:
    case Tok::Minus:
    case Tok::Symbol: {
      p->kind = PK::Literal;
      bool was = in_pattern_;
      in_pattern_ = true;
      p->literal = parse_unary();
      if (at(Tok::DotDot) || at(Tok::DotDotEq)) {
        p->inclusive = at(Tok::DotDotEq);
        advance();
        p->kind = PK::Range;
        p->literal_end = parse_unary();
      }
      in_pattern_ = was;
      return p;
    }
    case Tok::LParen: {
      advance();
      p->kind = PK::Tuple;
      while (!at(Tok::RParen)) {
        p->subs.push_back(parse_pattern());
        if (!accept(Tok::Comma)) break;
      }
      expect(Tok::RParen, "')' after tuple pattern");
      if (p->subs.size() == 1) return p->subs[0];
      return p;
    }
    case Tok::LBracket: {
      advance();
      p->kind = PK::Array;
      while (!at(Tok::RBracket)) {
        p->subs.push_back(parse_pattern());
        if (!accept(Tok::Comma)) break;
      }
      expect(Tok::RBracket, "']' after array pattern");
      return p;
    }
    case Tok::Ident: {
      std::string first = advance().text;
      if (first == "_") {
        p->kind = PK::Wildcard;
        return p;
      }
      Sym name = intern(first);
      Sym qual = 0;
      while ((at(Tok::ColonColon) || at(Tok::Dot)) && peek().kind == Tok::Ident) {
        advance();
        qual = name;
        name = intern(advance().text);
      }
      p->name = name;
      p->qualifier = qual;
      if (at(Tok::LParen) || at(Tok::LBrace)) {
        Tok close = at(Tok::LParen) ? Tok::RParen : Tok::RBrace;
        advance();
        p->kind = PK::Variant;
        p->has_args = true;
        while (!at(close)) {
          Sym fname = 0;
          if (at(Tok::Ident) && peek().kind == Tok::Colon) {
            fname = intern(advance().text);
            advance();
          }
          Pattern* sub;
          if (fname && close == Tok::RBrace && (at(Tok::Comma) || at(Tok::RBrace))) {
            sub = at_off(a_.make<Pattern>(), cur().offset);
            sub->kind = PK::Bind;
            sub->name = fname;
          } else if (close == Tok::RBrace && !fname && at(Tok::Ident) &&
                     (peek().kind == Tok::Comma || peek().kind == Tok::RBrace)) {
            fname = intern(cur().text);
            sub = parse_pattern();
          } else {
            sub = parse_pattern();
          }
          p->subs.push_back(sub);
          p->sub_names.push_back(fname);
          if (!accept(Tok::Comma)) break;
        }
        expect(close, close == Tok::RParen ? "')' after pattern" : "'}' after pattern");
        return p;
      }
      p->kind = qual ? PK::Variant : PK::Bind;  // resolver may turn Bind into Variant
      return p;
    }
    default:
      fail_here("a pattern");
  }
}

Expr* Parser::parse_match_expr() {
  uint32_t off = advance().offset;  // 'match'
  MatchExpr* m = at_off(a_.make<MatchExpr>(parse_expr()), off);
  expect_block_colon("':' after match subject");
  expect(Tok::Newline, "end of line after 'match ...:'");
  if (!accept(Tok::Indent)) fail(cur().offset, "expected indented match arms");
  while (!at(Tok::Dedent) && !at(Tok::Eof) && !too_many_) {
    if (accept(Tok::Newline)) continue;
    try {
      accept(Tok::KwCase);
      accept(Tok::Pipe);
      MatchArm arm;
      arm.pattern = parse_pattern();
      if (accept(Tok::KwIf)) arm.guard = parse_expr();
      if (!accept(Tok::Colon) && !accept(Tok::FatArrow) && !accept(Tok::Arrow))
        fail_here("':' or '=>' after match pattern");
      bool inline_body = !at(Tok::Newline);
      arm.body = parse_block();
      if (inline_body) end_statement();
      m->arms.push_back(arm);
    } catch (ParseError&) {
      synchronize();
    }
  }
  accept(Tok::Dedent);
  return m;
}

Expr* Parser::parse_primary() {
  DepthGuard g(this);
  const Token& t = cur();
  uint32_t off = t.offset;
  switch (t.kind) {
    case Tok::LArrow:
      fail(off, kChannelMessage);
    case Tok::Int:
      advance();
      return at_off(a_.make<IntExpr>(t.ival), off);
    case Tok::Float:
      advance();
      return at_off(a_.make<FloatExpr>(t.fval), off);
    case Tok::Str: {
      const Token& s = advance();
      Expr* e = parse_string(s);
      // adjacent string literals concatenate
      return e;
    }
    case Tok::Symbol:
      advance();
      return at_off(a_.make<StrExpr>(t.text), off);
    case Tok::KwTrue:
      advance();
      return at_off(a_.make<BoolExpr>(true), off);
    case Tok::KwFalse:
      advance();
      return at_off(a_.make<BoolExpr>(false), off);
    case Tok::KwNil:
      advance();
      return at_off(a_.make<NilExpr>(), off);
    case Tok::Ident: {
      Sym s = intern(advance().text);
      return at_off(a_.make<NameExpr>(s), off);
    }
    case Tok::LParen: {
      advance();
      if (accept(Tok::RParen)) return at_off(a_.make<NilExpr>(), off);  // unit
      Expr* e = parse_expr();
      if (at(Tok::Comma)) {
        TupleExpr* tu = at_off(a_.make<TupleExpr>(), off);
        tu->items.push_back(e);
        while (accept(Tok::Comma)) {
          if (at(Tok::RParen)) break;
          tu->items.push_back(parse_expr());
        }
        e = tu;
      }
      expect(Tok::RParen, "')'");
      return e;
    }
    case Tok::LBracket: {
      advance();
      ArrayExpr* a = at_off(a_.make<ArrayExpr>(), off);
      while (!at(Tok::RBracket)) {
        a->items.push_back(parse_expr());
        if (at(Tok::KwFor)) fail(cur().offset, "list comprehensions are not supported yet");
        if (at(Tok::Semicolon))
          fail(cur().offset, "repeat-array literals [x; n] are not supported yet");
        if (!accept(Tok::Comma)) break;
      }
      expect(Tok::RBracket, "']' after array elements");
      return a;
    }
    case Tok::LBrace: {
      advance();
      DictExpr* d = at_off(a_.make<DictExpr>(), off);
      while (!at(Tok::RBrace)) {
        Expr* k = parse_expr();
        expect(Tok::Colon, "':' between dict key and value");
        Expr* v = parse_expr();
        d->entries.push_back({k, v});
        if (!accept(Tok::Comma)) break;
      }
      expect(Tok::RBrace, "'}' after dict entries");
      return d;
    }
    case Tok::Backslash:
      return parse_lambda_backslash();
    case Tok::Pipe:
      return parse_lambda_pipe();
    case Tok::OrOr: {  // || expr : zero-parameter pipe lambda
      advance();
      FnDecl* fn = at_off(a_.make<FnDecl>(), off);
      fn->is_lambda = true;
      fn->name = intern("<lambda>");
      return parse_lambda_body(fn, off);
    }
    case Tok::KwFn:
      return parse_lambda_fn();
    case Tok::KwIf:
      return parse_if_expr();
    case Tok::KwMatch:
      return parse_match_expr();
    case Tok::DotDot:
    case Tok::DotDotEq: {
      bool inc = t.kind == Tok::DotDotEq;
      advance();
      Expr* r = can_start_expr() ? parse_bitor() : nullptr;
      return at_off(a_.make<RangeExpr>(nullptr, r, inc), off);
    }
    case Tok::KwAsync:
      fail(off, "async blocks and async lambdas are not supported yet");
    default:
      fail_here("an expression");
  }
}

}  // namespace

Block* parse_file(const SourceFile& file, AstArena& arena, std::vector<Diagnostic>& errors) {
  Lexer lx(file);
  std::vector<Token> toks = lx.tokenize();
  for (auto& d : lx.errors()) errors.push_back(d);
  Parser p(file, arena, errors, std::move(toks), std::move(lx.strings()), 0);
  return p.parse_module();
}

}  // namespace spl
