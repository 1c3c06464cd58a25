// Region::ReadChunked: chunks cover the range exactly once (plain and line-aligned, mapped and
// read into a buffer, with helpers), line-aligned chunks hold whole lines, a line longer than a
// chunk falls back to one chunk, stop_after skips later chunks, a file truncated under the
// mapping is Truncated from any thread, drop-behind leaves scanned pages out of memory on
// ReadOnly mappings only, and a cold ReadOnly mapping is read through its file opened again
// (never when the path now names another file, never for CopyOnWrite).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/loader.h"
#include "runtime/region.h"
#include "runtime/strategy.h"
#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using spl::testing::TempDir;

std::shared_ptr<Region> Open(const std::string& path, bool mapped,
                             MapMode mode = MapMode::kReadOnly) {
  LoadOptions o;
  o.mmap_threshold = mapped ? 1 : UINT64_MAX;
  o.mode = mode;
  o.memory_window = UINT64_MAX;  // no drop-behind unless a test asks for it
  auto r = LoadSync(path, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

// Random text: lines of 0..max_line bytes.
std::string RandomLines(size_t bytes, size_t max_line, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < bytes) {
    size_t n = rng() % (max_line + 1);
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + rng() % 26);
    s += '\n';
  }
  s.resize(bytes);
  return s;
}

// The pieces each chunk saw, by index.
struct Seen {
  std::mutex mu;
  std::vector<std::string> pieces;
  std::vector<int> calls;
};

void Scan(const Region& r, uint64_t off, uint64_t len, ChunkPlan plan, Seen* seen) {
  size_t count = Region::ChunkCount(len, plan.chunk);
  seen->pieces.assign(count, std::string());
  seen->calls.assign(count, 0);
  Status s = r.ReadChunked(off, len, plan, [&](size_t i, const uint8_t* p, size_t n, uint64_t at) {
    // p holds the region's bytes at `at` (a copy when the region streams)
    EXPECT_EQ(std::memcmp(p, r.unsafe_data() + at, n), 0) << "chunk " << i << " at " << at;
    std::lock_guard lock(seen->mu);
    seen->pieces[i].assign(reinterpret_cast<const char*>(p), n);
    seen->calls[i]++;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
}

TEST(ChunkedRead, ChunksCoverTheRangeInOrder) {
  TempDir dir;
  std::string text = RandomLines(1 << 20, 80, 1);
  std::string path = dir.Write("f", text);
  Loader loader({.threads = 3});
  for (bool mapped : {true, false}) {
    auto r = Open(path, mapped);
    ASSERT_TRUE(r);
    for (bool aligned : {false, true}) {
      ChunkPlan plan;
      plan.chunk = 4096 + 7;
      plan.line_aligned = aligned;
      plan.exec = &loader;
      plan.max_helpers = 3;
      Seen seen;
      Scan(*r, 100, text.size() - 300, plan, &seen);
      std::string joined;
      for (auto& p : seen.pieces) joined += p;
      EXPECT_EQ(joined, text.substr(100, text.size() - 300)) << mapped << aligned;
      if (aligned) {
        // Every piece but the last ends with '\n', and each starts where a line starts.
        for (size_t i = 0; i + 1 < seen.pieces.size(); ++i) {
          if (!seen.pieces[i].empty()) {
            EXPECT_EQ(seen.pieces[i].back(), '\n') << "chunk " << i;
          }
        }
      }
    }
  }
}

TEST(ChunkedRead, ALineLongerThanAChunkFallsBackToOneChunk) {
  TempDir dir;
  std::string text = std::string(50000, 'x') + "\nshort\n" + std::string(30000, 'y');
  auto r = Open(dir.Write("f", text), true);
  ASSERT_TRUE(r);
  ChunkPlan plan;
  plan.chunk = 8192;
  plan.line_aligned = true;
  Seen seen;
  Scan(*r, 0, text.size(), plan, &seen);
  EXPECT_EQ(seen.pieces[0], text) << "everything in chunk 0";
  for (size_t i = 1; i < seen.pieces.size(); ++i) {
    EXPECT_TRUE(seen.pieces[i].empty()) << "chunk " << i << " emptied";
  }
}

TEST(ChunkedRead, StopAfterSkipsLaterChunks) {
  TempDir dir;
  std::string text = RandomLines(200000, 50, 2);
  auto r = Open(dir.Write("f", text), true);
  ASSERT_TRUE(r);
  std::atomic<size_t> stop{3};
  ChunkPlan plan;
  plan.chunk = 10000;
  plan.stop_after = &stop;
  std::atomic<int> calls{0};
  ASSERT_TRUE(r->ReadChunked(0, text.size(), plan, [&](size_t i, const uint8_t*, size_t, uint64_t) {
                 EXPECT_LE(i, 3u);
                 calls++;
               }).ok());
  EXPECT_EQ(calls.load(), 4);
}

TEST(ChunkedRead, TruncatedUnderTheMappingOnAnyThread) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 1 << 20);
  auto r = Open(path, true);
  ASSERT_TRUE(r);
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  Loader loader({.threads = 3});
  ChunkPlan plan;
  plan.chunk = 64 * 1024;
  plan.exec = &loader;
  plan.max_helpers = 3;
  std::atomic<uint64_t> sum{0};
  Status s = r->ReadChunked(0, r->size(), plan, [&](size_t, const uint8_t* p, size_t n, uint64_t) {
    uint64_t x = 0;
    for (size_t i = 0; i < n; i += 512) x += p[i];
    sum += x;
  });
  EXPECT_EQ(s.code(), Code::kTruncated) << s.ToString();
}

