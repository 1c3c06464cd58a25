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
