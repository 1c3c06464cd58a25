// Scan kernels (see scan.h): AVX2 versions picked at run time on x86-64, portable scalar/SWAR
// versions everywhere else. Every load stays inside [p, p + n): vector loops stop while a whole
// vector still fits and the remainder is done with scalar code. No allocation, no exceptions,
// only trivially destructible locals (a SIGBUS guard may siglongjmp out of these functions).
// Not here: signal handling, mapping, locale lookups (the wc character classes are a fixed table).
#include "runtime/scan.h"

#include <atomic>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SPL_SCAN_X86 1
#define SPL_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt,lzcnt")))
#else
#define SPL_SCAN_X86 0
#endif

namespace spl::rt::scan {
namespace {

// ---------------------------------------------------------------------------------------------
// CPU detection.

std::atomic<bool> g_force_scalar{false};

bool HasAvx2() {
#if SPL_SCAN_X86
  static const bool kHas = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
           __builtin_cpu_supports("popcnt");
  }();
  return kHas && !g_force_scalar.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------------------------
// Portable scalar / SWAR kernels.

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
constexpr uint64_t kHigh = 0x8080808080808080ull;

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// 0x80 in every byte of x that is zero, 0 elsewhere (exact, no false positives).
inline uint64_t ZeroBytes(uint64_t x) { return ~(((x & kLow7) + kLow7) | x | kLow7); }

size_t CountByteScalar(const uint8_t* p, size_t n, uint8_t b) {
  const uint64_t pat = kOnes * b;
  size_t total = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    total += (((ZeroBytes(Load64(p + i) ^ pat) >> 7) * kOnes) >> 56);
  }
  for (; i < n; ++i) total += (p[i] == b);
  return total;
}

size_t FindByteScalar(const uint8_t* p, size_t n, uint8_t b, size_t i) {
  const uint64_t pat = kOnes * b;
  for (; i + 8 <= n; i += 8) {
    if (ZeroBytes(Load64(p + i) ^ pat) != 0) break;
  }
  for (; i < n; ++i) {
    if (p[i] == b) return i;
  }
  return kNotFound;
}

// Positions [i, n - m] checked one by one; needle length m >= 2.
size_t FindScalarFrom(const uint8_t* p, size_t n, const uint8_t* nd, size_t m, size_t i) {
  const uint8_t first = nd[0];
  while (i + m <= n) {
    size_t j = FindByteScalar(p, n - m + 1, first, i);
    if (j == kNotFound) return kNotFound;
    if (std::memcmp(p + j + 1, nd + 1, m - 1) == 0) return j;
    i = j + 1;
  }
  return kNotFound;
}

size_t CountScalarFrom(const uint8_t* p, size_t n, const uint8_t* nd, size_t m, size_t i) {
  size_t count = 0;
  for (;;) {
    size_t j = FindScalarFrom(p, n, nd, m, i);
    if (j == kNotFound) return count;
    ++count;
    i = j + m;
  }
}

size_t SkipAsciiScalar(const uint8_t* p, size_t n, size_t i) {
  for (; i + 8 <= n; i += 8) {
    if (Load64(p + i) & kHigh) break;
  }
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

// ---------------------------------------------------------------------------------------------
// AVX2 kernels.

#if SPL_SCAN_X86

SPL_AVX2 inline __m256i LoadV(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

SPL_AVX2 inline uint64_t HSum64(__m256i v) {
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(s)) +
         static_cast<uint64_t>(_mm_extract_epi64(s, 1));
}

SPL_AVX2 size_t CountByteAvx2(const uint8_t* p, size_t n, uint8_t b) {
  const __m256i vb = _mm256_set1_epi8(static_cast<char>(b));
  const __m256i zero = _mm256_setzero_si256();
  size_t total = 0, i = 0;
  // Four byte-lane accumulators, each bumped at most once per 128-byte step; widened with
  // SAD before any lane can pass 255.
  while (n - i >= 128) {
    size_t steps = (n - i) / 128;
    if (steps > 255) steps = 255;
    __m256i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    for (size_t k = 0; k < steps; ++k, i += 128) {
      a0 = _mm256_sub_epi8(a0, _mm256_cmpeq_epi8(LoadV(p + i), vb));
      a1 = _mm256_sub_epi8(a1, _mm256_cmpeq_epi8(LoadV(p + i + 32), vb));
      a2 = _mm256_sub_epi8(a2, _mm256_cmpeq_epi8(LoadV(p + i + 64), vb));
      a3 = _mm256_sub_epi8(a3, _mm256_cmpeq_epi8(LoadV(p + i + 96), vb));
    }
    __m256i s = _mm256_add_epi64(_mm256_sad_epu8(a0, zero), _mm256_sad_epu8(a1, zero));
    s = _mm256_add_epi64(s, _mm256_sad_epu8(a2, zero));
    s = _mm256_add_epi64(s, _mm256_sad_epu8(a3, zero));
    total += HSum64(s);
  }
  for (; n - i >= 32; i += 32) {
    total += static_cast<size_t>(__builtin_popcount(
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(LoadV(p + i), vb)))));
  }
  for (; i < n; ++i) total += (p[i] == b);
  return total;
}

SPL_AVX2 size_t FindByteAvx2(const uint8_t* p, size_t n, uint8_t b, size_t i) {
  const __m256i vb = _mm256_set1_epi8(static_cast<char>(b));
  for (; i + 64 <= n; i += 64) {
    __m256i e0 = _mm256_cmpeq_epi8(LoadV(p + i), vb);
    __m256i e1 = _mm256_cmpeq_epi8(LoadV(p + i + 32), vb);
    if (!_mm256_testz_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e0, e1))) {
      uint64_t mask =
          static_cast<uint32_t>(_mm256_movemask_epi8(e0)) |
          (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(e1))) << 32);
      return i + static_cast<size_t>(__builtin_ctzll(mask));
    }
  }
  for (; i + 32 <= n; i += 32) {
    uint32_t mask =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(LoadV(p + i), vb)));
    if (mask) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  for (; i < n; ++i) {
    if (p[i] == b) return i;
  }
  return kNotFound;
}

SPL_AVX2 size_t FindAnyByteAvx2(const uint8_t* p, size_t n, const uint8_t* set, size_t k,
                                size_t i) {
  const __m256i v0 = _mm256_set1_epi8(static_cast<char>(set[0]));
  const __m256i v1 = _mm256_set1_epi8(static_cast<char>(set[k > 1 ? 1 : 0]));
  const __m256i v2 = _mm256_set1_epi8(static_cast<char>(set[k > 2 ? 2 : 0]));
  const __m256i v3 = _mm256_set1_epi8(static_cast<char>(set[k > 3 ? 3 : 0]));
  for (; i + 32 <= n; i += 32) {
    __m256i x = LoadV(p + i);
    __m256i e =
        _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, v0), _mm256_cmpeq_epi8(x, v1)),
                        _mm256_or_si256(_mm256_cmpeq_epi8(x, v2), _mm256_cmpeq_epi8(x, v3)));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(e));
    if (mask) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  for (; i < n; ++i) {
    for (size_t j = 0; j < k; ++j) {
      if (p[i] == set[j]) return i;
    }
  }
  return kNotFound;
}

// Candidate mask for needle starts at [i, i + 32): first and last needle bytes both match.
// Reads p[i, i + 32) and p[i + m - 1, i + m + 31); the caller guarantees i + m + 31 <= n.
SPL_AVX2 inline uint32_t Candidates(const uint8_t* p, size_t i, size_t m, __m256i vf, __m256i vl) {
  __m256i a = _mm256_cmpeq_epi8(LoadV(p + i), vf);
  __m256i z = _mm256_cmpeq_epi8(LoadV(p + i + m - 1), vl);
  return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_and_si256(a, z)));
}

