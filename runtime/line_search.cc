// Line search implementation (see line_search.h).
#include "runtime/line_search.h"

#include <locale.h>
#include <wctype.h>

#include <cstring>
#include <mutex>

#include "runtime/scan.h"

namespace spl::rt {
namespace {

// glibc's C.UTF-8 case tables (the plain "C" locale, which folds ASCII only, if it is missing).
locale_t CaseLocale() {
  static locale_t loc = [] {
    locale_t l = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (l == static_cast<locale_t>(nullptr)) {
      l = ::newlocale(LC_CTYPE_MASK, "C", static_cast<locale_t>(nullptr));
    }
    return l;
  }();
  return loc;
}

uint32_t Upper(uint32_t c) { return static_cast<uint32_t>(::towupper_l(c, CaseLocale())); }
uint32_t Lower(uint32_t c) { return static_cast<uint32_t>(::towlower_l(c, CaseLocale())); }

// Lower-case letters whose upper case does not map back to them (U+017F LONG S -> 'S' -> 's',
// U+0131 DOTLESS I, final sigma...): found once from the tables, over every code point below
// U+20000 (no cased letter lies above).
const std::vector<uint32_t>& Lonesome() {
  static const std::vector<uint32_t> list = [] {
    std::vector<uint32_t> out;
    for (uint32_t c = 0x80; c < 0x20000; ++c) {
      uint32_t u = Upper(c);
      if (u != c && Lower(u) != c) out.push_back(c);
    }
    return out;
  }();
  return list;
}

// One code point from p[0, n): its value and byte length, or length 0 when the bytes there do
// not start a valid UTF-8 character.
uint32_t Decode(const uint8_t* p, size_t n, size_t* len) {
  *len = 0;
  if (n == 0) return 0;
  uint8_t b = p[0];
  if (b < 0x80) {
    *len = 1;
    return b;
  }
  size_t need;
  uint32_t c;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
    c = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    c = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    c = b & 0x07;
  } else {
    return 0;
  }
  if (n < need) return 0;
  for (size_t i = 1; i < need; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if ((need == 3 && c < 0x800) || (need == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
      (c >= 0xD800 && c <= 0xDFFF)) {
    return 0;
  }
  *len = need;
  return c;
}

size_t Encode(uint32_t c, uint8_t* out) {
  if (c < 0x80) {
    out[0] = static_cast<uint8_t>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<uint8_t>(0xC0 | (c >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<uint8_t>(0xE0 | (c >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<uint8_t>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xF0 | (c >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<uint8_t>(0x80 | (c & 0x3F));
  return 4;
}

}  // namespace

LineMatcher::LineMatcher(std::string needle, bool ignore_case)
    : needle_(std::move(needle)), ignore_case_(ignore_case) {
  min_length_ = needle_.size();
  if (!ignore_case_) return;
  const auto* p = reinterpret_cast<const uint8_t*>(needle_.data());
  const size_t n = needle_.size();
  min_length_ = 0;
  for (size_t i = 0; i < n;) {
    size_t len = 0;
    uint32_t c = Decode(p + i, n - i, &len);
    Alternatives alt;
    auto add = [&](uint32_t v) {
      if (alt.count == 6) return;  // never reached with Unicode's case pairs
      alt.length[alt.count] = static_cast<uint8_t>(Encode(v, alt.bytes[alt.count]));
      ++alt.count;
    };
    if (len == 0) {
      // Not a character: that byte only.
      alt.count = 1;
      alt.length[0] = 1;
      alt.bytes[0][0] = p[i];
      len = 1;
    } else {
      // GNU grep's counterparts of c (its dfa's case_folded_counterparts).
      add(c);
      const uint32_t uc = Upper(c);
      const uint32_t lc = Lower(uc);
      if (uc != c) add(uc);
      if (lc != uc && lc != c && Upper(lc) == uc) add(lc);
      for (uint32_t li : Lonesome()) {
        if (li != lc && li != uc && li != c && Upper(li) == uc) add(li);
      }
    }
    size_t shortest = 4;
    for (size_t k = 0; k < alt.count; ++k) shortest = std::min<size_t>(shortest, alt.length[k]);
    min_length_ += shortest;
    chars_.push_back(alt);
    i += len;
  }
  const Alternatives& first = chars_.front();
  for (size_t k = 0; k < first.count; ++k) {
    uint8_t b = first.bytes[k][0];
    bool seen = false;
    for (size_t j = 0; j < lead_count_; ++j) seen = seen || lead_[j] == b;
    if (!seen) lead_[lead_count_++] = b;
  }
}

size_t LineMatcher::MatchAt(const uint8_t* p, size_t n, size_t at) const noexcept {
  for (const Alternatives& alt : chars_) {
    bool matched = false;
    for (size_t k = 0; k < alt.count && !matched; ++k) {
      size_t len = alt.length[k];
      if (at + len <= n && std::memcmp(p + at, alt.bytes[k], len) == 0) {
        at += len;
        matched = true;
      }
    }
    if (!matched) return SIZE_MAX;
  }
  return at;
}

size_t LineMatcher::Find(const uint8_t* p, size_t n, size_t from) const noexcept {
  if (!ignore_case_) {
    return scan::Find(p, n, reinterpret_cast<const uint8_t*>(needle_.data()), needle_.size(), from);
  }
  for (size_t pos = from; pos < n;) {
    size_t c;
    if (lead_count_ <= 4) {
      c = scan::FindAnyByte(p, n, lead_, lead_count_, pos);
    } else {
      c = SIZE_MAX;
      for (size_t i = pos; i < n && c == SIZE_MAX; ++i) {
        for (size_t j = 0; j < lead_count_; ++j) {
          if (p[i] == lead_[j]) c = i;
        }
      }
    }
    if (c == scan::kNotFound || c == SIZE_MAX) return SIZE_MAX;
    if (MatchAt(p, n, c) != SIZE_MAX) return c;
    pos = c + 1;
  }
  return SIZE_MAX;
}

size_t FindLines(const uint8_t* p, size_t n, const LineMatcher& m, LineHit* hits, size_t max,
                 bool check_utf8, FindLinesState* st) noexcept {
  size_t got = 0;
  while (st->pos < n && got < max) {
    const size_t hit = m.Find(p, n, st->pos);
    if (hit == SIZE_MAX) {
      st->newlines += scan::CountLines(p + st->pos, n - st->pos);
      st->pos = n;
      break;
    }
    // The line around the hit: back to the '\n' before it (the pass starts at a line start),
    // on to the '\n' after it.
    size_t start = st->pos;
    if (hit > st->pos && p != nullptr) {
      const void* nl = ::memrchr(p + st->pos, '\n', hit - st->pos);
      if (nl != nullptr) start = static_cast<size_t>(static_cast<const uint8_t*>(nl) - p) + 1;
    }
    st->newlines += scan::CountLines(p + st->pos, start - st->pos);
    size_t end = scan::Find(p, n, reinterpret_cast<const uint8_t*>("\n"), 1, hit);
    if (end == scan::kNotFound) end = n;
    uint32_t flags = 0;
    if (check_utf8 && scan::ValidateUtf8(p + start, end - start) != scan::kValid) {
      flags |= kLineInvalidUtf8;
    }
    hits[got++] = LineHit{start, end - start, st->newlines, flags};
    if (end < n) {
      st->pos = end + 1;
      st->newlines += 1;
    } else {
      st->pos = n;
    }
  }
  return got;
}

}  // namespace spl::rt
