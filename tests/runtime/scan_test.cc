// Tests for runtime/scan.h: every kernel cross-checked against naive scalar references on edge
// cases and random data, with buffers placed against PROT_NONE guard pages so any over-read
// faults; wc counts are checked against glibc's own decoder and classes and against GNU `wc`.
// Does not test SIGBUS handling (that is Guard's job).
#include "runtime/scan.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <cwctype>
#include <random>
#include <string>
#include <vector>

namespace spl::rt::scan {
namespace {

using Bytes = std::vector<uint8_t>;

// Memory with an inaccessible page on each side: [guard][data pages][guard].
class Guarded {
 public:
  explicit Guarded(size_t max_len) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    data_ = (max_len + page_ - 1) / page_ * page_;
    if (data_ == 0) data_ = page_;
    void* m = mmap(nullptr, data_ + 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (m == MAP_FAILED) std::abort();
    base_ = static_cast<uint8_t*>(m);
    if (mprotect(base_, page_, PROT_NONE) != 0) std::abort();
    if (mprotect(base_ + page_ + data_, page_, PROT_NONE) != 0) std::abort();
  }
  ~Guarded() { munmap(base_, data_ + 2 * page_); }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  // Copy so the data ends exactly where the trailing guard page starts.
  const uint8_t* AtEnd(const uint8_t* src, size_t n) {
    uint8_t* dst = base_ + page_ + data_ - n;
    if (n) std::memcpy(dst, src, n);
    return dst;
  }
  const uint8_t* AtEnd(const Bytes& b) { return AtEnd(b.data(), b.size()); }
  // Copy so the data starts exactly where the leading guard page ends.
  const uint8_t* AtStart(const Bytes& b) {
    uint8_t* dst = base_ + page_;
    if (!b.empty()) std::memcpy(dst, b.data(), b.size());
    return dst;
  }
  uint8_t* Begin() { return base_ + page_; }
  size_t Capacity() const { return data_; }

 private:
  size_t page_ = 0, data_ = 0;
  uint8_t* base_ = nullptr;
};

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes Random(std::mt19937& rng, size_t n, const std::string& alphabet = "") {
  Bytes b(n);
  for (auto& x : b) {
    x = alphabet.empty() ? static_cast<uint8_t>(rng())
                         : static_cast<uint8_t>(alphabet[rng() % alphabet.size()]);
  }
  return b;
}

// ----- naive references -----

size_t NaiveCountByte(const uint8_t* p, size_t n, uint8_t b) {
  size_t c = 0;
  for (size_t i = 0; i < n; ++i) c += p[i] == b;
  return c;
}

bool MatchAt(const uint8_t* p, const uint8_t* nd, size_t m) {
  for (size_t k = 0; k < m; ++k) {
    if (p[k] != nd[k]) return false;
  }
  return true;
}

size_t NaiveFind(const uint8_t* p, size_t n, const uint8_t* nd, size_t m, size_t start) {
  if (start > n) return kNotFound;
  for (size_t i = start; i + m <= n; ++i) {
    if (MatchAt(p + i, nd, m)) return i;
  }
  return kNotFound;
}

size_t NaiveCount(const uint8_t* p, size_t n, const uint8_t* nd, size_t m) {
  if (m == 0) return n + 1;
  size_t c = 0;
  for (size_t i = 0; i + m <= n;) {
    if (MatchAt(p + i, nd, m)) {
      ++c;
      i += m;
    } else {
      ++i;
    }
  }
  return c;
}

// Strict UTF-8 reference, written independently of the kernel: decode the code point with the
// generic bit layout, then reject by length/overlong/surrogate/range rules.
size_t NaiveValidate(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    size_t len;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, cp = b & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return kValid;
}

// wc reference built on glibc itself: mbrtowc decoding (skip one byte on error), iswspace plus
// the no-break spaces for separators, iswprint for word characters.
WcCounts GlibcWc(const uint8_t* p, size_t n) {
  WcCounts c;
  c.bytes = n;
  bool in_word = false;
  size_t i = 0;
  while (i < n) {
    mbstate_t st{};
    wchar_t w;
    size_t r = mbrtowc(&w, reinterpret_cast<const char*>(p + i), n - i, &st);
    if (r == static_cast<size_t>(-1) || r == static_cast<size_t>(-2)) {
      ++i;
      continue;
    }
    if (r == 0) r = 1;
    i += r;
    ++c.chars;
    if (w == L'\n') ++c.lines;
    bool space =
        iswspace(static_cast<wint_t>(w)) || w == 0xA0 || w == 0x2007 || w == 0x202F || w == 0x2060;
    if (space) {
      in_word = false;
    } else if (iswprint(static_cast<wint_t>(w)) && !in_word) {
      in_word = true;
      ++c.words;
    }
  }
  return c;
}

bool Same(const WcCounts& a, const WcCounts& b) {
  return a.lines == b.lines && a.words == b.words && a.chars == b.chars && a.bytes == b.bytes;
}
std::string Str(const WcCounts& c) {
  return std::to_string(c.lines) + " " + std::to_string(c.words) + " " + std::to_string(c.chars) +
         " " + std::to_string(c.bytes);
}

// Every test runs twice: with the best kernels for this CPU and with the portable ones.
class ScanTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() { ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr); }
  void SetUp() override { ForceScalarForTesting(GetParam()); }
  void TearDown() override { ForceScalarForTesting(false); }
};