// Needle length m >= 2. Middle bytes are compared with memcmp (reads only the range given).
SPL_AVX2 size_t FindAvx2(const uint8_t* p, size_t n, const uint8_t* nd, size_t m, size_t i) {
  const __m256i vf = _mm256_set1_epi8(static_cast<char>(nd[0]));
  const __m256i vl = _mm256_set1_epi8(static_cast<char>(nd[m - 1]));
  for (; i + m + 31 <= n; i += 32) {
    uint32_t mask = Candidates(p, i, m, vf, vl);
    while (mask) {
      size_t j = i + static_cast<size_t>(__builtin_ctz(mask));
      if (m == 2 || std::memcmp(p + j + 1, nd + 1, m - 2) == 0) return j;
      mask &= mask - 1;
    }
  }
  return FindScalarFrom(p, n, nd, m, i);
}

SPL_AVX2 size_t CountAvx2(const uint8_t* p, size_t n, const uint8_t* nd, size_t m) {
  const __m256i vf = _mm256_set1_epi8(static_cast<char>(nd[0]));
  const __m256i vl = _mm256_set1_epi8(static_cast<char>(nd[m - 1]));
  size_t count = 0, i = 0;
  size_t next = 0;  // earliest position a new (non-overlapping) match may start
  while (i + m + 31 <= n) {
    uint32_t mask = Candidates(p, i, m, vf, vl);
    if (next > i) mask = (next - i >= 32) ? 0 : (mask & (~0u << (next - i)));
    while (mask) {
      size_t j = i + static_cast<size_t>(__builtin_ctz(mask));
      if (m == 2 || std::memcmp(p + j + 1, nd + 1, m - 2) == 0) {
        ++count;
        next = j + m;
        mask = (next - i >= 32) ? 0 : (mask & (~0u << (next - i)));
      } else {
        mask &= mask - 1;
      }
    }
    i += 32;
    if (next > i) i = next;
  }
  if (next > i) i = next;
  return count + CountScalarFrom(p, n, nd, m, i);
}

SPL_AVX2 size_t SkipAsciiAvx2(const uint8_t* p, size_t n, size_t i) {
  for (; i + 64 <= n; i += 64) {
    __m256i v = _mm256_or_si256(LoadV(p + i), LoadV(p + i + 32));
    if (_mm256_movemask_epi8(v) != 0) break;
  }
  for (; i + 32 <= n; i += 32) {
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(LoadV(p + i)));
    if (mask) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

#endif  // SPL_SCAN_X86

// ---------------------------------------------------------------------------------------------
// Strict UTF-8 (RFC 3629).

// Length of the valid sequence at s[0, avail), or 0 if it is invalid or truncated.
inline size_t StrictSeqLen(const uint8_t* s, size_t avail) {
  const uint8_t b0 = s[0];
  auto cont = [](uint8_t b) { return (b & 0xC0) == 0x80; };
  if (b0 < 0x80) return 1;
  if (b0 < 0xC2) return 0;  // stray continuation or overlong 2-byte lead
  if (b0 < 0xE0) return (avail >= 2 && cont(s[1])) ? 2 : 0;
  if (b0 < 0xF0) {
    if (avail < 3) return 0;
    const uint8_t b1 = s[1];
    const uint8_t lo = (b0 == 0xE0) ? 0xA0 : 0x80;  // E0: no overlongs
    const uint8_t hi = (b0 == 0xED) ? 0x9F : 0xBF;  // ED: no surrogates
    return (b1 >= lo && b1 <= hi && cont(s[2])) ? 3 : 0;
  }
  if (b0 < 0xF5) {
    if (avail < 4) return 0;
    const uint8_t b1 = s[1];
    const uint8_t lo = (b0 == 0xF0) ? 0x90 : 0x80;  // F0: no overlongs
    const uint8_t hi = (b0 == 0xF4) ? 0x8F : 0xBF;  // F4: max U+10FFFF
    return (b1 >= lo && b1 <= hi && cont(s[2]) && cont(s[3])) ? 4 : 0;
  }
  return 0;
}

using SkipFn = size_t (*)(const uint8_t*, size_t, size_t);

// Scalar validation from i, which must be a character boundary of a valid prefix.
size_t ValidateFrom(const uint8_t* p, size_t n, size_t i, SkipFn skip) {
  while (i < n) {
    i = skip(p, n, i);
    // Decode a run of non-ASCII characters (plus short ASCII gaps) before going wide again.
    size_t gap = 0;
    while (i < n && gap < 16) {
      if (p[i] < 0x80) {
        ++i;
        ++gap;
        continue;
      }
      size_t len = StrictSeqLen(p + i, n - i);
      if (len == 0) return i;
      i += len;
      gap = 0;
    }
  }
  return kValid;
}

#if SPL_SCAN_X86
// Vectorised strict UTF-8 check, 32 bytes per step, following the published "lookup" method of
// Keiser and Lemire (Validating UTF-8 in less than one instruction per byte, 2021): three
// nibble-indexed table lookups classify every (previous byte, byte) pair, and a separate test
// requires continuation bytes in the 3rd/4th position of 3/4-byte sequences. It only answers
// "is there an error in this block"; the exact offset comes from the scalar validator, restarted
// at a character boundary just before the block.
enum : uint8_t {
  kTooShort = 1 << 0,      // lead byte not followed by a continuation
  kTooLong = 1 << 1,       // ASCII followed by a continuation
  kOverlong3 = 1 << 2,     // E0 80..9F
  kTooLarge = 1 << 3,      // F4 90..BF, F5..FF + continuation
  kSurrogate = 1 << 4,     // ED A0..BF
  kOverlong2 = 1 << 5,     // C0/C1 + continuation
  kTooLarge1000 = 1 << 6,  // F5..FF 80..8F
  kOverlong4 = 1 << 6,     // F0 80..8F (same bit: told apart by the lead's low nibble)
  kTwoConts = 1 << 7,      // continuation after continuation (fine in 3rd/4th position)
  kCarry = kTooShort | kTooLong | kTwoConts,
};

SPL_AVX2 inline __m256i Table16(uint8_t t0, uint8_t t1, uint8_t t2, uint8_t t3, uint8_t t4,
                                uint8_t t5, uint8_t t6, uint8_t t7, uint8_t t8, uint8_t t9,
                                uint8_t t10, uint8_t t11, uint8_t t12, uint8_t t13, uint8_t t14,
                                uint8_t t15) {
  return _mm256_setr_epi8(
      static_cast<char>(t0), static_cast<char>(t1), static_cast<char>(t2), static_cast<char>(t3),
      static_cast<char>(t4), static_cast<char>(t5), static_cast<char>(t6), static_cast<char>(t7),
      static_cast<char>(t8), static_cast<char>(t9), static_cast<char>(t10), static_cast<char>(t11),
      static_cast<char>(t12), static_cast<char>(t13), static_cast<char>(t14),
      static_cast<char>(t15), static_cast<char>(t0), static_cast<char>(t1), static_cast<char>(t2),
      static_cast<char>(t3), static_cast<char>(t4), static_cast<char>(t5), static_cast<char>(t6),
      static_cast<char>(t7), static_cast<char>(t8), static_cast<char>(t9), static_cast<char>(t10),
      static_cast<char>(t11), static_cast<char>(t12), static_cast<char>(t13),
      static_cast<char>(t14), static_cast<char>(t15));
}

// Bytes of (prev ++ cur) shifted so lane k holds the byte N positions before cur[k].
template <int N>
SPL_AVX2 inline __m256i Prev(__m256i cur, __m256i prev) {
  return _mm256_alignr_epi8(cur, _mm256_permute2x128_si256(prev, cur, 0x21), 16 - N);
}

SPL_AVX2 size_t ValidateUtf8Avx2(const uint8_t* p, size_t n) {
  const __m256i b1_high = Table16(kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong,
                                  kTooLong, kTooLong,                                   // 0xxx
                                  kTwoConts, kTwoConts, kTwoConts, kTwoConts,           // 10xx
                                  kTooShort | kOverlong2,                               // 1100
                                  kTooShort,                                            // 1101
                                  kTooShort | kOverlong3 | kSurrogate,                  // 1110
                                  kTooShort | kTooLarge | kTooLarge1000 | kOverlong4);  // 1111
  constexpr uint8_t kBig = kCarry | kTooLarge | kTooLarge1000;
  const __m256i b1_low = Table16(kCarry | kOverlong3 | kOverlong2 | kOverlong4,   // xxxx0000
                                 kCarry | kOverlong2,                             // xxxx0001
                                 kCarry, kCarry,                                  // xxxx001x
                                 kCarry | kTooLarge,                              // xxxx0100
                                 kBig, kBig, kBig, kBig, kBig, kBig, kBig, kBig,  // 0101..1100
                                 kBig | kSurrogate,                               // xxxx1101
                                 kBig, kBig);                                     // 111x
  constexpr uint8_t kContBits = kTooLong | kOverlong2 | kTwoConts;
  const __m256i b2_high =
      Table16(kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
              kTooShort,                                                               // 0xxx
              kContBits | kOverlong3 | kTooLarge1000 | kOverlong4,                     // 1000
              kContBits | kOverlong3 | kTooLarge,                                      // 1001
              kContBits | kSurrogate | kTooLarge, kContBits | kSurrogate | kTooLarge,  // 101x
              kTooShort, kTooShort, kTooShort, kTooShort);                             // 11xx
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  // Last bytes of a block that start a sequence the block does not finish.
  const __m256i incomplete_max =
      _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                       -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, static_cast<char>(0xF0 - 1),
                       static_cast<char>(0xE0 - 1), static_cast<char>(0xC0 - 1));
  __m256i prev = _mm256_setzero_si256();
  __m256i prev_incomplete = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i in = LoadV(p + i);
    __m256i err;
    if (_mm256_movemask_epi8(in) == 0) {
      err = prev_incomplete;  // ASCII cannot finish a sequence left open by the last block
      prev_incomplete = _mm256_setzero_si256();
    } else {
      const __m256i prev1 = Prev<1>(in, prev);
      const __m256i e1h =
          _mm256_shuffle_epi8(b1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low4));
      const __m256i e1l = _mm256_shuffle_epi8(b1_low, _mm256_and_si256(prev1, low4));
      const __m256i e2h =
          _mm256_shuffle_epi8(b2_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), low4));
      const __m256i pairs = _mm256_and_si256(_mm256_and_si256(e1h, e1l), e2h);
      const __m256i prev2 = Prev<2>(in, prev);
      const __m256i prev3 = Prev<3>(in, prev);
      const __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8(0xE0 - 0x80));
      const __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8(0xF0 - 0x80));
      const __m256i must23 =
          _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(-128));
      err = _mm256_xor_si256(must23, pairs);
      prev_incomplete = _mm256_subs_epu8(in, incomplete_max);
    }
    prev = in;
    if (!_mm256_testz_si256(err, err)) break;
  }
  // Resume scalar at a character boundary at most 3 bytes back: the first byte there that is
  // not a continuation byte (all complete characters before it were checked above).
  size_t j = i;
  for (size_t k = (i >= 3 ? i - 3 : 0); k < i; ++k) {
    if ((p[k] & 0xC0) != 0x80) {
      j = k;
      break;
    }
  }
  return ValidateFrom(p, n, j, SkipAsciiAvx2);
}
#endif

