// Value helpers: heap list, equality, hashing, display/repr formatting (see value.h).
#include "value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>

#include "ast.h"
#include "huge_pages.h"
#include "module.h"
#include "utf8.h"

namespace spl {

namespace {
bool g_freeing_all = false;
std::vector<Obj*> g_pending;  // see obj_free
bool g_freeing = false;
}  // namespace

static void obj_destroy(Obj* o) {
  if (o->kind == OK::Str) {  // (the commonest object, with nothing to destroy: no virtual calls)
    obj_heap_release(o, sizeof(Str) + static_cast<Str*>(o)->cap + 1);
    return;
  }
  size_t n = o->alloc_bytes();
  o->~Obj();
  obj_heap_release(o, n);
}

// Freeing is iterative: an object whose destructor drops the last reference to another
// queues it here instead of deleting it recursively, so dropping a 3,000,000-node list or
// 300,000 nested arrays needs no deep native stack.
void obj_free(Obj* o) {
  if (g_freeing_all) return;  // heap_free_all deletes everything itself
  if (g_freeing) {
    try {
      g_pending.push_back(o);
    } catch (std::bad_alloc&) {
      obj_destroy(o);  // out of memory: freed right away (recursively) instead of queued
    }
    return;
  }
  g_freeing = true;
  obj_destroy(o);
  while (!g_pending.empty()) {
    Obj* next = g_pending.back();
    g_pending.pop_back();
    obj_destroy(next);
  }
  g_freeing = false;
}

namespace {
ValueErrorFn g_value_error = nullptr;
int g_nest = 0;
constexpr int kMaxNest = 10000;
}  // namespace

void set_value_error_handler(ValueErrorFn fn) { g_value_error = fn; }

ValueNestGuard::ValueNestGuard(const char* what) {
  if (++g_nest <= kMaxNest) return;
  --g_nest;  // this guard is not constructed: the ones below are released by the unwinding
  std::string msg = std::string(what) + ": the value is nested more than " +
                    std::to_string(kMaxNest) + " levels deep or contains itself";
  if (g_value_error) g_value_error(msg);
  std::fprintf(stderr, "spl: fatal: %s\n", msg.c_str());
  std::abort();
}

ValueNestGuard::~ValueNestGuard() { --g_nest; }

namespace {

// Recently made short texts (1 to 8 bytes), direct-mapped by their bytes: make_str hands out
// the cached object when the same bytes come again (a text is immutable once shared: the
// cache's reference keeps rc above 1, so nothing appends to it in place). Words, field values
// and keys that repeat then cost no allocation, and a dict key keeps its cached hash.
constexpr size_t kTextCacheBits = 12;
Str* g_text_cache[size_t(1) << kTextCacheBits];

// The bytes of a 1..8-byte text as one word (with its length, unique per text).
inline uint64_t short_text_key(const char* p, size_t n) {
  uint64_t w;
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    w = uint64_t(lo) | uint64_t(hi) << 32;
  } else {
    w = uint64_t(uint8_t(p[0])) | uint64_t(uint8_t(p[n / 2])) << 8 |
        uint64_t(uint8_t(p[n - 1])) << 16;
  }
  return w ^ uint64_t(n) << 59;
}

}  // namespace

size_t heap_live_objects() {
  text_cache_clear();  // (what only the cache holds is not live)
  return obj_heap_live();
}

void heap_free_all() {
  // Pin everything, drop all inner references (breaking cycles), then destroy and give the
  // memory back.
  for (Str*& c : g_text_cache) c = nullptr;  // (destroyed with everything below)
  std::vector<Obj*> all;
  obj_heap_each([&](void* p) { all.push_back(static_cast<Obj*>(p)); });
  for (Obj* o : all) o->rc++;
  for (Obj* o : all) o->clear_refs();
  g_freeing_all = true;
  for (Obj* o : all) o->~Obj();
  obj_heap_reset();
  g_freeing_all = false;
}

Str* Str::make(std::string_view s, size_t capacity) {
  if (s.size() > UINT32_MAX - 1 || capacity > UINT32_MAX - 1) throw std::bad_alloc();
  size_t cap = std::max(s.size(), capacity);
  void* mem = obj_heap_alloc(sizeof(Str) + cap + 1);  // as alloc_bytes() says
  Str* t = new (mem) Str();
  t->len = uint32_t(s.size());
  t->cap = uint32_t(cap);
  if (!s.empty()) std::memcpy(t->chars, s.data(), s.size());
  t->chars[s.size()] = 0;
  return t;
}

