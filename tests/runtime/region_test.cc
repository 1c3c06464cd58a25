// Region: modes, empty and partial maps, write/flush, copy-on-write, advice, close, staleness.
#include "runtime/region.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "runtime/strategy.h"
#include "runtime/unmapper.h"
#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using spl::testing::TempDir;

std::string ReadAll(const Region& r) {
  std::string out;
  Status s = r.Read(0, r.size(), [&](const uint8_t* p, size_t n) {
    out.assign(reinterpret_cast<const char*>(p), n);
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string FileContent(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  std::string out(1 << 20, '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  ::close(fd);
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

LoadOptions Opts(MapMode mode) {
  LoadOptions o;
  o.mode = mode;
  o.prefault = false;
  o.mmap_threshold = 64 * 1024;  // these tests are about mappings: map files >= 64 KiB
  return o;
}

TEST(Region, ReadOnlyMapShowsFileContent) {
  TempDir dir;
  std::string path = dir.WriteSized("big", 200000);
  auto r = OpenRegion(path, Opts(MapMode::kReadOnly));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->strategy(), Strategy::kMmap);
  EXPECT_EQ((*r)->mode(), MapMode::kReadOnly);
  EXPECT_EQ((*r)->size(), 200000u);
  EXPECT_EQ(ReadAll(**r), FileContent(path));
}

// Whether the page `p` points into is in the page cache (mincore, as MostlyCold asks).
bool Resident(const uint8_t* p) {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  unsigned char in_core = 0;
  void* at = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~(page - 1));
  return ::mincore(at, page, &in_core) == 0 && (in_core & 1) != 0;
}

TEST(Region, MostlyColdTellsWhetherTheRangeIsInThePageCache) {
  TempDir dir;
  const uint64_t size = 32 << 20;
  std::string path = dir.WriteSized("cold", size);
  // Written back, then dropped from the page cache (clean pages of a file nobody maps).
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fdatasync(fd), 0);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);
  auto r = OpenRegion(path, Opts(MapMode::kReadOnly));  // (no prefault)
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Region& region = **r;
  ASSERT_EQ(region.strategy(), Strategy::kMmap);
  const uint8_t* base = nullptr;  // (Read lends the mapping's address; nothing is touched)
  ASSERT_TRUE(region.Read(0, size, [&](const uint8_t* p, size_t) { base = p; }).ok());
  if (Resident(base) || Resident(base + size / 2)) {
    GTEST_SKIP() << "the file system kept the pages in memory (POSIX_FADV_DONTNEED ignored)";
  }
  EXPECT_TRUE(region.MostlyCold(0, size));
  // The first 4 MiB read: they are warm; the second half (beyond any read-ahead) is not.
  Status s = region.Read(0, 4 << 20, [](const uint8_t* p, size_t n) {
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < n; i += 4096) sum = sum + p[i];
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(region.MostlyCold(0, 4 << 20));
  EXPECT_TRUE(region.MostlyCold(size / 2, size / 2));
  // All of it read: warm.
  ReadAll(region);
  EXPECT_FALSE(region.MostlyCold(0, size));
}

TEST(Region, MostlyColdIsFalseForRegionsThatAreNoMapping) {
  TempDir dir;
  std::string path = dir.WriteSized("small", 1000);  // read into a buffer (under 64 KiB)
  auto r = OpenRegion(path, Opts(MapMode::kReadOnly));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE((*r)->strategy(), Strategy::kMmap);
  EXPECT_FALSE((*r)->MostlyCold(0, 1000));
  auto empty = OpenRegion(dir.Write("empty", ""), Opts(MapMode::kReadOnly));
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE((*empty)->MostlyCold(0, 0));
}

TEST(Region, ZeroLengthFileGivesEmptyRegion) {
  TempDir dir;
  std::string path = dir.Write("empty", "");
  for (MapMode mode : {MapMode::kReadOnly, MapMode::kReadWrite, MapMode::kCopyOnWrite}) {
    auto r = OpenRegion(path, Opts(mode));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)->strategy(), Strategy::kEmpty);
    EXPECT_EQ((*r)->size(), 0u);
    EXPECT_EQ(ReadAll(**r), "");
  }
}

