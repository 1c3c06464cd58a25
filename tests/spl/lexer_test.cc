// Lexer tests: layout tokens, strings and interpolation parts, numbers, comments, errors.
#include "lexer.h"

#include <gtest/gtest.h>

namespace spl {
namespace {

std::vector<Tok> kinds(const std::string& src) {
  SourceFile f("t.spl", src);
  Lexer lx(f);
  std::vector<Tok> out;
  for (auto& t : lx.tokenize()) out.push_back(t.kind);
  return out;
}

TEST(Lexer, IndentDedent) {
  auto k = kinds("if x:\n    y\nz\n");
  std::vector<Tok> want = {Tok::KwIf,   Tok::Ident,   Tok::Colon,   Tok::Newline,
                           Tok::Indent, Tok::Ident,   Tok::Newline, Tok::Dedent,
                           Tok::Ident,  Tok::Newline, Tok::Eof};
  EXPECT_EQ(k, want);
}

TEST(Lexer, NoLayoutInsideBrackets) {
  auto k = kinds("f(1,\n      2)\n");
  std::vector<Tok> want = {Tok::Ident, Tok::LParen, Tok::Int,     Tok::Comma,
                           Tok::Int,   Tok::RParen, Tok::Newline, Tok::Eof};
  EXPECT_EQ(k, want);
}

TEST(Lexer, MethodChainContinuation) {
  auto k = kinds("x = a\n    .b()\n    .c()\n");
  std::vector<Tok> want = {Tok::Ident,  Tok::Assign,  Tok::Ident, Tok::Dot,   Tok::Ident,
                           Tok::LParen, Tok::RParen,  Tok::Dot,   Tok::Ident, Tok::LParen,
                           Tok::RParen, Tok::Newline, Tok::Eof};
  EXPECT_EQ(k, want);
}

TEST(Lexer, NumbersWithUnderscoresBasesAndSuffixes) {
  SourceFile f("t.spl", "1_000 0xFF 0b101 0o17 42i32 3.5f32 1e3 1..2");
  Lexer lx(f);
  auto t = lx.tokenize();
  EXPECT_EQ(t[0].ival, 1000);
  EXPECT_EQ(t[1].ival, 255);
  EXPECT_EQ(t[2].ival, 5);
  EXPECT_EQ(t[3].ival, 15);
  EXPECT_EQ(t[4].ival, 42);
  EXPECT_EQ(t[5].kind, Tok::Float);
  EXPECT_DOUBLE_EQ(t[5].fval, 3.5);
  EXPECT_EQ(t[6].kind, Tok::Float);
  EXPECT_EQ(t[7].kind, Tok::Int);
  EXPECT_EQ(t[8].kind, Tok::DotDot);
  EXPECT_TRUE(lx.errors().empty());
}

TEST(Lexer, FloorDivIsAnOperatorNotAComment) {
  auto k = kinds("a // b\n");
  EXPECT_EQ(k[1], Tok::SlashSlash);
}

TEST(Lexer, InterpolationPartsAndFormatSpec) {
  SourceFile f("t.spl", "\"a{x}b{y:<5}{{c}}\"");
  Lexer lx(f);
  auto t = lx.tokenize();
  ASSERT_EQ(t[0].kind, Tok::Str);
  ASSERT_GE(t[0].str_index, 0);
  auto& parts = lx.strings()[t[0].str_index];
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0].text, "a");
  EXPECT_TRUE(parts[1].is_expr);
  EXPECT_EQ(f.text.substr(parts[1].begin, parts[1].end - parts[1].begin), "x");
  EXPECT_EQ(parts[2].text, "b");
  EXPECT_EQ(parts[3].fmt, "<5");
  EXPECT_EQ(f.text.substr(parts[3].begin, parts[3].end - parts[3].begin), "y");
  EXPECT_EQ(parts[4].text, "{c}");
}

TEST(Lexer, RawStringsDoNotInterpolate) {
  SourceFile f("t.spl", "'C:\\n{x}' r\"a\\b\" \"\"\"doc {x}\n\"\"\"");
  Lexer lx(f);
  auto t = lx.tokenize();
  EXPECT_EQ(t[0].text, "C:\\n{x}");
  EXPECT_EQ(t[0].str_index, -1);
  EXPECT_EQ(t[1].text, "a\\b");
  EXPECT_EQ(t[2].text, "doc {x}\n");
}

TEST(Lexer, CommentsAndAttributesAreSkipped) {
  auto k = kinds("#[test]\n# c\nx /* a /* nested */ b */ y # end\n");
  std::vector<Tok> want = {Tok::Ident, Tok::Ident, Tok::Newline, Tok::Eof};
  EXPECT_EQ(k, want);
}

TEST(Lexer, ErrorsHavePositions) {
  SourceFile f("t.spl", "x = \"abc\ny = 1 ` 2\n");
  Lexer lx(f);
  lx.tokenize();
  ASSERT_EQ(lx.errors().size(), 2u);
  int line, col;
  f.line_col(lx.errors()[0].offset, &line, &col);
  EXPECT_EQ(line, 1);
  EXPECT_EQ(col, 5);
  EXPECT_NE(lx.errors()[0].message.find("unterminated string"), std::string::npos);
  f.line_col(lx.errors()[1].offset, &line, &col);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(col, 7);
}

TEST(Lexer, KeywordAfterDotIsAName) {
  SourceFile f("t.spl", "opts.async(true)");
  Lexer lx(f);
  auto t = lx.tokenize();
  EXPECT_EQ(t[2].kind, Tok::Ident);
  EXPECT_EQ(t[2].text, "async");
}

}  // namespace
}  // namespace spl