// ----- CountByte / CountLines -----

TEST_P(ScanTest, CountByteEmptyAndEveryLength) {
  Guarded g(4096);
  std::mt19937 rng(1);
  EXPECT_EQ(CountByte(nullptr, 0, 'a'), 0u);
  EXPECT_EQ(CountLines(nullptr, 0), 0u);
  for (size_t n = 0; n <= 300; ++n) {
    Bytes b = Random(rng, n, "ab\n\xff");
    for (const uint8_t* p : {g.AtEnd(b), g.AtStart(b)}) {
      for (uint8_t c : {uint8_t('a'), uint8_t('\n'), uint8_t(0xff), uint8_t(0)}) {
        ASSERT_EQ(CountByte(p, n, c), NaiveCountByte(p, n, c)) << n;
      }
      ASSERT_EQ(CountLines(p, n), NaiveCountByte(p, n, '\n')) << n;
    }
  }
}

TEST_P(ScanTest, CountByteAlignmentOffsets) {
  Guarded g(3 * 4096);
  std::mt19937 rng(2);
  for (size_t off = 0; off < 64; ++off) {
    for (size_t n : {size_t(0), size_t(1), size_t(31), size_t(63), size_t(64), size_t(129),
                     size_t(1000), size_t(8191)}) {
      Bytes b = Random(rng, n, "x\n");
      uint8_t* p = g.Begin() + off;
      if (n) std::memcpy(p, b.data(), n);
      ASSERT_EQ(CountLines(p, n), NaiveCountByte(p, n, '\n')) << off << " " << n;
      const uint8_t* q = g.AtEnd(b.data(), n);  // ends at guard: start alignment varies with n
      ASSERT_EQ(CountLines(q, n), NaiveCountByte(q, n, '\n'));
    }
  }
}

TEST_P(ScanTest, CountByteAllMatchesWidensWithoutOverflow) {
  // Every byte matches: the byte-lane accumulators must be widened before they wrap.
  for (size_t n :
       {size_t(128 * 255), size_t(128 * 255 + 1), size_t(128 * 256 + 77), size_t(1 << 20) + 13}) {
    Guarded g(n);
    Bytes b(n, '\n');
    EXPECT_EQ(CountLines(g.AtEnd(b), n), n);
    EXPECT_EQ(CountByte(g.AtStart(b), n, '\n'), n);
  }
}

TEST_P(ScanTest, CountByteRandomLarge) {
  std::mt19937 rng(3);
  Guarded g(1 << 18);
  for (int it = 0; it < 20; ++it) {
    size_t n = rng() % (1 << 18);
    Bytes b = Random(rng, n);
    uint8_t c = static_cast<uint8_t>(rng());
    const uint8_t* p = g.AtEnd(b);
    ASSERT_EQ(CountByte(p, n, c), NaiveCountByte(p, n, c));
  }
}

// ----- Find / Count -----

// ----- FindAnyByte -----

TEST_P(ScanTest, FindAnyByteEveryLengthAndSetSize) {
  Guarded g(4096);
  std::mt19937 rng(11);
  const uint8_t set[4] = {'x', 0xC4, '\n', 0};
  for (size_t n = 0; n <= 200; ++n) {
    Bytes b = Random(rng, n, "abcdefxyz\n\xc4");
    for (const uint8_t* p : {g.AtEnd(b), g.AtStart(b)}) {
      for (size_t k = 1; k <= 4; ++k) {
        for (size_t start : {size_t(0), size_t(1), n / 2, n}) {
          size_t want = kNotFound;
          for (size_t i = start; i < n && want == kNotFound; ++i) {
            for (size_t j = 0; j < k; ++j) {
              if (p[i] == set[j]) want = i;
            }
          }
          ASSERT_EQ(FindAnyByte(p, n, set, k, start), want) << n << " k=" << k << " from " << start;
        }
      }
    }
  }
  EXPECT_EQ(FindAnyByte(nullptr, 0, set, 1, 0), kNotFound);
  const uint8_t text[] = "abc";
  EXPECT_EQ(FindAnyByte(text, 3, set, 0, 0), kNotFound) << "an empty set";
  EXPECT_EQ(FindAnyByte(text, 3, set, 5, 0), kNotFound) << "more than 4 bytes";
}

