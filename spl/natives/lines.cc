// The file module's line cursor, native table "file_lines": `region.lines()` walks a loaded
// region's lines as a native iterator (iter.h) that `for` drives directly, one text per line.
// The cursor copies the region in batches (64 KiB, extended to the end of the last line)
// through the C ABI's guarded copy, so a file truncated underneath gives an error, never
// SIGBUS, and a line's text is made from private memory (into the previous line's text when
// the loop let go of it); each batch is checked as UTF-8 in bulk (an ASCII fast path, 8 bytes
// at a time) and its line ends found in one pass (16 bytes at a time where SSE2 is there).
// Lines end at "\n", which is not part of the line; a last line without one is still a line.
// The region's `closed` field is checked on every step, so closing the region (or the handle
// that owns it) stops its cursors at once.
// Errors are raised with the message the region's `line_error(code)` gives (file.spl).
// Not here: reading the region otherwise (natives/file.cc), Bytes views.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "interp.h"
#include "iter.h"
#include "natives/native_api.h"
#include "spl/file.h"

namespace spl {

namespace {

constexpr size_t kBatch = 64 * 1024;

// Offset of the first byte of s[0, n) that is not valid UTF-8 (n if all are). Overlong
// forms, surrogates and code points past U+10FFFF are invalid, as in the runtime's scans.
// *ascii becomes false when a byte past 0x7F is seen.
size_t first_invalid_utf8(const unsigned char* s, size_t n, bool* ascii) {
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    *ascii = false;
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return n;
}

class LineCursor : public NativeIter {
 public:
  SPL_OBJ_BYTES(LineCursor)
  LineCursor(spl_handle_t h, uint64_t at, uint64_t end, Value region, uint32_t closed_field,
             std::string path, Value on_error)
      : h_(h),
        next_off_(at),
        end_(end),
        region_(std::move(region)),
        closed_field_(closed_field),
        path_(std::move(path)),
        on_error_(std::move(on_error)) {}

  const char* name() const override { return "LineIter"; }

  void clear_refs() override {
    region_ = Value();
    on_error_ = Value();
  }

  bool next(Interp& in, Value* out) override {
    if (truthy(region_.as<Instance>()->fields()[closed_field_])) fail(in, SPL_ECLOSED);
    for (;;) {
      if (pos_ < complete_) {
        // (the batch's line ends were found in one pass by refill; the last line of the
        // range may end at complete_ without a "\n")
        bool nl = next_end_ < ends_.size();
        size_t stop = nl ? ends_[next_end_++] : complete_;
        put_line(out, std::string_view(buf_.get() + pos_, stop - pos_));
        if (ascii_) out->as<Str>()->set_ascii();
        pos_ = nl ? stop + 1 : stop;
        return true;
      }
      if (next_off_ >= end_) return false;
      refill(in);
    }
  }

 private:
  // The line into *out (the loop's variable): the previous line's text, when nothing else
  // holds it and it has room, takes the new bytes in place (no release and no allocation per
  // line); otherwise a new text, with the room its heap size class has anyway.
  static void put_line(Value* out, std::string_view s) {
    if (out->is(OK::Str)) {
      Str* t = out->as<Str>();
      if (t->rc == 1 && !t->literal && t->cap >= s.size()) {
        std::memcpy(t->chars, s.data(), s.size());
        t->chars[s.size()] = 0;
        t->len = uint32_t(s.size());
        t->hash = 0;
        t->ascii = Str::kUnknown;
        return;
      }
    }
    if (s.size() <= 8) {
      *out = make_str(s);  // (short texts come from make_str's cache)
      return;
    }
    constexpr size_t kGranule = obj_heap_detail::kGranule;  // (the heap's size classes)
    size_t room = ((sizeof(Str) + s.size() + 1 + kGranule - 1) & ~(kGranule - 1)) - sizeof(Str) - 1;
    *out = Value(Str::make(s, room));
  }

