// Line search: the lines of a text that contain a fixed string, as `grep -F` selects them.
// LineMatcher finds the string exactly (the SIMD Find) or ignoring case the way GNU grep -i
// does in a UTF-8 locale: each pattern character c matches itself, towupper(c), towlower of
// that when it maps back, and the "lonesome" lower-case letters whose upper case is
// towupper(c) but whose own mapping does not round-trip (so 's' matches 'ſ' and 'i' matches
// 'ı', while 'k' does not match the Kelvin sign and 'ß' does not match 'ẞ'), with the case
// tables of glibc's C.UTF-8 locale. FindLines reports the matching lines of one buffer with
// their line numbers relative to it. Pure functions over memory: no I/O, no threads; a caller
// splits big inputs at newlines and runs FindLines on the pieces in parallel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spl::rt {

class LineMatcher {
 public:
  // needle must not be empty. A needle that is not valid UTF-8 is matched byte for byte (the
  // bytes that do not decode are not folded).
  LineMatcher(std::string needle, bool ignore_case);

  // Offset of the first match that starts at or after `from`, or SIZE_MAX. Reads only
  // [p, p + n); no allocation, no exceptions (safe inside a SIGBUS guard).
  size_t Find(const uint8_t* p, size_t n, size_t from) const noexcept;
  bool ignore_case() const { return ignore_case_; }
  size_t min_length() const { return min_length_; }

 private:
  // For ignore_case: per pattern character, the UTF-8 encodings it matches (1 to 4 bytes).
  struct Alternatives {
    uint8_t count = 0;
    uint8_t length[6] = {};
    uint8_t bytes[6][4] = {};
  };
  size_t MatchAt(const uint8_t* p, size_t n, size_t at) const noexcept;

  std::string needle_;
  bool ignore_case_;
  std::vector<Alternatives> chars_;
  uint8_t lead_[6] = {};  // distinct first bytes of the first character's alternatives
  size_t lead_count_ = 0;
  size_t min_length_ = 0;
};

struct LineHit {
  uint64_t start;   // offset of the line's first byte in the buffer
  uint64_t length;  // without the '\n'
  uint64_t number;  // newlines before the line in the buffer (0 for the first line)
  uint32_t flags;   // kLineInvalidUtf8 when the line is not valid UTF-8 (NUL bytes are valid)
};
inline constexpr uint32_t kLineInvalidUtf8 = 1;

// Where a FindLines pass over one buffer stands: the offset reached and the '\n' bytes before
// it. Starts at {0, 0}; the pass is over when pos reaches the buffer's length.
struct FindLinesState {
  size_t pos = 0;
  uint64_t newlines = 0;
};

// Fills hits[0, max) with the next lines of [p, p + n) that hold a match, in order, from
// st->pos on (a last line without '\n' counts), and moves st on past what it searched; returns
// how many it filled. Call again while st->pos < n (it stops early only when max is reached);
// at the end st->newlines is the buffer's '\n' count. Lines are cut only at '\n', so a buffer
// that starts after a '\n' (or at the start of the input) and ends after one (or at its end)
// gives exactly the lines a whole-input search would. No allocation, no exceptions.
size_t FindLines(const uint8_t* p, size_t n, const LineMatcher& m, LineHit* hits, size_t max,
                 bool check_utf8, FindLinesState* st) noexcept;

}  // namespace spl::rt
