// Scans of big ranges through the C ABI (cut into chunks that run on the loader's threads):
// the same answers as a plain loop over the bytes for count_lines, count, find, validate_utf8
// and wc, on mapped and read regions, streaming (drop-behind) or not; spl_scan_find_lines
// against a line-by-line search (numbers, flags, batches, stop, NUL); spl_scan_copy_ranges;
// the new open options.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "spl/file.h"
#include "tests/common/temp_dir.h"

namespace {

using spl::testing::TempDir;

// ~40 MiB of lines: words, some UTF-8, the needle now and then, one invalid byte near the end.
std::string BigText() {
  std::mt19937 rng(5);
  const char* words[] = {"alpha", "beta", "gamma", "needle", "caf\xc3\xa9", "x", ""};
  std::string s;
  while (s.size() < (40u << 20)) {
    int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += words[rng() % 7];
    }
    s += '\n';
  }
  s[s.size() - 1000] = '\xff';
  return s;
}

uint64_t NaiveCount(const std::string& s, const std::string& needle) {
  uint64_t c = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size()))
    ++c;
  return c;
}

spl_handle_t Open(const std::string& path, bool mapped, uint64_t window) {
  spl_open_options_t o;
  spl_open_options_init(&o);
  o.mmap_threshold = mapped ? 1 : UINT64_MAX;
  o.memory_window = window;
  spl_handle_t h = 0;
  EXPECT_EQ(spl_submit(path.c_str(), &o, &h), 0) << spl_last_error();
  EXPECT_EQ(spl_file_wait(h, -1), 0) << spl_last_error();
  return h;
}

TEST(BigScanAbi, ChunkedScansAgreeWithPlainLoops) {
  TempDir dir;
  const std::string text = BigText();
  const std::string path = dir.Write("big", text);
  uint64_t want_lines = 0;
  for (char ch : text) want_lines += ch == '\n';
  const size_t want_find = text.find("needle", 12345);
  const size_t want_bad = text.size() - 1000;
  // mapped and streaming (window far below the size), mapped, read into memory
  for (auto [mapped, window] : {std::pair{true, uint64_t{4} << 20}, std::pair{true, uint64_t{0}},
                                std::pair{false, uint64_t{0}}}) {
    SCOPED_TRACE(std::string(mapped ? "mapped" : "read") + " window " + std::to_string(window));
    spl_handle_t h = Open(path, mapped, window);
    uint64_t len = 0, n = 0;
    ASSERT_EQ(spl_region_len(h, &len), 0);
    ASSERT_EQ(len, text.size());
    ASSERT_EQ(spl_scan_count_lines(h, 0, len, &n), 0);
    EXPECT_EQ(n, want_lines);
    ASSERT_EQ(spl_scan_count(h, 0, len, "needle", 6, &n), 0);
    EXPECT_EQ(n, NaiveCount(text, "needle"));
    ASSERT_EQ(spl_scan_count(h, 0, len, "e", 1, &n), 0);
    EXPECT_EQ(n, NaiveCount(text, "e"));
    ASSERT_EQ(spl_scan_count(h, 0, len, "a\nb", 3, &n), 0) << "a needle with a newline";
    EXPECT_EQ(n, NaiveCount(text, "a\nb"));
    int64_t pos = 0;
    ASSERT_EQ(spl_scan_find(h, 0, len, 12345, "needle", 6, &pos), 0);
    EXPECT_EQ(pos, static_cast<int64_t>(want_find));
    ASSERT_EQ(spl_scan_find(h, 0, len, 0, "no such words", 13, &pos), 0);
    EXPECT_EQ(pos, -1);
    uint64_t bad = 0;
    EXPECT_EQ(spl_scan_validate_utf8(h, 0, len, &bad), SPL_EUTF8);
    EXPECT_EQ(bad, want_bad);
    EXPECT_EQ(spl_scan_validate_utf8(h, 0, want_bad, &bad), 0);
    spl_wc_counts_t whole{}, parts{}, a{}, b{};
    ASSERT_EQ(spl_scan_wc(h, 0, len, &whole), 0);
    // The same as two halves counted apart, cut after a newline.
    uint64_t cut = text.find('\n', len / 2) + 1;
    ASSERT_EQ(spl_scan_wc(h, 0, cut, &a), 0);
    ASSERT_EQ(spl_scan_wc(h, cut, len - cut, &b), 0);
    parts = {a.lines + b.lines, a.words + b.words, a.chars + b.chars, a.bytes + b.bytes};
    EXPECT_EQ(whole.lines, want_lines);
    EXPECT_EQ(whole.words, parts.words);
    EXPECT_EQ(whole.chars, parts.chars);
    EXPECT_EQ(whole.bytes, len);
    EXPECT_EQ(spl_file_close(h), 0);
  }
}

struct Collected {
  std::vector<spl_line_match_t> lines;
  size_t batches = 0;
  size_t stop_after = SIZE_MAX;
};

int Collect(void* user, const spl_line_match_t* lines, size_t count) {
  auto* c = static_cast<Collected*>(user);
  ++c->batches;
  c->lines.insert(c->lines.end(), lines, lines + count);
  return c->lines.size() >= c->stop_after ? 1 : 0;
}