size_t Str::char_count() const {
  if (ascii == kAscii) return len;
  size_t n = utf8_length(view());
  ascii = n == len ? kAscii : kNotAscii;
  return n;
}

Value make_str(std::string_view s) {
  size_t n = s.size();
  if (n - 1 >= 8) return Value(Str::make(s));  // (empty, or longer than 8 bytes)
  uint64_t key = short_text_key(s.data(), n);
  size_t slot = size_t((key * 0x9E3779B97F4A7C15ull) >> (64 - kTextCacheBits));
  Str* c = g_text_cache[slot];
  if (c && c->len == n && short_text_key(c->chars, n) == key) return Value(c);
  Str* t = Str::make(s);
  t->rc++;  // (the cache's reference)
  g_text_cache[slot] = t;
  if (c && --c->rc == 0) obj_free(c);
  return Value(t);
}

void text_cache_clear() {
  for (Str*& c : g_text_cache) {
    if (c && --c->rc == 0) obj_free(c);
    c = nullptr;
  }
}

void StructType::refresh_init() {
  static const Sym s_init = intern("__init__");
  auto it = methods.find(s_init);
  init = it == methods.end() ? nullptr : &it->second;
}

Instance* Instance::make(const Value& type, uint32_t n) {
  void* mem = obj_heap_alloc(sizeof(Instance) + n * sizeof(Value));  // as alloc_bytes() says
  Instance* obj = new (mem) Instance();
  obj->type = type;
  Value* f = obj->slots();
  for (uint32_t i = 0; i < n; i++) new (&f[i]) Value(Value::undef());
  obj->nfields = n;
  return obj;
}

void array_grow(std::vector<Value>& items) {
  const size_t n = items.size();
  if (n < 8) {
    items.reserve(8);
    return;
  }
  const size_t cap = n * 2;
  if (cap * sizeof(Value) < kReleaseFrom) {  // (fresh pages from that size on)
    items.reserve(cap);
    return;
  }
  std::vector<Value> bigger;
  bigger.reserve(cap);
  populate_for_write(bigger.data(), n * sizeof(Value));
  for (Value& v : items) bigger.push_back(std::move(v));
  items.swap(bigger);
}

Value Value::boxed(int64_t i) { return Value(static_cast<Obj*>(new BoxedInt(i)), kBoxTag); }

void str_append(Value& v, std::string_view t) {
  Str* s = v.as<Str>();
  size_t need = size_t(s->len) + t.size();
  if (s->rc == 1 && !s->literal && need <= s->cap) {
    std::memcpy(s->chars + s->len, t.data(), t.size());
    s->len = uint32_t(need);
    s->chars[need] = 0;
    s->hash = 0;
    s->ascii = Str::kUnknown;
    return;
  }
  // Room to grow: repeated appends (a loop building a text) cost amortized linear time.
  Str* n = Str::make(s->view(), std::max(need, size_t(s->len) * 2));
  std::memcpy(n->chars + n->len, t.data(), t.size());
  n->len = uint32_t(need);
  n->chars[need] = 0;
  v = Value(n);
}

void str_truncate(Value& v, size_t n) {
  Str* s = v.as<Str>();
  if (n >= s->len) return;
  if (s->rc == 1 && !s->literal) {
    s->len = uint32_t(n);
    s->chars[n] = 0;
    s->hash = 0;
    s->ascii = Str::kUnknown;
    return;
  }
  v = make_str(s->view().substr(0, n));
}
Value make_array(std::vector<Value> items) {
  Array* a = new Array();
  a->items = std::move(items);
  return Value(a);
}
Value make_tuple(std::vector<Value> items) {
  Tuple* t = new Tuple();
  t->items = std::move(items);
  return Value(t);
}

bool truthy_slow(const Value& v) {
  switch (v.tag()) {
    case VT::Undef:
    case VT::Nil:
      return false;
    case VT::Bool:
      return v.as_bool();
    case VT::Int:
      return v.as_int() != 0;
    case VT::Float:
      return v.as_float() != 0;
    case VT::Obj:
      switch (v.obj()->kind) {
        case OK::Str:
          return !v.as<Str>()->empty();
        case OK::Array:
          return !v.as<Array>()->items.empty();
        case OK::Dict:
          return !v.as<Dict>()->entries.empty();
        case OK::EnumVal: {
          EnumVal* e = v.as<EnumVal>();
          return !(e->etype()->builtin == 1 && e->variant == 1);  // None is falsy
        }
        default:
          return true;
      }
  }
  return false;
}

