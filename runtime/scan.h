// Pure scan kernels over a byte range: count/find bytes and substrings, count lines, validate
// UTF-8, and `wc`-compatible line/word/char/byte counting that can be fed in chunks.
//
// Every function reads only bytes inside [p, p + n) (no over-reading past the end, so it is safe
// on the last page of a file mapping), allocates nothing, throws nothing and keeps only
// trivially destructible locals, so a SIGBUS guard may siglongjmp out of any of them.
// Not here: guarding against SIGBUS itself (Guard does that), mapping, I/O, locales.
// SIMD (AVX2 on x86-64, chosen at run time) with a portable scalar fallback.
#pragma once

#include <cstddef>
#include <cstdint>

namespace spl::rt::scan {

inline constexpr size_t kNotFound = SIZE_MAX;
inline constexpr size_t kValid = SIZE_MAX;

// Number of bytes equal to `b` in [p, p + n).
size_t CountByte(const uint8_t* p, size_t n, uint8_t b) noexcept;

// Number of '\n' bytes (what `wc -l` prints).
size_t CountLines(const uint8_t* p, size_t n) noexcept;

// Non-overlapping occurrences of needle[0, m), scanning left to right like Python's
// bytes.count ("aa" in "aaaa" -> 2). m == 0 -> n + 1.
size_t Count(const uint8_t* p, size_t n, const uint8_t* needle, size_t m) noexcept;

// Offset of the first occurrence of needle[0, m) at or after `start`, or kNotFound.
// m == 0 -> start if start <= n, else kNotFound.
size_t Find(const uint8_t* p, size_t n, const uint8_t* needle, size_t m, size_t start) noexcept;

// Offset of the first byte at or after `start` equal to any of set[0, k), 1 <= k <= 4, or
// kNotFound (also for k outside 1..4).
size_t FindAnyByte(const uint8_t* p, size_t n, const uint8_t* set, size_t k, size_t start) noexcept;

// Offset of the first byte of the first invalid or truncated sequence, or kValid when all of
// [p, p + n) is strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
// The offset is the position of the lead byte (or of a stray continuation byte).
size_t ValidateUtf8(const uint8_t* p, size_t n) noexcept;

// Plain copy of n bytes to dst (dst must not overlap [p, p + n)).
void CopyOut(const uint8_t* p, size_t n, uint8_t* dst) noexcept;

struct WcCounts {
  uint64_t lines = 0;  // '\n' bytes                      (wc -l)
  uint64_t words = 0;  // words as GNU wc counts them     (wc -w)
  uint64_t chars = 0;  // decoded characters             (wc -m)
  uint64_t bytes = 0;  // bytes fed                       (wc -c)
};

// Resumable counter matching GNU coreutils `wc -lwmc` (checked against wc 9.1 on glibc 2.36)
// in a UTF-8 locale (C.UTF-8 / en_US.UTF-8). Feed the data in any number of chunks of any size;
// the totals are the same as for one Feed of the whole input. Rules, as measured:
//  - characters are decoded the way glibc's mbrtowc does for UTF-8: 1..6 byte forms, no overlong
//    forms, no surrogates, values above U+10FFFF accepted (up to 0x7FFFFFFF); a byte that does not
//    start a valid character is skipped: it counts as a byte but not as a character;
//  - a character is a separator if iswspace() says so or it is a no-break space (U+00A0, U+2007,
//    U+202F, U+2060; wc 9.1 treats those as separators);
//  - a printable (iswprint) non-separator character starts a word if not already in one;
//  - non-printable characters (controls, unassigned code points, > U+10FFFF) and invalid bytes
//    neither start nor end a word ("a\x01b" and "a\xffb" are one word, "\xff" is none).
class WordCounter {
 public:
  void Feed(const uint8_t* p, size_t n) noexcept;
  // Totals so far; flushes an incomplete trailing sequence (counted as invalid bytes).
  // The counter may be reused after Reset().
  WcCounts Finish() noexcept;
  void Reset() noexcept { *this = WordCounter(); }

 private:
  WcCounts c_{};
  bool in_word_ = false;
  uint8_t pend_len_ = 0;  // bytes of an incomplete sequence carried from the previous Feed
  uint8_t pend_[7] = {};
};

// Convenience: counts for one buffer.
WcCounts WordCount(const uint8_t* p, size_t n) noexcept;

// Name of the kernel set picked at run time ("avx2" or "scalar"); for benchmarks and logs.
const char* ActiveIsa() noexcept;

// Testing hook: when true, every kernel uses the portable scalar code even if the CPU has AVX2
// (so tests cover both paths). Process-wide; not for production use.
void ForceScalarForTesting(bool force) noexcept;

}  // namespace spl::rt::scan
