// Runtime values. A Value is 16 bytes: a tag and an int, float, bool or a pointer to a
// reference-counted heap object. Objects are also linked into a heap list so that everything
// (including reference cycles) is freed when the interpreter shuts down. No evaluation here.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "obj_heap.h"
#include "symbols.h"

namespace spl {

// Nil is 0: zero-filled memory is nil Values (the VM stacks rely on it).
enum class VT : uint8_t { Nil, Undef, Bool, Int, Float, Obj };

enum class OK : uint8_t {
  Str,
  Array,
  Dict,
  Tuple,
  Instance,
  EnumVal,
  Function,
  Native,
  BoundMethod,
  Module,
  Future,
  Range,
  Cell,
  StructType,
  EnumType,
  TraitType,
  Matcher,
  Expectation,
};

// Every object lives in the object heap (obj_heap.h), which can enumerate them: shutdown frees
// reference cycles that way. alloc_bytes() gives the size an object was allocated with.
struct Obj {
  uint32_t rc = 0;
  OK kind;
  explicit Obj(OK k) : kind(k) {}
  virtual ~Obj() = default;
  virtual void clear_refs() {}  // drop references to other objects (shutdown)
  virtual size_t alloc_bytes() const = 0;
  static void* operator new(size_t n) { return obj_heap_alloc(n); }
  static void* operator new(size_t, void* where) { return where; }  // (variable-size objects)
  static void operator delete(void* p, size_t n) { obj_heap_release(p, n); }
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;
};
#define SPL_OBJ_BYTES(T) \
  size_t alloc_bytes() const override { return sizeof(T); }

void obj_free(Obj* o);

class Value {
 public:
  Value() : t_(VT::Nil), i_(0) {}
  static Value undef() {
    Value v;
    v.t_ = VT::Undef;
    return v;
  }
  static Value boolean(bool b) {
    Value v;
    v.t_ = VT::Bool;
    v.i_ = b;
    return v;
  }
  static Value integer(int64_t i) {
    Value v;
    v.t_ = VT::Int;
    v.i_ = i;
    return v;
  }
  static Value floating(double f) {
    Value v;
    v.t_ = VT::Float;
    v.f_ = f;
    return v;
  }
  explicit Value(Obj* o) : t_(VT::Obj), o_(o) { o->rc++; }
  Value(const Value& v) : t_(v.t_), i_(v.i_) {
    if (t_ == VT::Obj) o_->rc++;
  }
  Value(Value&& v) noexcept : t_(v.t_), i_(v.i_) { v.t_ = VT::Nil; }
  Value& operator=(const Value& v) {
    if (v.t_ == VT::Obj) v.o_->rc++;
    release();
    t_ = v.t_;
    i_ = v.i_;
    return *this;
  }
  Value& operator=(Value&& v) noexcept {
    if (this != &v) {
      release();
      t_ = v.t_;
      i_ = v.i_;
      v.t_ = VT::Nil;
    }
    return *this;
  }
  ~Value() { release(); }

  // Becomes nil, releasing a held object (cheaper than assigning a nil Value).
  void clear() {
    if (t_ == VT::Obj) {
      Obj* o = o_;
      t_ = VT::Nil;
      if (--o->rc == 0) obj_free(o);
    } else {
      t_ = VT::Nil;
    }
  }
  // Releases a held object (becoming nil); other values stay as they are.
  void drop() {
    if (t_ == VT::Obj) {
      Obj* o = o_;
      t_ = VT::Nil;
      if (--o->rc == 0) obj_free(o);
    }
  }
  VT tag() const { return t_; }
  bool is_undef() const { return t_ == VT::Undef; }
  bool is_nil() const { return t_ == VT::Nil; }
  bool is_bool() const { return t_ == VT::Bool; }
  bool is_int() const { return t_ == VT::Int; }
  bool is_float() const { return t_ == VT::Float; }
  bool is_num() const { return t_ == VT::Int || t_ == VT::Float; }
  bool is_obj() const { return t_ == VT::Obj; }
  bool is(OK k) const { return t_ == VT::Obj && o_->kind == k; }
  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }
  double as_float() const { return f_; }
  double as_num() const { return t_ == VT::Int ? double(i_) : f_; }
  Obj* obj() const { return o_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(o_);
  }

 private:
  void release() {
    if (t_ == VT::Obj && --o_->rc == 0) obj_free(o_);
  }
  VT t_;
  union {
    int64_t i_;
    double f_;
    Obj* o_;
  };
};

