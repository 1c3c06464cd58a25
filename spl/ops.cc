// Operator semantics (docs/language.md, "Numbers" and "Comparisons"): int op int is int (overflow
// is an error), mixing with float gives float, `/` on ints truncates, `//` floors, `+` joins text
// and arrays, `==` is structural, text compares lexicographically.
#include "ops.h"

#include <cmath>
#include <cstring>

namespace spl {

int64_t norm_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

static Value num_result(double d) { return Value::floating(d); }

static int64_t to_i(Interp& in, const Value& v, const Node* at, const char* what) {
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return v.as_bool();
  in.error(at, std::string(what) + " needs an int, got " + type_name(v));
}

Value binary_op(Interp& in, Op op, const Value& a, const Value& b, const Node* at) {
  if (a.is_int() && b.is_int()) {
    int64_t x = a.as_int(), y = b.as_int(), r;
    switch (op) {
      case Op::Add:
        if (__builtin_add_overflow(x, y, &r)) in.error(at, "integer overflow in '+'");
        return Value::integer(r);
      case Op::Sub:
        if (__builtin_sub_overflow(x, y, &r)) in.error(at, "integer overflow in '-'");
        return Value::integer(r);
      case Op::Mul:
        if (__builtin_mul_overflow(x, y, &r)) in.error(at, "integer overflow in '*'");
        return Value::integer(r);
      case Op::Div:
        if (y == 0) in.error(at, "division by zero");
        if (x == INT64_MIN && y == -1) in.error(at, "integer overflow in '/'");
        return Value::integer(x / y);
      case Op::Mod:
        if (y == 0) in.error(at, "division by zero in '%'");
        if (y == -1) return Value::integer(0);
        return Value::integer(x % y);
      case Op::FloorDiv: {
        if (y == 0) in.error(at, "division by zero in '//'");
        if (x == INT64_MIN && y == -1) in.error(at, "integer overflow in '//'");
        int64_t q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
        return Value::integer(q);
      }
      case Op::Pow: {
        if (y < 0) return Value::floating(std::pow(double(x), double(y)));
        int64_t res = 1, base = x;
        int64_t e = y;
        while (e > 0) {
          if (e & 1)
            if (__builtin_mul_overflow(res, base, &res)) in.error(at, "integer overflow in '**'");
          e >>= 1;
          if (e && __builtin_mul_overflow(base, base, &base))
            in.error(at, "integer overflow in '**'");
        }
        return Value::integer(res);
      }
      case Op::BitAnd:
        return Value::integer(x & y);
      case Op::BitOr:
        return Value::integer(x | y);
      case Op::BitXor:
        return Value::integer(x ^ y);
      case Op::Shl:
        if (y < 0 || y > 63) in.error(at, "shift amount out of range");
        return Value::integer(int64_t(uint64_t(x) << y));
      case Op::Shr:
        if (y < 0 || y > 63) in.error(at, "shift amount out of range");
        return Value::integer(x >> y);
      case Op::Eq:
        return Value::boolean(x == y);
      case Op::Ne:
        return Value::boolean(x != y);
      case Op::Lt:
        return Value::boolean(x < y);
      case Op::Le:
        return Value::boolean(x <= y);
      case Op::Gt:
        return Value::boolean(x > y);
      case Op::Ge:
        return Value::boolean(x >= y);
      default:
        break;
    }
  }
  switch (op) {
    case Op::Eq:
      return Value::boolean(values_equal(a, b));
    case Op::Ne:
      return Value::boolean(!values_equal(a, b));
    case Op::Lt:
      return Value::boolean(less_than(in, a, b, at));
    case Op::Gt:
      return Value::boolean(less_than(in, b, a, at));
    case Op::Le:
      return Value::boolean(less_equal(in, a, b, at));
    case Op::Ge:
      return Value::boolean(less_equal(in, b, a, at));
    case Op::In:
      return Value::boolean(contains(in, b, a, at));
    case Op::NotIn:
      return Value::boolean(!contains(in, b, a, at));
    case Op::Is: {
      if (b.is(OK::StructType))
        return Value::boolean(a.is(OK::Instance) && a.as<Instance>()->type.obj() == b.obj());
      if (b.is(OK::EnumType))
        return Value::boolean(a.is(OK::EnumVal) && a.as<EnumVal>()->type.obj() == b.obj());
      if (a.is_obj() && b.is_obj()) return Value::boolean(a.obj() == b.obj() || values_equal(a, b));
      return Value::boolean(values_equal(a, b));
    }
    default:
      break;
  }
  if (a.is_num() && b.is_num()) {
    double x = a.as_num(), y = b.as_num();
    switch (op) {
      case Op::Add:
        return num_result(x + y);
      case Op::Sub:
        return num_result(x - y);
      case Op::Mul:
        return num_result(x * y);
      case Op::Div:
        if (y == 0) in.error(at, "division by zero");
        return num_result(x / y);
      case Op::Mod:
        if (y == 0) in.error(at, "division by zero in '%'");
        return num_result(std::fmod(x, y));
      case Op::FloorDiv:
        if (y == 0) in.error(at, "division by zero in '//'");
        return num_result(std::floor(x / y));
      case Op::Pow:
        return num_result(std::pow(x, y));
      default:
        break;
    }
  }
  if (op == Op::Add) {
    if (a.is(OK::Str) && b.is(OK::Str)) {
      std::string_view x = a.as<Str>()->view(), y = b.as<Str>()->view();
      Str* r = Str::make(x, x.size() + y.size());
      Value rv(r);
      str_append(rv, y);
      return rv;
    }
    if (a.is(OK::Array) && b.is(OK::Array)) {
      std::vector<Value> items = a.as<Array>()->items;
      for (auto& x : b.as<Array>()->items) items.push_back(x);
      return make_array(std::move(items));
    }
    if (a.is(OK::Str) || b.is(OK::Str))
      in.error(at, std::string("cannot add ") + type_name(a) + " and " + type_name(b) +
                       " (convert with to_string() or use \"{...}\" interpolation)");
  }
  if (op == Op::Mul) {
    const Value& s = a.is(OK::Str) || a.is(OK::Array) ? a : b;
    const Value& n = &s == &a ? b : a;
    if ((s.is(OK::Str) || s.is(OK::Array)) && n.is_int()) {
      int64_t k = n.as_int();
      if (k < 0) k = 0;
      if (s.is(OK::Str)) {
        std::string_view t = s.as<Str>()->view();
        if (t.size() * uint64_t(k) > (1ull << 31)) in.error(at, "text repetition is too large");
        std::string out;
        out.reserve(t.size() * k);
        for (int64_t i = 0; i < k; i++) out += t;
        return make_str(std::move(out));
      }
      auto& items = s.as<Array>()->items;
      if (items.size() * uint64_t(k) > (1ull << 28)) in.error(at, "array repetition is too large");
      std::vector<Value> out;
      for (int64_t i = 0; i < k; i++) out.insert(out.end(), items.begin(), items.end());
      return make_array(std::move(out));
    }
  }
  if (op == Op::BitAnd || op == Op::BitOr || op == Op::BitXor) {
    if (a.is_bool() && b.is_bool()) {
      bool x = a.as_bool(), y = b.as_bool();
      return Value::boolean(op == Op::BitAnd ? (x && y) : op == Op::BitOr ? (x || y) : (x != y));
    }
  }
  in.error(at, std::string("unsupported operand types for '") + op_text(op) + "': " + type_name(a) +
                   " and " + type_name(b));
}

Value unary_op(Interp& in, Op op, const Value& a, const Node* at) {
  switch (op) {
    case Op::Neg:
      if (a.is_int()) {
        if (a.as_int() == INT64_MIN) in.error(at, "integer overflow in unary '-'");
        return Value::integer(-a.as_int());
      }
      if (a.is_float()) return Value::floating(-a.as_float());
      break;
    case Op::Not:
      return Value::boolean(!truthy(a));
    case Op::BitNot:
      if (a.is_int()) return Value::integer(~a.as_int());
      break;
    default:
      break;
  }
  in.error(
      at, std::string("unsupported operand type for unary '") + op_text(op) + "': " + type_name(a));
}

bool less_than(Interp& in, const Value& a, const Value& b, const Node* at) {
  if (a.is_int() && b.is_int()) return a.as_int() < b.as_int();
  if (a.is_num() && b.is_num()) return a.as_num() < b.as_num();
  if (a.is(OK::Str) && b.is(OK::Str)) return a.as<Str>()->view() < b.as<Str>()->view();
  if ((a.is(OK::Array) && b.is(OK::Array)) || (a.is(OK::Tuple) && b.is(OK::Tuple))) {
    ValueNestGuard guard("ordering");
    auto& x = a.is(OK::Array) ? a.as<Array>()->items : a.as<Tuple>()->items;
    auto& y = b.is(OK::Array) ? b.as<Array>()->items : b.as<Tuple>()->items;
    for (size_t i = 0; i < x.size() && i < y.size(); i++) {
      if (less_than(in, x[i], y[i], at)) return true;
      if (less_than(in, y[i], x[i], at)) return false;
    }
    return x.size() < y.size();
  }
  if (a.is_bool() && b.is_bool()) return a.as_bool() < b.as_bool();
  in.error(at, std::string("cannot compare ") + type_name(a) + " with " + type_name(b));
}

bool less_equal(Interp& in, const Value& a, const Value& b, const Node* at) {
  if (a.is_int() && b.is_int()) return a.as_int() <= b.as_int();
  if (a.is_num() && b.is_num()) return a.as_num() <= b.as_num();
  return !less_than(in, b, a, at);
}

bool contains(Interp& in, const Value& c, const Value& item, const Node* at) {
  if (c.is(OK::Array) || c.is(OK::Tuple)) {
    auto& items = c.is(OK::Array) ? c.as<Array>()->items : c.as<Tuple>()->items;
    for (auto& x : items)
      if (values_equal(x, item)) return true;
    return false;
  }
  if (c.is(OK::Dict)) return c.as<Dict>()->find(item) != nullptr;
  if (c.is(OK::Str)) {
    if (!item.is(OK::Str))
      in.error(at, std::string("'in <text>' needs text on the left, got ") + type_name(item));
    return c.as<Str>()->view().find(item.as<Str>()->view()) != std::string_view::npos;
  }
  if (c.is(OK::Range)) {
    if (!item.is_int()) return false;
    RangeObj* r = c.as<RangeObj>();
    return item.as_int() >= r->start && item.as_int() < r->stop();
  }
  in.error(at, std::string("'in' is not supported for ") + type_name(c));
}

Value index_get(Interp& in, const Value& obj, const Value& idx, const Node* at) {
  if (idx.is(OK::Range)) {
    RangeObj* r = idx.as<RangeObj>();
    return slice(in, obj, Value::integer(r->start), Value::integer(r->stop()), Value(), at);
  }
  if (obj.is(OK::Array) || obj.is(OK::Tuple)) {
    auto& items = obj.is(OK::Array) ? obj.as<Array>()->items : obj.as<Tuple>()->items;
    int64_t n = int64_t(items.size());
    int64_t i = norm_index(to_i(in, idx, at, "index"), n);
    if (i < 0 || i >= n)
      in.error(at, "index " + display(idx) + " is out of range for " + type_name(obj) +
                       " of length " + std::to_string(n));
    return items[size_t(i)];
  }
  if (obj.is(OK::Dict)) {
    Value* v = obj.as<Dict>()->find(idx);
    return v ? *v : Value();
  }
  if (obj.is(OK::Str)) {
    std::string_view s = obj.as<Str>()->view();
    int64_t i = to_i(in, idx, at, "index");
    if (is_ascii(s)) {
      int64_t n = int64_t(s.size());
      i = norm_index(i, n);
      if (i < 0 || i >= n)
        in.error(at, "index " + std::to_string(i) + " is out of range for text of length " +
                         std::to_string(n));
      return make_str(std::string(1, s[size_t(i)]));
    }
    auto chars = utf8_chars(s);
    int64_t n = int64_t(chars.size());
    i = norm_index(i, n);
    if (i < 0 || i >= n)
      in.error(at, "index " + std::to_string(i) + " is out of range for text of length " +
                       std::to_string(n));
    return make_str(chars[size_t(i)]);
  }
  // User types index through their __getitem__ method (e.g. the file module's Bytes view).
  static const Sym s_getitem = intern("__getitem__");
  Value getter = in.find_method(obj, s_getitem);
  if (!getter.is_nil()) {
    Value arg = idx;
    return in.call(getter, &arg, 1, at, &obj);
  }
  in.error(at, std::string("cannot index into ") + type_name(obj));
}

void index_set(Interp& in, const Value& obj, const Value& idx, Value v, const Node* at) {
  if (obj.is(OK::Array)) {
    auto& items = obj.as<Array>()->items;
    int64_t n = int64_t(items.size());
    int64_t i = norm_index(to_i(in, idx, at, "index"), n);
    if (i < 0 || i >= n)
      in.error(at, "index " + display(idx) + " is out of range for array of length " +
                       std::to_string(n));
    items[size_t(i)] = std::move(v);
    return;
  }
  if (obj.is(OK::Dict)) {
    obj.as<Dict>()->set(idx, v);
    return;
  }
  in.error(at, std::string("cannot assign by index into ") + type_name(obj));
}

Value slice(Interp& in, const Value& obj, const Value& start, const Value& end, const Value& step,
            const Node* at) {
  int64_t n;
  bool text = obj.is(OK::Str);
  if (text)
    n = int64_t(obj.as<Str>()->char_count());
  else if (obj.is(OK::Array))
    n = int64_t(obj.as<Array>()->items.size());
  else if (obj.is(OK::Tuple))
    n = int64_t(obj.as<Tuple>()->items.size());
  else
    in.error(at, std::string("cannot slice ") + type_name(obj));
  int64_t st = step.is_nil() ? 1 : to_i(in, step, at, "slice step");
  if (st == 0) in.error(at, "slice step cannot be zero");
  int64_t b, e;
  if (st > 0) {
    b = start.is_nil() ? 0 : norm_index(to_i(in, start, at, "slice start"), n);
    e = end.is_nil() ? n : norm_index(to_i(in, end, at, "slice end"), n);
    b = std::clamp<int64_t>(b, 0, n);
    e = std::clamp<int64_t>(e, 0, n);
  } else {
    b = start.is_nil() ? n - 1 : norm_index(to_i(in, start, at, "slice start"), n);
    e = end.is_nil() ? -1 : norm_index(to_i(in, end, at, "slice end"), n);
    b = std::clamp<int64_t>(b, -1, n - 1);
    e = std::clamp<int64_t>(e, -1, n - 1);
  }
  if (text && st == 1) return make_str(utf8_substr(obj.as<Str>()->view(), b, std::max(b, e)));
  std::vector<Value> out;
  std::vector<std::string> chars;
  if (text) chars = utf8_chars(obj.as<Str>()->view());
  auto& items = text ? out : (obj.is(OK::Array) ? obj.as<Array>()->items : obj.as<Tuple>()->items);
  std::string s;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
    if (text)
      s += chars[size_t(i)];
    else
      out.push_back(items[size_t(i)]);
  }
  if (text) return make_str(std::move(s));
  if (obj.is(OK::Tuple)) return make_tuple(std::move(out));
  return make_array(std::move(out));
}

