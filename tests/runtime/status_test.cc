// Status messages: the one line users see for each kind of failure, and how paths are shown
// in it (control bytes escaped).
#include "runtime/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace spl::rt {
namespace {

using namespace std::string_literals;

TEST(DisplayPath, EscapesControlBytes) {
  EXPECT_EQ(DisplayPath("/tmp/a.txt"), "/tmp/a.txt");
  EXPECT_EQ(DisplayPath("small.txt\0.png"s), "small.txt\\0.png");
  EXPECT_EQ(DisplayPath("a\nb\tc\x1b"), "a\\nb\\tc\\x1b");
  EXPECT_EQ(DisplayPath("caf\xc3\xa9"), "caf\xc3\xa9") << "UTF-8 stays as it is";
}

TEST(StatusMessage, NamesThePathOnce) {
  EXPECT_EQ(Status::Error(Code::kNotFound, "/nope").ToString(), "not found: /nope");
  EXPECT_EQ(Status::Error(Code::kNotFound, "a\0b"s).ToString(), "not found: a\\0b");
}

TEST(DisplayPath, ShortensVeryLongPathsInTheMiddle) {
  std::string longp = "/" + std::string(5000, 'a') + "/end.txt";
  std::string shown = DisplayPath(longp);
  EXPECT_EQ(shown.size(), 96u + 3 + 96);
  EXPECT_EQ(shown.substr(0, 96), longp.substr(0, 96));
  EXPECT_EQ(shown.substr(96, 3), "...");
  EXPECT_EQ(shown.substr(99), longp.substr(longp.size() - 96));
  std::string exact(200, 'b');
  EXPECT_EQ(DisplayPath(exact), exact);
  // Never cuts a UTF-8 character in half.
  std::string wide;
  for (int i = 0; i < 150; ++i) wide += "\xc3\xa9";  // é
  std::string w = DisplayPath(wide);
  EXPECT_LT(w.size(), 200u);
  size_t dots = w.find("...");
  ASSERT_NE(dots, std::string::npos);
  EXPECT_EQ(dots % 2, 0u);
  EXPECT_EQ((w.size() - dots - 3) % 2, 0u);
}

TEST(StatusMessage, LongPathsAppearOnceShortened) {
  std::string longp = "/" + std::string(5000, 'x');
  std::string m = Status::FromErrno(ENAMETOOLONG, longp, "open").ToString();
  EXPECT_LT(m.size(), 300u);
  EXPECT_EQ(m, "I/O error: " + DisplayPath(longp) + " (open: File name too long)");
}

TEST(StatusMessage, OutOfMemorySaysDoingWhat) {
  EXPECT_EQ(Status::FromErrno(ENOMEM, "/big.log", "mmap").ToString(),
            "out of memory mapping /big.log");
  EXPECT_EQ(Status::FromErrno(ENOMEM, "/big.log", "read").ToString(),
            "out of memory reading /big.log");
  EXPECT_EQ(Status::FromErrno(ENOMEM, "/big.log", "open").code(), Code::kOutOfMemory);
  EXPECT_EQ(Status::Error(Code::kOutOfMemory).ToString(), "out of memory");
}

}  // namespace
}  // namespace spl::rt