// A region that streams through its memory window is read with pread into private buffers:
// the pieces are the region's bytes at the offsets given, line-aligned, and a file truncated
// underneath is Truncated as through the mapping.
TEST(ChunkedRead, AStreamingRegionIsReadIntoBuffersAtTheRightOffsets) {
  TempDir dir;
  std::string text = RandomLines(3 << 20, 120, 7);
  std::string path = dir.Write("f", text);
  LoadOptions o;
  o.memory_window = 256 * 1024;  // far smaller than the file: drop-behind, streamed
  auto r = LoadSync(path, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)->drop_behind());
  Loader loader({.threads = 3});
  for (bool aligned : {false, true}) {
    ChunkPlan plan;
    plan.chunk = 64 * 1024;
    plan.line_aligned = aligned;
    plan.exec = &loader;
    plan.max_helpers = 3;
    Seen seen;
    Scan(**r, 0, text.size(), plan, &seen);  // (checks each piece against the region at `at`)
    std::string joined;
    for (auto& piece : seen.pieces) joined += piece;
    EXPECT_EQ(joined, text) << "line_aligned " << aligned;
    if (aligned)  // (every piece but the last ends a line)
      for (size_t i = 0; i + 1 < seen.pieces.size(); ++i) {
        if (!seen.pieces[i].empty()) {
          EXPECT_EQ(seen.pieces[i].back(), '\n') << i;
        }
      }
  }
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  ChunkPlan plan;
  plan.chunk = 64 * 1024;
  plan.exec = &loader;
  plan.max_helpers = 3;
  Status s =
      (*r)->ReadChunked(0, (*r)->size(), plan, [](size_t, const uint8_t*, size_t, uint64_t) {});
  EXPECT_EQ(s.code(), Code::kTruncated) << s.ToString();
}

TEST(ChunkedRead, AClosedRegionIsAlreadyClosed) {
  TempDir dir;
  auto r = Open(dir.WriteSized("f", 100000), true);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->Close().ok());
  ChunkPlan plan;
  EXPECT_EQ(r->ReadChunked(0, 10, plan, [](size_t, const uint8_t*, size_t, uint64_t) {}).code(),
            Code::kAlreadyClosed);
}

// Pages of [p, p+n) resident in memory (mincore), page-aligned start.
size_t ResidentPages(const void* p, size_t n) {
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v((n + page - 1) / page);
  if (::mincore(const_cast<void*>(p), n, v.data()) != 0) return SIZE_MAX;
  size_t c = 0;
  for (unsigned char b : v) c += b & 1;
  return c;
}

