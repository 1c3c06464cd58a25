// Lexer implementation (see lexer.h). Layout rules: blocks by indentation, no layout tokens
// inside brackets, `\` + newline joins lines, a line starting with `.name` continues the
// previous line (method chains).
#include "lexer.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "format_spec.h"

namespace spl {

static const std::unordered_map<std::string, Tok>& keywords() {
  static const std::unordered_map<std::string, Tok> kw = {
      {"fn", Tok::KwFn},         {"let", Tok::KwLet},
      {"mut", Tok::KwMut},       {"val", Tok::KwVal},
      {"var", Tok::KwVar},       {"if", Tok::KwIf},
      {"elif", Tok::KwElif},     {"else", Tok::KwElse},
      {"while", Tok::KwWhile},   {"for", Tok::KwFor},
      {"in", Tok::KwIn},         {"loop", Tok::KwLoop},
      {"break", Tok::KwBreak},   {"continue", Tok::KwContinue},
      {"return", Tok::KwReturn}, {"match", Tok::KwMatch},
      {"case", Tok::KwCase},     {"struct", Tok::KwStruct},
      {"class", Tok::KwClass},   {"enum", Tok::KwEnum},
      {"trait", Tok::KwTrait},   {"impl", Tok::KwImpl},
      {"use", Tok::KwUse},       {"import", Tok::KwImport},
      {"export", Tok::KwExport}, {"pub", Tok::KwPub},
      {"async", Tok::KwAsync},   {"await", Tok::KwAwait},
      {"with", Tok::KwWith},     {"as", Tok::KwAs},
      {"and", Tok::KwAnd},       {"or", Tok::KwOr},
      {"not", Tok::KwNot},       {"is", Tok::KwIs},
      {"true", Tok::KwTrue},     {"false", Tok::KwFalse},
      {"nil", Tok::KwNil},       {"null", Tok::KwNil},
      {"extern", Tok::KwExtern}, {"const", Tok::KwConst},
      {"pass", Tok::KwPass},     {"pass_todo", Tok::KwPass},
      {"pass_dn", Tok::KwPass},
  };
  return kw;
}

const char* tok_name(Tok t) {
  switch (t) {
    case Tok::Eof:
      return "end of file";
    case Tok::Newline:
      return "end of line";
    case Tok::Indent:
      return "indented block";
    case Tok::Dedent:
      return "end of block";
    case Tok::Ident:
      return "name";
    case Tok::Int:
      return "integer";
    case Tok::Float:
      return "float";
    case Tok::Str:
      return "string";
    case Tok::Symbol:
      return "symbol";
    case Tok::LParen:
      return "'('";
    case Tok::RParen:
      return "')'";
    case Tok::LBracket:
      return "'['";
    case Tok::RBracket:
      return "']'";
    case Tok::LBrace:
      return "'{'";
    case Tok::RBrace:
      return "'}'";
    case Tok::Comma:
      return "','";
    case Tok::Colon:
      return "':'";
    case Tok::Semicolon:
      return "';'";
    case Tok::Dot:
      return "'.'";
    case Tok::DotDot:
      return "'..'";
    case Tok::DotDotEq:
      return "'..='";
    case Tok::Ellipsis:
      return "'...'";
    case Tok::ColonColon:
      return "'::'";
    case Tok::Arrow:
      return "'->'";
    case Tok::FatArrow:
      return "'=>'";
    case Tok::Question:
      return "'?'";
    case Tok::At:
      return "'@'";
    case Tok::Backslash:
      return "'\\'";
    case Tok::Dollar:
      return "'$'";
    case Tok::Bang:
      return "'!'";
    case Tok::Pipe:
      return "'|'";
    case Tok::Amp:
      return "'&'";
    case Tok::Caret:
      return "'^'";
    case Tok::Tilde:
      return "'~'";
    case Tok::Plus:
      return "'+'";
    case Tok::Minus:
      return "'-'";
    case Tok::Star:
      return "'*'";
    case Tok::Slash:
      return "'/'";
    case Tok::Percent:
      return "'%'";
    case Tok::StarStar:
      return "'**'";
    case Tok::SlashSlash:
      return "'//'";
    case Tok::Shl:
      return "'<<'";
    case Tok::Shr:
      return "'>>'";
    case Tok::Assign:
      return "'='";
    case Tok::EqEq:
      return "'=='";
    case Tok::NotEq:
      return "'!='";
    case Tok::Lt:
      return "'<'";
    case Tok::Le:
      return "'<='";
    case Tok::Gt:
      return "'>'";
    case Tok::Ge:
      return "'>='";
    case Tok::PlusEq:
      return "'+='";
    case Tok::MinusEq:
      return "'-='";
    case Tok::StarEq:
      return "'*='";
    case Tok::SlashEq:
      return "'/='";
    case Tok::PercentEq:
      return "'%='";
    case Tok::TildeEq:
      return "'~='";
    case Tok::StarStarEq:
      return "'**='";
    case Tok::SlashSlashEq:
      return "'//='";
    case Tok::AndAnd:
      return "'&&'";
    case Tok::OrOr:
      return "'||'";
    case Tok::LArrow:
      return "'<-'";
    default:
      break;
  }
  for (auto& [k, v] : keywords())
    if (v == t) {
      static thread_local std::string buf;
      buf = "'" + k + "'";
      return buf.c_str();
    }
  return "token";
}

Lexer::Lexer(const SourceFile& file, uint32_t begin, uint32_t end, bool nested)
    : file_(file), src_(file.text), pos_(begin), end_(end), nested_(nested) {
  if (nested_) {
    depth_ = 1;
    at_line_start_ = false;
    return;
  }
  // A UTF-8 byte order mark at the start of the file is not part of the program.
  if (begin == 0 && src_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  check_utf8();
}

// Source is UTF-8: report each invalid sequence (overlong forms, surrogates and code points
// above U+10FFFF included) once, with its position; a file with such errors does not run.
void Lexer::check_utf8() {
  const auto* s = reinterpret_cast<const unsigned char*>(src_.data());
  uint32_t i = pos_;
  while (i < end_) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
    bool ok = n > 0 && c <= 0xF4 && i + uint32_t(n) < end_;
    for (int k = 1; ok && k <= n; k++)
      if ((s[i + k] & 0xC0) != 0x80) ok = false;
    if (ok && n == 2) {
      if (c == 0xE0 && s[i + 1] < 0xA0) ok = false;   // overlong
      if (c == 0xED && s[i + 1] >= 0xA0) ok = false;  // UTF-16 surrogate
    }
    if (ok && n == 3) {
      if (c == 0xF0 && s[i + 1] < 0x90) ok = false;   // overlong
      if (c == 0xF4 && s[i + 1] >= 0x90) ok = false;  // above U+10FFFF
    }
    if (!ok) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", unsigned(c));
      error(i, std::string("invalid UTF-8 in source (byte ") + hex + ")");
      i++;
      while (i < end_ && (s[i] & 0xC0) == 0x80) i++;  // one report per bad sequence
      continue;
    }
    i += uint32_t(n) + 1;
  }
}

