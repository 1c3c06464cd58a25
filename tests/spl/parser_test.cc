// Parser tests: precedence, statement forms of both eras, error recovery and positions.
#include "parser.h"

#include <gtest/gtest.h>

namespace spl {
namespace {

struct Parsed {
  std::unique_ptr<SourceFile> file;
  AstArena arena;
  Block* body = nullptr;
  std::vector<Diagnostic> errors;
};

std::unique_ptr<Parsed> parse(const std::string& src) {
  auto p = std::make_unique<Parsed>();
  p->file = std::make_unique<SourceFile>("t.spl", src);
  p->body = parse_file(*p->file, p->arena, p->errors);
  return p;
}

Expr* first_expr(Parsed& p) {
  EXPECT_FALSE(p.body->stmts.empty());
  EXPECT_EQ(p.body->stmts[0]->kind, SK::Expr);
  return static_cast<ExprStmt*>(p.body->stmts[0])->expr;
}

TEST(Parser, PrecedenceMulOverAdd) {
  auto p = parse("1 + 2 * 3\n");
  ASSERT_TRUE(p->errors.empty());
  auto* b = static_cast<BinaryExpr*>(first_expr(*p));
  EXPECT_EQ(b->op, Op::Add);
  EXPECT_EQ(static_cast<BinaryExpr*>(b->rhs)->op, Op::Mul);
}

TEST(Parser, NotBindsTighterThanEquality) {
  auto p = parse("not a == b\n");
  auto* b = static_cast<BinaryExpr*>(first_expr(*p));
  ASSERT_EQ(b->kind, EK::Binary);
  EXPECT_EQ(b->op, Op::Eq);
  EXPECT_EQ(b->lhs->kind, EK::Unary);
}

TEST(Parser, ChainedComparison) {
  auto p = parse("0 < x <= 10\n");
  auto* c = static_cast<CompareExpr*>(first_expr(*p));
  ASSERT_EQ(c->kind, EK::Compare);
  EXPECT_EQ(c->ops.size(), 2u);
}

TEST(Parser, AwaitThenTryAppliesTryToTheAwait) {
  auto p = parse("await f()?\n");
  Expr* e = first_expr(*p);
  ASSERT_EQ(e->kind, EK::Try);
  EXPECT_EQ(static_cast<TryExpr*>(e)->operand->kind, EK::Await);
}

TEST(Parser, PowerIsRightAssociativeWithUnaryLeft) {
  auto p = parse("-2 ** 3 ** 2\n");
  auto* b = static_cast<BinaryExpr*>(first_expr(*p));
  EXPECT_EQ(b->op, Op::Pow);
  EXPECT_EQ(b->lhs->kind, EK::Unary);
  EXPECT_EQ(static_cast<BinaryExpr*>(b->rhs)->op, Op::Pow);
}

TEST(Parser, BothErasOfDeclarations) {
  auto p = parse(
      "let mut a: Dict[String, bool] = {}\n"
      "var b: Dict<text, Option<i64>> = {}\n"
      "val c = Point { x: 1 }\n"
      "fn f(self_like: text = \"x\") -> Result<T, E>:\n    pass\n"
      "pub struct P[T]:\n    x: T\n    pub fn new() -> P[T]:\n        P { x: nil }\n"
      "impl Show[T] for P[T]:\n    fn show(self): \"p\"\n"
      "enum E:\n    A\n    B(i64)\n    C(name: text, size: i64)\n"
      "type Alias[T] = Result[T, E]\n"
      "extern fn rt_x(a: i64) -> i64\n"
      "use file.mmap::{OpenOptions}\nimport cli.file as file\nexport a, b from c\n");
  for (auto& e : p->errors) ADD_FAILURE() << format_diagnostic(e);
  EXPECT_EQ(p->body->stmts.size(), 12u);
}

TEST(Parser, NoParenCallsAndColonBlocks) {
  auto p = parse("describe \"X\":\n    it \"y\":\n        expect 1 to eq 1\nprint \"hi\"\n");
  for (auto& e : p->errors) ADD_FAILURE() << format_diagnostic(e);
  ASSERT_EQ(p->body->stmts.size(), 2u);
  auto* call = static_cast<CallExpr*>(first_expr(*p));
  ASSERT_EQ(call->kind, EK::Call);
  EXPECT_EQ(call->args.size(), 2u);
  EXPECT_EQ(call->args[1].value->kind, EK::Lambda);
}

TEST(Parser, ReportsSeveralErrorsWithPositions) {
  auto p = parse("fn f(x)\n    return x\nlet a = 1 +\nlet ok = 2\nlet b = 1 + else\n");
  ASSERT_EQ(p->errors.size(), 3u);
  int line, col;
  p->file->line_col(p->errors[0].offset, &line, &col);
  EXPECT_EQ(line, 1);
  EXPECT_EQ(col, 8);
  p->file->line_col(p->errors[1].offset, &line, &col);
  EXPECT_EQ(line, 3);
  p->file->line_col(p->errors[2].offset, &line, &col);
  EXPECT_EQ(line, 5);
  EXPECT_EQ(col, 13);
  // the good statement in between survived
  bool found_ok = false;
  for (Stmt* s : p->body->stmts)
    if (s->kind == SK::Let && static_cast<LetStmt*>(s)->target->name == intern("ok"))
      found_ok = true;
  EXPECT_TRUE(found_ok);
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string src = "x = " + std::string(100000, '[') + "\n";
  auto p = parse(src);
  ASSERT_FALSE(p->errors.empty());
  bool deep = false;
  for (auto& e : p->errors) deep |= e.message.find("too deep") != std::string::npos;
  EXPECT_TRUE(deep);
}

TEST(Parser, DiagnosticFormatHasCaret) {
  auto p = parse("let x = ]\n");
  ASSERT_FALSE(p->errors.empty());
  std::string s = format_diagnostic(p->errors[0]);
  EXPECT_NE(s.find("t.spl:1:9: error:"), std::string::npos) << s;
  EXPECT_NE(s.find(" 1 | let x = ]\n"), std::string::npos) << s;
  EXPECT_NE(s.find("   |         ^"), std::string::npos) << s;
}

TEST(Parser, InlineIfThenElseAndMatchArms) {
  auto p = parse(
      "a = if c then 1 else 2\nb = match x:\n    case 1 | 2: \"s\"\n    n if n > 3 => \"big\"\n    "
      "_ -> \"o\"\n");
  for (auto& e : p->errors) ADD_FAILURE() << format_diagnostic(e);
  ASSERT_EQ(p->body->stmts.size(), 2u);
  auto* m = static_cast<MatchExpr*>(static_cast<AssignStmt*>(p->body->stmts[1])->value);
  ASSERT_EQ(m->kind, EK::Match);
  EXPECT_EQ(m->arms.size(), 3u);
  EXPECT_EQ(m->arms[0].pattern->kind, PK::Or);
  EXPECT_NE(m->arms[1].guard, nullptr);
}

TEST(Parser, ArgumentOrFieldGivenTwiceIsAnError) {
  auto p = parse("f(x: 1, y: 2, x: 3)\n");
  ASSERT_EQ(p->errors.size(), 1u);
  EXPECT_EQ(p->errors[0].message, "argument 'x' is given twice");
  int line, col;
  p->file->line_col(p->errors[0].offset, &line, &col);
  EXPECT_EQ(col, 15);
  auto q = parse("P { x: 1, x: 2 }\n");
  ASSERT_EQ(q->errors.size(), 1u);
  EXPECT_EQ(q->errors[0].message, "field 'x' is given twice");
}

}  // namespace
}  // namespace spl
