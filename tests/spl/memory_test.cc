// The interpreter's memory: huge-page advice (spl/huge_pages.cc) and the object heap's blocks
// (spl/obj_heap.cc). Advice is checked where the kernel records it: the mapping's VmFlags in
// /proc/self/smaps ("hg" = MADV_HUGEPAGE).
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "huge_pages.h"
#include "obj_heap.h"
#include "value.h"

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

TEST(HugePages, PopulateForWriteBringsInOnlyWholePagesInside) {
  constexpr size_t kPage = 4096;
  void* m = ::mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  auto* c = static_cast<unsigned char*>(m);
  // [c + 100, c + 100 + 3 pages): pages 1 and 2 are inside, pages 0 and 3 only in part.
  populate_for_write(c + 100, 3 * kPage);
  unsigned char resident[4] = {};
  ASSERT_EQ(::mincore(m, 4 * kPage, resident), 0);
#ifdef MADV_POPULATE_WRITE
  if (!(resident[1] & 1)) {
    ::munmap(m, 4 * kPage);
    GTEST_SKIP() << "MADV_POPULATE_WRITE is refused by this kernel";
  }
  EXPECT_TRUE(resident[2] & 1);
#endif
  EXPECT_FALSE(resident[0] & 1) << "a page only partly inside was brought in";
  EXPECT_FALSE(resident[3] & 1) << "a page only partly inside was brought in";
  ::munmap(m, 4 * kPage);
}

// array_push grows arrays past the size whose new storage is brought in before the items
// move (array_grow): every item arrives, moved (reference counts unchanged), in order.
TEST(Arrays, GrowthPastTheBigSizeKeepsEveryItem) {
  std::vector<Value> items;
  std::vector<Value> texts;
  // (texts longer than 8 bytes: shorter ones may also be held by the small-text cache)
  constexpr size_t kCount = 300000;  // 2.4 MB of items: grows through 1, 2 and 4 MiB
  for (size_t i = 0; i < kCount; i++) {
    if (i % 1000 == 0) {
      texts.push_back(make_str("a longer text " + std::to_string(i)));
      array_push(items, texts.back());
    } else {
      array_push(items, Value::integer(int64_t(i)));
    }
    ASSERT_GE(items.capacity(), items.size());
  }
  ASSERT_EQ(items.size(), kCount);
  for (size_t i = 0; i < kCount; i++) {
    if (i % 1000 == 0) {
      ASSERT_TRUE(items[i].is(OK::Str)) << i;
      EXPECT_EQ(items[i].as<Str>()->str(), "a longer text " + std::to_string(i));
      EXPECT_EQ(items[i].obj()->rc, 2u) << "held by the array and by `texts` only";
    } else {
      ASSERT_EQ(items[i].as_int(), int64_t(i));
    }
  }
  items.clear();
  for (const Value& t : texts) EXPECT_EQ(t.obj()->rc, 1u);
}

}  // namespace
}  // namespace spl
