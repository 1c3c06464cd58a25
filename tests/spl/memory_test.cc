// The interpreter's memory: huge-page advice (spl/huge_pages.cc) and the object heap's blocks
// (spl/obj_heap.cc). Advice is checked where the kernel records it: the mapping's VmFlags in
// /proc/self/smaps ("hg" = MADV_HUGEPAGE).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "huge_pages.h"
#include "obj_heap.h"

namespace spl {
namespace {

// The VmFlags of the mapping holding `p` ("" when none is found).
std::string vm_flags_of(const void* p) {
  auto addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo, hi;
    char dash;
    std::istringstream head(line);
    if (line.find("VmFlags:") == 0) {
      if (inside) return line;
      continue;
    }
    if ((head >> std::hex >> lo >> dash >> hi) && dash == '-') inside = addr >= lo && addr < hi;
  }
  return "";
}

bool advised(const void* p) { return vm_flags_of(p).find(" hg") != std::string::npos; }

TEST(HugePages, BlocksAreAlignedZeroAndWritable) {
  for (bool huge : {false, true}) {
    void* b = map_huge_block(2 * kHugePageBytes, huge);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % kHugePageBytes, 0u);
    auto* c = static_cast<unsigned char*>(b);
    for (size_t i = 0; i < 2 * kHugePageBytes; i += 4096) ASSERT_EQ(c[i], 0) << i;
    std::memset(c, 0xab, 2 * kHugePageBytes);
    EXPECT_EQ(c[2 * kHugePageBytes - 1], 0xab);
    EXPECT_EQ(advised(b), huge && huge_pages_enabled());
    unmap_huge_block(b, 2 * kHugePageBytes);
  }
}

TEST(HugePages, AdviceCoversOnlyWholeAlignedPagesInside) {
  if (!huge_pages_enabled()) GTEST_SKIP() << "transparent huge pages are off on this machine";
  // A mapping of 3 huge pages starting half-way into one: only the two aligned ones inside
  // [p, p + n) may be advised, the first half page must stay as it was.
  void* b = map_huge_block(4 * kHugePageBytes, false);
  ASSERT_NE(b, nullptr);
  char* p = static_cast<char*>(b) + kHugePageBytes / 2;
  advise_huge_pages(p, 3 * kHugePageBytes);
  EXPECT_FALSE(advised(p));
  EXPECT_TRUE(advised(static_cast<char*>(b) + kHugePageBytes));
  EXPECT_TRUE(advised(static_cast<char*>(b) + 2 * kHugePageBytes + 100));
  EXPECT_FALSE(advised(static_cast<char*>(b) + 3 * kHugePageBytes + 100));
  // Too small to hold a whole aligned huge page: nothing to advise.
  advise_huge_pages(static_cast<char*>(b) + 3 * kHugePageBytes + 1, kHugePageBytes);
  EXPECT_FALSE(advised(static_cast<char*>(b) + 3 * kHugePageBytes + 100));
  unmap_huge_block(b, 4 * kHugePageBytes);
}

TEST(ObjHeap, ManyObjectsSpanBlocksAndAreAllEnumerated) {
  if (!obj_heap_detail::kPooled) GTEST_SKIP() << "sanitizer builds give each object a malloc block";
  // 6 MiB of 64-byte objects: more than the first (ordinary) block, so later ones come from
  // blocks advised for huge pages.
  constexpr size_t kBytes = 64, kCount = (size_t(6) << 20) / kBytes;
  size_t live_before = obj_heap_live();
  std::vector<void*> objs;
  objs.reserve(kCount);
  for (size_t i = 0; i < kCount; i++) {
    void* o = obj_heap_alloc(kBytes);
    ASSERT_NE(o, nullptr);
    *static_cast<uintptr_t*>(o) = 1;  // a live object's first word is non-zero
    objs.push_back(o);
  }
  EXPECT_EQ(obj_heap_live(), live_before + kCount);
  size_t mine = 0;
  void* lo = objs.front();
  void* hi = objs.back();
  obj_heap_each([&](void* o) {
    for (void* b : {lo, hi})
      if (o == b) mine++;
  });
  EXPECT_EQ(mine, 2u);
  EXPECT_EQ(advised(hi), huge_pages_enabled());
  for (void* o : objs) obj_heap_release(o, kBytes);
  EXPECT_EQ(obj_heap_live(), live_before);
  // Released slots are reused before fresh memory.
  void* again = obj_heap_alloc(kBytes);
  EXPECT_EQ(again, objs.back());
  *static_cast<uintptr_t*>(again) = 1;
  obj_heap_release(again, kBytes);
}

}  // namespace
}  // namespace spl
