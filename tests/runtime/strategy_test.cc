// Strategy and FileProbe: which way each kind of path is loaded, and the errors for the rest.
#include "runtime/strategy.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>

#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using spl::testing::TempDir;

LoadOptions NoPrefault() {
  LoadOptions o;
  o.prefault = false;
  return o;
}

TEST(Strategy, SmallFileIsReadBigFileIsMapped) {
  TempDir dir;
  auto small = OpenRegion(dir.WriteSized("small", kDefaultMmapThreshold - 1), NoPrefault());
  ASSERT_TRUE(small.ok());
  EXPECT_EQ((*small)->strategy(), Strategy::kRead);
  EXPECT_EQ((*small)->size(), kDefaultMmapThreshold - 1);
  auto big = OpenRegion(dir.WriteSized("big", kDefaultMmapThreshold), NoPrefault());
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)->strategy(), Strategy::kMmap);
}

TEST(Strategy, ThresholdIsConfigurable) {
  TempDir dir;
  LoadOptions o = NoPrefault();
  o.mmap_threshold = 1;
  auto r = OpenRegion(dir.Write("tiny", "abc"), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->strategy(), Strategy::kMmap);
}

TEST(Strategy, WritableModesAlwaysMap) {
  TempDir dir;
  std::string path = dir.Write("tiny", "abc");
  for (MapMode m : {MapMode::kReadWrite, MapMode::kCopyOnWrite}) {
    LoadOptions o = NoPrefault();
    o.mode = m;
    auto r = OpenRegion(path, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)->strategy(), Strategy::kMmap);
  }
}

TEST(Strategy, ProcFileIsReadToEof) {
  auto r = OpenRegion("/proc/self/status", NoPrefault());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->strategy(), Strategy::kReadToEof);
  std::string text;
  ASSERT_TRUE((*r)->Read(0, (*r)->size(),
                         [&](const uint8_t* p, size_t n) {
                           text.assign(reinterpret_cast<const char*>(p), n);
                         })
                  .ok());
  EXPECT_NE(text.find("Name:"), std::string::npos);
  EXPECT_GT((*r)->size(), 100u);
  LoadOptions rw = NoPrefault();
  rw.mode = MapMode::kCopyOnWrite;
  Status cow = OpenRegion("/proc/self/status", rw).status();
  EXPECT_EQ(cow.code(), Code::kInvalidArgument) << "not 'unsupported file kind'";
  EXPECT_EQ(cow.ToString(),
            "invalid argument: /proc/self/status (pseudo files such as /proc and /sys ones are "
            "read, not mapped: load them read-only, not copy-on-write)");
}

TEST(Strategy, PseudoFilesStopAtTheReadLimit) {
  LoadOptions o = NoPrefault();
  o.read_limit = 100;
  Status s = OpenRegion("/proc/self/status", o).status();
  EXPECT_EQ(s.code(), Code::kTooLarge);
  EXPECT_EQ(s.ToString(),
            "too large: /proc/self/status (more than the read limit of 100 bytes from a pseudo "
            "file)");
  // pagemap refuses reads of odd sizes: reaching the limit must still say "too large".
  o.read_limit = 1 << 20;
  Status pagemap = OpenRegion("/proc/self/pagemap", o).status();
  EXPECT_EQ(pagemap.code(), Code::kTooLarge) << pagemap.ToString();
  EXPECT_NE(pagemap.ToString().find("the read limit of 1 MiB"), std::string::npos);
  // A file of exactly the limit is fine.
  auto exact = OpenRegion("/proc/version", NoPrefault());
  ASSERT_TRUE(exact.ok());
  o.read_limit = (*exact)->size();
  auto again = OpenRegion("/proc/version", o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->size(), (*exact)->size());
  o.read_limit = (*exact)->size() - 1;
  EXPECT_EQ(OpenRegion("/proc/version", o).status().code(), Code::kTooLarge);
}

TEST(Strategy, DirectoryIsAnError) {
  TempDir dir;
  Status s = OpenRegion(dir.path(), NoPrefault()).status();
  EXPECT_EQ(s.code(), Code::kIsDirectory);
  EXPECT_EQ(s.ToString(), "is a directory: " + dir.path());
  LoadOptions rw = NoPrefault();
  rw.mode = MapMode::kReadWrite;
  EXPECT_EQ(OpenRegion(dir.path(), rw).status().code(), Code::kIsDirectory);
}

TEST(Strategy, FifoReturnsPromptlyAsUnsupported) {
  TempDir dir;
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  for (MapMode m : {MapMode::kReadOnly, MapMode::kReadWrite}) {
    LoadOptions o = NoPrefault();
    o.mode = m;
    // A hang would block the test forever: run it on a thread and give it 5 seconds.
    auto done = std::async(std::launch::async, [&] { return OpenRegion(fifo, o).status(); });
    ASSERT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "opening a FIFO must not block";
    Status s = done.get();
    EXPECT_EQ(s.code(), Code::kUnsupported) << s.ToString();
    EXPECT_NE(s.ToString().find(fifo), std::string::npos);
  }
}

