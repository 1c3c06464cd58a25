// Methods on text values (docs/language.md, "Methods of builtin types"), plus scalar
// (int/float/bool) methods. Text is UTF-8; lengths and indexes count code points.
#include <utf8proc.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

#include "builtins_util.h"
#include "ops.h"

namespace spl {

namespace {

#define SELF_S (self.as<Str>()->view())
#define M(name) Value name(Interp& in, Value& self, CallArgs& a)

M(t_len) {
  (void)in;
  (void)a;
  return Value::integer(int64_t(self.as<Str>()->char_count()));
}
M(t_is_empty) {
  (void)in;
  (void)a;
  return Value::boolean(SELF_S.empty());
}
M(t_chars) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (auto& c : utf8_chars(SELF_S)) out.push_back(make_str(c));
  return make_array(std::move(out));
}
M(t_bytes) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (unsigned char c : SELF_S) out.push_back(Value::integer(c));
  return make_array(std::move(out));
}
M(t_contains) {
  want_args(in, a, 1, 1);
  return Value::boolean(SELF_S.find(arg_text(in, a, 0)) != std::string::npos);
}
M(t_starts_with) {
  want_args(in, a, 1, 1);
  std::string_view p = arg_text(in, a, 0);
  return Value::boolean(SELF_S.compare(0, p.size(), p) == 0);
}
M(t_ends_with) {
  want_args(in, a, 1, 1);
  std::string_view p = arg_text(in, a, 0);
  std::string_view s = SELF_S;
  return Value::boolean(s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0);
}
static int64_t cp_index(std::string_view s, size_t byte) {
  return int64_t(utf8_length(s.substr(0, byte)));
}
M(t_find) {
  want_args(in, a, 1, 1);
  size_t p = SELF_S.find(arg_text(in, a, 0));
  if (p == std::string::npos) return in.none();
  return in.some(Value::integer(cp_index(SELF_S, p)));
}
M(t_rfind) {
  want_args(in, a, 1, 1);
  size_t p = SELF_S.rfind(arg_text(in, a, 0));
  return Value::integer(p == std::string::npos ? -1 : cp_index(SELF_S, p));
}
// Unicode case mapping for to_upper / to_lower, from utf8proc's tables (Unicode's case
// mappings, one code point to one: ß upper-cases to ẞ U+1E9E; mappings to several code points
// such as ŉ -> ʼN are not in utf8proc's API and leave the character as it is). to_lower also
// applies Unicode's Final_Sigma condition: a capital sigma at the end of a word becomes ς.
// Bytes that are not valid UTF-8 are copied unchanged.
struct CodePoint {
  utf8proc_int32_t cp;  // -1: an invalid byte, copied as is
  size_t at, len;
};

std::vector<CodePoint> decode_utf8(std::string_view s) {
  std::vector<CodePoint> out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  for (size_t i = 0; i < s.size();) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p + i, utf8proc_ssize_t(s.size() - i), &cp);
    if (n <= 0) {
      out.push_back({-1, i, 1});
      i++;
    } else {
      out.push_back({cp, i, size_t(n)});
      i += size_t(n);
    }
  }
  return out;
}

// Unicode's Cased and Case_Ignorable properties, from utf8proc's categories (Cased: letters
// with a case; Case_Ignorable: marks, format characters, modifiers and the in-word
// punctuation of Word_Break MidLetter / MidNumLet / Single_Quote that text commonly holds).
bool is_cased(utf8proc_int32_t cp) {
  if (cp < 0) return false;
  auto cat = utf8proc_category(cp);
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
         cat == UTF8PROC_CATEGORY_LT || utf8proc_toupper(cp) != cp || utf8proc_tolower(cp) != cp;
}
bool is_case_ignorable(utf8proc_int32_t cp) {
  if (cp < 0) return false;
  switch (cp) {
    case '\'':
    case '.':
    case ':':
    case 0x00B7:
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0x2027:
      return true;
  }
  auto cat = utf8proc_category(cp);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME ||
         cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_LM || cat == UTF8PROC_CATEGORY_SK;
}

