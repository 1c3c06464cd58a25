// BatchReader: a batch loads the small regular files with the bytes, identity and strategy
// OpenRegion gives them, and leaves everything else (errors, special, big and pseudo files,
// ranges out of bounds) to the usual load, with no descriptor left open.
#include "runtime/batch_read.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/strategy.h"
#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using spl::testing::OpenFdCount;
using spl::testing::TempDir;

struct Case {
  std::string path;
  LoadOptions options;
  bool batched;  // whether the batch should load it (else: left to the usual load)
};

std::string Bytes(const Region& r) {
  std::string out;
  EXPECT_TRUE(r.Read(0, r.size(), [&](const uint8_t* p, size_t n) {
                 out.append(reinterpret_cast<const char*>(p), n);
               }).ok());
  return out;
}

TEST(BatchReader, LoadsSmallFilesAsOpenRegionDoesAndLeavesTheRest) {
  auto reader = BatchReader::Create();
  if (!reader) GTEST_SKIP() << "io_uring is not available here (the loader loads one by one)";
  TempDir dir;
  LoadOptions plain;
  LoadOptions ranged;
  ranged.offset = 100;
  ranged.length = 1000;
  LoadOptions out_of_range;
  out_of_range.offset = 1 << 20;
  LoadOptions low_threshold;
  low_threshold.mmap_threshold = 4096;
  LoadOptions nofollow;
  nofollow.nofollow = true;
  LoadOptions advised;
  advised.advice = Advice::kSequential;
  const std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string link = dir.Join("link");
  const std::string small = dir.WriteSized("small", 8192);
  ASSERT_EQ(::symlink(small.c_str(), link.c_str()), 0);
  ASSERT_EQ(::mkdir(dir.Join("sub").c_str(), 0700), 0);
  std::vector<Case> cases = {
      {small, plain, true},
      {dir.Write("one", "x"), plain, true},
      {dir.WriteSized("hundred_k", 100000), plain, true},
      {dir.Write("empty", ""), plain, true},
      {dir.WriteSized("ranged", 8192), ranged, true},
      {dir.WriteSized("advised", 5000), advised, true},
      {link, plain, true},
      {dir.WriteSized("big", 2 << 20), plain, false},  // mapped: at or above the threshold
      {dir.WriteSized("over_threshold", 10000), low_threshold, false},
      {dir.WriteSized("short", 5000), out_of_range, false},
      {link, nofollow, false},
      {dir.Join("sub"), plain, false},
      {dir.Join("missing"), plain, false},
      {fifo, plain, false},  // never read by path unless asked: must not block either
      {"/proc/self/status", plain, false},
      {"", plain, false},
  };
  const int fds_before = OpenFdCount();
  std::vector<BatchReader::Item> items(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    items[i].path = &cases[i].path;
    items[i].options = &cases[i].options;
  }
  reader->Load(items.data(), items.size());
  EXPECT_EQ(OpenFdCount(), fds_before) << "every descriptor of the batch is closed";
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].path);
    EXPECT_EQ(items[i].region != nullptr, cases[i].batched);
    if (!items[i].region) continue;
    auto usual = OpenRegion(cases[i].path, cases[i].options);
    ASSERT_TRUE(usual.ok()) << usual.status().ToString();
    const Region& got = *items[i].region;
    const Region& want = **usual;
    EXPECT_EQ(got.size(), want.size());
    EXPECT_EQ(got.strategy(), want.strategy());
    EXPECT_EQ(got.mode(), want.mode());
    EXPECT_EQ(got.path(), want.path());
    EXPECT_TRUE(got.identity() == want.identity());
    EXPECT_EQ(Bytes(got), Bytes(want));
  }
}

TEST(BatchReader, TakesAFullBatchAndRefusesMore) {
  auto reader = BatchReader::Create();
  if (!reader) GTEST_SKIP() << "io_uring is not available here (the loader loads one by one)";
  TempDir dir;
  LoadOptions plain;
  std::vector<std::string> paths;
  for (size_t i = 0; i <= BatchReader::kMaxBatch; ++i) {
    paths.push_back(dir.Write("f" + std::to_string(i), std::string(i + 1, 'a' + i % 26)));
  }
  std::vector<BatchReader::Item> items(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    items[i].path = &paths[i];
    items[i].options = &plain;
  }
  reader->Load(items.data(), items.size());  // one more than a batch holds: nothing done
  for (const auto& item : items) EXPECT_EQ(item.region, nullptr);
  reader->Load(items.data(), BatchReader::kMaxBatch);
  for (size_t i = 0; i < BatchReader::kMaxBatch; ++i) {
    ASSERT_NE(items[i].region, nullptr);
    EXPECT_EQ(Bytes(*items[i].region), std::string(i + 1, 'a' + i % 26));
  }
}

TEST(BatchReader, OnlyPlainReadOnlyLoadsByPathAreEligible) {
  LoadOptions o;
  EXPECT_TRUE(BatchReader::Eligible(o));
  LoadOptions rw;
  rw.mode = MapMode::kReadWrite;
  EXPECT_FALSE(BatchReader::Eligible(rw));
  LoadOptions cow;
  cow.mode = MapMode::kCopyOnWrite;
  EXPECT_FALSE(BatchReader::Eligible(cow));
  LoadOptions source;
  source.source = std::make_shared<Fd>(::dup(0));
  EXPECT_FALSE(BatchReader::Eligible(source));
  LoadOptions always_mapped;
  always_mapped.mmap_threshold = 0;
  EXPECT_FALSE(BatchReader::Eligible(always_mapped));
}

}  // namespace
}  // namespace spl::rt