void Lexer::error(uint32_t off, std::string msg) {
  if (errors_.size() < 50) errors_.push_back({&file_, off, std::move(msg)});
}

void Lexer::push(Tok k, uint32_t start, std::string text) {
  Token t;
  t.kind = k;
  t.offset = start;
  t.length = pos_ - start;
  t.text = std::move(text);
  toks_.push_back(std::move(t));
}

static bool ident_start(char c) { return std::isalpha((unsigned char)c) || c == '_' || (c & 0x80); }
static bool ident_char(char c) { return std::isalnum((unsigned char)c) || c == '_' || (c & 0x80); }

bool Lexer::continuation_line_follows() {
  // pos_ is at a '\n'. Look at following lines, skipping blank and comment-only lines.
  uint32_t p = pos_;
  while (p < end_) {
    p++;  // skip '\n'
    while (p < end_ && (src_[p] == ' ' || src_[p] == '\t' || src_[p] == '\r')) p++;
    if (p >= end_) return false;
    if (src_[p] == '\n') continue;
    if (src_[p] == '#') {
      while (p < end_ && src_[p] != '\n') p++;
      continue;
    }
    return src_[p] == '.' && p + 1 < end_ && ident_start(src_[p + 1]);
  }
  return false;
}

void Lexer::lex_layout() {
  // Measure indentation of the line at pos_; skip blank/comment-only lines entirely.
  while (pos_ < end_) {
    uint32_t p = pos_;
    int width = 0;
    while (p < end_ && (src_[p] == ' ' || src_[p] == '\t')) {
      width += src_[p] == '\t' ? 4 : 1;
      p++;
    }
    if (p < end_ && src_[p] == '\r') p++;
    if (p >= end_) {
      pos_ = p;
      return;
    }
    if (src_[p] == '\n') {
      pos_ = p + 1;
      continue;
    }
    if (src_[p] == '#' && !(p + 1 < end_ && src_[p + 1] == '[')) {
      while (p < end_ && src_[p] != '\n') p++;
      pos_ = p;
      continue;
    }
    uint32_t line_start = pos_;
    pos_ = p;
    // The indentation text must extend the enclosing block's (deeper) or equal an outer
    // block's: tabs and spaces mixed differently from line to line are an error.
    std::string text = src_.substr(line_start, p - line_start);
    if (width > indents_.back()) {
      if (text.compare(0, indent_text_.back().size(), indent_text_.back()) != 0)
        error(p, "inconsistent use of tabs and spaces in indentation");
      indents_.push_back(width);
      indent_text_.push_back(text);
      push(Tok::Indent, p);
    } else {
      while (width < indents_.back()) {
        indents_.pop_back();
        indent_text_.pop_back();
        push(Tok::Dedent, p);
      }
      if (width != indents_.back())
        error(p, "inconsistent indentation (does not match any outer block)");
      else if (text != indent_text_.back())
        error(p, "inconsistent use of tabs and spaces in indentation");
    }
    return;
  }
}

