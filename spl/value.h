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
  BoxedInt,    // an int beyond 48 bits (never seen as an object: Value reports an int)
  Resource,    // a native resource (a file handle...) released when its last reference goes
  NativeIter,  // an iterator implemented in C++ (iter.h)
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

#define SPL_INLINE __attribute__((always_inline)) inline

// An int too large for a Value's 48-bit inline payload (from 2^47 on): boxed on the heap. It is
// an int to everything but Value itself (is_int, as_int, tag()).
struct BoxedInt : Obj {
  SPL_OBJ_BYTES(BoxedInt)
  int64_t value;
  explicit BoxedInt(int64_t v) : Obj(OK::BoxedInt), value(v) {}
};

// A Value is 8 bytes, NaN-boxed: a double is stored as itself (NaNs as one canonical quiet
// NaN); everything else lives in the negative quiet-NaN space above it, the top 16 bits being
// the tag and the low 48 the payload:
//   0xFFF9 int (48-bit two's complement)      0xFFFA nil (0), undef (1), false (2), true (3)
//   0xFFFC object pointer                      0xFFFD boxed int pointer (ints beyond 48 bits)
// Objects and boxed ints are reference-counted.
class Value {
 public:
  Value() : b_(kNil) {}
  static Value undef() { return Value(kUndef, 0); }
  static Value boolean(bool b) { return Value(b ? kTrue : kFalse, 0); }
  SPL_INLINE static Value integer(int64_t i) {
    if (__builtin_expect(i >= -(int64_t(1) << 47) && i < (int64_t(1) << 47), 1))
      return Value(kIntTag | (uint64_t(i) & kPayload), 0);
    return boxed(i);
  }
  static Value floating(double f) {
    uint64_t b;
    std::memcpy(&b, &f, 8);
    if (f != f) b = kCanonicalNaN;
    return Value(b, 0);
  }
  explicit Value(Obj* o) : Value(o, kObjTag) {}
  SPL_INLINE Value(const Value& v) : b_(v.b_) {
    if (v.refcounted()) v.ptr()->rc++;
  }
  SPL_INLINE Value(Value&& v) noexcept : b_(v.b_) { v.b_ = kNil; }
  SPL_INLINE Value& operator=(const Value& v) {
    if (v.refcounted()) v.ptr()->rc++;
    release();
    b_ = v.b_;
    return *this;
  }
  SPL_INLINE Value& operator=(Value&& v) noexcept {
    if (this != &v) {
      release();
      b_ = v.b_;
      v.b_ = kNil;
    }
    return *this;
  }
  SPL_INLINE ~Value() { release(); }