TEST_P(ScanTest, FindCountBasics) {
  auto count = [](const std::string& h, const std::string& nd) {
    return Count(reinterpret_cast<const uint8_t*>(h.data()), h.size(),
                 reinterpret_cast<const uint8_t*>(nd.data()), nd.size());
  };
  auto find = [](const std::string& h, const std::string& nd, size_t start) {
    return Find(reinterpret_cast<const uint8_t*>(h.data()), h.size(),
                reinterpret_cast<const uint8_t*>(nd.data()), nd.size(), start);
  };
  EXPECT_EQ(count("aaaa", "aa"), 2u);
  EXPECT_EQ(count("aaaaaaa", "aaa"), 2u);
  EXPECT_EQ(count("ababa", "aba"), 1u);
  EXPECT_EQ(count("", ""), 1u);
  EXPECT_EQ(count("abc", ""), 4u);
  EXPECT_EQ(count("", "a"), 0u);
  EXPECT_EQ(count("ab", "abc"), 0u);
  EXPECT_EQ(find("abc", "", 0), 0u);
  EXPECT_EQ(find("abc", "", 3), 3u);
  EXPECT_EQ(find("abc", "", 4), kNotFound);
  EXPECT_EQ(find("abc", "c", 3), kNotFound);
  EXPECT_EQ(find("abc", "c", 99), kNotFound);
  EXPECT_EQ(find("abcabc", "bc", 2), 4u);
  EXPECT_EQ(find("", "a", 0), kNotFound);
  EXPECT_EQ(Count(nullptr, 0, nullptr, 0), 1u);
  EXPECT_EQ(Find(nullptr, 0, nullptr, 0, 0), 0u);
}

TEST_P(ScanTest, NeedleAtEveryPositionEveryLength) {
  Guarded g(4096);
  std::mt19937 rng(4);
  for (size_t n = 0; n <= 300; ++n) {
    Bytes hay = Random(rng, n, "xyz");
    for (size_t m = 1; m <= 40; ++m) {
      Bytes nd = Random(rng, m, "abc");
      nd[0] = 'a';
      nd[m - 1] = 'c';
      // Every position for short haystacks and needles, a stride elsewhere to bound run time.
      size_t step = (n <= 80 || m <= 3 || m == 40) ? 1 : 1 + (n + m) % 5;
      for (size_t pos = 0; pos + m <= n; pos += step) {
        Bytes h = hay;
        std::memcpy(h.data() + pos, nd.data(), m);
        const uint8_t* p = g.AtEnd(h);
        ASSERT_EQ(Find(p, n, nd.data(), m, 0), pos) << n << " " << m << " " << pos;
        ASSERT_EQ(Find(p, n, nd.data(), m, pos), pos);
        ASSERT_EQ(Find(p, n, nd.data(), m, pos + 1), kNotFound);
        ASSERT_EQ(Count(p, n, nd.data(), m), 1u);
        ASSERT_EQ(Count(g.AtStart(h), n, nd.data(), m), 1u);
      }
      if (m > n) {
        const uint8_t* p = g.AtEnd(hay);
        ASSERT_EQ(Find(p, n, nd.data(), m, 0), kNotFound);
        ASSERT_EQ(Count(p, n, nd.data(), m), 0u);
      }
    }
  }
}

TEST_P(ScanTest, OverlappingPatternsSmallAlphabet) {
  Guarded g(4096);
  std::mt19937 rng(5);
  for (size_t n = 0; n <= 300; ++n) {
    Bytes h = Random(rng, n, n % 3 == 0 ? "a" : "ab");
    const uint8_t* p = g.AtEnd(h);
    for (size_t m = 0; m <= 40; ++m) {
      Bytes nd = Random(rng, m, (m % 2) ? "a" : "ab");
      ASSERT_EQ(Count(p, n, nd.data(), m), NaiveCount(p, n, nd.data(), m)) << n << " " << m;
      for (size_t start = 0; start <= n + 1; start += 1 + (n > 100 ? 7 : 0)) {
        ASSERT_EQ(Find(p, n, nd.data(), m, start), NaiveFind(p, n, nd.data(), m, start))
            << n << " " << m << " " << start;
      }
    }
  }
}