// ---------------------------------------------------------------------------------------------
// wc character classes.

enum : uint8_t { kNonPrint = 0, kPrint = 1, kSpace = 2 };

// clang-format off
constexpr uint8_t kAsciiClass[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 0, 0,  // 09..0D are spaces
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  // ' ' space, 21..7E printable
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

struct Range {
  uint32_t lo, hi;
};
// Code points >= U+0080 for which iswprint() is true in glibc 2.36's C.UTF-8 locale (the table
// was generated on the build machine by calling iswprint for every code point).
constexpr Range kPrintable[] = {
    {0xA0, 0x377}, {0x37A, 0x37F}, {0x384, 0x38A}, {0x38C, 0x38C},
    {0x38E, 0x3A1}, {0x3A3, 0x52F}, {0x531, 0x556}, {0x559, 0x58A},
    {0x58D, 0x58F}, {0x591, 0x5C7}, {0x5D0, 0x5EA}, {0x5EF, 0x5F4},
    {0x600, 0x70D}, {0x70F, 0x74A}, {0x74D, 0x7B1}, {0x7C0, 0x7FA},
    {0x7FD, 0x82D}, {0x830, 0x83E}, {0x840, 0x85B}, {0x85E, 0x85E},
    {0x860, 0x86A}, {0x870, 0x88E}, {0x890, 0x891}, {0x898, 0x983},
    {0x985, 0x98C}, {0x98F, 0x990}, {0x993, 0x9A8}, {0x9AA, 0x9B0},
    {0x9B2, 0x9B2}, {0x9B6, 0x9B9}, {0x9BC, 0x9C4}, {0x9C7, 0x9C8},
    {0x9CB, 0x9CE}, {0x9D7, 0x9D7}, {0x9DC, 0x9DD}, {0x9DF, 0x9E3},
    {0x9E6, 0x9FE}, {0xA01, 0xA03}, {0xA05, 0xA0A}, {0xA0F, 0xA10},
    {0xA13, 0xA28}, {0xA2A, 0xA30}, {0xA32, 0xA33}, {0xA35, 0xA36},
    {0xA38, 0xA39}, {0xA3C, 0xA3C}, {0xA3E, 0xA42}, {0xA47, 0xA48},
    {0xA4B, 0xA4D}, {0xA51, 0xA51}, {0xA59, 0xA5C}, {0xA5E, 0xA5E},
    {0xA66, 0xA76}, {0xA81, 0xA83}, {0xA85, 0xA8D}, {0xA8F, 0xA91},
    {0xA93, 0xAA8}, {0xAAA, 0xAB0}, {0xAB2, 0xAB3}, {0xAB5, 0xAB9},
    {0xABC, 0xAC5}, {0xAC7, 0xAC9}, {0xACB, 0xACD}, {0xAD0, 0xAD0},
    {0xAE0, 0xAE3}, {0xAE6, 0xAF1}, {0xAF9, 0xAFF}, {0xB01, 0xB03},
    {0xB05, 0xB0C}, {0xB0F, 0xB10}, {0xB13, 0xB28}, {0xB2A, 0xB30},
    {0xB32, 0xB33}, {0xB35, 0xB39}, {0xB3C, 0xB44}, {0xB47, 0xB48},
    {0xB4B, 0xB4D}, {0xB55, 0xB57}, {0xB5C, 0xB5D}, {0xB5F, 0xB63},
    {0xB66, 0xB77}, {0xB82, 0xB83}, {0xB85, 0xB8A}, {0xB8E, 0xB90},
    {0xB92, 0xB95}, {0xB99, 0xB9A}, {0xB9C, 0xB9C}, {0xB9E, 0xB9F},
    {0xBA3, 0xBA4}, {0xBA8, 0xBAA}, {0xBAE, 0xBB9}, {0xBBE, 0xBC2},
    {0xBC6, 0xBC8}, {0xBCA, 0xBCD}, {0xBD0, 0xBD0}, {0xBD7, 0xBD7},
    {0xBE6, 0xBFA}, {0xC00, 0xC0C}, {0xC0E, 0xC10}, {0xC12, 0xC28},
    {0xC2A, 0xC39}, {0xC3C, 0xC44}, {0xC46, 0xC48}, {0xC4A, 0xC4D},
    {0xC55, 0xC56}, {0xC58, 0xC5A}, {0xC5D, 0xC5D}, {0xC60, 0xC63},
    {0xC66, 0xC6F}, {0xC77, 0xC8C}, {0xC8E, 0xC90}, {0xC92, 0xCA8},
    {0xCAA, 0xCB3}, {0xCB5, 0xCB9}, {0xCBC, 0xCC4}, {0xCC6, 0xCC8},
    {0xCCA, 0xCCD}, {0xCD5, 0xCD6}, {0xCDD, 0xCDE}, {0xCE0, 0xCE3},
    {0xCE6, 0xCEF}, {0xCF1, 0xCF2}, {0xD00, 0xD0C}, {0xD0E, 0xD10},
    {0xD12, 0xD44}, {0xD46, 0xD48}, {0xD4A, 0xD4F}, {0xD54, 0xD63},
    {0xD66, 0xD7F}, {0xD81, 0xD83}, {0xD85, 0xD96}, {0xD9A, 0xDB1},
    {0xDB3, 0xDBB}, {0xDBD, 0xDBD}, {0xDC0, 0xDC6}, {0xDCA, 0xDCA},
    {0xDCF, 0xDD4}, {0xDD6, 0xDD6}, {0xDD8, 0xDDF}, {0xDE6, 0xDEF},
    {0xDF2, 0xDF4}, {0xE01, 0xE3A}, {0xE3F, 0xE5B}, {0xE81, 0xE82},
    {0xE84, 0xE84}, {0xE86, 0xE8A}, {0xE8C, 0xEA3}, {0xEA5, 0xEA5},
    {0xEA7, 0xEBD}, {0xEC0, 0xEC4}, {0xEC6, 0xEC6}, {0xEC8, 0xECD},
    {0xED0, 0xED9}, {0xEDC, 0xEDF}, {0xF00, 0xF47}, {0xF49, 0xF6C},
    {0xF71, 0xF97}, {0xF99, 0xFBC}, {0xFBE, 0xFCC}, {0xFCE, 0xFDA},
    {0x1000, 0x10C5}, {0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x1248},
    {0x124A, 0x124D}, {0x1250, 0x1256}, {0x1258, 0x1258}, {0x125A, 0x125D},
    {0x1260, 0x1288}, {0x128A, 0x128D}, {0x1290, 0x12B0}, {0x12B2, 0x12B5},
    {0x12B8, 0x12BE}, {0x12C0, 0x12C0}, {0x12C2, 0x12C5}, {0x12C8, 0x12D6},
    {0x12D8, 0x1310}, {0x1312, 0x1315}, {0x1318, 0x135A}, {0x135D, 0x137C},
    {0x1380, 0x1399}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1400, 0x167F},
    {0x1681, 0x169C}, {0x16A0, 0x16F8}, {0x1700, 0x1715}, {0x171F, 0x1736},
    {0x1740, 0x1753}, {0x1760, 0x176C}, {0x176E, 0x1770}, {0x1772, 0x1773},
    {0x1780, 0x17DD}, {0x17E0, 0x17E9}, {0x17F0, 0x17F9}, {0x1800, 0x1819},
    {0x1820, 0x1878}, {0x1880, 0x18AA}, {0x18B0, 0x18F5}, {0x1900, 0x191E},
    {0x1920, 0x192B}, {0x1930, 0x193B}, {0x1940, 0x1940}, {0x1944, 0x196D},
    {0x1970, 0x1974}, {0x1980, 0x19AB}, {0x19B0, 0x19C9}, {0x19D0, 0x19DA},
    {0x19DE, 0x1A1B}, {0x1A1E, 0x1A5E}, {0x1A60, 0x1A7C}, {0x1A7F, 0x1A89},
    {0x1A90, 0x1A99}, {0x1AA0, 0x1AAD}, {0x1AB0, 0x1ACE}, {0x1B00, 0x1B4C},
    {0x1B50, 0x1B7E}, {0x1B80, 0x1BF3}, {0x1BFC, 0x1C37}, {0x1C3B, 0x1C49},
    {0x1C4D, 0x1C88}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CC7}, {0x1CD0, 0x1CFA},
    {0x1D00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D},
    {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D},
    {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FC4}, {0x1FC6, 0x1FD3},
    {0x1FD6, 0x1FDB}, {0x1FDD, 0x1FEF}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFE},
    {0x2007, 0x2007}, {0x200B, 0x2027}, {0x202A, 0x205E}, {0x2060, 0x2064},
    {0x2066, 0x2071}, {0x2074, 0x208E}, {0x2090, 0x209C}, {0x20A0, 0x20C0},
    {0x20D0, 0x20F0}, {0x2100, 0x218B}, {0x2190, 0x2426}, {0x2440, 0x244A},
    {0x2460, 0x2B73}, {0x2B76, 0x2B95}, {0x2B97, 0x2CF3}, {0x2CF9, 0x2D25},
    {0x2D27, 0x2D27}, {0x2D2D, 0x2D2D}, {0x2D30, 0x2D67}, {0x2D6F, 0x2D70},
    {0x2D7F, 0x2D96}, {0x2DA0, 0x2DA6}, {0x2DA8, 0x2DAE}, {0x2DB0, 0x2DB6},
    {0x2DB8, 0x2DBE}, {0x2DC0, 0x2DC6}, {0x2DC8, 0x2DCE}, {0x2DD0, 0x2DD6},
    {0x2DD8, 0x2DDE}, {0x2DE0, 0x2E5D}, {0x2E80, 0x2E99}, {0x2E9B, 0x2EF3},
    {0x2F00, 0x2FD5}, {0x2FF0, 0x2FFB}, {0x3001, 0x303F}, {0x3041, 0x3096},
    {0x3099, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E}, {0x3190, 0x31E3},
    {0x31F0, 0x321E}, {0x3220, 0xA48C}, {0xA490, 0xA4C6}, {0xA4D0, 0xA62B},
    {0xA640, 0xA6F7}, {0xA700, 0xA7CA}, {0xA7D0, 0xA7D1}, {0xA7D3, 0xA7D3},
    {0xA7D5, 0xA7D9}, {0xA7F2, 0xA82C}, {0xA830, 0xA839}, {0xA840, 0xA877},
    {0xA880, 0xA8C5}, {0xA8CE, 0xA8D9}, {0xA8E0, 0xA953}, {0xA95F, 0xA97C},
    {0xA980, 0xA9CD}, {0xA9CF, 0xA9D9}, {0xA9DE, 0xA9FE}, {0xAA00, 0xAA36},
    {0xAA40, 0xAA4D}, {0xAA50, 0xAA59}, {0xAA5C, 0xAAC2}, {0xAADB, 0xAAF6},
    {0xAB01, 0xAB06}, {0xAB09, 0xAB0E}, {0xAB11, 0xAB16}, {0xAB20, 0xAB26},
    {0xAB28, 0xAB2E}, {0xAB30, 0xAB6B}, {0xAB70, 0xABED}, {0xABF0, 0xABF9},
    {0xAC00, 0xD7A3}, {0xD7B0, 0xD7C6}, {0xD7CB, 0xD7FB}, {0xE000, 0xFA6D},
    {0xFA70, 0xFAD9}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFB1D, 0xFB36},
    {0xFB38, 0xFB3C}, {0xFB3E, 0xFB3E}, {0xFB40, 0xFB41}, {0xFB43, 0xFB44},
    {0xFB46, 0xFBC2}, {0xFBD3, 0xFD8F}, {0xFD92, 0xFDC7}, {0xFDCF, 0xFDCF},
    {0xFDF0, 0xFE19}, {0xFE20, 0xFE52}, {0xFE54, 0xFE66}, {0xFE68, 0xFE6B},
    {0xFE70, 0xFE74}, {0xFE76, 0xFEFC}, {0xFEFF, 0xFEFF}, {0xFF01, 0xFFBE},
    {0xFFC2, 0xFFC7}, {0xFFCA, 0xFFCF}, {0xFFD2, 0xFFD7}, {0xFFDA, 0xFFDC},
    {0xFFE0, 0xFFE6}, {0xFFE8, 0xFFEE}, {0xFFF9, 0xFFFD}, {0x10000, 0x1000B},
    {0x1000D, 0x10026}, {0x10028, 0x1003A}, {0x1003C, 0x1003D}, {0x1003F, 0x1004D},
    {0x10050, 0x1005D}, {0x10080, 0x100FA}, {0x10100, 0x10102}, {0x10107, 0x10133},
    {0x10137, 0x1018E}, {0x10190, 0x1019C}, {0x101A0, 0x101A0}, {0x101D0, 0x101FD},
    {0x10280, 0x1029C}, {0x102A0, 0x102D0}, {0x102E0, 0x102FB}, {0x10300, 0x10323},
    {0x1032D, 0x1034A}, {0x10350, 0x1037A}, {0x10380, 0x1039D}, {0x1039F, 0x103C3},
    {0x103C8, 0x103D5}, {0x10400, 0x1049D}, {0x104A0, 0x104A9}, {0x104B0, 0x104D3},
    {0x104D8, 0x104FB}, {0x10500, 0x10527}, {0x10530, 0x10563}, {0x1056F, 0x1057A},
    {0x1057C, 0x1058A}, {0x1058C, 0x10592}, {0x10594, 0x10595}, {0x10597, 0x105A1},
    {0x105A3, 0x105B1}, {0x105B3, 0x105B9}, {0x105BB, 0x105BC}, {0x10600, 0x10736},
    {0x10740, 0x10755}, {0x10760, 0x10767}, {0x10780, 0x10785}, {0x10787, 0x107B0},
    {0x107B2, 0x107BA}, {0x10800, 0x10805}, {0x10808, 0x10808}, {0x1080A, 0x10835},
    {0x10837, 0x10838}, {0x1083C, 0x1083C}, {0x1083F, 0x10855}, {0x10857, 0x1089E},
    {0x108A7, 0x108AF}, {0x108E0, 0x108F2}, {0x108F4, 0x108F5}, {0x108FB, 0x1091B},
    {0x1091F, 0x10939}, {0x1093F, 0x1093F}, {0x10980, 0x109B7}, {0x109BC, 0x109CF},
    {0x109D2, 0x10A03}, {0x10A05, 0x10A06}, {0x10A0C, 0x10A13}, {0x10A15, 0x10A17},
    {0x10A19, 0x10A35}, {0x10A38, 0x10A3A}, {0x10A3F, 0x10A48}, {0x10A50, 0x10A58},
    {0x10A60, 0x10A9F}, {0x10AC0, 0x10AE6}, {0x10AEB, 0x10AF6}, {0x10B00, 0x10B35},
    {0x10B39, 0x10B55}, {0x10B58, 0x10B72}, {0x10B78, 0x10B91}, {0x10B99, 0x10B9C},
    {0x10BA9, 0x10BAF}, {0x10C00, 0x10C48}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2},
    {0x10CFA, 0x10D27}, {0x10D30, 0x10D39}, {0x10E60, 0x10E7E}, {0x10E80, 0x10EA9},
    {0x10EAB, 0x10EAD}, {0x10EB0, 0x10EB1}, {0x10F00, 0x10F27}, {0x10F30, 0x10F59},
    {0x10F70, 0x10F89}, {0x10FB0, 0x10FCB}, {0x10FE0, 0x10FF6}, {0x11000, 0x1104D},
    {0x11052, 0x11075}, {0x1107F, 0x110C2}, {0x110CD, 0x110CD}, {0x110D0, 0x110E8},
    {0x110F0, 0x110F9}, {0x11100, 0x11134}, {0x11136, 0x11147}, {0x11150, 0x11176},
    {0x11180, 0x111DF}, {0x111E1, 0x111F4}, {0x11200, 0x11211}, {0x11213, 0x1123E},
    {0x11280, 0x11286}, {0x11288, 0x11288}, {0x1128A, 0x1128D}, {0x1128F, 0x1129D},
    {0x1129F, 0x112A9}, {0x112B0, 0x112EA}, {0x112F0, 0x112F9}, {0x11300, 0x11303},
    {0x11305, 0x1130C}, {0x1130F, 0x11310}, {0x11313, 0x11328}, {0x1132A, 0x11330},
    {0x11332, 0x11333}, {0x11335, 0x11339}, {0x1133B, 0x11344}, {0x11347, 0x11348},
    {0x1134B, 0x1134D}, {0x11350, 0x11350}, {0x11357, 0x11357}, {0x1135D, 0x11363},
    {0x11366, 0x1136C}, {0x11370, 0x11374}, {0x11400, 0x1145B}, {0x1145D, 0x11461},
    {0x11480, 0x114C7}, {0x114D0, 0x114D9}, {0x11580, 0x115B5}, {0x115B8, 0x115DD},
    {0x11600, 0x11644}, {0x11650, 0x11659}, {0x11660, 0x1166C}, {0x11680, 0x116B9},
    {0x116C0, 0x116C9}, {0x11700, 0x1171A}, {0x1171D, 0x1172B}, {0x11730, 0x11746},
    {0x11800, 0x1183B}, {0x118A0, 0x118F2}, {0x118FF, 0x11906}, {0x11909, 0x11909},
    {0x1190C, 0x11913}, {0x11915, 0x11916}, {0x11918, 0x11935}, {0x11937, 0x11938},
    {0x1193B, 0x11946}, {0x11950, 0x11959}, {0x119A0, 0x119A7}, {0x119AA, 0x119D7},
    {0x119DA, 0x119E4}, {0x11A00, 0x11A47}, {0x11A50, 0x11AA2}, {0x11AB0, 0x11AF8},
    {0x11C00, 0x11C08}, {0x11C0A, 0x11C36}, {0x11C38, 0x11C45}, {0x11C50, 0x11C6C},
    {0x11C70, 0x11C8F}, {0x11C92, 0x11CA7}, {0x11CA9, 0x11CB6}, {0x11D00, 0x11D06},
    {0x11D08, 0x11D09}, {0x11D0B, 0x11D36}, {0x11D3A, 0x11D3A}, {0x11D3C, 0x11D3D},
    {0x11D3F, 0x11D47}, {0x11D50, 0x11D59}, {0x11D60, 0x11D65}, {0x11D67, 0x11D68},
    {0x11D6A, 0x11D8E}, {0x11D90, 0x11D91}, {0x11D93, 0x11D98}, {0x11DA0, 0x11DA9},
    {0x11EE0, 0x11EF8}, {0x11FB0, 0x11FB0}, {0x11FC0, 0x11FF1}, {0x11FFF, 0x12399},
    {0x12400, 0x1246E}, {0x12470, 0x12474}, {0x12480, 0x12543}, {0x12F90, 0x12FF2},
    {0x13000, 0x1342E}, {0x13430, 0x13438}, {0x14400, 0x14646}, {0x16800, 0x16A38},
    {0x16A40, 0x16A5E}, {0x16A60, 0x16A69}, {0x16A6E, 0x16ABE}, {0x16AC0, 0x16AC9},
    {0x16AD0, 0x16AED}, {0x16AF0, 0x16AF5}, {0x16B00, 0x16B45}, {0x16B50, 0x16B59},
    {0x16B5B, 0x16B61}, {0x16B63, 0x16B77}, {0x16B7D, 0x16B8F}, {0x16E40, 0x16E9A},
    {0x16F00, 0x16F4A}, {0x16F4F, 0x16F87}, {0x16F8F, 0x16F9F}, {0x16FE0, 0x16FE4},
    {0x16FF0, 0x16FF1}, {0x17000, 0x187F7}, {0x18800, 0x18CD5}, {0x18D00, 0x18D08},
    {0x1AFF0, 0x1AFF3}, {0x1AFF5, 0x1AFFB}, {0x1AFFD, 0x1AFFE}, {0x1B000, 0x1B122},
    {0x1B150, 0x1B152}, {0x1B164, 0x1B167}, {0x1B170, 0x1B2FB}, {0x1BC00, 0x1BC6A},
    {0x1BC70, 0x1BC7C}, {0x1BC80, 0x1BC88}, {0x1BC90, 0x1BC99}, {0x1BC9C, 0x1BCA3},
    {0x1CF00, 0x1CF2D}, {0x1CF30, 0x1CF46}, {0x1CF50, 0x1CFC3}, {0x1D000, 0x1D0F5},
    {0x1D100, 0x1D126}, {0x1D129, 0x1D1EA}, {0x1D200, 0x1D245}, {0x1D2E0, 0x1D2F3},
    {0x1D300, 0x1D356}, {0x1D360, 0x1D378}, {0x1D400, 0x1D454}, {0x1D456, 0x1D49C},
    {0x1D49E, 0x1D49F}, {0x1D4A2, 0x1D4A2}, {0x1D4A5, 0x1D4A6}, {0x1D4A9, 0x1D4AC},
    {0x1D4AE, 0x1D4B9}, {0x1D4BB, 0x1D4BB}, {0x1D4BD, 0x1D4C3}, {0x1D4C5, 0x1D505},
    {0x1D507, 0x1D50A}, {0x1D50D, 0x1D514}, {0x1D516, 0x1D51C}, {0x1D51E, 0x1D539},
    {0x1D53B, 0x1D53E}, {0x1D540, 0x1D544}, {0x1D546, 0x1D546}, {0x1D54A, 0x1D550},
    {0x1D552, 0x1D6A5}, {0x1D6A8, 0x1D7CB}, {0x1D7CE, 0x1DA8B}, {0x1DA9B, 0x1DA9F},
    {0x1DAA1, 0x1DAAF}, {0x1DF00, 0x1DF1E}, {0x1E000, 0x1E006}, {0x1E008, 0x1E018},
    {0x1E01B, 0x1E021}, {0x1E023, 0x1E024}, {0x1E026, 0x1E02A}, {0x1E100, 0x1E12C},
    {0x1E130, 0x1E13D}, {0x1E140, 0x1E149}, {0x1E14E, 0x1E14F}, {0x1E290, 0x1E2AE},
    {0x1E2C0, 0x1E2F9}, {0x1E2FF, 0x1E2FF}, {0x1E7E0, 0x1E7E6}, {0x1E7E8, 0x1E7EB},
    {0x1E7ED, 0x1E7EE}, {0x1E7F0, 0x1E7FE}, {0x1E800, 0x1E8C4}, {0x1E8C7, 0x1E8D6},
    {0x1E900, 0x1E94B}, {0x1E950, 0x1E959}, {0x1E95E, 0x1E95F}, {0x1EC71, 0x1ECB4},
    {0x1ED01, 0x1ED3D}, {0x1EE00, 0x1EE03}, {0x1EE05, 0x1EE1F}, {0x1EE21, 0x1EE22},
    {0x1EE24, 0x1EE24}, {0x1EE27, 0x1EE27}, {0x1EE29, 0x1EE32}, {0x1EE34, 0x1EE37},
    {0x1EE39, 0x1EE39}, {0x1EE3B, 0x1EE3B}, {0x1EE42, 0x1EE42}, {0x1EE47, 0x1EE47},
    {0x1EE49, 0x1EE49}, {0x1EE4B, 0x1EE4B}, {0x1EE4D, 0x1EE4F}, {0x1EE51, 0x1EE52},
    {0x1EE54, 0x1EE54}, {0x1EE57, 0x1EE57}, {0x1EE59, 0x1EE59}, {0x1EE5B, 0x1EE5B},
    {0x1EE5D, 0x1EE5D}, {0x1EE5F, 0x1EE5F}, {0x1EE61, 0x1EE62}, {0x1EE64, 0x1EE64},
    {0x1EE67, 0x1EE6A}, {0x1EE6C, 0x1EE72}, {0x1EE74, 0x1EE77}, {0x1EE79, 0x1EE7C},
    {0x1EE7E, 0x1EE7E}, {0x1EE80, 0x1EE89}, {0x1EE8B, 0x1EE9B}, {0x1EEA1, 0x1EEA3},
    {0x1EEA5, 0x1EEA9}, {0x1EEAB, 0x1EEBB}, {0x1EEF0, 0x1EEF1}, {0x1F000, 0x1F02B},
    {0x1F030, 0x1F093}, {0x1F0A0, 0x1F0AE}, {0x1F0B1, 0x1F0BF}, {0x1F0C1, 0x1F0CF},
    {0x1F0D1, 0x1F0F5}, {0x1F100, 0x1F1AD}, {0x1F1E6, 0x1F202}, {0x1F210, 0x1F23B},
    {0x1F240, 0x1F248}, {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F6D7},
    {0x1F6DD, 0x1F6EC}, {0x1F6F0, 0x1F6FC}, {0x1F700, 0x1F773}, {0x1F780, 0x1F7D8},
    {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0}, {0x1F800, 0x1F80B}, {0x1F810, 0x1F847},
    {0x1F850, 0x1F859}, {0x1F860, 0x1F887}, {0x1F890, 0x1F8AD}, {0x1F8B0, 0x1F8B1},
    {0x1F900, 0x1FA53}, {0x1FA60, 0x1FA6D}, {0x1FA70, 0x1FA74}, {0x1FA78, 0x1FA7C},
    {0x1FA80, 0x1FA86}, {0x1FA90, 0x1FAAC}, {0x1FAB0, 0x1FABA}, {0x1FAC0, 0x1FAC5},
    {0x1FAD0, 0x1FAD9}, {0x1FAE0, 0x1FAE7}, {0x1FAF0, 0x1FAF6}, {0x1FB00, 0x1FB92},
    {0x1FB94, 0x1FBCA}, {0x1FBF0, 0x1FBF9}, {0x20000, 0x2A6DF}, {0x2A700, 0x2B738},
    {0x2B740, 0x2B81D}, {0x2B820, 0x2CEA1}, {0x2CEB0, 0x2EBE0}, {0x2F800, 0x2FA1D},
    {0x30000, 0x3134A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
    {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},
};
// clang-format on

