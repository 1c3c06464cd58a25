// The format mini-language of interpolation (`"{n:04}"`, `"{x:>10.2f}"`, `"{n:,}"`, `"{v:x}"`),
// as users know it from Python: [[fill]align][sign][#][0][width][,|_][.precision][type] with
// align < > ^ =, sign + - space, types b c d o x X e E f F g G n s %. Parsing and rendering
// only; numbers are converted to digits by fmt. The lexer uses parse_format_spec to decide
// whether a ':' inside `{...}` starts a spec.
#pragma once

#include <string>
#include <string_view>

namespace spl {

class Value;

struct FormatSpec {
  char fill = ' ';         // one ASCII character (or a multi-byte UTF-8 one in fill_text)
  std::string fill_text;   // the fill as text (UTF-8)
  char align = 0;          // '<' '>' '^' '=' or 0 (default: right for numbers, left else)
  char sign = '-';         // '+' '-' ' '
  bool alternate = false;  // '#': 0x / 0o / 0b prefixes
  bool zero = false;       // '0': zero padding after the sign
  int width = 0;
  char grouping = 0;  // ',' or '_'
  int precision = -1;
  char type = 0;  // 0 when absent
};

// Parses `text` (what follows the ':'); returns false when it is not a format spec.
bool parse_format_spec(std::string_view text, FormatSpec* out);

// Renders `v` (display text `shown` for values that are not numbers) by `spec`. Returns false
// and sets *error for a spec that does not fit the value ("format 'x' needs an integer").
bool format_with_spec(const Value& v, const std::string& shown, const FormatSpec& spec,
                      std::string* out, std::string* error);

}  // namespace spl
