// Lexer: turns Simple source into tokens with INDENT/DEDENT/NEWLINE (none inside brackets),
// interpolated strings split into literal and expression parts, numbers with dropped suffixes,
// and method-chain continuation lines. It reports errors but never stops early; it does not
// parse expressions inside interpolations (the parser re-lexes those source ranges).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "source.h"

namespace spl {

enum class Tok : uint8_t {
  Eof,
  Newline,
  Indent,
  Dedent,
  Ident,
  Int,
  Float,
  Str,
  Symbol,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
  Dot,
  DotDot,
  DotDotEq,
  Ellipsis,
  ColonColon,
  Arrow,
  FatArrow,
  Question,
  At,
  Backslash,
  Dollar,
  Bang,
  Pipe,
  Amp,
  Caret,
  Tilde,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  StarStar,
  SlashSlash,
  Shl,
  Shr,
  Assign,
  EqEq,
  NotEq,
  Lt,
  Le,
  Gt,
  Ge,
  PlusEq,
  MinusEq,
  StarEq,
  SlashEq,
  PercentEq,
  TildeEq,
  StarStarEq,
  SlashSlashEq,
  AndAnd,
  OrOr,
  LArrow,
  // keywords
  KwFn,
  KwLet,
  KwMut,
  KwVal,
  KwVar,
  KwIf,
  KwElif,
  KwElse,
  KwWhile,
  KwFor,
  KwIn,
  KwLoop,
  KwBreak,
  KwContinue,
  KwReturn,
  KwMatch,
  KwCase,
  KwStruct,
  KwClass,
  KwEnum,
  KwTrait,
  KwImpl,
  KwUse,
  KwImport,
  KwExport,
  KwPub,
  KwAsync,
  KwAwait,
  KwWith,
  KwAs,
  KwAnd,
  KwOr,
  KwNot,
  KwIs,
  KwTrue,
  KwFalse,
  KwNil,
  KwExtern,
  KwConst,
  KwPass,
};

const char* tok_name(Tok t);
inline bool is_keyword(Tok t) { return t >= Tok::KwFn; }

// One piece of a string literal: literal text, or an expression source range with an optional
// format spec (`{x:<20}` gives fmt "<20").
struct StrPart {
  bool is_expr = false;
  std::string text;    // literal text (escapes decoded) when !is_expr
  uint32_t begin = 0;  // expression source range when is_expr
  uint32_t end = 0;
  std::string fmt;
};

struct Token {
  Tok kind = Tok::Eof;
  uint32_t offset = 0;  // byte offset of the first character
  uint32_t length = 0;
  std::string text;  // identifier name, decoded plain string, symbol name
  int64_t ival = 0;
  double fval = 0;
  int str_index = -1;  // index into Lexer::strings() when the string interpolates
};

class Lexer {
 public:
  // Lexes [begin, end) of the file. `nested` lexes an interpolation: no layout tokens.
  Lexer(const SourceFile& file, uint32_t begin, uint32_t end, bool nested);
  Lexer(const SourceFile& file) : Lexer(file, 0, uint32_t(file.text.size()), false) {}

  std::vector<Token> tokenize();
  const std::vector<std::vector<StrPart>>& strings() const { return strings_; }
  std::vector<std::vector<StrPart>>& strings() { return strings_; }
  const std::vector<Diagnostic>& errors() const { return errors_; }

 private:
  char peek(uint32_t k = 0) const { return pos_ + k < end_ ? src_[pos_ + k] : '\0'; }
  void error(uint32_t off, std::string msg);
  void push(Tok k, uint32_t start, std::string text = {});
  void lex_layout();  // at line start: compute indentation, emit INDENT/DEDENT
  void lex_number();
  void lex_ident();
  void lex_string(char quote, bool raw, bool interp, uint32_t start);
  bool skip_block_comment();
  bool continuation_line_follows();  // next non-blank line starts with `.ident`
  void check_utf8();
  bool unary_minus_before();
  uint32_t last_minus_ = 0;

  const SourceFile& file_;
  const std::string& src_;
  uint32_t pos_, end_;
  bool nested_;
  int depth_ = 0;                                // bracket depth
  std::vector<std::pair<char, uint32_t>> open_;  // open brackets (for 'unclosed' errors)
  bool at_line_start_ = true;
  std::vector<int> indents_{0};
  std::vector<std::string> indent_text_{std::string()};  // the whitespace of each level
  std::vector<Token> toks_;
  std::vector<std::vector<StrPart>> strings_;
  std::vector<Diagnostic> errors_;
};

}  // namespace spl