// Is the last token a '-' that negates what follows (not a subtraction)?
bool Lexer::unary_minus_before() {
  if (toks_.empty() || toks_.back().kind != Tok::Minus) return false;
  last_minus_ = toks_.back().offset;
  if (toks_.size() == 1) return true;
  switch (toks_[toks_.size() - 2].kind) {
    case Tok::Ident:
    case Tok::Int:
    case Tok::Float:
    case Tok::Str:
    case Tok::RParen:
    case Tok::RBracket:
    case Tok::RBrace:
    case Tok::KwTrue:
    case Tok::KwFalse:
    case Tok::KwNil:
      return false;  // an operand ends there: binary minus
    default:
      return true;
  }
}

void Lexer::lex_number() {
  uint32_t start = pos_;
  std::string digits;
  bool is_float = false;
  int base = 10;
  if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X' || peek(1) == 'b' || peek(1) == 'B' ||
                        peek(1) == 'o' || peek(1) == 'O')) {
    char b = std::tolower(peek(1));
    base = b == 'x' ? 16 : b == 'b' ? 2 : 8;
    pos_ += 2;
    while (std::isxdigit((unsigned char)peek()) || peek() == '_') {
      if (peek() != '_') digits += peek();
      pos_++;
    }
  } else {
    while (std::isdigit((unsigned char)peek()) || peek() == '_') {
      if (peek() != '_') digits += peek();
      pos_++;
    }
    if (peek() == '.' && std::isdigit((unsigned char)peek(1))) {
      is_float = true;
      digits += '.';
      pos_++;
      while (std::isdigit((unsigned char)peek()) || peek() == '_') {
        if (peek() != '_') digits += peek();
        pos_++;
      }
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (std::isdigit((unsigned char)peek(1)) ||
         ((peek(1) == '+' || peek(1) == '-') && std::isdigit((unsigned char)peek(2))))) {
      is_float = true;
      digits += 'e';
      pos_++;
      if (peek() == '+' || peek() == '-') digits += src_[pos_++];
      while (std::isdigit((unsigned char)peek())) digits += src_[pos_++];
    }
  }
  // Type or unit suffix (42i32, 3.14f32, 100_km): dropped. f32/f64 make a float.
  if (ident_start(peek())) {
    uint32_t s = pos_;
    while (ident_char(peek())) pos_++;
    std::string suf = src_.substr(s, pos_ - s);
    if (suf == "f32" || suf == "f64" || suf == "_f32" || suf == "_f64") is_float = true;
  }
  Token t;
  t.offset = start;
  t.length = pos_ - start;
  if (digits.empty()) {
    error(start, "malformed number literal");
    digits.assign(1, '0');  // (assign: GCC 12 warns falsely about = "0" here)
  }
  if (is_float) {
    t.kind = Tok::Float;
    t.fval = std::strtod(digits.c_str(), nullptr);
  } else {
    t.kind = Tok::Int;
    errno = 0;
    unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
    // Decimal literals are values: at most 2^63-1 (and -2^63 written with a unary minus).
    // Hex, octal and binary literals are 64-bit patterns (0xFFFFFFFFFFFFFFFF is -1).
    if (errno == ERANGE) {
      error(start, base == 10 ? "integer literal is too large (the largest is 9223372036854775807)"
                              : "integer literal is too large (more than 64 bits)");
    } else if (base == 10 && v > uint64_t(INT64_MAX)) {
      if (v == uint64_t(INT64_MAX) + 1 && unary_minus_before()) {
        toks_.pop_back();  // fold "-9223372036854775808" into one literal
        t.offset = start = last_minus_;
        t.length = pos_ - start;
        v = uint64_t(INT64_MIN);
      } else {
        error(start, "integer literal is too large (the largest is 9223372036854775807)");
      }
    }
    t.ival = int64_t(v);
    if (base != 10 && digits.find_first_not_of(base == 16  ? "0123456789abcdefABCDEF"
                                               : base == 8 ? "01234567"
                                                           : "01") != std::string::npos)
      error(start, "invalid digit in number literal");
  }
  toks_.push_back(std::move(t));
}