// Final_Sigma: a cased letter comes before (skipping case-ignorables) and none comes after.
bool is_final_sigma(const std::vector<CodePoint>& cps, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(cps[j - 1].cp)) j--;
  if (j == 0 || !is_cased(cps[j - 1].cp)) return false;
  size_t k = i + 1;
  while (k < cps.size() && is_case_ignorable(cps[k].cp)) k++;
  return k == cps.size() || !is_cased(cps[k].cp);
}

std::string map_case(std::string_view s, bool upper) {
  bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return (unsigned char)c < 0x80; });
  if (ascii) {
    std::string r(s);
    for (auto& c : r)
      c = char(upper ? std::toupper((unsigned char)c) : std::tolower((unsigned char)c));
    return r;
  }
  std::vector<CodePoint> cps = decode_utf8(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < cps.size(); i++) {
    const CodePoint& c = cps[i];
    if (c.cp < 0) {
      out += s[c.at];
      continue;
    }
    utf8proc_int32_t m = upper ? utf8proc_toupper(c.cp) : utf8proc_tolower(c.cp);
    if (!upper && c.cp == 0x03A3 && is_final_sigma(cps, i)) m = 0x03C2;
    utf8proc_uint8_t buf[4];
    utf8proc_ssize_t n = utf8proc_encode_char(m, buf);
    out.append(reinterpret_cast<const char*>(buf), size_t(n));
  }
  return out;
}

M(t_upper) {
  (void)in;
  (void)a;
  return make_str(map_case(SELF_S, true));
}
M(t_lower) {
  (void)in;
  (void)a;
  return make_str(map_case(SELF_S, false));
}
M(t_capitalize) {
  (void)in;
  (void)a;
  std::string s(SELF_S);
  if (!s.empty()) s[0] = char(std::toupper((unsigned char)s[0]));
  return make_str(std::move(s));
}
static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
M(t_trim) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) b++;
  while (e > b && is_space(s[e - 1])) e--;
  return make_str(s.substr(b, e - b));
}
M(t_trim_start) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  size_t b = 0;
  while (b < s.size() && is_space(s[b])) b++;
  return make_str(s.substr(b));
}
M(t_trim_end) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  size_t e = s.size();
  while (e > 0 && is_space(s[e - 1])) e--;
  return make_str(s.substr(0, e));
}
M(t_trim_start_matches) {
  want_args(in, a, 1, 1);
  std::string_view p = arg_text(in, a, 0);
  std::string s(SELF_S);
  if (p.empty()) return make_str(s);
  size_t b = 0;
  while (s.compare(b, p.size(), p) == 0) b += p.size();
  return make_str(s.substr(b));
}
M(t_trim_end_matches) {
  want_args(in, a, 1, 1);
  std::string_view p = arg_text(in, a, 0);
  std::string s(SELF_S);
  if (p.empty()) return make_str(s);
  while (s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0)
    s.resize(s.size() - p.size());
  return make_str(s);
}
M(t_removeprefix) {
  want_args(in, a, 1, 1);
  std::string_view p = arg_text(in, a, 0);
  if (SELF_S.compare(0, p.size(), p) == 0) return make_str(SELF_S.substr(p.size()));
  return self;
}
M(t_removesuffix) {
  want_args(in, a, 1, 1);
  std::string_view p = arg_text(in, a, 0);
  std::string_view s = SELF_S;
  if (s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0)
    return make_str(s.substr(0, s.size() - p.size()));
  return self;
}
M(t_split_whitespace);
// text.split(c) for a one-byte separator. Short pieces are the common case (words, fields),
// where a memchr call per piece costs more than the search: the text is read 8 bytes at a
// time and every separator in the word is taken from one mask. The cuts of a short text are
// found before the array is made (one allocation for it).
Value split_on_byte(std::string_view s, char sep) {
  static_assert(std::endian::native == std::endian::little, "the mask's lowest byte comes first");
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  const uint64_t pattern = 0x0101010101010101ULL * uint8_t(sep);
  const char* const base = s.data();
  const size_t n = s.size();
  std::vector<Value> out;
  constexpr int kCuts = 32;
  size_t cut[kCuts];  // separators found and not yet made into pieces
  int ncut = 0;
  size_t from = 0;  // start of the first piece not yet made
  auto flush = [&] {
    for (int k = 0; k < ncut; k++) {
      out.push_back(make_str(std::string_view(base + from, cut[k] - from)));
      from = cut[k] + 1;
    }
    ncut = 0;
  };
  auto found = [&](size_t at) {
    if (ncut == kCuts) {
      if (out.empty()) out.reserve(size_t(kCuts) * 2);
      flush();
    }
    cut[ncut++] = at;
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, base + i, 8);
    uint64_t x = w ^ pattern;                           // a zero byte where sep is
    uint64_t m = ~(((x & kLow7) + kLow7) | x | kLow7);  // 0x80 in exactly those bytes
    for (; m; m &= m - 1) found(i + size_t(__builtin_ctzll(m) >> 3));
  }
  for (; i < n; i++)
    if (base[i] == sep) found(i);
  if (out.empty()) out.reserve(size_t(ncut) + 1);
  flush();
  out.push_back(make_str(std::string_view(base + from, n - from)));
  return make_array(std::move(out));
}

}  // namespace