TEST(Strategy, CharDeviceIsUnsupported) {
  Status s = OpenRegion("/dev/zero", NoPrefault()).status();
  EXPECT_EQ(s.code(), Code::kUnsupported);
  EXPECT_EQ(s.ToString(),
            "unsupported file kind: /dev/zero (character device is not a regular file)");
}

TEST(Strategy, MissingFileNamesThePath) {
  Status s = OpenRegion("/nonexistent/dir/file.txt", NoPrefault()).status();
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.sys_errno(), ENOENT);
  EXPECT_EQ(s.ToString(), "not found: /nonexistent/dir/file.txt");
  EXPECT_EQ(OpenRegion("", NoPrefault()).status().code(), Code::kNotFound);
}

TEST(Strategy, PermissionDenied) {
  TempDir dir;
  std::string path = dir.Write("secret", "top secret\n");
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  if (::geteuid() != 0) {
    Status s = OpenRegion(path, NoPrefault()).status();
    EXPECT_EQ(s.code(), Code::kPermissionDenied);
    EXPECT_EQ(s.ToString(), "permission denied: " + path);
    return;
  }
  // Root ignores file permissions: check in a child that drops to an unprivileged user.
  struct passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "running as root and no 'nobody' user to drop to";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(3);
    Status s = OpenRegion(path, NoPrefault()).status();
    bool good = s.code() == Code::kPermissionDenied && s.ToString() == "permission denied: " + path;
    ::_exit(good ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child as nobody did not get PermissionDenied";
}

TEST(Strategy, SymlinksAreFollowedUnlessRefused) {
  TempDir dir;
  std::string target = dir.WriteSized("target", 100000);
  std::string link = dir.Join("link");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  auto r = OpenRegion(link, NoPrefault());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 100000u);
  LoadOptions nofollow = NoPrefault();
  nofollow.nofollow = true;
  EXPECT_EQ(OpenRegion(link, nofollow).status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(OpenRegion(target, nofollow).ok());

  std::string dangling = dir.Join("dangling");
  ASSERT_EQ(::symlink(dir.Join("nowhere").c_str(), dangling.c_str()), 0);
  Status s = OpenRegion(dangling, NoPrefault()).status();
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.ToString(), "not found: " + dangling);
}

TEST(Strategy, LoadSyncPrefaultsMappedFiles) {
  TempDir dir;
  std::string path = dir.WriteSized("big", 3 << 20);
  LoadOptions o;
  o.prefault_chunk = 1 << 20;
  PrefaultMethod used = PrefaultMethod::kNone;
  auto r = LoadSync(path, o, &used);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(used, PrefaultMethod::kNone);
  EXPECT_EQ((*r)->size(), 3u << 20);
}

TEST(Strategy, OpenRegionIfCachedReadsACachedSmallFile) {
  TempDir dir;
  std::string p = dir.Write("small", "hello\n");
  LoadOptions o;
  auto r = OpenRegionIfCached(p, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->strategy(), Strategy::kRead);
  EXPECT_EQ((*r)->size(), 6u);
  o.offset = 1;
  o.length = 3;
  auto part = OpenRegionIfCached(p, o);
  ASSERT_TRUE(part.ok());
  std::string got;
  ASSERT_TRUE(
      (*part)->Read(0, 3, [&](const uint8_t* q, size_t n) { got.assign((const char*)q, n); }).ok());
  EXPECT_EQ(got, "ell");
}

TEST(Strategy, OpenRegionIfCachedLeavesWhatMightWaitToTheLoader) {
  TempDir dir;
  LoadOptions o;
  EXPECT_EQ(OpenRegionIfCached(dir.Join("missing"), o).status().code(), Code::kNotFound);
  EXPECT_EQ(OpenRegionIfCached(dir.path(), o).status().code(), Code::kIsDirectory);
  auto empty = OpenRegionIfCached(dir.Write("empty", ""), o);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->strategy(), Strategy::kEmpty);
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(OpenRegionIfCached(fifo, o).status().code(), Code::kNotReady)
      << "never waits for a writer";
  EXPECT_EQ(OpenRegionIfCached("/dev/null", o).status().code(), Code::kNotReady);
  EXPECT_EQ(OpenRegionIfCached("/proc/self/status", o).status().code(), Code::kNotReady);
  LoadOptions mapped;
  mapped.mmap_threshold = 4;
  EXPECT_EQ(OpenRegionIfCached(dir.Write("mapped", "12345678"), mapped).status().code(),
            Code::kNotReady);
  LoadOptions writable;
  writable.mode = MapMode::kReadWrite;
  EXPECT_EQ(OpenRegionIfCached(dir.Write("w", "x"), writable).status().code(), Code::kNotReady);
  LoadOptions range;
  range.offset = 10;
  EXPECT_EQ(OpenRegionIfCached(dir.Write("short", "abc"), range).status().code(),
            Code::kOutOfBounds);
}

}  // namespace
}  // namespace spl::rt
