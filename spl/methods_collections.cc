// Methods on arrays, dicts, tuples and ranges (docs/language.md, "Methods of builtin types").
// Arrays and dicts are shared references: mutators change the receiver in place.
#include <algorithm>
#include <cstring>

#include "builtins_util.h"
#include "ops.h"

namespace spl {

namespace {

#define M(name) Value name(Interp& in, Value& self, CallArgs& a)
#define ITEMS (self.as<Array>()->items)

// The items of an array as they are when a method that calls back into Simple code starts
// (the callback may change the array; the method goes on over what it had): on the stack
// for small arrays, a copy on the heap for big ones.
class ItemsSnapshot {
 public:
  explicit ItemsSnapshot(const std::vector<Value>& items) : n_(items.size()) {
    if (n_ <= kSmall) {
      data_ = reinterpret_cast<Value*>(small_);
      for (size_t i = 0; i < n_; i++) new (&data_[i]) Value(items[i]);
    } else {
      big_ = items;
      data_ = big_.data();
    }
  }
  ~ItemsSnapshot() {
    if (n_ <= kSmall)
      for (size_t i = 0; i < n_; i++) data_[i].~Value();
  }
  ItemsSnapshot(const ItemsSnapshot&) = delete;
  ItemsSnapshot& operator=(const ItemsSnapshot&) = delete;
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  Value& operator[](size_t i) { return data_[i]; }
  Value* begin() { return data_; }
  Value* end() { return data_ + n_; }