// ---- object types ----
// Text: UTF-8 bytes stored right after the header (one allocation), NUL-terminated. Text is a
// value: a Str changes in place only while a single reference holds it, and never grows in
// place: appending past its capacity makes a bigger Str (str_append).
struct Str : Obj {
  bool literal = false;  // owned by a string literal of the program: never changed in place
  uint32_t len = 0;
  uint32_t cap = 0;         // bytes available for chars (the NUL comes after)
  mutable size_t hash = 0;  // cached hash (0: not computed); reset when the text changes
  char chars[];             // NOLINT (flexible array member, a GNU extension)

  size_t alloc_bytes() const override { return sizeof(Str) + cap + 1; }
  std::string_view view() const { return {chars, len}; }
  std::string str() const { return std::string(chars, len); }
  const char* data() const { return chars; }
  size_t size() const { return len; }
  bool empty() const { return len == 0; }
  // A new text holding `s`, with room for at least `capacity` bytes.
  static Str* make(std::string_view s, size_t capacity = 0);

 private:
  Str() : Obj(OK::Str) {}
};

// Appends `t` to the text `v` holds (in place when unshared and room allows; else v gets a new
// Str with room to grow), truncates it to `n` bytes, or makes it empty.
void str_append(Value& v, std::string_view t);
void str_truncate(Value& v, size_t n);

struct Array : Obj {
  SPL_OBJ_BYTES(Array)
  std::vector<Value> items;
  Array() : Obj(OK::Array) {}
  void clear_refs() override { items.clear(); }
};

struct Tuple : Obj {
  SPL_OBJ_BYTES(Tuple)
  std::vector<Value> items;
  Tuple() : Obj(OK::Tuple) {}
  void clear_refs() override { items.clear(); }
};

struct ValueHash {
  size_t operator()(const Value& v) const;
};
struct ValueKeyEq {
  bool operator()(const Value& a, const Value& b) const;
};

// Insertion-ordered dictionary.
struct Dict : Obj {
  SPL_OBJ_BYTES(Dict)
  std::vector<std::pair<Value, Value>> entries;
  std::unordered_map<Value, uint32_t, ValueHash, ValueKeyEq> index;
  Dict() : Obj(OK::Dict) {}
  Value* find(const Value& k);
  void set(const Value& k, const Value& v);
  bool remove(const Value& k);
  void clear_refs() override {
    index.clear();
    entries.clear();
  }
};

struct FnDecl;
struct Expr;
struct Module;

using MethodTable = std::unordered_map<Sym, Value>;

struct StructType : Obj {
  SPL_OBJ_BYTES(StructType)
  Sym name;
  Module* module = nullptr;
  std::vector<Sym> fields;
  std::vector<Expr*> defaults;  // may be null
  std::unordered_map<Sym, uint32_t> field_index;
  MethodTable methods;
  StructType() : Obj(OK::StructType) {}
  void clear_refs() override { methods.clear(); }
};

struct Instance : Obj {
  SPL_OBJ_BYTES(Instance)
  Value type;  // StructType
  std::vector<Value> fields;
  // Fields of this instance only, beyond its type's (a struct literal or an assignment naming a
  // field the declaration lacks: `P { x: 1, extra: 2 }`); never added to the type. Rare.
  std::unique_ptr<std::vector<std::pair<Sym, Value>>> extra;
  Instance() : Obj(OK::Instance) {}
  StructType* stype() const { return type.as<StructType>(); }
  Value* extra_field(Sym name) {
    if (extra)
      for (auto& [k, v] : *extra)
        if (k == name) return &v;
    return nullptr;
  }
  void set_extra(Sym name, Value v) {
    if (Value* slot = extra_field(name)) {
      *slot = std::move(v);
      return;
    }
    if (!extra) extra = std::make_unique<std::vector<std::pair<Sym, Value>>>();
    extra->emplace_back(name, std::move(v));
  }
  void clear_refs() override {
    fields.clear();
    extra.reset();
    type = Value();
  }
};

struct Variant {
  Sym name;
  int arity = 0;
  std::vector<Sym> field_names;
};

