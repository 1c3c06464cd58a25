// The interpolation format mini-language (see format_spec.h).
#include "format_spec.h"

#include <fmt/format.h>

#include <cmath>

#include "value.h"

namespace spl {

namespace {

size_t utf8_len(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) n++;
  return n;
}

size_t utf8_char_len(unsigned char c) {
  return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

bool is_type_char(char c) {
  switch (c) {
    case 'b':
    case 'c':
    case 'd':
    case 'o':
    case 'x':
    case 'X':
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'n':
    case 's':
    case '%':
      return true;
    default:
      return false;
  }
}

bool is_align(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; i++) out += s;
  return out;
}

// Inserts `sep` every `every` digits from the right of the digit run that starts at `begin`.
void group_digits(std::string& s, size_t begin, size_t end, char sep, int every) {
  std::string digits = s.substr(begin, end - begin);
  std::string grouped;
  int count = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    grouped.insert(grouped.begin(), digits[i]);
    if (++count % every == 0 && i > 0) grouped.insert(grouped.begin(), sep);
  }
  s = s.substr(0, begin) + grouped + s.substr(end);
}

// Pads `body` (with its sign/prefix `lead` kept in front for '=' alignment) to the width.
std::string pad(const std::string& lead, const std::string& body, const FormatSpec& spec,
                char default_align) {
  char align = spec.align ? spec.align : default_align;
  std::string fill = spec.fill_text.empty() ? std::string(1, spec.fill) : spec.fill_text;
  if (spec.zero && !spec.align) {
    align = '=';
    fill = "0";
  }
  size_t len = utf8_len(lead) + utf8_len(body);
  size_t w = size_t(spec.width < 0 ? 0 : spec.width);
  if (len >= w) return lead + body;
  size_t n = w - len;
  switch (align) {
    case '<':
      return lead + body + repeat(fill, n);
    case '^':
      return repeat(fill, n / 2) + lead + body + repeat(fill, n - n / 2);
    case '=':
      return lead + repeat(fill, n) + body;
    default:
      return repeat(fill, n) + lead + body;
  }
}

std::string sign_of(bool negative, const FormatSpec& spec) {
  if (negative) return "-";
  if (spec.sign == '+') return "+";
  if (spec.sign == ' ') return " ";
  return "";
}

}  // namespace

bool parse_format_spec(std::string_view t, FormatSpec* out) {
  FormatSpec s;
  size_t i = 0;
  // [[fill]align]: the fill is one character (possibly multi-byte).
  if (!t.empty()) {
    size_t cl = utf8_char_len(static_cast<unsigned char>(t[0]));
    if (cl < t.size() && is_align(t[cl])) {
      s.fill_text = std::string(t.substr(0, cl));
      s.fill = cl == 1 ? t[0] : ' ';
      if (s.fill_text == "{" || s.fill_text == "}") return false;
      s.align = t[cl];
      i = cl + 1;
    } else if (is_align(t[0])) {
      s.align = t[0];
      i = 1;
    }
  }
  if (i < t.size() && (t[i] == '+' || t[i] == '-' || t[i] == ' ')) s.sign = t[i++];
  if (i < t.size() && t[i] == '#') {
    s.alternate = true;
    i++;
  }
  if (i < t.size() && t[i] == '0') {
    s.zero = true;
    i++;
  }
  size_t w = i;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    if (i - w > 6) return false;
    s.width = s.width * 10 + (t[i++] - '0');
  }
  if (i < t.size() && (t[i] == ',' || t[i] == '_')) s.grouping = t[i++];
  if (i < t.size() && t[i] == '.') {
    i++;
    size_t p = i;
    s.precision = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (i - p > 6) return false;
      s.precision = s.precision * 10 + (t[i++] - '0');
    }
    if (i == p) return false;
  }
  if (i < t.size() && is_type_char(t[i])) s.type = t[i++];
  if (i != t.size() || t.empty()) return false;
  *out = s;
  return true;
}