void Lexer::lex_ident() {
  uint32_t start = pos_;
  while (ident_char(peek())) pos_++;
  std::string word = src_.substr(start, pos_ - start);
  // String prefixes: f"..." (interpolated), r"..." (raw).
  if ((word == "f" || word == "r") && (peek() == '"' || peek() == '\'')) {
    char q = src_[pos_];
    bool raw = word == "r" || q == '\'';
    lex_string(q, raw, word == "f" && q == '"', start);
    return;
  }
  auto& kw = keywords();
  auto it = kw.find(word);
  // After '.', keywords are plain member names (`opts.async(true)`), and right after `fn`
  // they are the name being declared (`fn async(mut self, b: bool)`).
  bool member_name =
      !toks_.empty() && (toks_.back().kind == Tok::Dot || toks_.back().kind == Tok::KwFn);
  // Early code uses `val` as a plain variable (`val = 5`, `print(val)`): it is the keyword
  // only when a name or a '(' pattern follows (`val x = 1`, `val (a, b) = t`).
  if (it != kw.end() && it->second == Tok::KwVal && !member_name) {
    uint32_t p = pos_;
    while (p < end_ && (src_[p] == ' ' || src_[p] == '\t')) p++;
    if (p >= end_ || !(ident_start(src_[p]) || src_[p] == '(')) member_name = true;
  }
  if (it != kw.end() && !member_name)
    push(it->second, start);
  else
    push(Tok::Ident, start, std::move(word));
}

static void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// Where does the format spec of `{...}` start? At the first ':' outside brackets and strings
// (never one of '::'), unless an `if`/`else`/`match`/lambda before it owns the colon, and only
// when what follows is a valid spec (format_spec.h). Returns 0 when there is none.
static uint32_t format_spec_colon(const std::string& src, uint32_t b, uint32_t e) {
  int depth = 0;
  char in_q = 0;
  for (uint32_t i = b; i < e; i++) {
    char d = src[i];
    if (in_q) {
      if (d == '\\' && in_q == '"')
        i++;
      else if (d == in_q)
        in_q = 0;
      continue;
    }
    if (d == '\'' || d == '"') {
      in_q = d;
      continue;
    }
    if (d == '(' || d == '[' || d == '{') depth++;
    if (d == ')' || d == ']' || d == '}') depth--;
    if (depth != 0) continue;
    if (d == '\\') return 0;  // a lambda: its ':' is not a spec
    if (std::isalpha((unsigned char)d) && (i == b || !ident_char(src[i - 1]))) {
      uint32_t j = i;
      while (j < e && ident_char(src[j])) j++;
      std::string_view w(src.data() + i, j - i);
      if (w == "if" || w == "elif" || w == "else" || w == "match" || w == "case" || w == "fn")
        return 0;
      i = j - 1;
      continue;
    }
    if (d == ':') {
      if (i + 1 < e && src[i + 1] == ':') {
        i++;
        continue;
      }
      FormatSpec spec;
      if (parse_format_spec(std::string_view(src).substr(i + 1, e - i - 1), &spec)) return i;
      return 0;
    }
  }
  return 0;
}