TEST_P(ScanTest, FindCountRandomAlignments) {
  Guarded g(3 * 4096);
  std::mt19937 rng(6);
  for (size_t off = 0; off < 64; ++off) {
    for (int rep = 0; rep < 8; ++rep) {
      size_t n = rng() % 5000;
      Bytes h = Random(rng, n, rep % 2 ? "ab" : "abcdefgh\n");
      uint8_t* p = g.Begin() + off;
      if (n) std::memcpy(p, h.data(), n);
      size_t m = 1 + rng() % 40;
      Bytes nd = Random(rng, m, rep % 2 ? "ab" : "abcdefgh\n");
      if (n >= m && rng() % 2) {
        size_t at = rng() % (n - m + 1);
        std::memcpy(nd.data(), p + at, m);
      }
      ASSERT_EQ(Count(p, n, nd.data(), m), NaiveCount(p, n, nd.data(), m));
      size_t start = n ? rng() % n : 0;
      ASSERT_EQ(Find(p, n, nd.data(), m, start), NaiveFind(p, n, nd.data(), m, start));
      const uint8_t* q = g.AtEnd(h);
      ASSERT_EQ(Count(q, n, nd.data(), m), NaiveCount(q, n, nd.data(), m));
    }
  }
}

TEST_P(ScanTest, CountDenseLongRuns) {
  Guarded g(70000);
  Bytes h(70000, 'a');
  const uint8_t* p = g.AtEnd(h);
  for (size_t m = 1; m <= 70; ++m) {
    Bytes nd(m, 'a');
    ASSERT_EQ(Count(p, h.size(), nd.data(), m), h.size() / m) << m;
  }
}

// ----- UTF-8 validation -----

const std::vector<std::string>& BadSequences() {
  static const std::vector<std::string> k = {
      "\x80",                      // continuation without lead
      "\xbf",                      //
      "\xc0\x80",                  // overlong NUL
      "\xc1\xbf",                  // overlong
      "\xe0\x80\x80",              // overlong 3-byte
      "\xe0\x9f\xbf",              // overlong 3-byte (max)
      "\xf0\x80\x80\x80",          // overlong 4-byte
      "\xf0\x8f\xbf\xbf",          // overlong 4-byte (max)
      "\xed\xa0\x80",              // surrogate D800
      "\xed\xbf\xbf",              // surrogate DFFF
      "\xf4\x90\x80\x80",          // U+110000
      "\xf5\x80\x80\x80",          // lead F5
      "\xf7\xbf\xbf\xbf",          //
      "\xf8\x88\x80\x80\x80",      // 5-byte form
      "\xfc\x84\x80\x80\x80\x80",  // 6-byte form
      "\xfe",
      "\xff",
      "\xc2",              // truncated
      "\xe2\x82",          // truncated
      "\xf0\x9f\x98",      // truncated
      "\xc2\x41",          // bad continuation
      "\xe2\x28\xa1",      //
      "\xe2\x82\x28",      //
      "\xf0\x28\x8c\xbc",  //
      "\xf0\x9f\x28\x80",  //
      "\xf0\x9f\x98\x28",  //
  };
  return k;
}

