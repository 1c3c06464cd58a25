// Iteration state, native iterators and their methods (see iter.h).
#include "iter.h"

#include "builtins_util.h"
#include "ops.h"

namespace spl {

void iter_prep(Interp& in, Value* r) {
  Value& it = r[0];
  if (it.is(OK::Range)) {
    RangeObj* rg = it.as<RangeObj>();
    r[1] = Value::integer(rg->start);
    r[2] = Value::integer(rg->stop());
    return;
  }
  r[1] = Value::integer(0);
  if (it.is(OK::Array) || it.is(OK::Tuple) || it.is(OK::NativeIter)) return;
  if (it.is(OK::Str)) {  // a snapshot of its characters
    std::vector<Value> chars;
    for (auto& c : utf8_chars(it.as<Str>()->view())) chars.push_back(make_str(c));
    it = make_array(std::move(chars));
    return;
  }
  if (it.is(OK::Dict)) {  // a snapshot of its (key, value) pairs
    std::vector<Value> pairs;
    for (auto& [k, v] : it.as<Dict>()->entries) pairs.push_back(make_tuple({k, v}));
    it = make_array(std::move(pairs));
    return;
  }
  static const Sym s_next = intern("next");
  Value next = in.find_method(it, s_next);
  if (next.is_nil()) in.error(nullptr, std::string("cannot iterate over ") + type_name(it));
  r[1] = next;  // iterator protocol: next() gives Some(v) until None
}

bool iter_next(Interp& in, Value* r, Value* out) {
  Value& it = r[0];
  if (it.is(OK::Range)) {
    int64_t i = r[1].as_int();
    if (i >= r[2].as_int()) return false;
    *out = Value::integer(i);
    r[1] = Value::integer(i + 1);
    return true;
  }
  if (it.is(OK::Array) || it.is(OK::Tuple)) {
    const std::vector<Value>& items =
        it.is(OK::Array) ? it.as<Array>()->items : it.as<Tuple>()->items;
    int64_t i = r[1].as_int();
    if (size_t(i) >= items.size()) return false;
    *out = items[size_t(i)];
    r[1] = Value::integer(i + 1);
    return true;
  }
  if (it.is(OK::NativeIter)) return it.as<NativeIter>()->next(in, out);
  Value item = in.call(r[1], nullptr, 0, nullptr, &it);
  if (in.is_variant(item, 1, 0)) {
    *out = Value(item.as<EnumVal>()->payload);
    return true;
  }
  if (in.is_variant(item, 1, 1)) return false;
  in.error(nullptr, std::string("next() of ") + type_name(it) +
                        " must give Some(value) or None, got " + type_name(item));
}

namespace {

// (index, item) pairs over any iterable.
struct EnumerateIter : NativeIter {
  SPL_OBJ_BYTES(EnumerateIter)
  Value state[3];
  int64_t index;
  bool done = false;
  explicit EnumerateIter(int64_t start) : index(start) {}
  bool next(Interp& in, Value* out) override {
    if (done) return false;
    Value item;
    if (!iter_next(in, state, &item)) {
      done = true;
      state[0] = state[1] = state[2] = Value();  // (lets go of the source)
      return false;
    }
    *out = make_tuple({Value::integer(index++), std::move(item)});
    return true;
  }
  const char* name() const override { return "Enumerate"; }
  void clear_refs() override { state[0] = state[1] = state[2] = Value(); }
};

#define M(name) Value name(Interp& in, Value& self, CallArgs& a)

M(it_next) {
  want_args(in, a, 0, 0);
  Value v;
  return self.as<NativeIter>()->next(in, &v) ? in.some(v) : in.none();
}

M(it_collect) {
  want_args(in, a, 0, 0);
  std::vector<Value> out;
  Value v;
  NativeIter* it = self.as<NativeIter>();
  while (it->next(in, &v)) out.push_back(std::move(v));
  return make_array(std::move(out));
}

M(any_enumerate) {
  want_args(in, a, 0, 1);
  int64_t start = a.argc ? arg_int(in, a, 0) : 0;
  return make_enumerate(in, self, start);
}

#undef M

}  // namespace

Value make_enumerate(Interp& in, const Value& iterable, int64_t start) {
  auto* e = new EnumerateIter(start);
  Value ev(e);
  e->state[0] = iterable;
  iter_prep(in, e->state);
  return ev;
}

void install_iter_methods(Interp& in) {
  MethodMap& m = in.methods_for(OK::NativeIter);
  m[intern("next")] = it_next;
  m[intern("collect")] = it_collect;
  m[intern("to_array")] = it_collect;
  m[intern("enumerate")] = any_enumerate;
  // Anything iterable (ranges, texts, dicts, objects with next()); arrays have their own.
  in.universal_methods()[intern("enumerate")] = any_enumerate;
}

}  // namespace spl