TEST(Region, PartialUnalignedRange) {
  TempDir dir;
  std::string path = dir.WriteSized("big", 300000);
  std::string whole = FileContent(path);
  LoadOptions o = Opts(MapMode::kReadOnly);
  o.mmap_threshold = 1;  // force mmap even for a small range
  o.offset = 4096 * 3 + 17;
  o.length = 5000;
  auto r = OpenRegion(path, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->strategy(), Strategy::kMmap);
  EXPECT_EQ(ReadAll(**r), whole.substr(o.offset, o.length));
  // Same range through the read strategy.
  o.mmap_threshold = 1 << 20;
  auto b = OpenRegion(path, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->strategy(), Strategy::kRead);
  EXPECT_EQ(ReadAll(**b), whole.substr(o.offset, o.length));
}

TEST(Region, RangeOutsideFileIsOutOfBounds) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 1000);
  LoadOptions o = Opts(MapMode::kReadOnly);
  o.offset = 2000;
  EXPECT_EQ(OpenRegion(path, o).status().code(), Code::kOutOfBounds);
  o.offset = 500;
  o.length = 501;
  EXPECT_EQ(OpenRegion(path, o).status().code(), Code::kOutOfBounds);
  o.length = 500;
  EXPECT_TRUE(OpenRegion(path, o).ok());
}

TEST(Region, ReadRangeChecks) {
  TempDir dir;
  auto r = OpenRegion(dir.WriteSized("f", 100000), Opts(MapMode::kReadOnly));
  ASSERT_TRUE(r.ok());
  auto noop = [](const uint8_t*, size_t) {};
  EXPECT_TRUE((*r)->Read(100000, 0, noop).ok());
  EXPECT_EQ((*r)->Read(99999, 2, noop).code(), Code::kOutOfBounds);
  EXPECT_EQ((*r)->Read(UINT64_MAX, 1, noop).code(), Code::kOutOfBounds);
}

TEST(Region, ReadWriteFlushReachesTheFile) {
  TempDir dir;
  std::string path = dir.Write("small", "hello world\n");
  auto r = OpenRegion(path, Opts(MapMode::kReadWrite));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->strategy(), Strategy::kMmap) << "ReadWrite maps whatever the size";
  ASSERT_TRUE((*r)->Write(0, "HELLO", 5).ok());
  ASSERT_TRUE((*r)->Flush().ok());
  EXPECT_EQ(FileContent(path), "HELLO world\n");
  ASSERT_TRUE((*r)->Write(6, "W", 1).ok());
  ASSERT_TRUE((*r)->Flush(6, 1).ok());
  EXPECT_EQ(FileContent(path), "HELLO World\n");
  EXPECT_FALSE(*(*r)->IsStale()) << "our own flushed writes do not make the region stale";
  EXPECT_EQ((*r)->Write(10, "xyz", 3).code(), Code::kOutOfBounds);
}

TEST(Region, CopyOnWriteStaysPrivate) {
  TempDir dir;
  std::string path = dir.Write("small", "hello world\n");
  auto r = OpenRegion(path, Opts(MapMode::kCopyOnWrite));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->strategy(), Strategy::kMmap);
  ASSERT_TRUE((*r)->Write(0, "J", 1).ok());
  EXPECT_EQ(ReadAll(**r), "Jello world\n");
  EXPECT_EQ(FileContent(path), "hello world\n");
  EXPECT_EQ((*r)->Flush().code(), Code::kNotWritable);
}