TEST_P(ScanTest, Utf8ValidBasics) {
  Guarded g(4096);
  for (const char* s : {"", "a", "h\xc3\xa9llo", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                        "\xf4\x8f\xbf\xbf", "\xef\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80",
                        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xf0\x90\x80\x80"}) {
    Bytes b = B(s);
    EXPECT_EQ(ValidateUtf8(g.AtEnd(b), b.size()), kValid) << s;
  }
}

TEST_P(ScanTest, Utf8BadSequenceAtEveryPosition) {
  Guarded g(4096);
  std::mt19937 rng(7);
  const std::vector<std::string> backgrounds = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                                "ab\xd0\x96\xe4\xb8\xad"};
  for (const std::string& bad : BadSequences()) {
    for (const std::string& bg : backgrounds) {
      std::string fill;
      while (fill.size() < 300) fill += bg;
      for (size_t pos = 0; pos <= 300; pos += 1) {
        // Valid prefix of about pos bytes (whole background characters), then the bad sequence,
        // then a valid tail.
        std::string pre = fill.substr(0, pos - pos % bg.size());
        std::string s = pre + bad + fill.substr(0, (pos * 7) % 64);
        Bytes b = B(s);
        const uint8_t* p = g.AtEnd(b);
        size_t want = NaiveValidate(p, b.size());
        ASSERT_EQ(want, pre.size()) << pos;  // the reference agrees with the construction
        ASSERT_EQ(ValidateUtf8(p, b.size()), want) << pos << " bad=" << b[pre.size()];
        // Truncated at the very end (against the guard page).
        Bytes t = B(pre + bad);
        ASSERT_EQ(ValidateUtf8(g.AtEnd(t), t.size()), pre.size());
      }
    }
  }
  // Every valid sequence cut short at the end of the buffer is reported at its lead byte.
  for (const char* s : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
    for (size_t pre = 0; pre < 70; ++pre) {
      std::string full = std::string(pre, 'x') + s;
      for (size_t cut = 1; cut < std::strlen(s); ++cut) {
        Bytes b = B(full.substr(0, full.size() - cut));
        ASSERT_EQ(ValidateUtf8(g.AtEnd(b), b.size()), pre);
      }
    }
  }
}

TEST_P(ScanTest, Utf8ExhaustiveShortSequences) {
  uint8_t buf[8];
  for (uint32_t x = 0; x < (1u << 16); ++x) {
    buf[0] = static_cast<uint8_t>(x >> 8), buf[1] = static_cast<uint8_t>(x);
    ASSERT_EQ(ValidateUtf8(buf, 2), NaiveValidate(buf, 2)) << x;
  }
  for (uint32_t x = 0xE00000; x < 0xF00000; ++x) {
    buf[0] = static_cast<uint8_t>(x >> 16), buf[1] = static_cast<uint8_t>(x >> 8),
    buf[2] = static_cast<uint8_t>(x);
    ASSERT_EQ(ValidateUtf8(buf, 3), NaiveValidate(buf, 3)) << x;
  }
  std::mt19937 rng(8);
  for (int it = 0; it < 2000000; ++it) {
    buf[0] = static_cast<uint8_t>(0xF0 + rng() % 16);
    for (int k = 1; k < 4; ++k) {
      buf[k] = static_cast<uint8_t>(rng() % 8 ? 0x80 + rng() % 64 : rng());
    }
    ASSERT_EQ(ValidateUtf8(buf, 4), NaiveValidate(buf, 4));
  }
}

TEST_P(ScanTest, Utf8ShortSequencesInsideWideBlocks) {
  // The same exhaustive checks, embedded in 64-byte buffers so the vector path sees them, placed
  // to straddle the 32-byte block boundary and next to multi-byte neighbours.
  Guarded g(4096);
  uint8_t* buf = g.Begin();
  auto check = [&](size_t pos, const uint8_t* seq, size_t len, uint8_t fill) {
    std::memset(buf, fill, 64);
    if (fill == 0xA9) {  // background of "é" (C3 A9) pairs
      for (size_t k = 0; k < 64; k += 2) buf[k] = 0xC3;
    }
    std::memcpy(buf + pos, seq, len);
    ASSERT_EQ(ValidateUtf8(buf, 64), NaiveValidate(buf, 64))
        << pos << " " << int(seq[0]) << " " << int(seq[1]);
  };
  uint8_t s[4];
  for (uint32_t x = 0; x < (1u << 16); ++x) {
    s[0] = static_cast<uint8_t>(x >> 8), s[1] = static_cast<uint8_t>(x);
    for (size_t pos : {size_t(0), size_t(30), size_t(31), size_t(62)}) check(pos, s, 2, 'a');
    check(30, s, 2, 0xA9);
  }
  for (uint32_t x = 0xC00000; x < 0x1000000; x += (GetParam() ? 3 : 1)) {
    s[0] = static_cast<uint8_t>(x >> 16), s[1] = static_cast<uint8_t>(x >> 8),
    s[2] = static_cast<uint8_t>(x);
    check(30, s, 3, 'a');
    if ((x & 0x3F) == 0) check(31, s, 3, 'a');
  }
  std::mt19937 rng(15);
  for (int it = 0; it < 300000; ++it) {
    s[0] = static_cast<uint8_t>(0xE0 + rng() % 32);
    for (int k = 1; k < 4; ++k) s[k] = static_cast<uint8_t>(rng() % 8 ? 0x80 + rng() % 64 : rng());
    check(28 + rng() % 5, s, 4, it % 2 ? 'a' : 0xA9);
    check(60, s, 4, 'a');
  }
}