TEST(BigScanAbi, FindLinesAgreesWithALineByLineSearch) {
  TempDir dir;
  std::string text = BigText();
  text[777777] = '\0';
  const std::string path = dir.Write("big", text);
  struct Want {
    uint64_t start, length, number;
  };
  std::vector<Want> want;
  uint64_t number = 1;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (text.compare(at, end - at, std::string()) != 0 &&
        text.substr(at, end - at).find("needle") != std::string::npos) {
      want.push_back({at, end - at, number});
    }
    at = end + 1;
    ++number;
  }
  for (bool mapped : {true, false}) {
    spl_handle_t h = Open(path, mapped, 0);
    uint64_t len = 0;
    ASSERT_EQ(spl_region_len(h, &len), 0);
    Collected got;
    spl_find_lines_stats_t stats{};
    ASSERT_EQ(spl_scan_find_lines(h, 0, len, "needle", 6, SPL_FIND_CHECK_UTF8 | SPL_FIND_CHECK_NUL,
                                  1, Collect, &got, &stats),
              0)
        << spl_last_error();
    ASSERT_EQ(got.lines.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got.lines[i].start, want[i].start) << i;
      ASSERT_EQ(got.lines[i].length, want[i].length) << i;
      ASSERT_EQ(got.lines[i].number, want[i].number) << i;
    }
    EXPECT_GT(got.batches, 1u) << "one batch per chunk with matches";
    EXPECT_EQ(stats.newlines, number - 1);
    EXPECT_EQ(stats.selected, want.size());
    spl_find_lines_stats_t counted{};
    ASSERT_EQ(spl_scan_find_lines(h, 0, len, "needle", 6, 0, 1, nullptr, nullptr, &counted), 0);
    EXPECT_EQ(counted.selected, want.size());
    EXPECT_EQ(stats.first_nul, 777777);
    // Stopped by the callback: returns 1.
    Collected some;
    some.stop_after = 3;
    EXPECT_EQ(spl_scan_find_lines(h, 0, len, "needle", 6, 0, 1, Collect, &some, nullptr), 1);
    // Copies of the lines, in one call.
    std::vector<uint64_t> starts, lengths;
    std::vector<std::string> copies(10);
    std::vector<void*> dsts;
    for (size_t i = 0; i < 10; ++i) {
      starts.push_back(got.lines[i].start);
      lengths.push_back(got.lines[i].length);
      copies[i].resize(got.lines[i].length);
      dsts.push_back(copies[i].data());
    }
    ASSERT_EQ(spl_scan_copy_ranges(h, starts.data(), lengths.data(), 10, dsts.data()), 0);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(copies[i], text.substr(starts[i], lengths[i]));
    uint64_t bad_start = len;
    EXPECT_EQ(spl_scan_copy_ranges(h, &bad_start, lengths.data(), 1, dsts.data()), SPL_ERANGE);
    EXPECT_EQ(spl_file_close(h), 0);
  }
}

TEST(BigScanAbi, FindLinesSmallCasesAndErrors) {
  TempDir dir;
  spl_handle_t h = Open(dir.Write("f", "Hello\nworld\nHELLO there\nlast hello"), false, 0);
  Collected got;
  spl_find_lines_stats_t stats{};
  ASSERT_EQ(
      spl_scan_find_lines(h, 0, 34, "hello", 5, SPL_FIND_IGNORE_CASE, 10, Collect, &got, &stats),
      0);
  ASSERT_EQ(got.lines.size(), 3u);
  EXPECT_EQ(got.lines[0].number, 10u);
  EXPECT_EQ(got.lines[1].number, 12u);
  EXPECT_EQ(got.lines[2].number, 13u);
  EXPECT_EQ(got.lines[2].length, 10u) << "the last line has no newline";
  EXPECT_EQ(stats.newlines, 3u);
  EXPECT_EQ(stats.first_nul, -1);
  Collected all;
  ASSERT_EQ(spl_scan_find_lines(h, 0, 34, "", 0, 0, 1, Collect, &all, nullptr), 0);
  EXPECT_EQ(all.lines.size(), 4u) << "the empty needle selects every line";
  EXPECT_EQ(spl_scan_find_lines(h, 0, 34, "a\nb", 3, 0, 1, Collect, &all, nullptr), SPL_EINVAL);
  EXPECT_EQ(spl_scan_find_lines(h, 0, 34, "a", 1, 64, 1, Collect, &all, nullptr), SPL_EINVAL);
  spl_find_lines_stats_t counted{};
  ASSERT_EQ(spl_scan_find_lines(h, 0, 34, "hello", 5, SPL_FIND_IGNORE_CASE, 1, nullptr, nullptr,
                                &counted),
            0);
  EXPECT_EQ(counted.selected, 3u) << "without a callback the lines are counted";
  EXPECT_EQ(stats.selected, 3u);
  EXPECT_EQ(spl_scan_find_lines(h, 30, 10, "a", 1, 0, 1, Collect, &all, nullptr), SPL_ERANGE);
  EXPECT_EQ(spl_file_close(h), 0);
}

TEST(BigScanAbi, OpenOptionsCarryStreamingSettings) {
  spl_open_options_t o;
  spl_open_options_init(&o);
  EXPECT_EQ(o.stream_threshold, 64u << 20);
  EXPECT_EQ(o.memory_window, 0u);
  TempDir dir;
  std::string path = dir.WriteSized("f", 12 << 20);
  o.stream_threshold = 4 << 20;
  o.prefault_chunk = 1 << 20;
  spl_handle_t h = 0;
  ASSERT_EQ(spl_open_sync(path.c_str(), &o, &h), 0);
  uint64_t done = 0, total = 0;
  ASSERT_EQ(spl_file_progress(h, &done, &total), 0);
  EXPECT_EQ(total, 12u << 20);
  uint64_t lines = 0;
  ASSERT_EQ(spl_scan_count_lines(h, 0, total, &lines), 0);
  EXPECT_GT(lines, 0u);
  EXPECT_EQ(spl_file_close(h), 0);
}

}  // namespace