// iswspace() in glibc's UTF-8 locales above ASCII, plus the no-break spaces (U+00A0, U+2007,
// U+202F, U+2060) that GNU wc 9.1 also splits words on.
constexpr uint32_t kWideSpaces[] = {0x00A0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
                                    0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028,
                                    0x2029, 0x202F, 0x205F, 0x2060, 0x3000};

// Class of every code point below kTableEnd (planes 0-2: BMP, emoji, CJK extensions), 2 bits
// each (48 KiB), built at compile time from the tables above; rarer code points use the ranges.
constexpr uint32_t kTableEnd = 0x30000;
struct BmpClasses {
  uint8_t q[kTableEnd / 4];
};

constexpr BmpClasses BuildBmpClasses() {
  BmpClasses t{};
  auto set = [&t](uint32_t cp, uint8_t cls) {
    const unsigned shift = (cp & 3) * 2;
    t.q[cp >> 2] = static_cast<uint8_t>((t.q[cp >> 2] & ~(3u << shift)) | (cls << shift));
  };
  for (uint32_t cp = 0; cp < 0x80; ++cp) set(cp, kAsciiClass[cp]);
  for (const Range& r : kPrintable) {
    for (uint32_t cp = r.lo; cp <= r.hi && cp < kTableEnd; ++cp) set(cp, kPrint);
  }
  for (uint32_t cp : kWideSpaces) set(cp, kSpace);
  return t;
}

