// The binary-operator table of the parser (parse_binary): every precedence level, the shapes
// (left-associative, logic, comparison chains, ranges, right-associative power), the
// two-token operators, operator offsets, and inputs a level may not continue with.
#include <gtest/gtest.h>

#include "parser.h"

namespace spl {
namespace {

// Fully parenthesised form of an expression, with the offset of each operator: "(a +@2 b)".
std::string show(const Expr* e) {
  if (!e) return "_";
  auto at = [&](const std::string& op) { return op + "@" + std::to_string(e->off); };
  switch (e->kind) {
    case EK::Name:
    case EK::Int:
      return "x" + std::to_string(e->off);
    case EK::Unary: {
      auto* u = static_cast<const UnaryExpr*>(e);
      return "(" + at(op_text(u->op)) + " " + show(u->operand) + ")";
    }
    case EK::Binary: {
      auto* b = static_cast<const BinaryExpr*>(e);
      return "(" + show(b->lhs) + " " + at(op_text(b->op)) + " " + show(b->rhs) + ")";
    }
    case EK::And:
    case EK::Or: {
      auto* b = static_cast<const LogicExpr*>(e);
      return "(" + show(b->lhs) + " " + at(e->kind == EK::And ? "and" : "or") + " " + show(b->rhs) +
             ")";
    }
    case EK::Compare: {
      auto* c = static_cast<const CompareExpr*>(e);
      std::string s = "(" + at("chain") + " " + show(c->operands[0]);
      for (size_t i = 0; i < c->ops.size(); i++)
        s += std::string(" ") + op_text(c->ops[i]) + " " + show(c->operands[i + 1]);
      return s + ")";
    }
    case EK::Range: {
      auto* r = static_cast<const RangeExpr*>(e);
      return "(" + show(r->start) + " " + at(r->inclusive ? "..=" : "..") + " " + show(r->end) +
             ")";
    }
    default:
      return "?";
  }
}

struct Parsed {
  std::string tree;
  std::vector<std::string> errors;
};

Parsed parse_one(const std::string& src) {
  SourceFile file("t.spl", src + "\n");
  AstArena arena;
  std::vector<Diagnostic> diags;
  Block* b = parse_file(file, arena, diags);
  Parsed p;
  if (b && !b->stmts.empty() && b->stmts[0]->kind == SK::Expr)
    p.tree = show(static_cast<ExprStmt*>(b->stmts[0])->expr);
  for (auto& d : diags) p.errors.push_back(d.message);
  return p;
}

TEST(Precedence, EveryLevelFromLowestToHighest) {
  // or < and < equality < comparison < range < | < ^ < & < shifts < @ < +- < */%// < **
  auto p = parse_one("a or b and c == d < e .. f | g ^ h & i << j @ k + l * m ** n");
  ASSERT_TRUE(p.errors.empty()) << p.errors[0];
  EXPECT_EQ(p.tree,
            "(x0 or@2 (x5 and@7 (x11 ==@13 (x16 <@18 (x20 ..@22 (x25 |@27 (x29 ^@31 (x33 &@35 "
            "(x37 <<@39 (x42 @@44 (x46 +@48 (x50 *@52 (x54 **@56 x59)))))))))))))");
}

TEST(Precedence, LeftAssociativeLevels) {
  EXPECT_EQ(parse_one("a - b - c").tree, "((x0 -@2 x4) -@6 x8)");
  EXPECT_EQ(parse_one("a / b // c % d * e").tree, "((((x0 /@2 x4) //@6 x9) %@11 x13) *@15 x17)");
  EXPECT_EQ(parse_one("a || b or c").tree, "((x0 or@2 x5) or@7 x10)");
  EXPECT_EQ(parse_one("a && b and c").tree, "((x0 and@2 x5) and@7 x11)");
  EXPECT_EQ(parse_one("a == b != c").tree, "((x0 ==@2 x5) !=@7 x10)");
  EXPECT_EQ(parse_one("a << b >> c").tree, "((x0 <<@2 x5) >>@7 x10)");
}

TEST(Precedence, PowerIsRightAssociativeAndBelowUnary) {
  EXPECT_EQ(parse_one("a ** b ** c").tree, "(x0 **@2 (x5 **@7 x10))");
  EXPECT_EQ(parse_one("-a ** b").tree, "((-@0 x1) **@3 x6)");
  EXPECT_EQ(parse_one("a * b ** c * d").tree, "((x0 *@2 (x4 **@6 x9)) *@11 x13)");
}

TEST(Precedence, ComparisonsChain) {
  EXPECT_EQ(parse_one("a < b <= c > d").tree, "(chain@2 x0 < x4 <= x9 > x13)");
  EXPECT_EQ(parse_one("a < b").tree, "(x0 <@2 x4)");  // a single comparison stays binary
  EXPECT_EQ(parse_one("a < b == c >= d").tree, "((x0 <@2 x4) ==@6 (x9 >=@11 x14))");
}

TEST(Precedence, TwoTokenOperators) {
  EXPECT_EQ(parse_one("(a not in b)").tree,
            "(x1 not in@3 x10)");  // bare, a statement reads `a not ...` as a call
  EXPECT_EQ(parse_one("a is not b").tree, "(not@2 (x0 is@2 x9))");
  EXPECT_EQ(parse_one("a is b < c").tree, "(x0 is@2 (x5 <@7 x9))");
  EXPECT_EQ(parse_one("a in b == c").tree, "((x0 in@2 x5) ==@7 x10)");
}

TEST(Precedence, RangesTakeTighterOperandsAndMayBeOpen) {
  EXPECT_EQ(parse_one("a + 1 ..= b * 2").tree, "((x0 +@2 x4) ..=@6 (x10 *@12 x14))");
  EXPECT_EQ(parse_one("a .. b < c").tree, "((x0 ..@2 x5) <@7 x9)");
  EXPECT_EQ(parse_one("x = a ..").errors.size(), 0u);
}

TEST(Precedence, NonRepeatingLevelsStopTheExpression) {
  // A range does not chain, and a level cannot continue with a tighter operator the right
  // operand refused: both leave the operator to the statement, which reports it.
  for (const char* src : {"a .. b .. c", "a == b .. c .. d", "x + a .. b .. c"}) {
    auto p = parse_one(src);
    ASSERT_EQ(p.errors.size(), 1u) << src;
    EXPECT_EQ(p.errors[0], "expected end of line after statement, found '..'") << src;
  }
}

}  // namespace
}  // namespace spl