  // Becomes nil, releasing a held object.
  SPL_INLINE void clear() {
    uint64_t old = b_;
    b_ = kNil;
    if (is_ref_bits(old)) unref(ptr_of(old));
  }
  // Releases a held object (becoming nil); other values stay as they are.
  SPL_INLINE void drop() {
    if (refcounted()) clear();
  }
  VT tag() const {
    uint64_t t = b_ >> 48;
    if (t < 0xFFF9) return VT::Float;
    switch (t) {
      case 0xFFF9:
      case 0xFFFD:
        return VT::Int;
      case 0xFFFC:
        return VT::Obj;
      default:
        return b_ == kNil ? VT::Nil : b_ == kUndef ? VT::Undef : VT::Bool;
    }
  }
  bool is_undef() const { return b_ == kUndef; }
  bool is_nil() const { return b_ == kNil; }
  bool is_bool() const { return (b_ | 1) == kTrue; }
  bool is_small_int() const { return (b_ >> 48) == 0xFFF9; }
  bool is_int() const { return is_small_int() || (b_ >> 48) == 0xFFFD; }
  bool is_float() const { return b_ < (uint64_t(0xFFF9) << 48); }
  bool is_num() const { return is_float() || is_int(); }
  bool is_obj() const { return (b_ >> 48) == 0xFFFC; }
  bool is(OK k) const { return is_obj() && ptr()->kind == k; }
  bool as_bool() const { return b_ & 1; }
  int64_t small_int() const { return int64_t(b_ << 16) >> 16; }
  // An int's value (a bool gives 0 or 1, as code that treats bools as ints expects).
  int64_t as_int() const {
    if (is_small_int()) return small_int();
    if ((b_ >> 48) == 0xFFFD) return static_cast<BoxedInt*>(ptr())->value;
    return int64_t(b_ & 1);
  }
  double as_float() const {
    double d;
    std::memcpy(&d, &b_, 8);
    return d;
  }
  double as_num() const { return is_int() ? double(as_int()) : as_float(); }
  Obj* obj() const { return ptr(); }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr());
  }
  uint64_t bits() const { return b_; }

 public:
  // Holds a reference-counted object (an Obj or a boxed int).
  bool refcounted() const { return is_ref_bits(b_); }

 private:
  static constexpr uint64_t kPayload = (uint64_t(1) << 48) - 1;
  static constexpr uint64_t kIntTag = uint64_t(0xFFF9) << 48;
  static constexpr uint64_t kNil = uint64_t(0xFFFA) << 48;
  static constexpr uint64_t kUndef = kNil + 1;
  static constexpr uint64_t kFalse = kNil + 2;
  static constexpr uint64_t kTrue = kNil + 3;
  static constexpr uint64_t kObjTag = uint64_t(0xFFFC) << 48;
  static constexpr uint64_t kBoxTag = uint64_t(0xFFFD) << 48;
  static constexpr uint64_t kCanonicalNaN = uint64_t(0x7FF8) << 48;

  Value(uint64_t b, int) : b_(b) {}
  Value(Obj* o, uint64_t tag) : b_(tag | reinterpret_cast<uint64_t>(o)) { o->rc++; }
  static bool is_ref_bits(uint64_t b) { return (b >> 49) == (0xFFFCu >> 1); }
  static Obj* ptr_of(uint64_t b) { return reinterpret_cast<Obj*>(b & kPayload); }
  SPL_INLINE static void unref(Obj* o) {
    if (--o->rc == 0) obj_free(o);
  }
  static Value boxed(int64_t i);  // (out of line: allocates)
  Obj* ptr() const { return ptr_of(b_); }
  SPL_INLINE void release() {
    if (refcounted()) unref(ptr());
  }
  uint64_t b_;
};
static_assert(sizeof(Value) == 8, "a Value is 8 bytes");

// ---- object types ----
// Text: UTF-8 bytes stored right after the header (one allocation), NUL-terminated. Text is a
// value: a Str changes in place only while a single reference holds it, and never grows in
// place: appending past its capacity makes a bigger Str (str_append).
struct Str : Obj {
  bool literal = false;  // owned by a string literal of the program: never changed in place
  // Whether the bytes are all ASCII (then the character count is len): kUnknown until
  // counted, reset with hash. (In the header's padding: a Str header stays 32 bytes.)
  enum : uint8_t { kUnknown, kAscii, kNotAscii };
  mutable uint8_t ascii = kUnknown;
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
  // The text is known to be all ASCII (its character count is its length).
  void set_ascii() const { ascii = kAscii; }
  // Characters (UTF-8 code points): len for an all-ASCII text (found out once), else counted.
  size_t char_count() const;

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

// Makes room for one more item in a full array: 8 slots at first (a push onto an empty array
// would otherwise reallocate at 1, 2, 4 and 8 items), then twice the items. A big array's new
// storage (1 MiB and more) is in fresh pages (a mapping of its own, or heap pages a freed big
// block gave back: release_heap_block in huge_pages.h): the pages its items move into are brought
// in with one call (MADV_POPULATE_WRITE) instead of one page fault each (11-14 us a fault on this
// project's VM; the moves made half of the text benchmark's 4,400 faults).
void array_grow(std::vector<Value>& items);
inline void array_push(std::vector<Value>& items, const Value& v) {
  if (__builtin_expect(items.size() == items.capacity(), 0)) array_grow(items);
  items.push_back(v);
}

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

// Insertion-ordered dictionary: `entries` in insertion order (what iteration sees), and an
// open-addressing index over them (linear probing, power-of-two size, at most 2/3 full). Each
// slot holds a 32-bit hash of its key and the entry's position + 1 (0: an empty slot), so a
// lookup compares keys only when the hashes match. Removal is O(n) (the entries after the
// removed one move down); lookups and insertions are O(1) on average.
struct Dict : Obj {
  SPL_OBJ_BYTES(Dict)
  struct Slot {
    uint32_t hash;
    uint32_t entry;  // index into entries + 1; 0 = empty
  };
  std::vector<std::pair<Value, Value>> entries;
  std::vector<Slot> slots;  // empty until the first insertion
  Dict() : Obj(OK::Dict) {}
  Value* find(const Value& k);
  void set(const Value& k, const Value& v);
  bool remove(const Value& k);
  void clear() {
    entries.clear();
    slots.clear();
  }
  void clear_refs() override { clear(); }