constexpr BmpClasses kBmp = BuildBmpClasses();

inline uint8_t ClassOf(uint32_t cp) {
  if (cp < kTableEnd) return (kBmp.q[cp >> 2] >> ((cp & 3) * 2)) & 3;
  size_t lo = 0, hi = sizeof(kPrintable) / sizeof(kPrintable[0]);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp > kPrintable[mid].hi) {
      lo = mid + 1;
    } else if (cp < kPrintable[mid].lo) {
      hi = mid;
    } else {
      return kPrint;
    }
  }
  return kNonPrint;
}

// glibc-compatible UTF-8 decode at s[0, avail): returns the length (1..6) of a valid character,
// 0 if s is a valid but incomplete prefix, -1 if the first byte must be skipped as invalid.
int DecodeGlibc(const uint8_t* s, size_t avail, uint32_t* cp) {
  const uint8_t b0 = s[0];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  int len;
  uint32_t v;
  uint32_t min;
  if (b0 < 0xC2) return -1;
  if (b0 < 0xE0) {
    len = 2, v = b0 & 0x1F, min = 0x80;
  } else if (b0 < 0xF0) {
    len = 3, v = b0 & 0x0F, min = 0x800;
  } else if (b0 < 0xF8) {
    len = 4, v = b0 & 0x07, min = 0x10000;
  } else if (b0 < 0xFC) {
    len = 5, v = b0 & 0x03, min = 0x200000;
  } else if (b0 < 0xFE) {
    len = 6, v = b0 & 0x01, min = 0x4000000;
  } else {
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    if (static_cast<size_t>(k) >= avail) return 0;
    if ((s[k] & 0xC0) != 0x80) return -1;
    v = (v << 6) | (s[k] & 0x3F);
  }
  if (v < min || (v >= 0xD800 && v <= 0xDFFF)) return -1;
  *cp = v;
  return len;
}