TEST(ChunkedRead, DropBehindLeavesScannedPagesOutOfMemory) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 8 << 20);
  {
    // Written back first: the page cache keeps dirty pages whatever it is advised.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::fdatasync(fd), 0);
    ::close(fd);
  }
  LoadOptions o;
  o.memory_window = 1 << 20;  // smaller than the file: drop-behind
  auto r = LoadSync(path, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)->drop_behind());
  ChunkPlan plan;
  plan.chunk = 1 << 20;
  uint64_t lines = 0;
  ASSERT_TRUE((*r)->ReadChunked(0, (*r)->size(), plan,
                                [&](size_t, const uint8_t* p, size_t n, uint64_t) {
                                  for (size_t i = 0; i < n; ++i) lines += p[i] == '\n';
                                })
                  .ok());
  EXPECT_GT(lines, 0u);
  EXPECT_EQ((*r)->scan_frontier(), (*r)->size());
  // Scanned and dropped: the file's pages left the page cache (POSIX_FADV_DONTNEED), so the
  // mapping reports (almost) nothing resident; a page may come back through read-ahead.
  size_t resident = ResidentPages((*r)->unsafe_data(), (*r)->size());
  EXPECT_LT(resident, 64u) << "of " << (8 << 20) / 4096 << " pages";
  // Dropped pages read again correctly.
  uint64_t again = 0;
  ASSERT_TRUE((*r)->Read(0, (*r)->size(),
                         [&](const uint8_t* p, size_t n) {
                           for (size_t i = 0; i < n; ++i) again += p[i] == '\n';
                         })
                  .ok());
  EXPECT_EQ(again, lines);
}

TEST(ChunkedRead, NeverDropsBehindWritableMappings) {
  TempDir dir;
  for (MapMode mode : {MapMode::kReadWrite, MapMode::kCopyOnWrite}) {
    std::string path = dir.WriteSized(std::string("f") + MapModeName(mode), 4 << 20);
    LoadOptions o;
    o.mode = mode;
    o.memory_window = 1 << 20;
    auto r = LoadSync(path, o);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE((*r)->drop_behind()) << MapModeName(mode);
    (*r)->EnableDropBehind(Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), 0);
    EXPECT_FALSE((*r)->drop_behind()) << "refused for " << MapModeName(mode);
    // A CopyOnWrite region keeps its private write through a chunked scan.
    if (mode == MapMode::kCopyOnWrite) {
      ASSERT_TRUE((*r)->Write(0, "ZZ", 2).ok());
      ChunkPlan plan;
      plan.chunk = 1 << 20;
      ASSERT_TRUE(
          (*r)->ReadChunked(0, (*r)->size(), plan, [](size_t, const uint8_t*, size_t, uint64_t) {})
              .ok());
      std::string head;
      ASSERT_TRUE(
          (*r)->Read(0, 2, [&](const uint8_t* p, size_t n) { head.assign((const char*)p, n); })
              .ok());
      EXPECT_EQ(head, "ZZ");
    }
  }
}

// Written back and dropped from the page cache; false when the file system kept the pages.
bool MakeCold(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fdatasync(fd) == 0 && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  ::close(fd);
  return ok;
}

