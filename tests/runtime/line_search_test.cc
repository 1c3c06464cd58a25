// LineMatcher and FindLines: exact and case-folded matches (GNU grep -i's rules in a UTF-8
// locale), the lines around them with numbers, a last line without '\n', the empty needle,
// lines that are not UTF-8, and a pass resumed when the output array is full.
#include "runtime/line_search.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spl::rt {
namespace {

struct Line {
  std::string text;
  uint64_t number;
  uint32_t flags;
  bool operator==(const Line& o) const {
    return text == o.text && number == o.number && flags == o.flags;
  }
};

std::ostream& operator<<(std::ostream& os, const Line& l) {
  return os << l.number << ":" << l.text << " (" << l.flags << ")";
}

// All matching lines of text, found with room for `room` hits per call.
std::vector<Line> Lines(const std::string& text, const std::string& needle, bool icase,
                        size_t room = 100, uint64_t* newlines = nullptr) {
  LineMatcher m(needle, icase);
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  std::vector<LineHit> hits(room);
  std::vector<Line> out;
  FindLinesState st;
  do {
    size_t got = FindLines(p, text.size(), m, hits.data(), room, true, &st);
    for (size_t i = 0; i < got; ++i) {
      out.push_back({text.substr(hits[i].start, hits[i].length), hits[i].number, hits[i].flags});
    }
  } while (st.pos < text.size());
  if (newlines) *newlines = st.newlines;
  return out;
}

bool Matches(const std::string& text, const std::string& needle) {
  return !Lines(text, needle, true).empty();
}

TEST(LineSearch, ExactMatchesGiveWholeNumberedLines) {
  std::string t = "hello world\nsay hello\nnothing\nhello hello\nlast hello";
  uint64_t nl = 0;
  auto got = Lines(t, "hello", false, 100, &nl);
  std::vector<Line> want = {
      {"hello world", 0, 0}, {"say hello", 1, 0}, {"hello hello", 3, 0}, {"last hello", 4, 0}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(nl, 4u);
  EXPECT_EQ(Lines(t, "hello", false, 1), want) << "resumed one hit at a time";
  EXPECT_TRUE(Lines(t, "absent", false).empty());
  EXPECT_TRUE(Lines("", "x", false).empty());
}

TEST(LineSearch, TheEmptyNeedleSelectsEveryLine) {
  auto got = Lines("a\n\nb\n", "", false);
  std::vector<Line> want = {{"a", 0, 0}, {"", 1, 0}, {"b", 2, 0}};
  EXPECT_EQ(got, want);
}

TEST(LineSearch, LinesThatAreNotUtf8AreFlagged) {
  auto got = Lines("ok hello\nbad \xff hello\n", "hello", false);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].flags, 0u);
  EXPECT_EQ(got[1].flags, kLineInvalidUtf8);
}

TEST(LineSearch, IgnoreCaseFoldsAsciiAndUnicode) {
  EXPECT_EQ(Lines("Hello\nHELLO\nhElLo\nhelp\n", "hello", true).size(), 3u);
  EXPECT_TRUE(Matches("CAF\xc3\x89", "caf\xc3\xa9"));       // É ~ é
  EXPECT_TRUE(Matches("\xce\xb1\xce\xb2\xce\xb3", "ΑΒΓ"));  // αβγ ~ ΑΒΓ
  EXPECT_TRUE(Matches("\xcf\x82", "σ"));                    // final sigma ~ σ
  EXPECT_TRUE(Matches("\xce\xa3", "ς"));                    // Σ ~ ς
}

TEST(LineSearch, IgnoreCaseFollowsGnuGrepForTheSpecialLetters) {
  // What GNU grep 3.8 -iF selects in C.UTF-8 (checked by tests/simple_std/grep_compare.sh).
  EXPECT_TRUE(Matches("\xc5\xbf", "s"));  // ſ (long s): upper case S
  EXPECT_TRUE(Matches("\xc5\xbf", "S"));
  EXPECT_TRUE(Matches("\xc4\xb1", "i"));              // ı (dotless i): upper case I
  EXPECT_FALSE(Matches("\xc4\xb0", "i"));             // İ: lower case i, but i's upper is I
  EXPECT_FALSE(Matches("\xe2\x84\xaa", "k"));         // the Kelvin sign is not k's counterpart
  EXPECT_FALSE(Matches("\xe1\xba\x9e", "\xc3\x9f"));  // ẞ is not ß's
  EXPECT_FALSE(Matches("\xc3\x9f", "\xe1\xba\x9e"));
  EXPECT_TRUE(Matches("i", "\xc4\xb1"));  // ı matches i and I
}

TEST(LineSearch, ANeedleThatIsNotUtf8MatchesItsBytes) {
  EXPECT_EQ(Lines("a\xff"
                  "b\nab\n",
                  "\xff", true)
                .size(),
            1u);
  EXPECT_EQ(Lines("a\xff"
                  "b\nab\n",
                  "\xff", false)
                .size(),
            1u);
}

}  // namespace
}  // namespace spl::rt