Bytes RandomUtf8ish(std::mt19937& rng, size_t n, int bad_per_mille) {
  static const char* kPieces[] = {"a",
                                  " ",
                                  "\n",
                                  "\t",
                                  "Z",
                                  "\xc3\xa9",
                                  "\xd0\x96",
                                  "\xe2\x82\xac",
                                  "\xe4\xb8\xad",
                                  "\xf0\x9f\x98\x80",
                                  "\xc2\xa0",
                                  "\xe3\x80\x80",
                                  "\x01",
                                  "\x7f",
                                  "\xe2\x80\x8b",
                                  "\xf4\x8f\xbf\xbf"};
  Bytes b;
  while (b.size() < n) {
    if (static_cast<int>(rng() % 1000) < bad_per_mille) {
      b.push_back(static_cast<uint8_t>(0x80 + rng() % 128));
    } else {
      const char* s = kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
      b.insert(b.end(), s, s + std::strlen(s));
    }
  }
  b.resize(n);
  return b;
}

TEST_P(ScanTest, Utf8RandomAgainstReference) {
  Guarded g(1 << 16);
  std::mt19937 rng(9);
  for (int it = 0; it < 3000; ++it) {
    size_t n = rng() % (it < 2000 ? 400 : 60000);
    Bytes b = RandomUtf8ish(rng, n, it % 3 == 0 ? 0 : 1);
    if (it % 5 == 0) {  // long ASCII stretches exercise the wide path
      for (size_t i = 0; i < n; ++i) {
        if (rng() % 100 < 95) b[i] = 'a' + rng() % 26;
      }
      if (n) b[rng() % n] = static_cast<uint8_t>(0x80 + rng() % 128);
    }
    const uint8_t* p = g.AtEnd(b);
    ASSERT_EQ(ValidateUtf8(p, n), NaiveValidate(p, n)) << it;
  }
}

// ----- wc counts -----

WcCounts Chunked(const Bytes& b, std::mt19937& rng, size_t max_chunk) {
  WordCounter wc;
  size_t i = 0;
  while (i < b.size()) {
    size_t k = std::min(b.size() - i, 1 + rng() % max_chunk);
    wc.Feed(b.data() + i, k);
    i += k;
  }
  return wc.Finish();
}

