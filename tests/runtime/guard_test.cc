// Guard: a file truncated under its mapping gives Truncated instead of killing the process,
// on one thread and on several at once; faults outside guarded sections keep their default.
#include "runtime/guard.h"

#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/prefault.h"
#include "runtime/scan.h"
#include "runtime/strategy.h"
#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using spl::testing::TempDir;

std::shared_ptr<Region> MapNoPrefault(const std::string& path) {
  LoadOptions o;
  o.prefault = false;
  o.mmap_threshold = 1;  // always map: the guard only matters for mappings
  auto r = OpenRegion(path, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : nullptr;
}

Status CountAll(const Region& r, size_t* lines) {
  return r.Read(0, r.size(),
                [&](const uint8_t* p, size_t n) { *lines = scan::CountLines(p, n); });
}

TEST(Guard, TruncatedFileGivesTruncatedError) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 4 << 20);
  auto region = MapNoPrefault(path);
  ASSERT_TRUE(region);
  size_t lines = 0;
  ASSERT_TRUE(CountAll(*region, &lines).ok());
  EXPECT_GT(lines, 0u);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);  // from another descriptor, under the mapping
  Status s = CountAll(*region, &lines);
  EXPECT_EQ(s.code(), Code::kTruncated);
  EXPECT_NE(s.ToString().find(path), std::string::npos) << s.ToString();
  // Still alive, and the guard can be used again.
  EXPECT_EQ(CountAll(*region, &lines).code(), Code::kTruncated);
  EXPECT_EQ(region->Write(0, "x", 1).code(), Code::kNotWritable);
}

TEST(Guard, PrefaultOfTruncatedFileIsAnError) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 4 << 20);
  auto region = MapNoPrefault(path);
  ASSERT_TRUE(region);
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  for (bool touch : {false, true}) {
    PrefaultForceTouchFallback(touch);
    PrefaultMethod used;
    EXPECT_EQ(region->Prefault(0, region->size(), touch, &used).code(), Code::kTruncated) << touch;
  }
  PrefaultForceTouchFallback(false);
}

TEST(Guard, TruncationSeenFromTwoThreadsAtOnce) {
  TempDir dir;
  std::vector<std::shared_ptr<Region>> regions;
  std::vector<std::string> paths;
  for (int i = 0; i < 2; ++i) {
    paths.push_back(dir.WriteSized("f" + std::to_string(i), 8 << 20));
    regions.push_back(MapNoPrefault(paths.back()));
    ASSERT_TRUE(regions.back());
  }
  for (auto& p : paths) ASSERT_EQ(::truncate(p.c_str(), 0), 0);
  std::vector<Status> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        size_t lines = 0;
        results[t] = CountAll(*regions[t % 2], &lines);
        if (results[t].code() != Code::kTruncated) return;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& s : results) EXPECT_EQ(s.code(), Code::kTruncated) << s.ToString();
}

TEST(Guard, NestedSectionsRestoreTheOuterTarget) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 1 << 20);
  auto region = MapNoPrefault(path);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  bool inner_failed = false;
  Status outer = guard::Run(path, [&] {
    inner_failed = !guard::Run(path, [&] {
                      volatile uint8_t b = region->unsafe_data()[4096];
                      (void)b;
                    }).ok();
  });
  EXPECT_TRUE(inner_failed);
  EXPECT_TRUE(outer.ok()) << "the inner fault must not unwind the outer section";
}

#ifndef SPL_SANITIZED
// Sanitizers install their own SIGBUS reporting, so the default death is only checked plain.
TEST(GuardDeathTest, FaultOutsideGuardKeepsDefaultBehaviour) {
  TempDir dir;
  std::string path = dir.WriteSized("f", 1 << 20);
  auto region = MapNoPrefault(path);
  guard::Install();
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  EXPECT_EXIT(
      {
        volatile uint8_t b = region->unsafe_data()[8192];
        (void)b;
      },
      ::testing::KilledBySignal(SIGBUS), "");
}
#endif

}  // namespace
}  // namespace spl::rt