 private:
  static constexpr size_t kSmall = 16;
  size_t n_;
  Value* data_;
  alignas(Value) unsigned char small_[kSmall * sizeof(Value)];
  std::vector<Value> big_;
};

Value fn_arg(Interp& in, CallArgs& a, int i) {
  if (i >= a.argc) in.error(a.site, "'" + sym_name(a.name) + "' needs a function argument");
  return a.argv[i];
}

M(a_len) {
  (void)in;
  (void)a;
  return Value::integer(int64_t(ITEMS.size()));
}
M(a_is_empty) {
  (void)in;
  (void)a;
  return Value::boolean(ITEMS.empty());
}
M(a_first) {
  (void)in;
  (void)a;
  return ITEMS.empty() ? Value() : ITEMS.front();
}
M(a_last) {
  (void)in;
  (void)a;
  return ITEMS.empty() ? Value() : ITEMS.back();
}
M(a_get) {
  want_args(in, a, 1, 1);
  int64_t n = int64_t(ITEMS.size());
  int64_t i = norm_index(arg_int(in, a, 0), n);
  return i < 0 || i >= n ? Value() : ITEMS[size_t(i)];
}
M(a_contains) {
  want_args(in, a, 1, 1);
  for (auto& x : ITEMS)
    if (values_equal(x, a.argv[0])) return Value::boolean(true);
  return Value::boolean(false);
}
M(a_push) {
  want_args(in, a, 1, 1);
  array_push(ITEMS, a.argv[0]);
  return self;
}
M(a_pop) {
  (void)a;
  if (ITEMS.empty()) in.error(a.site, "pop() from an empty array");
  Value v = ITEMS.back();
  ITEMS.pop_back();
  return v;
}
M(a_extend) {
  want_args(in, a, 1, 1);
  if (!a.argv[0].is(OK::Array)) in.error(a.site, "extend() needs an array");
  std::vector<Value> other = a.argv[0].as<Array>()->items;
  ITEMS.insert(ITEMS.end(), other.begin(), other.end());
  return self;
}
M(a_concat) {
  want_args(in, a, 1, 1);
  return binary_op(in, Op::Add, self, a.argv[0], a.site);
}
M(a_insert) {
  want_args(in, a, 2, 2);
  int64_t n = int64_t(ITEMS.size());
  int64_t i = norm_index(arg_int(in, a, 0), n);
  if (i < 0 || i > n) in.error(a.site, "insert index out of range");
  ITEMS.insert(ITEMS.begin() + i, a.argv[1]);
  return self;
}
M(a_remove) {
  want_args(in, a, 1, 1);
  int64_t n = int64_t(ITEMS.size());
  int64_t i = norm_index(arg_int(in, a, 0), n);
  if (i < 0 || i >= n)
    in.error(a.site, "remove index " + std::to_string(i) + " out of range (length " +
                         std::to_string(n) + ")");
  Value v = ITEMS[size_t(i)];
  ITEMS.erase(ITEMS.begin() + i);
  return v;
}
M(a_clear) {
  (void)in;
  (void)a;
  ITEMS.clear();
  return self;
}
M(a_reverse) {
  (void)in;
  (void)a;
  std::vector<Value> out(ITEMS.rbegin(), ITEMS.rend());
  if (sym_name(a.name) == "reverse") {
    ITEMS = out;
    return self;
  }
  return make_array(std::move(out));
}
M(a_slice) {
  want_args(in, a, 1, 2);
  return slice(in, self, a.argv[0], a.argc > 1 ? a.argv[1] : Value(), Value(), a.site);
}
M(a_map) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  std::vector<Value> out;
  out.reserve(src.size());
  for (auto& x : src) out.push_back(in.call1(f, x));
  return make_array(std::move(out));
}
M(a_each) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  for (auto& x : src) in.call1(f, x);
  return Value();
}
M(a_filter) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  std::vector<Value> out;
  out.reserve(src.size());  // (at most; one allocation instead of one per doubling)
  for (auto& x : src)
    if (truthy(in.call1(f, x))) out.push_back(x);
  return make_array(std::move(out));
}
M(a_fold) {
  want_args(in, a, 1, 2);
  ItemsSnapshot src(ITEMS);
  size_t start = 0;
  Value acc;
  Value f;
  if (a.argc == 2) {
    acc = a.argv[0];
    f = a.argv[1];
  } else {
    if (src.empty()) in.error(a.site, "reduce() of an empty array with no initial value");
    acc = src[0];
    start = 1;
    f = a.argv[0];
  }
  for (size_t i = start; i < src.size(); i++) {
    Value args[2] = {acc, src[i]};
    acc = in.call(f, args, 2, a.site);
  }
  return acc;
}
M(a_find) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  for (auto& x : src)
    if (truthy(in.call1(f, x))) return in.some(x);
  return in.none();
}
M(a_position) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  for (size_t i = 0; i < src.size(); i++)
    if (truthy(in.call1(f, src[i]))) return in.some(Value::integer(int64_t(i)));
  return in.none();
}
M(a_any) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  for (auto& x : src)
    if (truthy(in.call1(f, x))) return Value::boolean(true);
  return Value::boolean(false);
}
M(a_all) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  for (auto& x : src)
    if (!truthy(in.call1(f, x))) return Value::boolean(false);
  return Value::boolean(true);
}
M(a_count) {
  if (a.argc == 0) return Value::integer(int64_t(ITEMS.size()));
  ItemsSnapshot src(ITEMS);
  int64_t n = 0;
  bool is_fn =
      a.argv[0].is(OK::Function) || a.argv[0].is(OK::Native) || a.argv[0].is(OK::BoundMethod);
  for (auto& x : src)
    if (is_fn ? truthy(in.call1(a.argv[0], x)) : values_equal(x, a.argv[0])) n++;
  return Value::integer(n);
}
M(a_join) {
  want_args(in, a, 0, 1);
  std::string_view sep = a.argc ? arg_text(in, a, 0) : std::string_view();
  // The result is written once, into a text of the exact size. Values that are not text are
  // shown first; showing may run Simple code (to_string), so then the items are copied.
  std::vector<Value> copy;
  const std::vector<Value>* items = &ITEMS;
  for (const Value& v : *items) {
    if (!v.is(OK::Str)) {
      copy = *items;
      items = &copy;
      break;
    }
  }
  std::vector<std::string> shown;
  size_t total = items->empty() ? 0 : sep.size() * (items->size() - 1);
  for (const Value& v : *items) {
    if (v.is(OK::Str)) {
      total += v.as<Str>()->size();
    } else {
      shown.push_back(in.to_display(v));
      total += shown.back().size();
    }
  }
  Str* o = Str::make({}, total);
  Value out(o);
  char* w = o->chars;
  bool ascii = true;  // every piece and the separator known to be ASCII
  for (char ch : sep) ascii = ascii && uint8_t(ch) < 0x80;
  size_t next_shown = 0;
  for (size_t i = 0; i < items->size(); i++) {
    if (i && !sep.empty()) {
      std::memcpy(w, sep.data(), sep.size());
      w += sep.size();
    }
    const Value& v = (*items)[i];
    std::string_view piece;
    if (v.is(OK::Str)) {
      Str* t = v.as<Str>();
      piece = t->view();
      ascii = ascii && t->ascii == Str::kAscii;
    } else {
      piece = shown[next_shown++];
      ascii = false;
    }
    if (!piece.empty()) std::memcpy(w, piece.data(), piece.size());
    w += piece.size();
  }
  o->len = uint32_t(total);
  o->chars[total] = 0;
  if (ascii) o->set_ascii();  // (every piece was known to be ASCII)
  return out;
}
M(a_sum) {
  (void)a;
  Value acc = Value::integer(0);
  for (auto& x : ITEMS) acc = binary_op(in, Op::Add, acc, x, a.site);
  return acc;
}
M(a_index_of) {
  want_args(in, a, 1, 1);
  for (size_t i = 0; i < ITEMS.size(); i++)
    if (values_equal(ITEMS[i], a.argv[0])) return Value::integer(int64_t(i));
  return Value::integer(-1);
}
M(a_sort) {
  want_args(in, a, 0, 1);
  std::vector<Value> v = ITEMS;
  if (a.argc) {
    Value f = a.argv[0];
    std::stable_sort(v.begin(), v.end(), [&](const Value& x, const Value& y) {
      Value args[2] = {x, y};
      Value r = in.call(f, args, 2, a.site);
      if (r.is_bool()) return r.as_bool();
      return r.is_num() && r.as_num() < 0;
    });
  } else {
    std::stable_sort(v.begin(), v.end(),
                     [&](const Value& x, const Value& y) { return less_than(in, x, y, a.site); });
  }
  if (sym_name(a.name) == "sort") {
    ITEMS = v;
    return self;
  }
  return make_array(std::move(v));
}
M(a_sort_by) {
  Value f = fn_arg(in, a, 0);
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& x : ITEMS) keyed.push_back({in.call1(f, x), x});
  std::stable_sort(keyed.begin(), keyed.end(),
                   [&](auto& p, auto& q) { return less_than(in, p.first, q.first, a.site); });
  std::vector<Value> out;
  for (auto& p : keyed) out.push_back(p.second);
  return make_array(std::move(out));
}
M(a_enumerate) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (size_t i = 0; i < ITEMS.size(); i++)
    out.push_back(make_tuple({Value::integer(int64_t(i)), ITEMS[i]}));
  return make_array(std::move(out));
}
M(a_zip) {
  want_args(in, a, 1, 1);
  if (!a.argv[0].is(OK::Array)) in.error(a.site, "zip() needs an array");
  auto& other = a.argv[0].as<Array>()->items;
  std::vector<Value> out;
  for (size_t i = 0; i < ITEMS.size() && i < other.size(); i++)
    out.push_back(make_tuple({ITEMS[i], other[i]}));
  return make_array(std::move(out));
}
M(a_flatten) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (auto& x : ITEMS) {
    if (x.is(OK::Array))
      out.insert(out.end(), x.as<Array>()->items.begin(), x.as<Array>()->items.end());
    else
      out.push_back(x);
  }
  return make_array(std::move(out));
}
M(a_flat_map) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  std::vector<Value> out;
  for (auto& x : src) {
    Value r = in.call1(f, x);
    if (r.is(OK::Array))
      out.insert(out.end(), r.as<Array>()->items.begin(), r.as<Array>()->items.end());
    else
      out.push_back(r);
  }
  return make_array(std::move(out));
}
M(a_take) {
  want_args(in, a, 1, 1);
  int64_t n = std::clamp<int64_t>(arg_int(in, a, 0), 0, int64_t(ITEMS.size()));
  return make_array(std::vector<Value>(ITEMS.begin(), ITEMS.begin() + n));
}
M(a_skip) {
  want_args(in, a, 1, 1);
  int64_t n = std::clamp<int64_t>(arg_int(in, a, 0), 0, int64_t(ITEMS.size()));
  return make_array(std::vector<Value>(ITEMS.begin() + n, ITEMS.end()));
}
M(a_unique) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (auto& x : ITEMS) {
    bool seen = false;
    for (auto& y : out)
      if (values_equal(x, y)) seen = true;
    if (!seen) out.push_back(x);
  }
  return make_array(std::move(out));
}
M(a_min) {
  (void)a;
  if (ITEMS.empty()) return in.none();
  Value best = ITEMS[0];
  for (auto& x : ITEMS)
    if (less_than(in, x, best, a.site)) best = x;
  return best;
}
M(a_max) {
  (void)a;
  if (ITEMS.empty()) return in.none();
  Value best = ITEMS[0];
  for (auto& x : ITEMS)
    if (less_than(in, best, x, a.site)) best = x;
  return best;
}
M(a_partition) {
  Value f = fn_arg(in, a, 0);
  ItemsSnapshot src(ITEMS);
  std::vector<Value> yes, no;
  for (auto& x : src) (truthy(in.call1(f, x)) ? yes : no).push_back(x);
  return make_tuple({make_array(std::move(yes)), make_array(std::move(no))});
}
M(a_copy) {
  (void)in;
  (void)a;
  return make_array(ITEMS);
}
M(a_to_string) {
  (void)in;
  (void)a;
  return make_str(display(self));
}