static bool nil_like(const Value& v) {
  if (v.is_nil()) return true;
  if (v.is(OK::EnumVal)) {
    EnumVal* e = v.as<EnumVal>();
    return e->etype()->builtin == 1 && e->variant == 1;
  }
  return false;
}

bool values_equal(const Value& a, const Value& b) {
  if (a.tag() != b.tag()) {
    if (a.is_num() && b.is_num()) return a.as_num() == b.as_num();
    return nil_like(a) && nil_like(b);
  }
  switch (a.tag()) {
    case VT::Undef:
    case VT::Nil:
      return true;
    case VT::Bool:
    case VT::Int:
      return a.as_int() == b.as_int();
    case VT::Float:
      return a.as_float() == b.as_float();
    case VT::Obj:
      break;
  }
  Obj* x = a.obj();
  Obj* y = b.obj();
  if (x == y) return true;
  if (x->kind != y->kind) return nil_like(a) && nil_like(b);
  if (x->kind == OK::Str) return a.as<Str>()->view() == b.as<Str>()->view();
  ValueNestGuard guard("comparison");
  switch (x->kind) {
    case OK::Array:
    case OK::Tuple: {
      auto& p = x->kind == OK::Array ? a.as<Array>()->items : a.as<Tuple>()->items;
      auto& q = x->kind == OK::Array ? b.as<Array>()->items : b.as<Tuple>()->items;
      if (p.size() != q.size()) return false;
      for (size_t i = 0; i < p.size(); i++)
        if (!values_equal(p[i], q[i])) return false;
      return true;
    }
    case OK::Dict: {
      Dict* p = a.as<Dict>();
      Dict* q = b.as<Dict>();
      if (p->entries.size() != q->entries.size()) return false;
      for (auto& [k, v] : p->entries) {
        Value* w = q->find(k);
        if (!w || !values_equal(v, *w)) return false;
      }
      return true;
    }
    case OK::EnumVal: {
      EnumVal* p = a.as<EnumVal>();
      EnumVal* q = b.as<EnumVal>();
      return p->type.obj() == q->type.obj() && p->variant == q->variant &&
             values_equal(p->payload, q->payload);
    }
    case OK::Instance: {
      Instance* p = a.as<Instance>();
      Instance* q = b.as<Instance>();
      if (p->type.obj() != q->type.obj()) return false;
      for (size_t i = 0; i < p->fields().size(); i++)
        if (!values_equal(p->fields()[i], q->fields()[i])) return false;
      size_t np = p->extra ? p->extra->size() : 0, nq = q->extra ? q->extra->size() : 0;
      if (np != nq) return false;
      for (size_t i = 0; i < np; i++) {
        Value* w = q->extra_field((*p->extra)[i].first);
        if (!w || !values_equal((*p->extra)[i].second, *w)) return false;
      }
      return true;
    }
    case OK::Range: {
      RangeObj* p = a.as<RangeObj>();
      RangeObj* q = b.as<RangeObj>();
      return p->start == q->start && p->stop() == q->stop();
    }
    case OK::BoundMethod:
      return values_equal(a.as<BoundMethod>()->self, b.as<BoundMethod>()->self) &&
             a.as<BoundMethod>()->fn.obj() == b.as<BoundMethod>()->fn.obj();
    default:
      return false;
  }
}

size_t ValueHash::operator()(const Value& v) const {
  switch (v.tag()) {
    case VT::Undef:
    case VT::Nil:
      return 0x9e37;
    case VT::Bool:
    case VT::Int:
      return std::hash<int64_t>()(v.as_int());
    case VT::Float: {
      double d = v.as_float();
      if (d == std::floor(d) && std::abs(d) < 9e18) return std::hash<int64_t>()(int64_t(d));
      return std::hash<double>()(d);
    }
    case VT::Obj:
      break;
  }
  switch (v.obj()->kind) {
    case OK::Str: {
      Str* st = v.as<Str>();
      if (!st->hash) st->hash = std::hash<std::string_view>()(st->view()) | 1;
      return st->hash;
    }
    case OK::Tuple: {
      ValueNestGuard guard("hashing");
      size_t h = 0x345678;
      for (auto& x : v.as<Tuple>()->items) h = h * 1000003 ^ (*this)(x);
      return h;
    }
    case OK::EnumVal: {
      ValueNestGuard guard("hashing");
      EnumVal* e = v.as<EnumVal>();
      return std::hash<uint32_t>()(e->variant) * 31 + (*this)(e->payload);
    }
    default:
      return std::hash<const void*>()(v.obj());
  }
}