struct WcState {
  WcCounts* c;
  bool* in_word;
};

// Branch-free word/char update for one decoded character of class cls.
struct WcLocal {
  uint64_t lines, words, chars;
  bool in_word;
  inline void Char(uint8_t cls) {
    ++chars;
    const bool print = cls == kPrint;
    words += static_cast<uint64_t>(print && !in_word);
    in_word = print || (in_word && cls == kNonPrint);
  }
};

// Scalar wc over p[i, stop) (may run past stop to finish a character, never past n). Returns the
// new position; if a character is incomplete at n, returns n and sets *incomplete_at.
size_t WcScalar(const uint8_t* p, size_t n, size_t i, size_t stop, WcState st,
                size_t* incomplete_at) {
  WcLocal w{st.c->lines, st.c->words, st.c->chars, *st.in_word};
  while (i < stop) {
    const uint8_t b = p[i];
    if (b < 0x80) {
      w.lines += (b == '\n');
      w.Char(kAsciiClass[b]);
      ++i;
      continue;
    }
    // Fast paths for complete 2- and 3-byte characters; everything else goes to DecodeGlibc.
    if (b >= 0xC2 && b < 0xE0 && n - i >= 2 && (p[i + 1] & 0xC0) == 0x80) {
      w.Char(ClassOf((static_cast<uint32_t>(b & 0x1F) << 6) | (p[i + 1] & 0x3F)));
      i += 2;
      continue;
    }
    if ((b & 0xF0) == 0xE0 && n - i >= 3 && (p[i + 1] & 0xC0) == 0x80 &&
        (p[i + 2] & 0xC0) == 0x80) {
      const uint32_t v = (static_cast<uint32_t>(b & 0x0F) << 12) |
                         (static_cast<uint32_t>(p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
        w.Char(ClassOf(v));
        i += 3;
        continue;
      }
    }
    uint32_t cp;
    int r = DecodeGlibc(p + i, n - i, &cp);
    if (r < 0) {
      ++i;  // invalid byte: counted in bytes only, no effect on words
    } else if (r == 0) {
      *incomplete_at = i;
      i = n;
      break;
    } else {
      w.Char(ClassOf(cp));
      i += static_cast<size_t>(r);
    }
  }
  st.c->lines = w.lines;
  st.c->words = w.words;
  st.c->chars = w.chars;
  *st.in_word = w.in_word;
  return i;
}

#if SPL_SCAN_X86
// True if every code point whose UTF-8 lead byte is in [lead_lo, lead_hi] (2- or 3-byte forms)
// is a printable non-space character, so such characters can be counted without decoding.
constexpr bool AllPrintable(uint32_t lo, uint32_t hi) {
  for (uint32_t cp = lo; cp <= hi; ++cp) {
    if (((kBmp.q[cp >> 2] >> ((cp & 3) * 2)) & 3) != kPrint) return false;
  }
  return true;
}
static_assert(AllPrintable(0x00C0, 0x033F), "leads C3..CC");
static_assert(AllPrintable(0x0400, 0x04FF), "leads D0..D3 (Cyrillic)");
static_assert(AllPrintable(0x4000, 0x9FFF), "leads E4..E9 (CJK)");
static_assert(AllPrintable(0xB000, 0xCFFF), "leads EB..EC (Hangul)");

SPL_AVX2 inline uint64_t Mask64(__m256i lo, __m256i hi) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(lo)) |
         (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(hi))) << 32);
}