TEST(Region, DontNeedOnCopyOnWriteDropsPrivateWrites) {
  // Kernel behaviour the guide documents: MADV_DONTNEED discards the private copies, and the
  // pages are read from the file again.
  TempDir dir;
  std::string path = dir.Write("small", "hello world\n");
  auto r = OpenRegion(path, Opts(MapMode::kCopyOnWrite));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)->Write(0, "J", 1).ok());
  EXPECT_EQ(ReadAll(**r), "Jello world\n");
  ASSERT_TRUE((*r)->Advise(Advice::kDontNeed, 0, 0).ok());
  EXPECT_EQ(ReadAll(**r), "hello world\n");
}

TEST(Region, ReadOnlyRefusesWrites) {
  TempDir dir;
  auto r = OpenRegion(dir.WriteSized("f", 100000), Opts(MapMode::kReadOnly));
  ASSERT_TRUE(r.ok());
  Status s = (*r)->Write(0, "x", 1);
  EXPECT_EQ(s.code(), Code::kNotWritable);
  EXPECT_NE(s.ToString().find("read-only"), std::string::npos) << s.ToString();
  EXPECT_EQ((*r)->Flush().code(), Code::kNotWritable);
}

TEST(Region, AdviceOnRanges) {
  TempDir dir;
  auto r = OpenRegion(dir.WriteSized("f", 1 << 20), Opts(MapMode::kReadOnly));
  ASSERT_TRUE(r.ok());
  for (Advice a : {Advice::kNormal, Advice::kSequential, Advice::kRandom, Advice::kWillNeed,
                   Advice::kDontNeed}) {
    EXPECT_TRUE((*r)->Advise(a, 4096 + 5, 100000).ok()) << static_cast<int>(a);
    EXPECT_TRUE((*r)->Advise(a, 0, 0).ok()) << "whole region";
  }
  EXPECT_EQ((*r)->Advise(Advice::kRandom, 1 << 20, 1).code(), Code::kOutOfBounds);
  // HugePage depends on the kernel and file system: either it works or it says why.
  Status hp = (*r)->Advise(Advice::kHugePage, 0, 0);
  if (!hp.ok()) {
    EXPECT_FALSE(hp.ToString().empty());
  }
}

TEST(Region, CloseTwiceAndUseAfterClose) {
  TempDir dir;
  auto r = OpenRegion(dir.WriteSized("f", 100000), Opts(MapMode::kReadWrite));
  ASSERT_TRUE(r.ok());
  Region& region = **r;
  EXPECT_TRUE(region.Close().ok());
  EXPECT_TRUE(region.Close().ok()) << "closing is idempotent";
  EXPECT_TRUE(region.closed());
  auto noop = [](const uint8_t*, size_t) {};
  EXPECT_EQ(region.Read(0, 1, noop).code(), Code::kAlreadyClosed);
  EXPECT_EQ(region.Write(0, "x", 1).code(), Code::kAlreadyClosed);
  EXPECT_EQ(region.Advise(Advice::kRandom, 0, 0).code(), Code::kAlreadyClosed);
  EXPECT_EQ(region.Flush().code(), Code::kAlreadyClosed);
  EXPECT_EQ(region.IsStale().status().code(), Code::kAlreadyClosed);
  EXPECT_EQ(region.unsafe_data(), nullptr);
}

TEST(Region, ByteViewKeepsRegionAliveAndSlicesWithoutCopy) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 100000);
  ByteView view;
  {
    auto r = OpenRegion(path, Opts(MapMode::kReadOnly));
    ASSERT_TRUE(r.ok());
    view = ByteView::Of(std::move(r.value()));
  }
  auto slice = view.Slice(10, 20);
  ASSERT_TRUE(slice.ok());
  const uint8_t* base = view.owner->unsafe_data();
  const uint8_t* seen = nullptr;
  std::string text;
  ASSERT_TRUE(slice
                  ->Read([&](const uint8_t* p, size_t n) {
                    seen = p;
                    text.assign(reinterpret_cast<const char*>(p), n);
                  })
                  .ok());
  EXPECT_EQ(seen, base + 10) << "a slice points into the mapping";
  EXPECT_EQ(text, FileContent(path).substr(10, 10));
  auto sub = slice->Slice(2, 5);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->offset, 12u);
  EXPECT_EQ(slice->Slice(5, 11).status().code(), Code::kOutOfBounds);
  EXPECT_EQ(slice->Slice(6, 5).status().code(), Code::kOutOfBounds);
  ASSERT_TRUE(view.owner->Close().ok());
  EXPECT_EQ(slice->Read([](const uint8_t*, size_t) {}).code(), Code::kAlreadyClosed);
}

