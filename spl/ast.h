// The syntax tree. The parser builds it, the resolver annotates names with slots (locals,
// cells, upvalues, module globals, builtins), the evaluator walks it. Nodes are owned by an
// AstArena that lives as long as the module. No evaluation logic here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format_spec.h"
#include "symbols.h"

namespace spl {

struct Module;
struct Obj;
class Value;

struct Node {
  uint32_t off = 0;
  virtual ~Node() = default;
};

class AstArena {
 public:
  template <class T, class... A>
  T* make(A&&... a) {
    auto p = std::make_unique<T>(std::forward<A>(a)...);
    T* raw = p.get();
    nodes_.push_back(std::move(p));
    return raw;
  }

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

// ---- expressions ----
enum class EK : uint8_t {
  Int,
  Float,
  Str,
  Interp,
  Nil,
  Bool,
  Name,
  Unary,
  Binary,
  And,
  Or,
  Compare,
  Call,
  MethodCall,
  Field,
  Index,
  Slice,
  Try,
  Await,
  Cast,
  If,
  Match,
  Lambda,
  Array,
  Dict,
  Tuple,
  StructLit,
  Range,
  Block,
};

enum class Op : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  Pow,
  FloorDiv,
  BitAnd,
  BitOr,
  BitXor,
  Shl,
  Shr,
  MatMul,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  In,
  NotIn,
  Is,
  Neg,
  Not,
  BitNot,
  Ref,
};
const char* op_text(Op op);
// push / push_str / pop / clear: methods that change the text their receiver holds (text is a
// value, so the new text is written back to the variable, field or element it came from).
bool is_text_mutator(Sym method);

struct Expr : Node {
  EK kind;
  explicit Expr(EK k) : kind(k) {}
};

struct Stmt;
struct Block : Node {
  std::vector<Stmt*> stmts;
};

// Where a name lives: Local (a register of the frame), LocalCell (a cell in a register, shared
// with closures), Upvalue (a closure's captured cell), Captured (a closure's captured value: a
// parameter nothing assigns), Global (a module slot), Builtin.
enum class RefKind : uint8_t { Unresolved, Local, LocalCell, Upvalue, Captured, Global, Builtin };

struct IntExpr : Expr {
  int64_t value;
  explicit IntExpr(int64_t v) : Expr(EK::Int), value(v) {}
};
struct FloatExpr : Expr {
  double value;
  explicit FloatExpr(double v) : Expr(EK::Float), value(v) {}
};
struct StrExpr : Expr {
  std::string value;
  Obj* cached = nullptr;  // interned text object, created on first evaluation
  explicit StrExpr(std::string v) : Expr(EK::Str), value(std::move(v)) {}
};
struct InterpPart {
  std::string text;
  Expr* expr = nullptr;
  bool has_spec = false;  // `{expr:spec}`
  FormatSpec spec;
};
struct InterpExpr : Expr {
  std::vector<InterpPart> parts;
  InterpExpr() : Expr(EK::Interp) {}
};
struct NilExpr : Expr {
  NilExpr() : Expr(EK::Nil) {}
};
struct BoolExpr : Expr {
  bool value;
  explicit BoolExpr(bool v) : Expr(EK::Bool), value(v) {}
};
struct NameExpr : Expr {
  Sym name;
  RefKind ref = RefKind::Unresolved;
  uint32_t index = 0;     // Local/LocalCell slot or Upvalue index
  Value* slot = nullptr;  // Global / Builtin storage
  explicit NameExpr(Sym n) : Expr(EK::Name), name(n) {}
};
struct UnaryExpr : Expr {
  Op op;
  Expr* operand;
  UnaryExpr(Op o, Expr* e) : Expr(EK::Unary), op(o), operand(e) {}
};
struct BinaryExpr : Expr {
  Op op;
  Expr *lhs, *rhs;
  BinaryExpr(Op o, Expr* l, Expr* r) : Expr(EK::Binary), op(o), lhs(l), rhs(r) {}
};
struct LogicExpr : Expr {  // And / Or
  Expr *lhs, *rhs;
  LogicExpr(EK k, Expr* l, Expr* r) : Expr(k), lhs(l), rhs(r) {}
};
struct CompareExpr : Expr {  // chained a < b <= c
  std::vector<Expr*> operands;
  std::vector<Op> ops;
  CompareExpr() : Expr(EK::Compare) {}
};
struct Arg {
  Sym name = 0;  // 0 for positional
  Expr* value = nullptr;
  uint32_t off = 0;
  bool spread = false;  // f(xs...): the elements of an array or tuple
};
struct CallExpr : Expr {
  Expr* callee;
  std::vector<Arg> args;
  bool has_named = false;
  bool has_spread = false;
  explicit CallExpr(Expr* c) : Expr(EK::Call), callee(c) {}
};
struct MethodCallExpr : Expr {
  Expr* object;
  Sym method;
  std::vector<Arg> args;
  bool has_named = false;
  bool has_spread = false;
  // inline cache for user methods: receiver type -> function object
  const void* cache_type = nullptr;
  Obj* cache_fn = nullptr;
  uint8_t cache_kind = 255;  // builtin method cache: receiver kind -> native method
  void* cache_native = nullptr;
  MethodCallExpr(Expr* o, Sym m) : Expr(EK::MethodCall), object(o), method(m) {}
};
struct FieldExpr : Expr {
  Expr* object;
  Sym field;
  bool is_path = false;  // written with '::'
  const void* cache_type = nullptr;
  uint32_t cache_index = 0;
  FieldExpr(Expr* o, Sym f) : Expr(EK::Field), object(o), field(f) {}
};
struct IndexExpr : Expr {
  Expr *object, *index;
  IndexExpr(Expr* o, Expr* i) : Expr(EK::Index), object(o), index(i) {}
};
struct SliceExpr : Expr {  // a[s:e:step]
  Expr *object, *start, *end, *step;
  SliceExpr(Expr* o, Expr* s, Expr* e, Expr* st)
      : Expr(EK::Slice), object(o), start(s), end(e), step(st) {}
};
struct TryExpr : Expr {
  Expr* operand;
  explicit TryExpr(Expr* e) : Expr(EK::Try), operand(e) {}
};
struct AwaitExpr : Expr {
  Expr* operand;
  explicit AwaitExpr(Expr* e) : Expr(EK::Await), operand(e) {}
};
struct CastExpr : Expr {
  Expr* operand;
  Sym type;
  CastExpr(Expr* e, Sym t) : Expr(EK::Cast), operand(e), type(t) {}
};
struct IfExpr : Expr {
  std::vector<Expr*> conds;           // one per branch (if, elif...)
  std::vector<Block*> blocks;         // same size as conds
  std::vector<struct Pattern*> lets;  // `if let PAT = cond:` (null for a plain condition)
  Block* else_block = nullptr;
  IfExpr() : Expr(EK::If) {}
};

enum class PK : uint8_t { Wildcard, Bind, Literal, Variant, Tuple, Or, Range, Array };
struct Pattern : Node {
  PK kind = PK::Wildcard;
  Sym name = 0;                 // Bind: variable; Variant: variant (or struct) name
  Sym qualifier = 0;            // Variant: `Enum::Variant` type name, 0 when bare
  Expr* literal = nullptr;      // Literal, Range start
  Expr* literal_end = nullptr;  // Range end
  bool inclusive = false;
  bool has_args = false;  // Variant written with (...)
  std::vector<Pattern*> subs;
  std::vector<Sym> sub_names;  // named sub-patterns (Point(x: 0)), 0 when positional
  // resolver (Bind)
  RefKind ref = RefKind::Unresolved;
  uint32_t index = 0;
  Value* slot = nullptr;
};
struct MatchArm {
  Pattern* pattern;
  Expr* guard = nullptr;
  Block* body;
};
struct MatchExpr : Expr {
  Expr* subject;
  std::vector<MatchArm> arms;
  explicit MatchExpr(Expr* s) : Expr(EK::Match), subject(s) {}
};

struct FnDecl;
struct LambdaExpr : Expr {
  FnDecl* fn;
  explicit LambdaExpr(FnDecl* f) : Expr(EK::Lambda), fn(f) {}
};
struct ArrayExpr : Expr {
  std::vector<Expr*> items;
  ArrayExpr() : Expr(EK::Array) {}
};
struct DictExpr : Expr {
  std::vector<std::pair<Expr*, Expr*>> entries;
  DictExpr() : Expr(EK::Dict) {}
};
struct TupleExpr : Expr {
  std::vector<Expr*> items;
  TupleExpr() : Expr(EK::Tuple) {}
};
struct StructLitExpr : Expr {
  Expr* type;  // Name or Field (mod.Name)
  std::vector<std::pair<Sym, Expr*>> fields;
  explicit StructLitExpr(Expr* t) : Expr(EK::StructLit), type(t) {}
};
struct RangeExpr : Expr {
  Expr *start, *end;  // either may be null (open range in slices)
  bool inclusive;
  RangeExpr(Expr* s, Expr* e, bool inc) : Expr(EK::Range), start(s), end(e), inclusive(inc) {}
};
struct BlockExpr : Expr {  // a block used as a value (lambda bodies)
  Block* block;
  explicit BlockExpr(Block* b) : Expr(EK::Block), block(b) {}
};

// ---- statements ----
enum class SK : uint8_t {
  Expr,
  Let,
  Assign,
  Compound,
  While,
  For,
  Loop,
  Break,
  Continue,
  Return,
  Pass,
  With,
  Fn,
  Struct,
  Enum,
  Trait,
  Impl,
  Use,
  Export,
  Nop,
};

struct Stmt : Node {
  SK kind;
  explicit Stmt(SK k) : kind(k) {}
};
struct ExprStmt : Stmt {
  Expr* expr;
  explicit ExprStmt(Expr* e) : Stmt(SK::Expr), expr(e) {}
};
struct LetStmt : Stmt {
  Pattern* target;  // Bind or Tuple
  Expr* value;      // may be null
  LetStmt(Pattern* t, Expr* v) : Stmt(SK::Let), target(t), value(v) {}
};
struct AssignStmt : Stmt {  // target = value (target: Name, Field, Index, Tuple)
  Expr *target, *value;
  AssignStmt(Expr* t, Expr* v) : Stmt(SK::Assign), target(t), value(v) {}
};
struct CompoundStmt : Stmt {
  Op op;
  Expr *target, *value;
  CompoundStmt(Op o, Expr* t, Expr* v) : Stmt(SK::Compound), op(o), target(t), value(v) {}
};
struct WhileStmt : Stmt {
  Expr* cond;
  Block* body;
  struct Pattern* let = nullptr;  // `while let PAT = cond:`
  WhileStmt(Expr* c, Block* b) : Stmt(SK::While), cond(c), body(b) {}
};
struct ForStmt : Stmt {
  Pattern* target;
  Expr* iter;
  Block* body;
  ForStmt(Pattern* t, Expr* i, Block* b) : Stmt(SK::For), target(t), iter(i), body(b) {}
};
struct LoopStmt : Stmt {
  Block* body;
  explicit LoopStmt(Block* b) : Stmt(SK::Loop), body(b) {}
};
struct JumpStmt : Stmt {  // Break / Continue / Return / Pass
  Expr* value = nullptr;
  explicit JumpStmt(SK k, Expr* v = nullptr) : Stmt(k), value(v) {}
};
struct WithItem {
  Expr* resource;
  Pattern* target = nullptr;
};
struct WithStmt : Stmt {
  bool is_async;
  std::vector<WithItem> items;
  Block* body;
  WithStmt(bool a, Block* b) : Stmt(SK::With), is_async(a), body(b) {}
};

struct Param {
  Sym name;
  Expr* def = nullptr;
  uint32_t off = 0;
  bool variadic = false;
};
struct Capture {
  bool from_upvalue;  // else from an enclosing local cell
  uint32_t index;
};
struct FnDecl : Stmt {
  Sym name = 0;
  std::vector<Param> params;  // excludes self
  Block* body = nullptr;      // null for extern and trait declarations without body
  bool is_async = false;
  bool is_method = false;  // slot 0 is self
  bool explicit_self = false;
  bool is_extern = false;
  bool is_lambda = false;
  bool called = false;  // set on first call (auto-run of `main`)
  // @decorators, outermost first: applied bottom-up when the declaration runs (fn = d(fn))
  std::vector<Expr*> decorators;
  // resolver results
  uint32_t nlocals = 0;
  std::vector<Capture> captures;
  std::vector<uint32_t> cell_slots;  // slots that hold cells (params wrapped at entry)
  Module* module = nullptr;
  RefKind ref = RefKind::Unresolved;  // where the declaration binds its name
  uint32_t index = 0;
  Value* slot = nullptr;
  struct Proto* proto = nullptr;  // compiled body (owned by the module), once compiled
  struct Proto* flat = nullptr;   // the proto when a plain call can run it flat in the VM
                                  // (compiled, not async, not a method, not variadic)
  FnDecl() : Stmt(SK::Fn) {}
};
struct FieldDecl {
  Sym name;
  Expr* def = nullptr;
};
struct StructDecl : Stmt {
  Sym name;
  bool is_class = false;  // `class`: fields also come from `self.x = ...` in its methods
  std::vector<FieldDecl> fields;
  std::vector<FnDecl*> methods;
  RefKind ref = RefKind::Unresolved;
  uint32_t index = 0;
  Value* slot = nullptr;
  Module* module = nullptr;
  explicit StructDecl(Sym n) : Stmt(SK::Struct), name(n) {}
};
struct VariantDecl {
  Sym name;
  int arity = 0;                 // number of payload values
  std::vector<Sym> field_names;  // named payload
  uint32_t off = 0;
};
struct EnumDecl : Stmt {
  Sym name;
  std::vector<VariantDecl> variants;
  std::vector<FnDecl*> methods;
  RefKind ref = RefKind::Unresolved;
  uint32_t index = 0;
  Value* slot = nullptr;
  Module* module = nullptr;
  explicit EnumDecl(Sym n) : Stmt(SK::Enum), name(n) {}
};
struct TraitDecl : Stmt {
  Sym name;
  std::vector<FnDecl*> methods;  // those with bodies are defaults
  RefKind ref = RefKind::Unresolved;
  uint32_t index = 0;
  Value* slot = nullptr;
  explicit TraitDecl(Sym n) : Stmt(SK::Trait), name(n) {}
};
struct ImplDecl : Stmt {
  Expr* type;  // Name (or Field for mod.Type)
  NameExpr* trait = nullptr;
  std::vector<FnDecl*> methods;
  explicit ImplDecl(Expr* t) : Stmt(SK::Impl), type(t) {}
};
struct ImportItem {
  Sym name;
  Sym alias;
  uint32_t off;
};
struct UseStmt : Stmt {
  std::vector<Sym> path;
  enum Kind : uint8_t { Whole, Items, Glob } what = Whole;
  Sym alias = 0;
  std::vector<ImportItem> items;
  bool is_pub = false;
  Module* target = nullptr;     // resolved module
  bool item_of_parent = false;  // `import a.B` where B is an item of module a
  bool builtin_spec = false;    // `import spec...`: the BDD DSL is built in
  UseStmt() : Stmt(SK::Use) {}
};
struct ExportStmt : Stmt {
  bool glob = false;  // export * [from mod]
  std::vector<ImportItem> names;
  std::vector<Sym> from;  // empty unless `export a, b from mod`
  Module* target = nullptr;
  ExportStmt() : Stmt(SK::Export) {}
};
struct NopStmt : Stmt {
  NopStmt() : Stmt(SK::Nop) {}
};

}  // namespace spl