bool text_split_piece(std::string_view s, std::string_view sep, int64_t index,
                      std::string_view* piece) {
  if (sep.empty()) return false;
  if (index >= 0) {
    auto next = [&](size_t from) {
      return sep.size() == 1 ? s.find(sep[0], from) : s.find(sep, from);
    };
    size_t b = 0;
    for (int64_t k = 0; k < index; k++) {
      size_t p = next(b);
      if (p == std::string_view::npos) return false;
      b = p + sep.size();
    }
    size_t e = next(b);
    *piece = s.substr(b, e == std::string_view::npos ? s.size() - b : e - b);
    return true;
  }
  // From the end: only for one byte (occurrences of a longer separator found from the right
  // can differ from the left-to-right ones split makes, as in "aaa".split("aa")).
  if (sep.size() != 1) return false;
  size_t e = s.size();
  for (int64_t k = -1; k > index; k--) {
    size_t p = e == 0 ? std::string_view::npos : s.rfind(sep[0], e - 1);
    if (p == std::string_view::npos) return false;
    e = p;
  }
  size_t p = e == 0 ? std::string_view::npos : s.rfind(sep[0], e - 1);
  size_t b = p == std::string_view::npos ? 0 : p + 1;
  *piece = s.substr(b, e - b);
  return true;
}