SPL_AVX2 inline __m256i InRange(__m256i v, uint8_t lo, uint8_t hi) {
  return _mm256_and_si256(
      _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8(static_cast<char>(lo))), v),
      _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(static_cast<char>(hi))), v));
}

// Whole 64-byte blocks (starting at a character boundary) made only of printable ASCII, ASCII
// spaces, and valid 2/3-byte characters with "easy" leads (C3..CC, D0..D3, E4..E9, EB..EC,
// all of whose code points are printable, see AllPrintable). Stops at the first block holding
// anything else (controls, DEL, other leads, invalid or block-crossing sequences) and returns
// its offset, which is a character boundary.
SPL_AVX2 size_t WcFastAvx2(const uint8_t* p, size_t n, size_t i, WcState st) {
  const __m256i nl = _mm256_set1_epi8('\n');
  const __m256i nine = _mm256_set1_epi8(9);
  const __m256i four = _mm256_set1_epi8(4);
  const __m256i sp = _mm256_set1_epi8(' ');
  const __m256i del = _mm256_set1_epi8(0x7F);
  const __m256i m64 = _mm256_set1_epi8(-64);
  uint64_t lines = 0, words = 0, chars = 0;
  uint64_t in_word = *st.in_word ? 1 : 0;
  for (; i + 64 <= n; i += 64) {
    const __m256i v0 = LoadV(p + i), v1 = LoadV(p + i + 32);
    // Printable ASCII: 0x21..0x7E as signed bytes (non-ASCII bytes are negative).
    const uint64_t pa =
        Mask64(_mm256_and_si256(_mm256_cmpgt_epi8(v0, sp), _mm256_cmpgt_epi8(del, v0)),
               _mm256_and_si256(_mm256_cmpgt_epi8(v1, sp), _mm256_cmpgt_epi8(del, v1)));
    // Space: ' ' or 9..13 (unsigned v - 9 <= 4).
    const __m256i t0 = _mm256_sub_epi8(v0, nine), t1 = _mm256_sub_epi8(v1, nine);
    const uint64_t sm = Mask64(_mm256_or_si256(_mm256_cmpeq_epi8(v0, sp),
                                               _mm256_cmpeq_epi8(_mm256_min_epu8(t0, four), t0)),
                               _mm256_or_si256(_mm256_cmpeq_epi8(v1, sp),
                                               _mm256_cmpeq_epi8(_mm256_min_epu8(t1, four), t1)));
    const uint64_t high = Mask64(v0, v1);
    uint64_t pm = pa;
    uint64_t nchars = 64;
    uint64_t keep = ~0ull;
    unsigned drop = 0;
    if (high != 0) {
      // Continuations 80..BF are below -64 as signed bytes.
      const uint64_t cm = Mask64(_mm256_cmpgt_epi8(m64, v0), _mm256_cmpgt_epi8(m64, v1));
      const uint64_t l2 = Mask64(_mm256_or_si256(InRange(v0, 0xC3, 0xCC), InRange(v0, 0xD0, 0xD3)),
                                 _mm256_or_si256(InRange(v1, 0xC3, 0xCC), InRange(v1, 0xD0, 0xD3)));
      const uint64_t l3 = Mask64(_mm256_or_si256(InRange(v0, 0xE4, 0xE9), InRange(v0, 0xEB, 0xEC)),
                                 _mm256_or_si256(InRange(v1, 0xE4, 0xE9), InRange(v1, 0xEB, 0xEC)));
      // A lead in the last 2 bytes whose character could be cut by the block end is left for
      // the next block: drop its 1 or 2 bytes.
      drop = ((l3 >> 62) & 1) != 0 ? 2 : (((l2 | l3) >> 63) != 0 ? 1 : 0);
      keep = ~0ull >> drop;
      // Continuations must be exactly those the kept leads call for, all inside the kept part.
      const uint64_t l2k = l2 & keep, l3k = l3 & keep;
      const uint64_t want = (l2k << 1) | (l3k << 1) | (l3k << 2);
      if ((want & ~keep) != 0 || ((want ^ cm) & keep) != 0) break;
      // Continuations count as printable: they follow a printable lead, so the state is the same.
      pm = (pa | l2 | l3 | cm) & keep;
      nchars = static_cast<uint64_t>(__builtin_popcountll(~cm & keep));
    }
    if (((pm | sm) & keep) != keep) break;
    lines += static_cast<uint64_t>(
        __builtin_popcountll(Mask64(_mm256_cmpeq_epi8(v0, nl), _mm256_cmpeq_epi8(v1, nl)) & keep));
    const uint64_t starts = pm & ~((pm << 1) | in_word);
    words += static_cast<uint64_t>(__builtin_popcountll(starts));
    in_word = (pm >> (63 - drop)) & 1;
    chars += nchars;
    i -= drop;
  }
  st.c->lines += lines;
  st.c->words += words;
  st.c->chars += chars;
  *st.in_word = in_word != 0;
  return i;
}
#endif

}  // namespace