bool ValueKeyEq::operator()(const Value& a, const Value& b) const {
  if (a.is_obj() && b.is_obj() && a.obj()->kind != OK::Str && a.obj()->kind != OK::Tuple &&
      a.obj()->kind != OK::EnumVal)
    return a.obj() == b.obj();
  return values_equal(a, b);
}

namespace {

// A key's 32-bit hash for the dict index (the 64-bit hash folded).
uint32_t dict_hash(const Value& k) {
  uint64_t h = ValueHash()(k);
  return uint32_t(h ^ (h >> 32));
}

// Where a hash starts probing in an index of `mask + 1` slots (multiplicative mixing, so keys
// that differ in their high bits only, e.g. multiples of a power of two, spread too).
inline size_t dict_home(uint32_t h, size_t mask) {
  return size_t((uint64_t(h) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

// Key equality: the same bits (the same object, or equal immediates), texts by their bytes,
// anything else as ValueKeyEq (1 == 1.0, tuples by their items, other objects by identity).
inline bool dict_key_eq(const Value& a, const Value& b) {
  if (a.bits() == b.bits()) return true;
  if (a.is(OK::Str) && b.is(OK::Str)) {
    Str* x = a.as<Str>();
    Str* y = b.as<Str>();
    return x->len == y->len && std::memcmp(x->chars, y->chars, x->len) == 0;
  }
  return ValueKeyEq()(a, b);
}

}  // namespace

Dict::Slot* Dict::probe(const Value& k, uint32_t h) {
  size_t mask = slots.size() - 1;
  for (size_t i = dict_home(h, mask);; i = (i + 1) & mask) {
    Slot& s = slots[i];
    if (s.entry == 0) return &s;
    if (s.hash == h && dict_key_eq(entries[s.entry - 1].first, k)) return &s;
  }
}

void Dict::grow() {
  size_t n = slots.empty() ? 8 : slots.size() * 2;
  std::vector<Slot> old = std::move(slots);
  slots.assign(n, Slot{0, 0});
  size_t mask = n - 1;
  for (const Slot& s : old) {
    if (s.entry == 0) continue;
    size_t i = dict_home(s.hash, mask);
    while (slots[i].entry != 0) i = (i + 1) & mask;
    slots[i] = s;
  }
}

Value* Dict::find(const Value& k) {
  if (entries.empty()) return nullptr;
  Slot* s = probe(k, dict_hash(k));
  return s->entry == 0 ? nullptr : &entries[s->entry - 1].second;
}

void Dict::set(const Value& k, const Value& v) {
  uint32_t h = dict_hash(k);  // (may raise: nothing has changed yet)
  if (!slots.empty()) {
    Slot* s = probe(k, h);
    if (s->entry != 0) {
      entries[s->entry - 1].second = v;
      return;
    }
  }
  if (entries.size() >= UINT32_MAX - 1) throw std::bad_alloc();
  if ((entries.size() + 1) * 3 > slots.size() * 2) grow();
  // k is not in the dict: it goes in the first empty slot of its probe run.
  size_t mask = slots.size() - 1;
  size_t i = dict_home(h, mask);
  while (slots[i].entry != 0) i = (i + 1) & mask;
  entries.emplace_back(k, v);
  slots[i] = Slot{h, uint32_t(entries.size())};
}

bool Dict::remove(const Value& k) {
  if (entries.empty()) return false;
  Slot* s = probe(k, dict_hash(k));
  if (s->entry == 0) return false;
  uint32_t gone = s->entry;
  // Empty the slot, moving later slots of the probe run back so that every key stays
  // reachable from its home slot (deletion without tombstones).
  size_t mask = slots.size() - 1;
  size_t hole = size_t(s - slots.data());
  for (size_t i = (hole + 1) & mask; slots[i].entry != 0; i = (i + 1) & mask) {
    size_t home = dict_home(slots[i].hash, mask);
    // The slot at i may move into the hole unless its home lies cyclically in (hole, i].
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      slots[hole] = slots[i];
      hole = i;
    }
  }
  slots[hole] = Slot{0, 0};
  entries.erase(entries.begin() + (gone - 1));
  for (Slot& t : slots)
    if (t.entry > gone) t.entry--;
  return true;
}

const char* type_name(const Value& v) {
  switch (v.tag()) {
    case VT::Undef:
      return "undefined";
    case VT::Nil:
      return "nil";
    case VT::Bool:
      return "bool";
    case VT::Int:
      return "int";
    case VT::Float:
      return "float";
    case VT::Obj:
      break;
  }
  switch (v.obj()->kind) {
    case OK::BoxedInt:  // (never: a Value holding one reports an int)
      return "int";
    case OK::Resource:
      return "resource";
    case OK::NativeIter:
      return static_cast<const NativeIter*>(v.obj())->name();
    case OK::Str:
      return "text";
    case OK::Array:
      return "array";
    case OK::Dict:
      return "dict";
    case OK::Tuple:
      return "tuple";
    case OK::Instance:
      return sym_name(v.as<Instance>()->stype()->name).c_str();
    case OK::EnumVal:
      return sym_name(v.as<EnumVal>()->etype()->name).c_str();
    case OK::Function:
    case OK::Native:
    case OK::BoundMethod:
      return "function";
    case OK::Module:
      return "module";
    case OK::Future:
      return "future";
    case OK::Range:
      return "range";
    case OK::Cell:
      return "cell";
    case OK::StructType:
      return "struct type";
    case OK::EnumType:
      return "enum type";
    case OK::TraitType:
      return "trait";
    case OK::Matcher:
      return "matcher";
    case OK::Expectation:
      return "expectation";
  }
  return "value";
}

std::string format_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == std::floor(d) && std::abs(d) < 1e16) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.1f", d);
    return buf;
  }
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