namespace {

M(t_split) {
  want_args(in, a, 0, 1);
  // No separator: words between runs of whitespace (as Python's str.split()).
  if (a.argc == 0) return t_split_whitespace(in, self, a);
  std::string_view sep = arg_text(in, a, 0);
  std::string_view s = SELF_S;
  std::vector<Value> out;
  if (sep.empty()) {
    for (auto& c : utf8_chars(s)) out.push_back(make_str(c));
    return make_array(std::move(out));
  }
  if (sep.size() == 1) return split_on_byte(s, sep[0]);
  size_t b = 0;
  while (true) {
    size_t p = s.find(sep, b);
    if (p == std::string::npos) {
      out.push_back(make_str(s.substr(b)));
      break;
    }
    out.push_back(make_str(s.substr(b, p - b)));
    b = p + sep.size();
  }
  return make_array(std::move(out));
}
M(t_split_whitespace) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  std::vector<Value> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) i++;
    size_t b = i;
    while (i < s.size() && !is_space(s[i])) i++;
    if (i > b) out.push_back(make_str(s.substr(b, i - b)));
  }
  return make_array(std::move(out));
}
M(t_lines) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  std::vector<Value> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t p = s.find('\n', b);
    size_t e = p == std::string::npos ? s.size() : p;
    size_t e2 = e > b && s[e - 1] == '\r' ? e - 1 : e;
    out.push_back(make_str(s.substr(b, e2 - b)));
    if (p == std::string::npos) break;
    b = p + 1;
  }
  return make_array(std::move(out));
}
M(t_replace) {
  want_args(in, a, 2, 2);
  std::string_view from = arg_text(in, a, 0);
  std::string_view to = arg_text(in, a, 1);
  std::string_view s = SELF_S;
  size_t p = from.empty() ? std::string_view::npos : s.find(from);
  if (p == std::string_view::npos) return self;  // nothing to replace: the same text
  static const Sym s_first = intern("replace_first");
  bool first_only = a.name == s_first;
  std::string out;
  out.reserve(s.size() + (to.size() > from.size() ? 4 * (to.size() - from.size()) : 0));
  size_t b = 0;
  do {
    out.append(s.substr(b, p - b));
    out.append(to);
    b = p + from.size();
    if (first_only) break;
    p = s.find(from, b);
  } while (p != std::string_view::npos);
  out.append(s.substr(b));
  return make_str(out);
}
M(t_slice) {
  want_args(in, a, 1, 2);
  Value end = a.argc > 1 ? a.argv[1] : Value();
  return slice(in, self, a.argv[0], end, Value(), a.site);
}
M(t_repeat) {
  want_args(in, a, 1, 1);
  if (!a.argv[0].is_int() && !a.argv[0].is_bool())
    in.error(a.site, std::string("repeat(n) needs an int, got ") + type_name(a.argv[0]));
  return binary_op(in, Op::Mul, self, a.argv[0], a.site);
}
M(t_reverse) {
  (void)in;
  (void)a;
  auto chars = utf8_chars(SELF_S);
  std::string out;
  for (size_t i = chars.size(); i-- > 0;) out += chars[i];
  return make_str(std::move(out));
}
static bool parse_int_text(std::string_view s, int64_t* out) {
  // Decimal, surrounding whitespace allowed, an optional sign; no allocation.
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) b++;
  while (e > b && is_space(s[e - 1])) e--;
  if (b < e && s[b] == '+') {
    b++;
    if (b < e && (s[b] == '-' || s[b] == '+')) return false;
  }
  if (b == e) return false;
  int64_t v;
  auto [end, ec] = std::from_chars(s.data() + b, s.data() + e, v, 10);
  if (ec != std::errc() || end != s.data() + e) return false;
  *out = v;
  return true;
}
static bool parse_float_text(std::string_view s0, double* out) {
  if (s0.empty()) return false;
  std::string s(s0);  // (NUL-terminated for strtod)
  char* end;
  double v = std::strtod(s.c_str(), &end);
  if (*end) return false;
  *out = v;
  return true;
}
M(t_parse_int) {
  (void)a;
  int64_t v;
  return parse_int_text(SELF_S, &v) ? in.some(Value::integer(v)) : in.none();
}
M(t_parse_float) {
  (void)a;
  double v;
  return parse_float_text(SELF_S, &v) ? in.some(Value::floating(v)) : in.none();
}
M(t_to_int) {
  (void)in;
  (void)a;
  int64_t v = 0;
  parse_int_text(SELF_S, &v);
  return Value::integer(v);
}
M(t_to_float) {
  (void)in;
  (void)a;
  double v = 0;
  parse_float_text(SELF_S, &v);
  return Value::floating(v);
}
M(t_char_at) {
  want_args(in, a, 1, 1);
  int64_t i = arg_int(in, a, 0);
  std::string_view s = SELF_S;
  if (is_ascii(s)) {
    if (i < 0 || i >= int64_t(s.size())) return Value();
    return make_str(std::string(1, s[size_t(i)]));
  }
  auto chars = utf8_chars(s);
  if (i < 0 || i >= int64_t(chars.size())) return Value();
  return make_str(chars[size_t(i)]);
}
M(t_ord) {
  (void)a;
  std::string_view s = SELF_S;
  if (s.empty()) in.error(a.site, "ord() of empty text");
  unsigned char c = s[0];
  if (c < 0x80) return Value::integer(c);
  int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  uint32_t cp = c & (0x3F >> n);
  for (int i = 1; i <= n && size_t(i) < s.size(); i++) cp = (cp << 6) | (s[i] & 0x3F);
  return Value::integer(cp);
}
M(t_pad) {
  want_args(in, a, 1, 2);
  int64_t w = arg_int(in, a, 0);
  std::string fill(a.argc > 1 ? arg_text(in, a, 1) : std::string_view(" "));
  if (fill.empty()) fill = " ";
  std::string s(SELF_S);
  int64_t len = int64_t(utf8_length(s));
  if (w > 1000000) in.error(a.site, "padding width is too large");
  const std::string& m = sym_name(a.name);
  std::string pad;
  for (int64_t i = len; i < w; i++) pad += fill;
  if (m == "pad_left" || m == "rjust") return make_str(pad + s);
  if (m == "pad_right" || m == "ljust") return make_str(s + pad);
  if (m == "zfill") {
    std::string z(size_t(std::max<int64_t>(0, w - len)), '0');
    if (!s.empty() && (s[0] == '-' || s[0] == '+'))
      return make_str(s.substr(0, 1) + z + s.substr(1));
    return make_str(z + s);
  }
  // center
  size_t left = pad.size() / fill.size() / 2;
  std::string l, r;
  for (size_t i = 0; i < left; i++) l += fill;
  for (size_t i = left; i < pad.size() / fill.size(); i++) r += fill;
  return make_str(l + s + r);
}
M(t_is_numeric) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit((unsigned char)c);
  }));
}
M(t_is_alpha) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalpha((unsigned char)c);
  }));
}
M(t_is_alnum) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum((unsigned char)c);
  }));
}
M(t_is_whitespace) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), is_space));
}
M(t_is_upper) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return !std::isalpha((unsigned char)c) || std::isupper((unsigned char)c);
  }));
}
M(t_is_lower) {
  (void)in;
  (void)a;
  std::string_view s = SELF_S;
  return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return !std::isalpha((unsigned char)c) || std::islower((unsigned char)c);
  }));
}
// Text is a value: the mutators below (push, push_str, pop, clear) change the text held by
// the receiver (a variable, field or element; the VM writes a replaced value back). The text
// object is changed in place only when nothing else holds it (str_append / str_truncate).
M(t_push) {  // returns the new text too, for code that used push as "appended"
  want_args(in, a, 1, 1);
  if (a.argv[0].is(OK::Str))
    str_append(self, a.argv[0].as<Str>()->view());
  else
    str_append(self, in.to_display(a.argv[0]));
  return self;
}
M(t_pop) {
  want_args(in, a, 0, 0);
  std::string_view s = SELF_S;
  if (s.empty()) return in.none();
  size_t b = s.size() - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) b--;
  Value ch = make_str(s.substr(b));
  str_truncate(self, b);
  return in.some(ch);
}
M(t_clear) {
  want_args(in, a, 0, 0);
  str_truncate(self, 0);
  return Value();
}
M(t_appended) {
  want_args(in, a, 1, 1);
  return make_str(std::string(SELF_S) + in.to_display(a.argv[0]));
}
M(t_prepended) {
  want_args(in, a, 1, 1);
  return make_str(in.to_display(a.argv[0]) + std::string(SELF_S));
}
M(t_byte_len) {
  want_args(in, a, 0, 0);
  return Value::integer(int64_t(SELF_S.size()));
}
M(t_sorted) {
  want_args(in, a, 0, 0);
  auto chars = utf8_chars(SELF_S);
  std::sort(chars.begin(), chars.end());
  std::string out;
  for (auto& c : chars) out += c;
  return make_str(std::move(out));
}
M(t_taken) {  // the first n characters
  want_args(in, a, 1, 1);
  int64_t n = std::max<int64_t>(0, arg_int(in, a, 0));
  return make_str(utf8_substr(SELF_S, 0, std::min<int64_t>(n, int64_t(utf8_length(SELF_S)))));
}
M(t_dropped) {  // all but the first n characters
  want_args(in, a, 1, 1);
  int64_t len = int64_t(utf8_length(SELF_S));
  int64_t n = std::min(len, std::max<int64_t>(0, arg_int(in, a, 0)));
  return make_str(utf8_substr(SELF_S, n, len));
}
M(t_count) {
  want_args(in, a, 1, 1);
  std::string_view p = arg_text(in, a, 0);
  if (p.empty()) return Value::integer(int64_t(utf8_length(SELF_S)) + 1);
  int64_t n = 0;
  for (size_t b = SELF_S.find(p); b != std::string::npos; b = SELF_S.find(p, b + p.size())) n++;
  return Value::integer(n);
}
M(t_join) {
  want_args(in, a, 1, 1);
  if (!a.argv[0].is(OK::Array)) in.error(a.site, "join() needs an array");
  std::string out;
  bool first = true;
  for (auto& v : a.argv[0].as<Array>()->items) {
    if (!first) out += SELF_S;
    first = false;
    out += in.to_display(v);
  }
  return make_str(std::move(out));
}
M(t_to_string) {
  (void)in;
  (void)a;
  return self;
}
M(t_hash) {
  (void)in;
  (void)a;
  return Value::integer(int64_t(std::hash<std::string_view>()(SELF_S) & 0x7fffffffffffffffULL));
}