 private:
  // The slot holding k, or the empty slot where it would go (slots must not be empty).
  Slot* probe(const Value& k, uint32_t h);
  void grow();
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
  // A default that is a literal (number, text, bool, nil), evaluated once; undef for the
  // others, which are evaluated at each construction.
  std::vector<Value> default_values;
  std::unordered_map<Sym, uint32_t> field_index;
  MethodTable methods;
  const Value* init = nullptr;  // methods["__init__"] (a class), kept by refresh_init()
  StructType() : Obj(OK::StructType) {}
  void refresh_init();  // after methods change
  void clear_refs() override {
    init = nullptr;
    methods.clear();
    default_values.clear();
  }
};

struct Instance : Obj {
  size_t alloc_bytes() const override { return sizeof(Instance) + nfields * sizeof(Value); }
  Value type;  // StructType
  // Fields of this instance only, beyond its type's (a struct literal or an assignment naming a
  // field the declaration lacks: `P { x: 1, extra: 2 }`); never added to the type. Rare.
  std::unique_ptr<std::vector<std::pair<Sym, Value>>> extra;
  uint32_t nfields = 0;  // its type's fields, stored inline after the object (slots())

  // A new instance of `type` with n fields, all undef (one allocation).
  static Instance* make(const Value& type, uint32_t n);
  ~Instance() override {
    Value* f = slots();
    for (uint32_t i = 0; i < nfields; i++) f[i].~Value();
  }
  Value* slots() { return reinterpret_cast<Value*>(this + 1); }
  const Value* slots() const { return reinterpret_cast<const Value*>(this + 1); }
  // The type's fields in declaration order: fields()[i], fields().size().
  struct Fields {
    Value* p;
    uint32_t n;
    size_t size() const { return n; }
    Value& operator[](size_t i) const { return p[i]; }
  };
  Fields fields() { return {slots(), nfields}; }
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
    Value* f = slots();
    for (uint32_t i = 0; i < nfields; i++) f[i] = Value();
    extra.reset();
    type = Value();
  }

 private:
  Instance() : Obj(OK::Instance) {}
};
static_assert(sizeof(Instance) % alignof(Value) == 0, "fields follow an Instance");

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
  struct Proto* flat = nullptr;  // decl->flat once a call has seen it compiled (VM fast path)
  std::vector<Value> captures;   // Cells
  Value owner;                   // StructType/EnumType for methods (nil otherwise)
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

// A native resource owned by Simple values: `release(id)` runs exactly once, when the program
// releases it explicitly (natives call release_now) or when the last reference goes (or at
// shutdown). A file module's region is closed that way when the program drops it unclosed.
struct Resource : Obj {
  SPL_OBJ_BYTES(Resource)
  using ReleaseFn = void (*)(uint64_t id);
  uint64_t id;
  ReleaseFn release;
  bool released = false;
  Resource(uint64_t i, ReleaseFn fn) : Obj(OK::Resource), id(i), release(fn) {}
  void release_now() {
    if (released) return;
    released = true;
    if (release) release(id);
  }
  ~Resource() override { release_now(); }
};

class Interp;

// A native iterator (iter.h): `for`, next(), collect() and enumerate() drive it directly,
// without a Simple-level next() per item.
struct NativeIter : Obj {
  NativeIter() : Obj(OK::NativeIter) {}
  // The next item into *out; false at the end (and every time after). May raise errors.
  virtual bool next(Interp& in, Value* out) = 0;
  virtual const char* name() const = 0;  // its type name for users ("LineIter")
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

bool truthy_slow(const Value& v);
// Whether a value counts as true (`if`, `while`, `not`): a bool tested inline, the rest by
// kind (out of line).
SPL_INLINE bool truthy(const Value& v) { return v.is_bool() ? v.as_bool() : truthy_slow(v); }
bool values_equal(const Value& a, const Value& b);
const char* type_name(const Value& v);
// Display form (print): text raw. Repr form: text quoted (inside containers).
std::string display(const Value& v);
std::string repr(const Value& v);
std::string format_float(double d);

// Heap bookkeeping for shutdown.
// Objects allocated and not freed (the short-text cache is emptied first: what only it holds
// is not counted).
size_t heap_live_objects();
// Drops make_str's short-text cache (its texts are freed once nothing else holds them).
void text_cache_clear();
void heap_free_all();

}  // namespace spl