TEST_P(ScanTest, WcBasics) {
  auto wc = [](const std::string& s) {
    return WordCount(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  // Expected values measured with `printf ... | LC_ALL=C.UTF-8 wc -lwmc` (coreutils 9.1).
  struct Case {
    const char* s;
    uint64_t l, w, m, c;
  } cases[] = {
      {"", 0, 0, 0, 0},
      {"a b", 0, 2, 3, 3},
      {"a\x01"
       "b",
       0, 1, 3, 3},
      {"\x01", 0, 0, 1, 1},
      {"a\xff"
       "b",
       0, 1, 2, 3},
      {"\xff", 0, 0, 0, 1},
      {"\xff \xff", 0, 0, 1, 3},
      {"a\xc2\xa0"
       "b",
       0, 2, 3, 4},
      {"a\xe2\x80\x87"
       "b",
       0, 2, 3, 5},
      {"a\xe3\x80\x80"
       "b",
       0, 2, 3, 5},
      {"\xe2\x82", 0, 0, 0, 2},
      {"\xe2\x82"
       "A",
       0, 1, 1, 3},
      {"\xc0\x80", 0, 0, 0, 2},
      {"\xed\xa0\x80", 0, 0, 0, 3},
      {"\xf4\x90\x80\x80", 0, 0, 1, 4},
      {"\xf8\x88\x80\x80\x80", 0, 0, 1, 5},
      {"a\xc2\x85\n"
       "b",
       1, 2, 4, 5},
      {"x\xe2\x80\x8bx", 0, 1, 3, 5},
      {"one two\nthree\n", 2, 3, 14, 14},
  };
  for (const Case& c : cases) {
    WcCounts r = wc(c.s);
    EXPECT_EQ(r.lines, c.l) << c.s;
    EXPECT_EQ(r.words, c.w) << c.s;
    EXPECT_EQ(r.chars, c.m) << c.s;
    EXPECT_EQ(r.bytes, c.c) << c.s;
  }
}

TEST_P(ScanTest, WcAgainstGlibcAnyChunking) {
  Guarded g(1 << 17);
  std::mt19937 rng(10);
  for (int it = 0; it < 600; ++it) {
    size_t n = rng() % (it < 400 ? 300 : 100000);
    Bytes b = RandomUtf8ish(rng, n, (it % 4) * 20);
    if (it % 3 == 0) {  // mostly ASCII words so the wide path runs
      for (auto& x : b) {
        if (rng() % 100 < 90) x = (rng() % 6 == 0) ? ' ' : static_cast<uint8_t>('a' + rng() % 26);
      }
    }
    const uint8_t* p = g.AtEnd(b);
    WcCounts want = GlibcWc(p, n);
    WcCounts got = WordCount(p, n);
    ASSERT_TRUE(Same(got, want)) << it << ": " << Str(got) << " vs " << Str(want);
    for (size_t max_chunk : {size_t(1), size_t(3), size_t(7), size_t(70), size_t(5000)}) {
      WcCounts c = Chunked(b, rng, max_chunk);
      ASSERT_TRUE(Same(c, want)) << it << " chunk " << max_chunk << ": " << Str(c);
    }
  }
}

TEST_P(ScanTest, WcWideNonAsciiPath) {
  // Text built from characters the vector path handles without decoding (ASCII words, Latin-1
  // letters, Cyrillic, CJK, Hangul), with rare "hard" characters and invalid bytes mixed in, so
  // blocks are accepted, rejected and cut mid-character at every offset.
  static const char* kEasy[] = {"a",
                                "b",
                                " ",
                                " ",
                                "\n",
                                "\t",
                                ",",
                                "\xc3\xa9",
                                "\xcc\x81",
                                "\xd0\x96",
                                "\xd1\x8f",
                                "\xd3\xbf",
                                "\xe4\xb8\xad",
                                "\xe9\xbf\xbf",
                                "\xeb\x80\x80",
                                "\xec\xbf\xbf"};
  static const char* kHard[] = {"\x01",     "\x7f",         "\xc2\xa0",         "\xe3\x80\x80",
                                "\xcd\xb8", "\xed\x9f\xbf", "\xf0\x9f\x98\x80", "\xff",
                                "\x80",     "\xd0",         "\xe4\xb8",         "\xe4\x41"};
  Guarded g(1 << 16);
  std::mt19937 rng(16);
  for (int it = 0; it < 400; ++it) {
    const int hard_per_mille = it % 4 == 0 ? 0 : (it % 4) * 3;
    Bytes b;
    const size_t n = rng() % (it < 200 ? 400 : 60000);
    while (b.size() < n) {
      const char* s = static_cast<int>(rng() % 1000) < hard_per_mille
                          ? kHard[rng() % (sizeof(kHard) / sizeof(kHard[0]))]
                          : kEasy[rng() % (sizeof(kEasy) / sizeof(kEasy[0]))];
      b.insert(b.end(), s, s + std::strlen(s));
    }
    const uint8_t* p = g.AtEnd(b);
    WcCounts want = GlibcWc(p, b.size());
    ASSERT_TRUE(Same(WordCount(p, b.size()), want)) << it;
    for (size_t max_chunk : {size_t(1), size_t(65), size_t(200), size_t(4096)}) {
      WcCounts c = Chunked(b, rng, max_chunk);
      ASSERT_TRUE(Same(c, want)) << it << " chunk " << max_chunk << ": " << Str(c);
    }
  }
}

TEST_P(ScanTest, WcEverySplitPoint) {
  std::mt19937 rng(11);
  for (int it = 0; it < 100; ++it) {
    Bytes b = RandomUtf8ish(rng, 150, 30);
    WcCounts want = GlibcWc(b.data(), b.size());
    for (size_t s1 = 0; s1 <= b.size(); ++s1) {
      WordCounter wc;
      wc.Feed(b.data(), s1);
      wc.Feed(b.data() + s1, 0);
      wc.Feed(b.data() + s1, b.size() - s1);
      ASSERT_TRUE(Same(wc.Finish(), want)) << s1;
    }
  }
}

TEST_P(ScanTest, WcEveryCodePointMatchesGlibc) {
  // Every code point (and beyond U+10FFFF) as "x<cp>y\n": word splitting and printability.
  std::string s;
  for (uint32_t cp = 1; cp < 0x110800; cp += (cp < 0x30000 || cp > 0xDFFFF ? 1 : 97)) {
    char buf[8];
    size_t len;
    if (cp < 0x80) {
      buf[0] = static_cast<char>(cp), len = 1;
    } else if (cp < 0x800) {
      buf[0] = static_cast<char>(0xC0 | (cp >> 6)), buf[1] = static_cast<char>(0x80 | (cp & 63));
      len = 2;
    } else if (cp < 0x10000) {
      buf[0] = static_cast<char>(0xE0 | (cp >> 12));
      buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 63));
      buf[2] = static_cast<char>(0x80 | (cp & 63));
      len = 3;
    } else {
      buf[0] = static_cast<char>(0xF0 | (cp >> 18));
      buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 63));
      buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 63));
      buf[3] = static_cast<char>(0x80 | (cp & 63));
      len = 4;
    }
    s += 'x';
    s.append(buf, len);
    s += "y\n";
  }
  Bytes b = B(s);
  // Compare in slices so a mismatch points at a code point range.
  size_t slice = 4096, i = 0;
  while (i < b.size()) {
    size_t e = std::min(b.size(), i + slice);
    while (e < b.size() && b[e - 1] != '\n') ++e;
    WcCounts want = GlibcWc(b.data() + i, e - i), got = WordCount(b.data() + i, e - i);
    ASSERT_TRUE(Same(got, want)) << "offset " << i << ": " << Str(got) << " vs " << Str(want);
    i = e;
  }
}