// ---- scalars ----
M(n_to_string) {
  (void)a;
  return make_str(in.to_display(self));
}
M(n_abs) {
  (void)a;
  if (self.is_int()) {
    if (self.as_int() == INT64_MIN) in.error(a.site, "integer overflow in abs");
    return Value::integer(std::abs(self.as_int()));
  }
  if (self.is_float()) return Value::floating(std::fabs(self.as_float()));
  in.error(a.site, std::string("abs() needs a number, got ") + type_name(self));
}
M(n_to_float) {
  (void)a;
  if (!self.is_num() && !self.is_bool())
    in.error(a.site, std::string("to_float() needs a number, got ") + type_name(self));
  return Value::floating(self.is_bool() ? double(self.as_bool()) : self.as_num());
}
M(n_to_int) { return cast_to(in, self, intern("i64"), a.site); }
M(n_floor) {
  if (self.is_int()) return self;
  if (!self.is_float()) in.error(a.site, "floor() needs a number");
  return Value::floating(std::floor(self.as_float()));
}
M(n_ceil) {
  if (self.is_int()) return self;
  if (!self.is_float()) in.error(a.site, "ceil() needs a number");
  return Value::floating(std::ceil(self.as_float()));
}
M(n_round) {
  if (self.is_int()) return self;
  if (!self.is_float()) in.error(a.site, "round() needs a number");
  if (a.argc) {
    double f = std::pow(10.0, double(arg_int(in, a, 0)));
    return Value::floating(std::round(self.as_float() * f) / f);
  }
  return Value::floating(std::round(self.as_float()));
}
M(n_sqrt) {
  if (!self.is_num()) in.error(a.site, "sqrt() needs a number");
  return Value::floating(std::sqrt(self.as_num()));
}
M(n_pow) {
  want_args(in, a, 1, 1);
  return binary_op(in, Op::Pow, self, a.argv[0], a.site);
}
M(n_min) {
  want_args(in, a, 1, 1);
  return less_than(in, a.argv[0], self, a.site) ? a.argv[0] : self;
}
M(n_max) {
  want_args(in, a, 1, 1);
  return less_than(in, self, a.argv[0], a.site) ? a.argv[0] : self;
}
M(n_clamp) {
  want_args(in, a, 2, 2);
  if (less_than(in, self, a.argv[0], a.site)) return a.argv[0];
  if (less_than(in, a.argv[1], self, a.site)) return a.argv[1];
  return self;
}
M(n_is_nan) {
  (void)in;
  (void)a;
  return Value::boolean(self.is_float() && std::isnan(self.as_float()));
}
M(n_is_nil) {
  (void)in;
  (void)a;
  return Value::boolean(self.is_nil());
}

