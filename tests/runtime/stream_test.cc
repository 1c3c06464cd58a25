// Non-seekable inputs: pipes, FIFOs (on request), character devices (on request) and
// descriptors handed over (standard input) are read to EOF; the read waits for a writer, can
// be cancelled, stops at the read limit; loads from descriptors go one at a time in order.
#include "runtime/stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "runtime/loader.h"
#include "runtime/strategy.h"
#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using namespace std::chrono_literals;
using spl::testing::TempDir;

std::string Text(const Region& r) {
  std::string out;
  EXPECT_TRUE(r.Read(0, r.size(), [&](const uint8_t* p, size_t n) {
                 out.assign(reinterpret_cast<const char*>(p), n);
               }).ok());
  return out;
}

// A pipe whose ends close with the object.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
  ~Pipe() {
    CloseWrite();
    if (fds[0] >= 0) ::close(fds[0]);
  }
  void Write(const std::string& s) const {
    ASSERT_EQ(::write(fds[1], s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  void CloseWrite() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
};

LoadOptions FromSource(int fd) {
  LoadOptions o;
  o.prefault = false;
  o.source = std::make_shared<Fd>(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  return o;
}

TEST(ReadToEnd, ReadsAPipeWrittenInPieces) {
  Pipe p;
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i) p.Write(std::string(1000, static_cast<char>('a' + i % 26)));
    p.CloseWrite();
  });
  auto got = ReadToEnd(p.fds[0], "pipe", 1 << 20, "a stream", nullptr);
  writer.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size, 100000u);
  EXPECT_EQ(got->data[99999], 'a' + 99 % 26);
}

TEST(ReadToEnd, StopsAtTheReadLimit) {
  for (size_t n : {size_t{999}, size_t{1000}, size_t{1001}, size_t{10000}}) {
    Pipe p;
    std::thread writer([&] {
      p.Write(std::string(n, 'x'));
      p.CloseWrite();
    });
    auto got = ReadToEnd(p.fds[0], "-", 1000, "a stream", nullptr);
    writer.join();
    if (n <= 1000) {
      ASSERT_TRUE(got.ok()) << n;
      EXPECT_EQ(got->size, n);
    } else {
      EXPECT_EQ(got.status().code(), Code::kTooLarge) << n;
      EXPECT_EQ(got.status().ToString(),
                "too large: - (more than the read limit of 1000 bytes from a stream)");
    }
  }
}

TEST(ReadToEnd, WaitsForAWriterAndCanBeCancelled) {
  TempDir dir;
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  Fd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_GE(fd.get(), 0);
  std::atomic<bool> cancel{false};
  auto reading = std::async(std::launch::async, [&] {
    return ReadToEnd(fd.get(), fifo, 1 << 20, "a stream", &cancel).status();
  });
  // No writer has connected: that is not EOF, the read keeps waiting.
  EXPECT_EQ(reading.wait_for(300ms), std::future_status::timeout);
  cancel.store(true);
  ASSERT_EQ(reading.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(reading.get().code(), Code::kCancelled);
}

TEST(Streams, FifoByPathOnlyWhenAskedFor) {
  TempDir dir;
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  LoadOptions o;
  o.prefault = false;
  EXPECT_EQ(OpenRegion(fifo, o).status().code(), Code::kUnsupported);
  o.read_fifos = true;
  std::thread writer([&] {
    // Opens for writing once the reader is there (a blocking open waits for it).
    int w = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(w, 0);
    ASSERT_EQ(::write(w, "from the fifo\n", 14), 14);
    ::close(w);
  });
  auto r = OpenRegion(fifo, o);
  writer.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->strategy(), Strategy::kStream);
  EXPECT_EQ(Text(**r), "from the fifo\n");
  auto stale = (*r)->IsStale();
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale) << "a stream has nothing on disk to compare with";
  o.mode = MapMode::kCopyOnWrite;
  Status cow = OpenRegion(fifo, o).status();
  EXPECT_EQ(cow.code(), Code::kInvalidArgument);
  EXPECT_NE(cow.ToString().find("pipes, FIFOs and devices are read, not mapped"),
            std::string::npos);
}

TEST(Streams, CharacterDevicesOnlyWhenAskedFor) {
  LoadOptions o;
  o.prefault = false;
  EXPECT_EQ(OpenRegion("/dev/null", o).status().code(), Code::kUnsupported);
  o.read_char_devices = true;
  auto null = OpenRegion("/dev/null", o);
  ASSERT_TRUE(null.ok()) << null.status().ToString();
  EXPECT_EQ((*null)->strategy(), Strategy::kStream);
  EXPECT_EQ((*null)->size(), 0u);
  o.read_limit = 1 << 20;
  Status zero = OpenRegion("/dev/zero", o).status();
  EXPECT_EQ(zero.code(), Code::kTooLarge);
  EXPECT_EQ(zero.ToString(),
            "too large: /dev/zero (more than the read limit of 1 MiB from a stream)");
}

TEST(Streams, DescriptorSources) {
  // A pipe handed over as a descriptor is read whatever the stream options say.
  Pipe p;
  p.Write("one\ntwo\n");
  p.CloseWrite();
  auto piped = OpenRegion("-", FromSource(p.fds[0]));
  ASSERT_TRUE(piped.ok()) << piped.status().ToString();
  EXPECT_EQ((*piped)->strategy(), Strategy::kStream);
  EXPECT_EQ((*piped)->path(), "-");
  EXPECT_EQ(Text(**piped), "one\ntwo\n");

  // A regular file is loaded from the descriptor's position, which then moves to its end.
  TempDir dir;
  std::string path = dir.Write("f", "skip:the rest\n");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(::lseek(fd.get(), 5, SEEK_SET), 5);
  auto file = OpenRegion("-", FromSource(fd.get()));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->strategy(), Strategy::kRead);
  EXPECT_EQ(Text(**file), "the rest\n");
  EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), 14);
  auto again = OpenRegion("-", FromSource(fd.get()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->size(), 0u) << "read to the end already, as `wc - -` would";

  // A descriptor that is not open.
  auto closed = ProbeFd(987, "input");
  EXPECT_EQ(closed.status().code(), Code::kIoError);
  EXPECT_EQ(closed.status().ToString(), "I/O error: input (descriptor 987 is not open)");
}

TEST(Streams, DescriptorLoadsRunOneAtATimeInOrder) {
  for (int round = 0; round < 20; ++round) {
    Loader loader({.threads = 4});
    Pipe p;
    auto first = loader.Submit("-", FromSource(p.fds[0]));
    auto second = loader.Submit("-", FromSource(p.fds[0]));
    p.Write("all the data");
    p.CloseWrite();
    ASSERT_TRUE(first->Wait().ok());
    ASSERT_TRUE(second->Wait().ok());
    EXPECT_EQ(Text(**first->result()), "all the data") << round;
    EXPECT_EQ((*second->result())->size(), 0u) << round;
  }
}

TEST(Streams, LoaderCancelsAFifoWait) {
  TempDir dir;
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  Loader loader({.threads = 1});
  LoadOptions o;
  o.read_fifos = true;
  auto job = loader.Submit(fifo, o);
  EXPECT_EQ(job->Wait(200ms).code(), Code::kTimedOut) << "no writer: still waiting";
  EXPECT_TRUE(job->Cancel());
  EXPECT_EQ(job->Wait().code(), Code::kCancelled);
  // The worker is free again.
  auto next = loader.Submit("/proc/self/status", LoadOptions{});
  EXPECT_TRUE(next->Wait().ok());
}

}  // namespace
}  // namespace spl::rt
