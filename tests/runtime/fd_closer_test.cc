// FdCloser (runtime/fd_closer.h): descriptors handed over are all closed, by a full batch or
// a group's linger time without anyone asking, at once by CloseDrain, and never more than
// kCloseMaxPending wait; OpenRegionIfCached hands its descriptor over only when asked.
#include "runtime/fd_closer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "runtime/strategy.h"
#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using spl::testing::OpenFdCount;
using spl::testing::TempDir;

Fd OpenDevNull() { return Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

// Waits (up to a minute: this is about an event, not a speed) until nothing is pending.
bool WaitUntilClosed() {
  for (int i = 0; i < 6000; ++i) {
    if (ClosePending() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Makes the closer defer: the first kCloseBatch descriptors of a process close inline.
void StartDeferring() {
  for (size_t i = 0; i < kCloseBatch; ++i) CloseSoon(OpenDevNull());
  CloseDrain();
}

// (First in the file: the whole binary runs in one process for no_temp_leftovers.)
TEST(FdCloser, TheFirstBatchClosesInline) {
  const int before = OpenFdCount();
  for (size_t i = 0; i < kCloseBatch; ++i) {
    CloseSoon(OpenDevNull());
    ASSERT_EQ(CloseDeferredCount(), 0u) << "descriptor " << i << " was deferred";
    ASSERT_EQ(OpenFdCount(), before);
  }
  CloseSoon(OpenDevNull());
  EXPECT_EQ(CloseDeferredCount(), 1u) << "later ones are deferred";
  CloseDrain();
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(FdCloser, DrainClosesEverythingHandedOver) {
  StartDeferring();
  const int before = OpenFdCount();
  for (int i = 0; i < 10; ++i) CloseSoon(OpenDevNull());
  CloseDrain();
  EXPECT_EQ(ClosePending(), 0u);
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(FdCloser, AFullBatchIsClosedWithoutAsking) {
  StartDeferring();
  const int before = OpenFdCount();
  for (size_t i = 0; i < kCloseBatch; ++i) CloseSoon(OpenDevNull());
  ASSERT_TRUE(WaitUntilClosed()) << ClosePending() << " descriptors never closed";
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(FdCloser, ALoneDescriptorIsClosedAfterItsLingerTime) {
  StartDeferring();
  const int before = OpenFdCount();
  CloseSoon(OpenDevNull());
  ASSERT_TRUE(WaitUntilClosed()) << "a group smaller than a batch stayed open";
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(FdCloser, NeverMoreThanTheBoundWait) {
  StartDeferring();
  const int before = OpenFdCount();
  size_t most = 0;
  for (size_t i = 0; i < 4 * CloseMaxPending(); ++i) {
    CloseSoon(OpenDevNull());
    most = std::max(most, ClosePending());
  }
  EXPECT_LE(most, CloseMaxPending());
  EXPECT_LE(CloseMaxPending(), kCloseMaxPending);
  CloseDrain();
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(FdCloser, AnEmptyDescriptorIsIgnored) {
  CloseDrain();
  CloseSoon(Fd());
  EXPECT_EQ(ClosePending(), 0u);
}

TEST(FdCloser, OpenRegionIfCachedHandsItsDescriptorOverOnlyWhenAsked) {
  TempDir dir;
  std::string p = dir.Write("small", "hello\n");
  LoadOptions o;
  StartDeferring();
  const int before = OpenFdCount();
  const size_t deferred = CloseDeferredCount();
  {
    auto r = OpenRegionIfCached(p, o);  // closes on the calling thread
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(OpenFdCount(), before);
    EXPECT_EQ(CloseDeferredCount(), deferred);
  }
  {
    auto r = OpenRegionIfCached(p, o, /*close_in_background=*/true);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(CloseDeferredCount(), deferred + 1);
    std::string got;
    ASSERT_TRUE(
        (*r)->Read(0, 6, [&](const uint8_t* q, size_t n) { got.assign((const char*)q, n); }).ok());
    EXPECT_EQ(got, "hello\n");
  }
  // A load that fails, or that the loader must do, keeps nothing open either way.
  EXPECT_EQ(OpenRegionIfCached(dir.Join("missing"), o, true).status().code(), Code::kNotFound);
  EXPECT_EQ(OpenRegionIfCached(dir.path(), o, true).status().code(), Code::kIsDirectory);
  CloseDrain();
  EXPECT_EQ(OpenFdCount(), before);
}

}  // namespace
}  // namespace spl::rt