// ---- dict ----
#define D (self.as<Dict>())
M(d_len) {
  (void)in;
  (void)a;
  return Value::integer(int64_t(D->entries.size()));
}
M(d_is_empty) {
  (void)in;
  (void)a;
  return Value::boolean(D->entries.empty());
}
M(d_contains_key) {
  want_args(in, a, 1, 1);
  return Value::boolean(D->find(a.argv[0]) != nullptr);
}
M(d_get) {
  want_args(in, a, 1, 2);
  Value* v = D->find(a.argv[0]);
  if (a.argc == 2) return v ? *v : a.argv[1];
  return v ? in.some(*v) : in.none();
}
M(d_get_or) {
  want_args(in, a, 2, 2);
  Value* v = D->find(a.argv[0]);
  return v ? *v : a.argv[1];
}
M(d_keys) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (auto& [k, v] : D->entries) out.push_back(k);
  return make_array(std::move(out));
}
M(d_values) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (auto& [k, v] : D->entries) out.push_back(v);
  return make_array(std::move(out));
}
M(d_items) {
  (void)in;
  (void)a;
  std::vector<Value> out;
  for (auto& [k, v] : D->entries) out.push_back(make_tuple({k, v}));
  return make_array(std::move(out));
}
M(d_set) {
  want_args(in, a, 2, 2);
  D->set(a.argv[0], a.argv[1]);
  return self;
}
M(d_remove) {
  want_args(in, a, 1, 1);
  Value* v = D->find(a.argv[0]);
  if (!v) return in.none();
  Value old = *v;
  D->remove(a.argv[0]);
  return in.some(old);
}
M(d_merge) {
  want_args(in, a, 1, 1);
  if (!a.argv[0].is(OK::Dict)) in.error(a.site, "merge() needs a dict");
  auto entries = a.argv[0].as<Dict>()->entries;
  for (auto& [k, v] : entries) D->set(k, v);
  return self;
}
M(d_clear) {
  (void)in;
  (void)a;
  D->clear();
  return self;
}
M(d_copy) {
  (void)in;
  (void)a;
  Dict* n = new Dict();
  Value r(n);
  n->entries = D->entries;  // (the same keys: the index carries over as it is)
  n->slots = D->slots;
  return r;
}
M(d_to_string) {
  (void)in;
  (void)a;
  return make_str(display(self));
}
#undef D