Value cast_to(Interp& in, const Value& v, Sym type, const Node* at) {
  const std::string& t = sym_name(type);
  bool to_int = t == "i8" || t == "i16" || t == "i32" || t == "i64" || t == "u8" || t == "u16" ||
                t == "u32" || t == "u64" || t == "usize" || t == "isize" || t == "int" ||
                t == "Int";
  bool to_float = t == "f32" || t == "f64" || t == "float" || t == "Float";
  if (to_int) {
    if (v.is_int()) return v;
    if (v.is_float()) {
      double d = v.as_float();
      if (std::isnan(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18)
        in.error(at, "cannot convert " + format_float(d) + " to an integer");
      return Value::integer(int64_t(d));
    }
    if (v.is_bool()) return Value::integer(v.as_bool());
    in.error(at, std::string("cannot cast ") + type_name(v) + " to " + t);
  }
  if (to_float) {
    if (v.is_num()) return Value::floating(v.as_num());
    if (v.is_bool()) return Value::floating(v.as_bool());
    in.error(at, std::string("cannot cast ") + type_name(v) + " to " + t);
  }
  if (t == "String" || t == "text" || t == "str") return make_str(in.to_display(v));
  if (t == "bool") return Value::boolean(truthy(v));
  return v;  // other casts are identity (types are dynamic)
}

}  // namespace spl