struct EnumType : Obj {
  SPL_OBJ_BYTES(EnumType)
  Sym name;
  std::vector<Variant> variants;
  std::unordered_map<Sym, uint32_t> by_name;
  std::vector<Value> unit_values;  // per variant, for arity 0
  MethodTable methods;
  int builtin = 0;  // 1 Option, 2 Result
  EnumType() : Obj(OK::EnumType) {}
  void clear_refs() override {
    methods.clear();
    unit_values.clear();
  }
};

struct EnumVal : Obj {
  SPL_OBJ_BYTES(EnumVal)
  Value type;  // EnumType
  uint32_t variant;
  Value payload;  // nil (unit), the value (arity 1) or a Tuple (arity > 1)
  EnumVal() : Obj(OK::EnumVal) {}
  EnumType* etype() const { return type.as<EnumType>(); }
  Sym name() const { return etype()->variants[variant].name; }
  void clear_refs() override {
    payload = Value();
    type = Value();
  }
};

struct TraitType : Obj {
  SPL_OBJ_BYTES(TraitType)
  Sym name;
  MethodTable defaults;
  TraitType() : Obj(OK::TraitType) {}
  void clear_refs() override { defaults.clear(); }
};

struct Cell : Obj {
  SPL_OBJ_BYTES(Cell)
  Value v;
  Cell() : Obj(OK::Cell), v(Value::undef()) {}
  void clear_refs() override { v = Value(); }
};

struct Function : Obj {
  SPL_OBJ_BYTES(Function)
  FnDecl* decl;
  std::vector<Value> captures;  // Cells
  Value owner;                  // StructType/EnumType for methods (nil otherwise)
  explicit Function(FnDecl* d) : Obj(OK::Function), decl(d) {}
  void clear_refs() override {
    captures.clear();
    owner = Value();
  }
};

class Interp;
struct CallArgs;
using BuiltinFn = Value (*)(Interp& in, CallArgs& a);

struct Native : Obj {
  SPL_OBJ_BYTES(Native)
  Sym name;
  BuiltinFn fn = nullptr;
  void* data = nullptr;  // for natives from tables: the NativeReg
  int min_args = 0, max_args = -1;
  Native() : Obj(OK::Native) {}
};

struct BoundMethod : Obj {
  SPL_OBJ_BYTES(BoundMethod)
  Value self, fn;
  BoundMethod() : Obj(OK::BoundMethod) {}
  void clear_refs() override {
    self = Value();
    fn = Value();
  }
};

struct RangeObj : Obj {
  SPL_OBJ_BYTES(RangeObj)
  int64_t start, end;
  bool inclusive;
  RangeObj(int64_t s, int64_t e, bool inc) : Obj(OK::Range), start(s), end(e), inclusive(inc) {}
  int64_t stop() const { return inclusive ? end + 1 : end; }
};

// BDD matcher (eq(5), contain("x"), ...) and expectation (expect(v)).
struct Matcher : Obj {
  SPL_OBJ_BYTES(Matcher)
  Sym kind;
  Value expected;
  Matcher() : Obj(OK::Matcher) {}
  void clear_refs() override { expected = Value(); }
};
struct Expectation : Obj {
  SPL_OBJ_BYTES(Expectation)
  Value actual;
  Expectation() : Obj(OK::Expectation) {}
  void clear_refs() override { actual = Value(); }
};

// ---- nesting limit ----
// Equality, hashing and ordering recurse into nested values; a value nested more than 10,000
// levels deep (or one that contains itself) is reported through the handler the interpreter
// sets (a runtime error), never by overflowing the native stack.
using ValueErrorFn = void (*)(const std::string& message);
void set_value_error_handler(ValueErrorFn fn);
struct ValueNestGuard {
  explicit ValueNestGuard(const char* what);
  ~ValueNestGuard();
  ValueNestGuard(const ValueNestGuard&) = delete;
  ValueNestGuard& operator=(const ValueNestGuard&) = delete;
};

// ---- helpers ----
Value make_str(std::string_view s);
Value make_array(std::vector<Value> items = {});
Value make_tuple(std::vector<Value> items);
inline Value make_obj(Obj* o) { return Value(o); }

bool truthy(const Value& v);
bool values_equal(const Value& a, const Value& b);
const char* type_name(const Value& v);
// Display form (print): text raw. Repr form: text quoted (inside containers).
std::string display(const Value& v);
std::string repr(const Value& v);
std::string format_float(double d);

// Heap bookkeeping for shutdown.
size_t heap_live_objects();
void heap_free_all();

}  // namespace spl