// Runs GNU wc on the bytes; returns false if wc is not available.
bool RunWc(const Bytes& b, WcCounts* out) {
  char path[] = "/tmp/scan_test_wc_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return false;
  bool ok = write(fd, b.data(), b.size()) == static_cast<ssize_t>(b.size());
  close(fd);
  std::string cmd = std::string("LC_ALL=C.UTF-8 wc -lwmc < ") + path + " 2>/dev/null";
  FILE* f = ok ? popen(cmd.c_str(), "r") : nullptr;
  unsigned long long l = 0, w = 0, m = 0, c = 0;
  if (f) {
    ok = std::fscanf(f, "%llu %llu %llu %llu", &l, &w, &m, &c) == 4;
    ok = (pclose(f) == 0) && ok;
  } else {
    ok = false;
  }
  unlink(path);
  *out = WcCounts{l, w, m, c};
  return ok;
}

TEST_P(ScanTest, WcAgainstGnuWc) {
  std::mt19937 rng(12);
  WcCounts probe;
  if (!RunWc(B("a b\n"), &probe) || probe.words != 2) GTEST_SKIP() << "GNU wc not usable";
  for (int it = 0; it < 60; ++it) {
    size_t n = it < 40 ? rng() % 200 : rng() % 200000;
    Bytes b = RandomUtf8ish(rng, n, (it % 5) * 15);
    if (it % 7 == 0) {
      for (auto& x : b) {
        if (rng() % 50 == 0) x = static_cast<uint8_t>(rng());
      }
    }
    WcCounts want;
    ASSERT_TRUE(RunWc(b, &want));
    WcCounts got = WordCount(b.data(), b.size());
    ASSERT_TRUE(Same(got, want)) << it << ": " << Str(got) << " vs wc " << Str(want);
  }
}

// ----- CopyOut and guard pages for everything -----

TEST_P(ScanTest, CopyOut) {
  Guarded g(4096);
  std::mt19937 rng(13);
  for (size_t n = 0; n <= 300; ++n) {
    Bytes b = Random(rng, n);
    Bytes dst(n + 1, 0xAA);
    CopyOut(g.AtEnd(b), n, dst.data());
    ASSERT_TRUE(std::equal(b.begin(), b.end(), dst.begin()));
    ASSERT_EQ(dst[n], 0xAA);
  }
}

TEST_P(ScanTest, EverythingAgainstGuardPages) {
  Guarded g(8192);
  std::mt19937 rng(14);
  const Bytes nd = B("ab");
  for (size_t n = 0; n <= 8192; n += (n < 300 ? 1 : 61)) {
    Bytes b = RandomUtf8ish(rng, n, 0);
    for (const uint8_t* p : {g.AtEnd(b), g.AtStart(b)}) {
      (void)CountLines(p, n);
      (void)CountByte(p, n, 'a');
      (void)Count(p, n, nd.data(), nd.size());
      (void)Find(p, n, nd.data(), nd.size(), 0);
      (void)Find(p, n, B("zzz").data(), 3, 0);
      (void)Find(p, n, b.data(), n, 0);
      (void)ValidateUtf8(p, n);
      ASSERT_TRUE(Same(WordCount(p, n), GlibcWc(p, n)));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, ScanTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return std::string(i.param ? "Scalar" : "Best");
                         });

}  // namespace
}  // namespace spl::rt::scan