// ---- tuple / range ----
M(tu_len) {
  (void)in;
  (void)a;
  return Value::integer(int64_t(self.as<Tuple>()->items.size()));
}
M(tu_to_string) {
  (void)in;
  (void)a;
  return make_str(display(self));
}
M(r_len) {
  (void)in;
  (void)a;
  RangeObj* r = self.as<RangeObj>();
  return Value::integer(std::max<int64_t>(0, r->stop() - r->start));
}
M(r_contains) {
  want_args(in, a, 1, 1);
  return Value::boolean(contains(in, self, a.argv[0], a.site));
}
M(r_to_array) {
  RangeObj* r = self.as<RangeObj>();
  if (r->stop() - r->start > (1 << 26))
    in.error(a.site, "range is too large to turn into an array");
  std::vector<Value> out;
  for (int64_t i = r->start; i < r->stop(); i++) out.push_back(Value::integer(i));
  return make_array(std::move(out));
}
M(r_map) {
  Value arr = r_to_array(in, self, a);
  return a_map(in, arr, a);
}
M(r_filter) {
  Value arr = r_to_array(in, self, a);
  return a_filter(in, arr, a);
}
M(r_sum) {
  Value arr = r_to_array(in, self, a);
  return a_sum(in, arr, a);
}

#undef ITEMS
#undef M

}  // namespace

