// MemoryLimit: the smallest of RAM and the memory cgroup limits above the process, for cgroup
// v1 (memory.limit_in_bytes, the huge "unlimited" value) and v2 (memory.max, "max"), on a fake
// cgroup tree; and the real one is never 0.
#include "runtime/memory_limit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/common/temp_dir.h"

namespace spl::rt {
namespace {

using spl::testing::TempDir;

void Put(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

constexpr uint64_t kGiB = uint64_t{1} << 30;

TEST(MemoryLimit, V1TakesTheSmallestLimitUpTheTree) {
  TempDir root;
  Put(root.Join("memory/memory.limit_in_bytes"), "9223372036854771712\n");
  Put(root.Join("memory/jobs/memory.limit_in_bytes"), "536870912\n");
  Put(root.Join("memory/jobs/one/memory.limit_in_bytes"), "9223372036854771712\n");
  std::string cg = "12:pids:/\n4:memory:/jobs/one\n0::/\n";
  EXPECT_EQ(MemoryLimitFrom(cg, root.path(), 4 * kGiB), 512u << 20);
  EXPECT_EQ(MemoryLimitFrom(cg, root.path(), 256u << 20), 256u << 20) << "RAM is smaller";
  EXPECT_EQ(MemoryLimitFrom("4:memory:/jobs\n", root.path(), 4 * kGiB), 512u << 20);
  EXPECT_EQ(MemoryLimitFrom("4:cpu,memory:/\n", root.path(), 4 * kGiB), 4 * kGiB);
}

TEST(MemoryLimit, V2ReadsMemoryMaxAndMax) {
  TempDir root;
  Put(root.Join("app/memory.max"), "max\n");
  Put(root.Join("app/job/memory.max"), "268435456\n");
  EXPECT_EQ(MemoryLimitFrom("0::/app/job\n", root.path(), 8 * kGiB), 256u << 20);
  EXPECT_EQ(MemoryLimitFrom("0::/app\n", root.path(), 8 * kGiB), 8 * kGiB);
  // Hybrid systems mount v2 under unified/.
  Put(root.Join("unified/box/memory.max"), "134217728\n");
  EXPECT_EQ(MemoryLimitFrom("0::/box\n", root.path(), 8 * kGiB), 128u << 20);
}

TEST(MemoryLimit, NothingReadableLeavesRam) {
  TempDir root;
  EXPECT_EQ(MemoryLimitFrom("", root.path(), 3 * kGiB), 3 * kGiB);
  EXPECT_EQ(MemoryLimitFrom("garbage\n0::/nowhere\n", root.path(), 3 * kGiB), 3 * kGiB);
  EXPECT_GT(MemoryLimitFrom("", root.path(), 0), 0u);
  EXPECT_GT(MemoryLimit(), 0u);
}

}  // namespace
}  // namespace spl::rt