#undef M
#undef SELF_S

}  // namespace

void install_text_methods(Interp& in) {
  MethodMap& t = in.methods_for(OK::Str);
  auto def = [&](const char* n, MethodFn f) { t[intern(n)] = f; };
  def("len", t_len);
  def("length", t_len);
  def("is_empty", t_is_empty);
  def("chars", t_chars);
  def("bytes", t_bytes);
  def("contains", t_contains);
  def("starts_with", t_starts_with);
  def("startswith", t_starts_with);
  def("ends_with", t_ends_with);
  def("endswith", t_ends_with);
  def("find", t_find);
  def("index_of", t_find);
  def("rfind", t_rfind);
  def("last_index_of", t_rfind);
  def("to_upper", t_upper);
  def("upper", t_upper);
  def("to_lower", t_lower);
  def("lower", t_lower);
  def("capitalize", t_capitalize);
  def("trim", t_trim);
  def("strip", t_trim);
  def("trim_start", t_trim_start);
  def("lstrip", t_trim_start);
  def("trim_end", t_trim_end);
  def("rstrip", t_trim_end);
  def("trim_start_matches", t_trim_start_matches);
  def("trim_end_matches", t_trim_end_matches);
  def("removeprefix", t_removeprefix);
  def("strip_prefix", t_removeprefix);
  def("removesuffix", t_removesuffix);
  def("strip_suffix", t_removesuffix);
  def("split", t_split);
  def("split_whitespace", t_split_whitespace);
  def("lines", t_lines);
  def("split_lines", t_lines);
  def("replace", t_replace);
  def("replace_first", t_replace);
  def("slice", t_slice);
  def("substring", t_slice);
  def("substr", t_slice);
  def("repeat", t_repeat);
  def("reverse", t_reverse);
  def("reversed", t_reverse);
  def("parse_int", t_parse_int);
  def("parse_float", t_parse_float);
  def("to_int", t_to_int);
  def("to_float", t_to_float);
  def("char_at", t_char_at);
  def("at", t_char_at);
  def("ord", t_ord);
  def("pad_left", t_pad);
  def("rjust", t_pad);
  def("pad_right", t_pad);
  def("ljust", t_pad);
  def("center", t_pad);
  def("zfill", t_pad);
  def("is_numeric", t_is_numeric);
  def("is_digit", t_is_numeric);
  def("is_alpha", t_is_alpha);
  def("is_alphanumeric", t_is_alnum);
  def("is_whitespace", t_is_whitespace);
  def("is_upper", t_is_upper);
  def("is_lower", t_is_lower);
  def("push", t_push);
  def("push_str", t_push);
  def("count", t_count);
  def("join", t_join);
  def("to_string", t_to_string);
  def("hash", t_hash);
  def("find_str", t_find);
  def("char_count", t_len);
  def("byte_len", t_byte_len);
  def("trimmed", t_trim);
  def("pop", t_pop);
  def("clear", t_clear);
  def("appended", t_appended);
  def("prepended", t_prepended);
  def("sorted", t_sorted);
  def("taken", t_taken);
  def("dropped", t_dropped);

  MethodMap& s = in.scalar_methods();
  auto sdef = [&](const char* n, MethodFn f) { s[intern(n)] = f; };
  sdef("to_string", n_to_string);
  sdef("abs", n_abs);
  sdef("to_float", n_to_float);
  sdef("to_f64", n_to_float);
  sdef("to_int", n_to_int);
  sdef("to_i64", n_to_int);
  sdef("floor", n_floor);
  sdef("ceil", n_ceil);
  sdef("round", n_round);
  sdef("sqrt", n_sqrt);
  sdef("pow", n_pow);
  sdef("min", n_min);
  sdef("max", n_max);
  sdef("clamp", n_clamp);
  sdef("is_nan", n_is_nan);
  sdef("is_nil", n_is_nil);
}

}  // namespace spl