void Lexer::lex_string(char quote, bool raw, bool interp, uint32_t start) {
  // pos_ at the opening quote.
  bool triple = peek(1) == quote && peek(2) == quote;
  if (triple) {
    // Triple-quoted text is raw; f"""...""" still interpolates.
    raw = true;
    interp = interp && start < pos_;
    pos_ += 3;
  } else {
    pos_ += 1;
  }
  std::vector<StrPart> parts;
  std::string cur;
  bool closed = false;
  while (pos_ < end_) {
    char c = src_[pos_];
    if (triple) {
      if (c == quote && peek(1) == quote && peek(2) == quote) {
        pos_ += 3;
        closed = true;
        break;
      }
      if (!interp || (c != '{' && c != '}')) {
        cur += c;
        pos_++;
        continue;
      }
    }
    if (c == quote) {
      pos_++;
      closed = true;
      break;
    }
    if (c == '\n') break;
    if (!raw && c == '\\') {
      char e = peek(1);
      pos_ += 2;
      switch (e) {
        case 'n':
          cur += '\n';
          break;
        case 't':
          cur += '\t';
          break;
        case 'r':
          cur += '\r';
          break;
        case '0':
          cur += '\0';
          break;
        case '\\':
          cur += '\\';
          break;
        case '"':
          cur += '"';
          break;
        case '\'':
          cur += '\'';
          break;
        case '{':
          cur += '{';
          break;
        case '}':
          cur += '}';
          break;
        case 'u': {
          if (peek() == '{') {
            uint32_t p = pos_ + 1;
            uint32_t cp = 0;
            while (p < end_ && std::isxdigit((unsigned char)src_[p])) {
              cp = cp * 16 + (std::isdigit((unsigned char)src_[p])
                                  ? src_[p] - '0'
                                  : (std::tolower(src_[p]) - 'a' + 10));
              p++;
            }
            if (p < end_ && src_[p] == '}' && cp <= 0x10FFFF) {
              append_utf8(cur, cp);
              pos_ = p + 1;
              break;
            }
          }
          error(pos_ - 2, "malformed \\u{...} escape");
          break;
        }
        default:
          error(pos_ - 2, std::string("unknown escape sequence '\\") + e + "'");
          cur += e;
      }
      continue;
    }
    if (interp && c == '{') {
      if (peek(1) == '{') {
        cur += '{';
        pos_ += 2;
        continue;
      }
      // Find the matching '}' (tracking nesting and quoted strings: `"{xs.join(", ")}"`).
      uint32_t b = pos_ + 1, p = b;
      int nest = 0;
      bool ok = false;
      while (p < end_ && src_[p] != '\n') {
        char d = src_[p];
        if (d == '\'') {
          p++;
          while (p < end_ && src_[p] != '\'' && src_[p] != '\n') p++;
          if (p < end_ && src_[p] == '\'') p++;
          continue;
        }
        if (d == '"') {  // a string literal inside the expression: skip it whole
          p++;
          while (p < end_ && src_[p] != '"' && src_[p] != '\n') p += src_[p] == '\\' ? 2 : 1;
          if (p >= end_ || src_[p] != '"') break;
          p++;
          continue;
        }
        if (d == '{' || d == '(' || d == '[') nest++;
        if (d == ')' || d == ']') nest--;
        if (d == '}') {
          if (nest == 0) {
            ok = true;
            break;
          }
          nest--;
        }
        p++;
      }
      if (!ok) {
        error(pos_, "unterminated '{' in interpolated string (use '{{' for a literal brace)");
        pos_ = p;
        continue;
      }
      if (!cur.empty()) parts.push_back({false, std::move(cur), 0, 0, {}});
      cur.clear();
      StrPart part;
      part.is_expr = true;
      part.begin = b;
      part.end = p;
      if (uint32_t colon = format_spec_colon(src_, b, p)) {
        part.end = colon;
        part.fmt = src_.substr(colon + 1, p - colon - 1);
      }
      bool blank = true;
      for (uint32_t i = part.begin; i < part.end; i++)
        if (!std::isspace((unsigned char)src_[i])) blank = false;
      if (blank) error(pos_, "empty expression in interpolated string");
      parts.push_back(std::move(part));
      pos_ = p + 1;
      continue;
    }
    if (interp && c == '}' && peek(1) == '}') {
      cur += '}';
      pos_ += 2;
      continue;
    }
    cur += c;
    pos_++;
  }
  if (!closed) error(start, "unterminated string literal");
  Token t;
  t.kind = Tok::Str;
  t.offset = start;
  t.length = pos_ - start;
  if (parts.empty()) {
    t.text = std::move(cur);
  } else {
    if (!cur.empty()) parts.push_back({false, std::move(cur), 0, 0, {}});
    t.str_index = int(strings_.size());
    strings_.push_back(std::move(parts));
  }
  // Typed string suffix "..."_ip: dropped.
  if (peek() == '_' && ident_start(peek(1))) {
    while (ident_char(peek())) pos_++;
  }
  toks_.push_back(std::move(t));
}