// The path of containers being printed: a container met again inside itself prints as
// "[...]" / "{...}" / "Name {...}" (as Python does), so cycles print in finite time.
using ShowPath = std::vector<const Obj*>;
static void show(std::string& out, const Value& v, bool quote, ShowPath& path);

static void show_seq(std::string& out, const std::vector<Value>& items, ShowPath& path) {
  for (size_t i = 0; i < items.size(); i++) {
    if (i) out += ", ";
    show(out, items[i], true, path);
  }
}

static bool on_path(const ShowPath& path, const Obj* o) {
  for (const Obj* p : path)
    if (p == o) return true;
  return false;
}

// A text as a Simple literal: quotes, and escapes for backslash, quote and control
// characters (\n \t \r \0, others as \u{XX}); everything else as it is.
static void quote_text(std::string& out, std::string_view t) {
  out += '"';
  for (char c : t) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        if ((unsigned char)c < 0x20 || c == 0x7f) {
          char buf[12];
          std::snprintf(buf, sizeof buf, "\\u{%02X}", (unsigned char)c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

static void show(std::string& out, const Value& v, bool quote, ShowPath& path) {
  switch (v.tag()) {
    case VT::Undef:
    case VT::Nil:
      out += "nil";
      return;
    case VT::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case VT::Int:
      out += std::to_string(v.as_int());
      return;
    case VT::Float:
      out += format_float(v.as_float());
      return;
    case VT::Obj:
      break;
  }
  OK kind = v.obj()->kind;
  bool container = kind == OK::Array || kind == OK::Tuple || kind == OK::Dict ||
                   kind == OK::Instance || kind == OK::EnumVal;
  if (container) {
    if (on_path(path, v.obj()) || path.size() >= 1000) {
      out += kind == OK::Array      ? "[...]"
             : kind == OK::Tuple    ? "(...)"
             : kind == OK::Dict     ? "{...}"
             : kind == OK::Instance ? sym_name(v.as<Instance>()->stype()->name) + " {...}"
                                    : sym_name(v.as<EnumVal>()->name()) + "(...)";
      return;
    }
    path.push_back(v.obj());
  }
  struct Pop {
    ShowPath& p;
    bool on;
    ~Pop() {
      if (on) p.pop_back();
    }
  } pop{path, container};
  switch (kind) {
    case OK::BoxedInt:  // (never: a Value holding one reports an int)
      out += std::to_string(static_cast<const BoxedInt*>(v.obj())->value);
      return;
    case OK::Resource: {
      auto* r = static_cast<const Resource*>(v.obj());
      out += "<resource " + std::to_string(r->id) + (r->released ? " (released)>" : ">");
      return;
    }
    case OK::NativeIter:
      out += std::string("<") + static_cast<const NativeIter*>(v.obj())->name() + ">";
      return;
    case OK::Str:
      if (quote) {
        quote_text(out, v.as<Str>()->view());
      } else {
        out += v.as<Str>()->view();
      }
      return;
    case OK::Array:
      out += '[';
      show_seq(out, v.as<Array>()->items, path);
      out += ']';
      return;
    case OK::Tuple:
      out += '(';
      show_seq(out, v.as<Tuple>()->items, path);
      if (v.as<Tuple>()->items.size() == 1) out += ',';
      out += ')';
      return;
    case OK::Dict: {
      out += '{';
      bool first = true;
      for (auto& [k, x] : v.as<Dict>()->entries) {
        if (!first) out += ", ";
        first = false;
        show(out, k, true, path);
        out += ": ";
        show(out, x, true, path);
      }
      out += '}';
      return;
    }
    case OK::Instance: {
      Instance* in = v.as<Instance>();
      StructType* st = in->stype();
      out += sym_name(st->name);
      out += " { ";
      size_t shown = 0;
      for (size_t i = 0; i < st->fields.size() && i < in->fields().size(); i++) {
        if (shown++) out += ", ";
        out += sym_name(st->fields[i]);
        out += ": ";
        show(out, in->fields()[i], true, path);
      }
      if (in->extra)
        for (auto& [k, x] : *in->extra) {
          if (shown++) out += ", ";
          out += sym_name(k) + ": ";
          show(out, x, true, path);
        }
      out += shown ? " }" : "}";
      return;
    }
    case OK::EnumVal: {
      EnumVal* e = v.as<EnumVal>();
      const Variant& var = e->etype()->variants[e->variant];
      out += sym_name(var.name);
      if (var.arity == 0) return;
      out += '(';
      if (var.arity == 1) {
        if (!var.field_names.empty()) out += sym_name(var.field_names[0]) + ": ";
        show(out, e->payload, true, path);
      } else if (e->payload.is(OK::Tuple)) {
        auto& items = e->payload.as<Tuple>()->items;
        for (size_t i = 0; i < items.size(); i++) {
          if (i) out += ", ";
          if (i < var.field_names.size()) out += sym_name(var.field_names[i]) + ": ";
          show(out, items[i], true, path);
        }
      }
      out += ')';
      return;
    }
    case OK::Function:
      out += "<fn " + sym_name(v.as<Function>()->decl->name) + ">";
      return;
    case OK::Native:
      out += "<native fn " + sym_name(v.as<Native>()->name) + ">";
      return;
    case OK::BoundMethod:
      out += "<bound method>";
      return;
    case OK::Module:
      out += "<module " + v.as<Module>()->name + ">";
      return;
    case OK::Future:
      out += "<future>";
      return;
    case OK::Range: {
      RangeObj* r = v.as<RangeObj>();
      out += std::to_string(r->start) + (r->inclusive ? "..=" : "..") + std::to_string(r->end);
      return;
    }
    case OK::StructType:
      out += "<struct " + sym_name(v.as<StructType>()->name) + ">";
      return;
    case OK::EnumType:
      out += "<enum " + sym_name(v.as<EnumType>()->name) + ">";
      return;
    case OK::TraitType:
      out += "<trait " + sym_name(v.as<TraitType>()->name) + ">";
      return;
    case OK::Matcher:
      out += "<matcher " + sym_name(v.as<Matcher>()->kind) + ">";
      return;
    case OK::Expectation:
      out += "<expectation>";
      return;
    case OK::Cell:
      show(out, v.as<Cell>()->v, quote, path);
      return;
  }
}

std::string display(const Value& v) {
  if (v.is(OK::Str)) return v.as<Str>()->str();
  std::string out;
  ShowPath path;
  show(out, v, false, path);
  return out;
}

std::string repr(const Value& v) {
  std::string out;
  ShowPath path;
  show(out, v, true, path);
  return out;
}

}  // namespace spl