// -----------------------------------------------------------------------------------------------
// Public API.

size_t CountByte(const uint8_t* p, size_t n, uint8_t b) noexcept {
#if SPL_SCAN_X86
  if (HasAvx2()) return CountByteAvx2(p, n, b);
#endif
  return CountByteScalar(p, n, b);
}

size_t CountLines(const uint8_t* p, size_t n) noexcept { return CountByte(p, n, '\n'); }

size_t Count(const uint8_t* p, size_t n, const uint8_t* needle, size_t m) noexcept {
  if (m == 0) return n + 1;
  if (m > n) return 0;
  if (m == 1) return CountByte(p, n, needle[0]);
#if SPL_SCAN_X86
  if (HasAvx2()) return CountAvx2(p, n, needle, m);
#endif
  return CountScalarFrom(p, n, needle, m, 0);
}

size_t Find(const uint8_t* p, size_t n, const uint8_t* needle, size_t m, size_t start) noexcept {
  if (start > n) return kNotFound;
  if (m == 0) return start;
  if (m > n - start) return kNotFound;
#if SPL_SCAN_X86
  if (HasAvx2()) {
    return m == 1 ? FindByteAvx2(p, n, needle[0], start) : FindAvx2(p, n, needle, m, start);
  }
#endif
  return m == 1 ? FindByteScalar(p, n, needle[0], start) : FindScalarFrom(p, n, needle, m, start);
}

size_t FindAnyByte(const uint8_t* p, size_t n, const uint8_t* set, size_t k,
                   size_t start) noexcept {
  if (k == 0 || k > 4 || start >= n) return kNotFound;
#if SPL_SCAN_X86
  if (HasAvx2()) return FindAnyByteAvx2(p, n, set, k, start);
#endif
  for (size_t i = start; i < n; ++i) {
    for (size_t j = 0; j < k; ++j) {
      if (p[i] == set[j]) return i;
    }
  }
  return kNotFound;
}

size_t ValidateUtf8(const uint8_t* p, size_t n) noexcept {
#if SPL_SCAN_X86
  if (HasAvx2()) return ValidateUtf8Avx2(p, n);
#endif
  return ValidateFrom(p, n, 0, SkipAsciiScalar);
}

void CopyOut(const uint8_t* p, size_t n, uint8_t* dst) noexcept {
  if (n != 0) std::memcpy(dst, p, n);
}

void WordCounter::Feed(const uint8_t* p, size_t n) noexcept {
  c_.bytes += n;
  WcState st{&c_, &in_word_};
  size_t i = 0;
  size_t incomplete = kNotFound;
  if (pend_len_ != 0) {
    // Finish the characters that start in the carried bytes using up to 6 new bytes.
    uint8_t tmp[16];
    const size_t carried = pend_len_;
    const size_t take = n < 6 ? n : 6;
    std::memcpy(tmp, pend_, carried);
    if (take != 0) std::memcpy(tmp + carried, p, take);
    const size_t tl = carried + take;
    size_t j = WcScalar(tmp, tl, 0, carried, st, &incomplete);
    if (incomplete != kNotFound) {  // still incomplete: the whole chunk was too short
      pend_len_ = static_cast<uint8_t>(tl - incomplete);
      std::memcpy(pend_, tmp + incomplete, pend_len_);
      return;
    }
    pend_len_ = 0;
    i = j - carried;
  }
  while (i < n) {
#if SPL_SCAN_X86
    if (n - i >= 64 && HasAvx2()) i = WcFastAvx2(p, n, i, st);
#endif
    const size_t stop = (n - i > 64) ? i + 64 : n;
    i = WcScalar(p, n, i, stop, st, &incomplete);
    if (incomplete != kNotFound) {
      pend_len_ = static_cast<uint8_t>(n - incomplete);
      std::memcpy(pend_, p + incomplete, pend_len_);
      return;
    }
  }
}

WcCounts WordCounter::Finish() noexcept {
  // Bytes of a trailing incomplete sequence are invalid: they count as bytes (already added in
  // Feed) and nothing else.
  pend_len_ = 0;
  return c_;
}

WcCounts WordCount(const uint8_t* p, size_t n) noexcept {
  WordCounter wc;
  wc.Feed(p, n);
  return wc.Finish();
}

const char* ActiveIsa() noexcept { return HasAvx2() ? "avx2" : "scalar"; }

void ForceScalarForTesting(bool force) noexcept {
  g_force_scalar.store(force, std::memory_order_relaxed);
}

}  // namespace spl::rt::scan