void install_collection_methods(Interp& in) {
  MethodMap& a = in.methods_for(OK::Array);
  auto def = [&](const char* n, MethodFn f) { a[intern(n)] = f; };
  def("len", a_len);
  def("length", a_len);
  def("size", a_len);
  def("is_empty", a_is_empty);
  def("first", a_first);
  def("last", a_last);
  def("get", a_get);
  def("contains", a_contains);
  def("includes", a_contains);
  def("push", a_push);
  def("append", a_push);
  def("pop", a_pop);
  def("extend", a_extend);
  def("concat", a_concat);
  def("insert", a_insert);
  def("remove", a_remove);
  def("clear", a_clear);
  def("reverse", a_reverse);
  def("reversed", a_reverse);
  def("slice", a_slice);
  def("map", a_map);
  def("each", a_each);
  def("for_each", a_each);
  def("filter", a_filter);
  def("reduce", a_fold);
  def("fold", a_fold);
  def("find", a_find);
  def("position", a_position);
  def("any", a_any);
  def("all", a_all);
  def("count", a_count);
  def("join", a_join);
  def("sum", a_sum);
  def("index_of", a_index_of);
  def("sort", a_sort);
  def("sorted", a_sort);
  def("sort_by", a_sort_by);
  def("enumerate", a_enumerate);
  def("zip", a_zip);
  def("flatten", a_flatten);
  def("flat_map", a_flat_map);
  def("take", a_take);
  def("skip", a_skip);
  def("unique", a_unique);
  def("min", a_min);
  def("max", a_max);
  def("partition", a_partition);
  def("copy", a_copy);
  def("clone", a_copy);
  def("to_array", a_copy);
  def("to_string", a_to_string);

  MethodMap& d = in.methods_for(OK::Dict);
  auto ddef = [&](const char* n, MethodFn f) { d[intern(n)] = f; };
  ddef("len", d_len);
  ddef("size", d_len);
  ddef("is_empty", d_is_empty);
  ddef("contains_key", d_contains_key);
  ddef("contains", d_contains_key);
  ddef("has_key", d_contains_key);
  ddef("get", d_get);
  ddef("get_or", d_get_or);
  ddef("keys", d_keys);
  ddef("values", d_values);
  ddef("items", d_items);
  ddef("entries", d_items);
  ddef("set", d_set);
  ddef("insert", d_set);
  ddef("remove", d_remove);
  ddef("merge", d_merge);
  ddef("extend", d_merge);
  ddef("clear", d_clear);
  ddef("copy", d_copy);
  ddef("clone", d_copy);
  ddef("to_string", d_to_string);

  MethodMap& t = in.methods_for(OK::Tuple);
  t[intern("len")] = tu_len;
  t[intern("to_string")] = tu_to_string;
  MethodMap& r = in.methods_for(OK::Range);
  r[intern("len")] = r_len;
  r[intern("contains")] = r_contains;
  r[intern("to_array")] = r_to_array;
  r[intern("collect")] = r_to_array;
  r[intern("map")] = r_map;
  r[intern("filter")] = r_filter;
  r[intern("sum")] = r_sum;
}

}  // namespace spl