TEST(Region, StaleAfterModificationOrReplacement) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 100000);
  auto r = OpenRegion(path, Opts(MapMode::kReadOnly));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*(*r)->IsStale());
  { std::ofstream(path, std::ios::app) << "more"; }
  EXPECT_TRUE(*(*r)->IsStale()) << "appended";

  std::string other = dir.WriteSized("g", 100000);
  auto g = OpenRegion(other, Opts(MapMode::kReadOnly));
  ASSERT_TRUE(g.ok());
  std::string replacement = dir.WriteSized("g.new", 100000);
  ASSERT_EQ(::rename(replacement.c_str(), other.c_str()), 0);
  EXPECT_TRUE(*(*g)->IsStale()) << "replaced by rename (same size, other inode)";
  ::unlink(other.c_str());
  EXPECT_TRUE(*(*g)->IsStale()) << "deleted";
  // The mapping itself still reads fine after the file is gone.
  EXPECT_EQ(ReadAll(**g).size(), 100000u);
}

TEST(Region, PseudoFilesCompareIdentityOnly) {
  // /proc files report size 0: comparing the bytes read with it made them stale at once.
  for (const char* path : {"/proc/self/cmdline", "/proc/self/status", "/proc/version"}) {
    auto r = OpenRegion(path, Opts(MapMode::kReadOnly));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ((*r)->strategy(), Strategy::kReadToEof);
    ASSERT_GT((*r)->size(), 0u);
    auto stale = (*r)->IsStale();
    ASSERT_TRUE(stale.ok());
    EXPECT_FALSE(*stale) << path;
  }
  // A pseudo file that goes away (the /proc entry of a thread that ended) is stale.
  std::string path;
  std::shared_ptr<Region> region;
  std::thread t([&] {
    path = "/proc/self/task/" + std::to_string(::gettid()) + "/comm";
    auto r = OpenRegion(path, Opts(MapMode::kReadOnly));
    if (r.ok()) region = *r;
  });
  t.join();
  ASSERT_TRUE(region != nullptr) << path;
  EXPECT_EQ(region->strategy(), Strategy::kReadToEof);
  auto stale = region->IsStale();
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(*stale) << path << " is gone with its thread";
}

}  // namespace
}  // namespace spl::rt

namespace spl::rt {
namespace {

bool IsMapped(const void* p) {
  unsigned char vec = 0;
  void* page = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{4095});
  return ::mincore(page, 1, &vec) == 0;
}

TEST(Region, BigMappingsAreUnmappedInTheBackgroundSmallOnesAtOnce) {
  TempDir dir;
  LoadOptions o;
  o.prefault = false;
  auto big = OpenRegion(dir.WriteSized("big", kUnmapInlineBelow + 4096), o);
  auto small = OpenRegion(dir.WriteSized("small", 1 << 20), o);
  ASSERT_TRUE(big.ok() && small.ok());
  const uint8_t* big_p = (*big)->unsafe_data();
  const uint8_t* small_p = (*small)->unsafe_data();
  EXPECT_TRUE(IsMapped(big_p) && IsMapped(small_p));
  ASSERT_TRUE((*small)->Close().ok());
  EXPECT_FALSE(IsMapped(small_p)) << "small mappings go at once";
  ASSERT_TRUE((*big)->Close().ok());
  UnmapDrain();
  EXPECT_FALSE(IsMapped(big_p)) << "big mappings go soon, on the unmapper thread";
}

}  // namespace
}  // namespace spl::rt