  // Appends the next batch (and more, until a line ends or the range does), validates the
  // complete lines it adds and moves `complete_` past the last one.
  void refill(Interp& in) {
    if (pos_ > 0) {  // (drop what was handed out)
      std::memmove(buf_.get(), buf_.get() + pos_, size_ - pos_);
      size_ -= pos_;
      complete_ -= pos_;
      validated_ -= pos_;
      pos_ = 0;
    }
    for (;;) {
      size_t n = size_t(std::min<uint64_t>(kBatch, end_ - next_off_));
      size_t old = size_;
      reserve(old + n);
      int rc = spl_scan_copy(h_, next_off_, n, buf_.get() + old);
      if (rc < 0) fail(in, rc);
      size_ = old + n;
      next_off_ += n;
      if (next_off_ >= end_) {
        complete_ = size_;  // (the last line may lack its "\n")
        break;
      }
      const void* last = memrchr(buf_.get() + old, '\n', n);
      if (last) {
        complete_ = size_t(static_cast<const char*>(last) - buf_.get()) + 1;
        break;
      }
    }
    auto* bytes = reinterpret_cast<const unsigned char*>(buf_.get());
    bool ascii = true;
    size_t bad =
        validated_ + first_invalid_utf8(bytes + validated_, complete_ - validated_, &ascii);
    ascii_ = ascii;
    if (bad < complete_) {
      uint64_t at = next_off_ - size_ + bad;
      in.error(nullptr, "invalid UTF-8 at byte " + std::to_string(at) + " of " + path_ +
                            " (as_bytes() reads binary data)");
    }
    validated_ = complete_;
    find_line_ends();
  }

  // ends_ = the offsets of the "\n"s in [0, complete_) (every line before was handed out).
  void find_line_ends() {
    ends_.clear();
    next_end_ = 0;
    const char* b = buf_.get();
    size_t i = 0;
#if defined(__SSE2__)
    // 64 bytes at a time: one bit per "\n" in a mask, then one step per line.
    const __m128i nl = _mm_set1_epi8('\n');
    for (; i + 64 <= complete_; i += 64) {
      uint64_t m = 0;
      for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i + 16 * k));
        m |= uint64_t(uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)))) << (16 * k);
      }
      for (; m; m &= m - 1) ends_.push_back(i + size_t(__builtin_ctzll(m)));
    }
#endif
    for (; i < complete_; i++)
      if (b[i] == '\n') ends_.push_back(i);
  }

  // Room for `n` bytes in buf_ (keeps [0, size_); the new bytes are not cleared).
  void reserve(size_t n) {
    if (n <= cap_) return;
    size_t cap = std::max(n, cap_ * 2);
    std::unique_ptr<char[]> b(new char[cap]);
    if (size_) std::memcpy(b.get(), buf_.get(), size_);
    buf_ = std::move(b);
    cap_ = cap;
  }

  // The region's message for `code` (line_error(code) in file.spl).
  [[noreturn]] void fail(Interp& in, int code) {
    Value msg = in.call1(on_error_, Value::integer(code));
    in.error(nullptr, text_of(in, msg));
  }

  static std::string text_of(Interp& in, const Value& v) {
    return v.is(OK::Str) ? std::string(v.as<Str>()->view()) : in.to_display(v);
  }

  spl_handle_t h_;
  uint64_t next_off_;  // region offset of the next byte to copy
  uint64_t end_;
  Value region_;  // the MmapRegion (its `closed` field is checked on every step)
  uint32_t closed_field_;
  std::string path_;             // as messages show it
  Value on_error_;               // code -> message
  std::unique_ptr<char[]> buf_;  // copied bytes: [0, pos_) handed out, [pos_, complete_)
  size_t size_ = 0, cap_ = 0;    // whole lines, then the start of the next line
  bool ascii_ = false;           // [pos_, complete_) is all ASCII
  size_t pos_ = 0;
  size_t complete_ = 0;
  size_t validated_ = 0;      // [0, validated_) checked as UTF-8
  std::vector<size_t> ends_;  // offsets of the "\n"s in [0, complete_), in order
  size_t next_end_ = 0;       // the first of ends_ not handed out
};

// (region, handle, at, end, shown path, on_error) -> a LineIter over [at, end) of the region.
Value rt_region_lines(NativeCall& c) {
  const Value& region = c.arg(0);
  uint64_t h = c.resource_arg(1);  // the region's handle (the region keeps it alive)
  int64_t at = c.int_arg(2), end = c.int_arg(3);
  if (c.failed()) return c.nil();
  if (!region.is(OK::Instance)) return c.fail("rt_region_lines: argument 1 must be a region");
  StructType* st = region.as<Instance>()->stype();
  auto f = st->field_index.find(intern("closed"));
  if (f == st->field_index.end())
    return c.fail("rt_region_lines: the region has no 'closed' field");
  if (at < 0 || end < at) return c.fail("rt_region_lines: bad range");
  std::string path = c.text_arg(4);
  if (c.failed()) return c.nil();
  return Value(new LineCursor(spl_handle_t(h), uint64_t(at), uint64_t(end), region, f->second,
                              std::move(path), c.arg(5)));
}

const NativeReg kLines[] = {
    {"rt_region_lines", 6, 6, rt_region_lines},
};

}  // namespace

SPL_NATIVE_MODULE(file_lines, "file_lines", kLines);

}  // namespace spl