bool format_with_spec(const Value& v, const std::string& shown, const FormatSpec& spec,
                      std::string* out, std::string* error) {
  char type = spec.type;
  bool is_int = v.is_int() || v.is_bool();
  bool is_num = is_int || v.is_float();
  auto fail = [&](const std::string& m) {
    *error = m;
    return false;
  };
  // Text (and anything that is not a number): precision truncates, then pad (left default).
  if (type == 's' || (!type && !is_num)) {
    if (spec.sign != '-' || spec.alternate || spec.grouping)
      return fail("format spec with a sign, '#' or grouping needs a number, got " +
                  std::string(type_name(v)));
    std::string s = shown;
    if (spec.precision >= 0 && utf8_len(s) > size_t(spec.precision)) {
      size_t b = 0, n = 0;
      while (b < s.size() && n < size_t(spec.precision)) {
        b += utf8_char_len(static_cast<unsigned char>(s[b]));
        n++;
      }
      s.resize(b);
    }
    *out = pad("", s, spec, '<');
    return true;
  }
  if (!is_num)
    return fail(std::string("format '") + type + "' needs a number, got " + type_name(v));
  std::string body;
  bool negative = false;
  if (type == 'b' || type == 'o' || type == 'x' || type == 'X' || type == 'c' || type == 'd' ||
      type == 'n' || (!type && is_int)) {
    if (!is_int)
      return fail(std::string("format '") + (type ? type : 'd') + "' needs an integer, got float");
    if (spec.precision >= 0) return fail("precision is not allowed for integer formats");
    int64_t x = v.is_bool() ? int64_t(v.as_bool()) : v.as_int();
    if (type == 'c') {
      if (x < 0 || x > 0x10FFFF)
        return fail("format 'c' needs a code point, got " + std::to_string(x));
      std::string ch;
      uint32_t cp = uint32_t(x);
      if (cp < 0x80) {
        ch += char(cp);
      } else if (cp < 0x800) {
        ch += char(0xC0 | (cp >> 6));
        ch += char(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        ch += char(0xE0 | (cp >> 12));
        ch += char(0x80 | ((cp >> 6) & 0x3F));
        ch += char(0x80 | (cp & 0x3F));
      } else {
        ch += char(0xF0 | (cp >> 18));
        ch += char(0x80 | ((cp >> 12) & 0x3F));
        ch += char(0x80 | ((cp >> 6) & 0x3F));
        ch += char(0x80 | (cp & 0x3F));
      }
      *out = pad("", ch, spec, '<');
      return true;
    }
    negative = x < 0;
    uint64_t mag = negative ? uint64_t(0) - uint64_t(x) : uint64_t(x);
    std::string prefix;
    switch (type) {
      case 'b':
        body = fmt::format("{:b}", mag);
        prefix = spec.alternate ? "0b" : "";
        break;
      case 'o':
        body = fmt::format("{:o}", mag);
        prefix = spec.alternate ? "0o" : "";
        break;
      case 'x':
        body = fmt::format("{:x}", mag);
        prefix = spec.alternate ? "0x" : "";
        break;
      case 'X':
        body = fmt::format("{:X}", mag);
        prefix = spec.alternate ? "0X" : "";
        break;
      default:
        body = fmt::format("{}", mag);
        break;
    }
    if (spec.grouping) {
      int every = (type == 'b' || type == 'o' || type == 'x' || type == 'X') ? 4 : 3;
      if (spec.grouping == ',' && every == 4) return fail("',' grouping needs a decimal format");
      group_digits(body, 0, body.size(), spec.grouping, every);
    }
    *out = pad(sign_of(negative, spec) + prefix, body, spec, '>');
    return true;
  }
  // Floating point: e E f F g G %, or a float without a type.
  double d = v.is_float() ? v.as_float() : double(v.is_bool() ? int64_t(v.as_bool()) : v.as_int());
  negative = std::signbit(d) && !std::isnan(d);
  double mag = std::fabs(d);
  int prec = spec.precision;
  if (std::isnan(d) || std::isinf(d)) {
    body = std::isnan(d) ? "nan" : "inf";
    if (type == 'E' || type == 'F' || type == 'G') body = std::isnan(d) ? "NAN" : "INF";
    if (!type) body = std::isnan(d) ? "NaN" : "inf";
    if (type == '%') body += "%";
  } else {
    switch (type) {
      case 'e':
      case 'E':
        body = type == 'e' ? fmt::format("{:.{}e}", mag, prec < 0 ? 6 : prec)
                           : fmt::format("{:.{}E}", mag, prec < 0 ? 6 : prec);
        break;
      case 'f':
      case 'F':
        body = fmt::format("{:.{}f}", mag, prec < 0 ? 6 : prec);
        break;
      case 'g':
      case 'G':
        body = type == 'g' ? fmt::format("{:.{}g}", mag,
                                         prec < 0    ? 6
                                         : prec == 0 ? 1
                                                     : prec)
                           : fmt::format("{:.{}G}", mag,
                                         prec < 0    ? 6
                                         : prec == 0 ? 1
                                                     : prec);
        break;
      case '%':
        body = fmt::format("{:.{}f}", mag * 100, prec < 0 ? 6 : prec) + "%";
        break;
      default:
        // No type: the shortest text that reads back (as print shows it), or with a
        // precision, significant digits.
        body = prec < 0 ? format_float(mag) : fmt::format("{:.{}g}", mag, prec == 0 ? 1 : prec);
        break;
    }
    if (spec.grouping) {
      size_t b = 0;
      size_t e = b;
      while (e < body.size() && body[e] >= '0' && body[e] <= '9') e++;
      group_digits(body, b, e, spec.grouping, 3);
    }
  }
  *out = pad(sign_of(negative, spec), body, spec, '>');
  return true;
}

}  // namespace spl