bool Lexer::skip_block_comment() {
  uint32_t start = pos_;
  int nest = 0;
  while (pos_ < end_) {
    if (peek() == '/' && peek(1) == '*') {
      nest++;
      pos_ += 2;
    } else if (peek() == '*' && peek(1) == '/') {
      nest--;
      pos_ += 2;
      if (nest == 0) return true;
    } else {
      pos_++;
    }
  }
  error(start, "unterminated block comment");
  return false;
}

std::vector<Token> Lexer::tokenize() {
  while (true) {
    if (at_line_start_ && depth_ == 0) {
      lex_layout();
      at_line_start_ = false;
    }
    if (pos_ >= end_) break;
    char c = src_[pos_];
    uint32_t start = pos_;
    if (c == ' ' || c == '\t' || c == '\r') {
      pos_++;
      continue;
    }
    if (c == '\n') {
      if (depth_ > 0) {
        pos_++;
        continue;
      }
      if (continuation_line_follows()) {
        pos_++;
        continue;
      }
      if (!toks_.empty() && toks_.back().kind != Tok::Newline && toks_.back().kind != Tok::Indent &&
          toks_.back().kind != Tok::Dedent)
        push(Tok::Newline, start);
      pos_++;
      at_line_start_ = true;
      continue;
    }
    if (c == '\\') {
      uint32_t p = pos_ + 1;
      while (p < end_ && (src_[p] == ' ' || src_[p] == '\t' || src_[p] == '\r')) p++;
      if (p < end_ && src_[p] == '\n') {
        pos_ = p + 1;  // line continuation
        continue;
      }
      pos_++;
      push(Tok::Backslash, start);
      continue;
    }
    if (c == '#') {
      if (peek(1) == '[') {  // attribute #[...]: skip, including nested brackets
        int n = 0;
        while (pos_ < end_) {
          if (src_[pos_] == '[') n++;
          if (src_[pos_] == ']' && --n == 0) {
            pos_++;
            break;
          }
          if (src_[pos_] == '\n') break;
          pos_++;
        }
        continue;
      }
      while (pos_ < end_ && src_[pos_] != '\n') pos_++;
      continue;
    }
    if (c == '/' && peek(1) == '/' && peek(2) == '/') {  // doc comment ///
      while (pos_ < end_ && src_[pos_] != '\n') pos_++;
      continue;
    }
    if (c == '/' && peek(1) == '*') {
      skip_block_comment();
      continue;
    }
    if (std::isdigit((unsigned char)c)) {
      lex_number();
      continue;
    }
    if (ident_start(c)) {
      lex_ident();
      continue;
    }
    if (c == '"') {
      lex_string('"', false, true, start);
      continue;
    }
    if (c == '\'') {
      lex_string('\'', true, false, start);
      continue;
    }
    // Symbol literal :name (only after whitespace or an opening/separator character).
    if (c == ':' && ident_start(peek(1)) && pos_ > 0) {
      char prev = src_[pos_ - 1];
      if (prev == ' ' || prev == '(' || prev == '[' || prev == ',' || prev == '=') {
        pos_++;
        uint32_t s = pos_;
        while (ident_char(peek())) pos_++;
        push(Tok::Symbol, start, src_.substr(s, pos_ - s));
        continue;
      }
    }
    auto op = [&](int n, Tok k) {
      pos_ += n;
      push(k, start);
    };
    char d = peek(1), e = peek(2);
    switch (c) {
      case '(':
        depth_++;
        open_.push_back({c, start});
        op(1, Tok::LParen);
        break;
      case '[':
        depth_++;
        open_.push_back({c, start});
        op(1, Tok::LBracket);
        break;
      case '{':
        depth_++;
        open_.push_back({c, start});
        op(1, Tok::LBrace);
        break;
      case ')':
      case ']':
      case '}': {
        char want = c == ')' ? '(' : c == ']' ? '[' : '{';
        if (!open_.empty()) {
          if (open_.back().first != want)
            error(start, std::string("'") + c + "' does not match the '" + open_.back().first +
                             "' opened earlier");
          open_.pop_back();
        } else if (!nested_) {
          error(start, std::string("unmatched '") + c + "'");
        }
        if (depth_ > (nested_ ? 1 : 0)) depth_--;
        op(1, c == ')' ? Tok::RParen : c == ']' ? Tok::RBracket : Tok::RBrace);
        break;
      }
      case ',':
        op(1, Tok::Comma);
        break;
      case ';':
        op(1, Tok::Semicolon);
        break;
      case ':':
        d == ':' ? op(2, Tok::ColonColon) : op(1, Tok::Colon);
        break;
      case '.':
        if (d == '.' && e == '.')
          op(3, Tok::Ellipsis);
        else if (d == '.' && e == '=')
          op(3, Tok::DotDotEq);
        else if (d == '.')
          op(2, Tok::DotDot);
        else
          op(1, Tok::Dot);
        break;
      case '-':
        if (d == '>')
          op(2, Tok::Arrow);
        else if (d == '=')
          op(2, Tok::MinusEq);
        else
          op(1, Tok::Minus);
        break;
      case '=':
        if (d == '>')
          op(2, Tok::FatArrow);
        else if (d == '=')
          op(2, Tok::EqEq);
        else
          op(1, Tok::Assign);
        break;
      case '?':
        op(1, Tok::Question);
        break;
      case '@':
        op(1, Tok::At);
        break;
      case '$':
        op(1, Tok::Dollar);
        break;
      case '!':
        d == '=' ? op(2, Tok::NotEq) : op(1, Tok::Bang);
        break;
      case '|':
        d == '|' ? op(2, Tok::OrOr) : op(1, Tok::Pipe);
        break;
      case '&':
        d == '&' ? op(2, Tok::AndAnd) : op(1, Tok::Amp);
        break;
      case '^':
        op(1, Tok::Caret);
        break;
      case '~':
        d == '=' ? op(2, Tok::TildeEq) : op(1, Tok::Tilde);
        break;
      case '+':
        d == '=' ? op(2, Tok::PlusEq) : op(1, Tok::Plus);
        break;
      case '*':
        if (d == '*' && e == '=')
          op(3, Tok::StarStarEq);
        else if (d == '*')
          op(2, Tok::StarStar);
        else if (d == '=')
          op(2, Tok::StarEq);
        else
          op(1, Tok::Star);
        break;
      case '/':
        if (d == '/' && e == '=')
          op(3, Tok::SlashSlashEq);
        else if (d == '/')
          op(2, Tok::SlashSlash);
        else if (d == '=')
          op(2, Tok::SlashEq);
        else
          op(1, Tok::Slash);
        break;
      case '%':
        d == '=' ? op(2, Tok::PercentEq) : op(1, Tok::Percent);
        break;
      case '<':
        if (d == '<')
          op(2, Tok::Shl);
        else if (d == '-')
          op(2, Tok::LArrow);  // channel operator (`c <- v`): rejected by the parser
        else if (d == '=')
          op(2, Tok::Le);
        else
          op(1, Tok::Lt);
        break;
      case '>':
        if (d == '>')
          op(2, Tok::Shr);
        else if (d == '=')
          op(2, Tok::Ge);
        else
          op(1, Tok::Gt);
        break;
      default: {
        if (c == '\0') {
          error(start, "unexpected NUL byte (\\0) in source");
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "%02X", unsigned(static_cast<unsigned char>(c)));
          error(start, std::string("unexpected control character U+00") + hex + " in source");
        } else {
          error(start, std::string("unexpected character '") + c + "'");
        }
        pos_++;
      }
    }
  }
  if (!nested_ && !open_.empty())
    error(open_.front().second, std::string("'") + open_.front().first + "' is never closed");
  if (!nested_) {
    if (!toks_.empty() && toks_.back().kind != Tok::Newline && toks_.back().kind != Tok::Dedent)
      push(Tok::Newline, pos_);
    while (indents_.size() > 1) {
      indents_.pop_back();
      push(Tok::Dedent, pos_);
    }
  }
  push(Tok::Eof, pos_);
  return std::move(toks_);
}

}  // namespace spl