// A mapping that is not prefaulted (so its file stays cold until scanned).
std::shared_ptr<Region> MapCold(const std::string& path, MapMode mode = MapMode::kReadOnly) {
  LoadOptions o;
  o.mmap_threshold = 1;
  o.mode = mode;
  o.prefault = false;
  o.memory_window = UINT64_MAX;
  auto r = OpenRegion(path, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

// Scans all of r in 4 MiB line-aligned chunks: the bytes seen, and how many chunks were given
// a copy rather than the mapping itself.
std::string ScanAll(const Region& r, size_t* copies) {
  ChunkPlan plan;
  plan.chunk = 4 << 20;
  plan.line_aligned = true;
  Seen seen;
  std::atomic<size_t> copied{0};
  seen.pieces.assign(Region::ChunkCount(r.size(), plan.chunk), std::string());
  const uint8_t* map = r.unsafe_data();
  Status s = r.ReadChunked(0, r.size(), plan, [&](size_t i, const uint8_t* p, size_t n, uint64_t) {
    if (n > 0 && (p < map || p >= map + r.size())) copied++;
    std::lock_guard lock(seen.mu);
    seen.pieces[i].assign(reinterpret_cast<const char*>(p), n);
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  *copies = copied.load();
  std::string joined;
  for (auto& piece : seen.pieces) joined += piece;
  return joined;
}

TEST(ChunkedRead, AColdReadOnlyMappingIsReadThroughTheFileAgain) {
  TempDir dir;
  std::string text = RandomLines(32 << 20, 100, 7);
  std::string path = dir.Write("cold", text);
  ASSERT_TRUE(MakeCold(path));
  auto r = MapCold(path);
  ASSERT_TRUE(r);
  if (!r->MostlyCold(0, r->size())) GTEST_SKIP() << "the file system kept the pages in memory";
  size_t copies = 0;
  EXPECT_EQ(ScanAll(*r, &copies), text);
  EXPECT_EQ(copies, Region::ChunkCount(text.size(), 4 << 20)) << "every chunk read with pread";
  // Read once, it is warm: the next scan reads the mapping.
  EXPECT_EQ(ScanAll(*r, &copies), text);
  EXPECT_EQ(copies, 0u);
}

TEST(ChunkedRead, AColdStreamingRegionIsReadByTheCallingThreadAlone) {
  TempDir dir;
  std::string text = RandomLines(32 << 20, 100, 11);
  std::string path = dir.Write("f", text);
  ASSERT_TRUE(MakeCold(path));
  LoadOptions o;
  o.mmap_threshold = 1;
  o.prefault = false;
  o.memory_window = 4 << 20;  // smaller than the file: it streams (drop-behind)
  auto r = OpenRegion(path, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->drop_behind());
  if (!(*r)->MostlyCold(0, (*r)->size())) GTEST_SKIP() << "the file system kept the pages";
  Loader loader({.threads = 3});
  ChunkPlan plan;
  plan.chunk = 1 << 20;
  plan.exec = &loader;
  plan.max_helpers = 3;
  std::mutex mu;
  std::set<std::thread::id> threads;
  uint64_t bytes = 0;
  ASSERT_TRUE((*r)->ReadChunked(0, (*r)->size(), plan,
                                [&](size_t, const uint8_t*, size_t n, uint64_t) {
                                  std::lock_guard l(mu);
                                  threads.insert(std::this_thread::get_id());
                                  bytes += n;
                                })
                  .ok());
  EXPECT_EQ(bytes, text.size());
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()})
      << "one stream: helpers would read the file at several places (and hold more buffers)";
}

TEST(ChunkedRead, AColdScanOfAReplacedFileReadsWhatWasMapped) {
  TempDir dir;
  std::string mapped_text = RandomLines(32 << 20, 100, 8);
  std::string path = dir.Write("f", mapped_text);
  ASSERT_TRUE(MakeCold(path));
  auto r = MapCold(path);
  ASSERT_TRUE(r);
  // Another file of the same size takes the name: opening path again finds another inode.
  std::string other = dir.Write("g", RandomLines(mapped_text.size(), 100, 9));
  ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);
  if (!r->MostlyCold(0, r->size())) GTEST_SKIP() << "the file system kept the pages in memory";
  size_t copies = 0;
  EXPECT_EQ(ScanAll(*r, &copies), mapped_text);
  EXPECT_EQ(copies, 0u) << "the mapping itself, not the file now at the path";
}

TEST(ChunkedRead, AColdCopyOnWriteScanSeesItsOwnWrites) {
  TempDir dir;
  std::string text = RandomLines(32 << 20, 100, 10);
  std::string path = dir.Write("f", text);
  ASSERT_TRUE(MakeCold(path));
  auto r = MapCold(path, MapMode::kCopyOnWrite);
  ASSERT_TRUE(r);
  const uint64_t at = 20 << 20;
  ASSERT_TRUE(r->Write(at, "ZZZZ", 4).ok());
  text.replace(at, 4, "ZZZZ");
  if (!r->MostlyCold(0, r->size())) GTEST_SKIP() << "the file system kept the pages in memory";
  size_t copies = 0;
  EXPECT_EQ(ScanAll(*r, &copies), text);
  EXPECT_EQ(copies, 0u);
}

}  // namespace
}  // namespace spl::rt
