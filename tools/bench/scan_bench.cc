// Google Benchmark throughput of the runtime/scan.h kernels over 64 MiB in-memory buffers
// (ASCII text, random mixed UTF-8 and Cyrillic prose), reported as bytes/second. With
// SPL_SCAN_BENCH_FILE=path set it also maps that file (MAP_POPULATE, so it measures warm page-cache
// scanning, not I/O) and benchmarks CountLines and WordCount over it, to compare with `wc -l` /
// `wc` on the same file. It does not benchmark Guard or file loading.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/scan.h"

namespace {

namespace scan = spl::rt::scan;

constexpr size_t kSize = 64u << 20;

// Log-like ASCII text: words of 1..12 letters, lines of ~60 bytes.
const std::vector<uint8_t>& AsciiText() {
  static const std::vector<uint8_t> buf = [] {
    std::vector<uint8_t> b;
    b.reserve(kSize);
    std::mt19937 rng(42);
    size_t line = 0;
    while (b.size() < kSize) {
      size_t w = 1 + rng() % 12;
      for (size_t i = 0; i < w; ++i) b.push_back(static_cast<uint8_t>('a' + rng() % 26));
      line += w + 1;
      if (line > 60) {
        b.push_back('\n');
        line = 0;
      } else {
        b.push_back(' ');
      }
    }
    b.resize(kSize);
    return b;
  }();
  return buf;
}

// Valid UTF-8 with about half the characters non-ASCII (Latin-1, Cyrillic, CJK, emoji).
const std::vector<uint8_t>& MixedText() {
  static const std::vector<uint8_t> buf = [] {
    static const char* kPieces[] = {"a",
                                    "e",
                                    "t",
                                    " ",
                                    "\n",
                                    "\xc3\xa9",
                                    "\xd0\x96",
                                    "\xe4\xb8\xad",
                                    "\xe2\x82\xac",
                                    "\xf0\x9f\x98\x80"};
    std::vector<uint8_t> b;
    b.reserve(kSize + 8);
    std::mt19937 rng(43);
    while (b.size() < kSize) {
      const char* s = kPieces[rng() % 10];
      b.insert(b.end(), s, s + std::strlen(s));
    }
    while (b.size() > kSize) b.pop_back();
    while (!b.empty() && (b.back() & 0xC0) == 0x80) b.pop_back();  // keep it valid
    if (!b.empty() && b.back() >= 0xC0) b.pop_back();
    return b;
  }();
  return buf;
}

// Prose-like Cyrillic text: words of 2-byte letters, ASCII spaces and punctuation.
const std::vector<uint8_t>& CyrillicText() {
  static const std::vector<uint8_t> buf = [] {
    std::vector<uint8_t> b;
    b.reserve(kSize + 16);
    std::mt19937 rng(44);
    size_t line = 0;
    while (b.size() < kSize) {
      size_t w = 1 + rng() % 10;
      for (size_t i = 0; i < w; ++i) {
        uint32_t cp = 0x430 + rng() % 32;  // a..ya
        b.push_back(static_cast<uint8_t>(0xC0 | (cp >> 6)));
        b.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3F)));
      }
      if (rng() % 8 == 0) b.push_back(',');
      line += w + 1;
      b.push_back(line > 40 ? '\n' : ' ');
      if (line > 40) line = 0;
    }
    b.resize(kSize);
    if ((b.back() & 0xE0) == 0xC0) b.back() = ' ';
    return b;
  }();
  return buf;
}

void Done(benchmark::State& state, size_t n) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
  state.SetLabel(scan::ActiveIsa());
}

void BM_CountLines(benchmark::State& state) {
  const auto& b = AsciiText();
  for (auto _ : state) benchmark::DoNotOptimize(scan::CountLines(b.data(), b.size()));
  Done(state, b.size());
}
BENCHMARK(BM_CountLines);

void BM_CountByte(benchmark::State& state) {
  const auto& b = AsciiText();
  for (auto _ : state) benchmark::DoNotOptimize(scan::CountByte(b.data(), b.size(), 'e'));
  Done(state, b.size());
}
BENCHMARK(BM_CountByte);

void BM_CountMultiByte(benchmark::State& state) {
  const auto& b = AsciiText();
  static const uint8_t kNeedle[] = {'t', 'h', 'e'};  // frequent in random letters: many hits
  for (auto _ : state) benchmark::DoNotOptimize(scan::Count(b.data(), b.size(), kNeedle, 3));
  Done(state, b.size());
}
BENCHMARK(BM_CountMultiByte);

void BM_FindAbsent(benchmark::State& state) {
  const auto& b = AsciiText();
  static const uint8_t kNeedle[] = "needle-not-present";
  const size_t m = sizeof(kNeedle) - 1;
  for (auto _ : state) benchmark::DoNotOptimize(scan::Find(b.data(), b.size(), kNeedle, m, 0));
  Done(state, b.size());
}
BENCHMARK(BM_FindAbsent);

void BM_FindByteAbsent(benchmark::State& state) {
  const auto& b = AsciiText();
  static const uint8_t kNeedle[] = {'#'};
  for (auto _ : state) benchmark::DoNotOptimize(scan::Find(b.data(), b.size(), kNeedle, 1, 0));
  Done(state, b.size());
}
BENCHMARK(BM_FindByteAbsent);

void BM_ValidateUtf8Ascii(benchmark::State& state) {
  const auto& b = AsciiText();
  for (auto _ : state) benchmark::DoNotOptimize(scan::ValidateUtf8(b.data(), b.size()));
  Done(state, b.size());
}
BENCHMARK(BM_ValidateUtf8Ascii);

void BM_ValidateUtf8Mixed(benchmark::State& state) {
  const auto& b = MixedText();
  if (scan::ValidateUtf8(b.data(), b.size()) != scan::kValid) state.SkipWithError("not valid");
  for (auto _ : state) benchmark::DoNotOptimize(scan::ValidateUtf8(b.data(), b.size()));
  Done(state, b.size());
}
BENCHMARK(BM_ValidateUtf8Mixed);

void BM_WordCountAscii(benchmark::State& state) {
  const auto& b = AsciiText();
  for (auto _ : state) benchmark::DoNotOptimize(scan::WordCount(b.data(), b.size()));
  Done(state, b.size());
}
BENCHMARK(BM_WordCountAscii);

void BM_WordCountMixed(benchmark::State& state) {
  const auto& b = MixedText();
  for (auto _ : state) benchmark::DoNotOptimize(scan::WordCount(b.data(), b.size()));
  Done(state, b.size());
}
BENCHMARK(BM_WordCountMixed);

void BM_ValidateUtf8Cyrillic(benchmark::State& state) {
  const auto& b = CyrillicText();
  if (scan::ValidateUtf8(b.data(), b.size()) != scan::kValid) state.SkipWithError("not valid");
  for (auto _ : state) benchmark::DoNotOptimize(scan::ValidateUtf8(b.data(), b.size()));
  Done(state, b.size());
}
BENCHMARK(BM_ValidateUtf8Cyrillic);

void BM_WordCountCyrillic(benchmark::State& state) {
  const auto& b = CyrillicText();
  for (auto _ : state) benchmark::DoNotOptimize(scan::WordCount(b.data(), b.size()));
  Done(state, b.size());
}
BENCHMARK(BM_WordCountCyrillic);

void BM_CopyOut(benchmark::State& state) {
  const auto& b = AsciiText();
  std::vector<uint8_t> dst(b.size());
  for (auto _ : state) {
    scan::CopyOut(b.data(), b.size(), dst.data());
    benchmark::ClobberMemory();
  }
  Done(state, b.size());
}
BENCHMARK(BM_CopyOut);

// Optional: a real file, mapped and populated once.
struct MappedFile {
  const uint8_t* p = nullptr;
  size_t n = 0;
};

MappedFile MapBenchFile() {
  MappedFile f;
  const char* path = std::getenv("SPL_SCAN_BENCH_FILE");
  if (!path) return f;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
    if (fd >= 0) close(fd);
    return f;
  }
  void* m =
      mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return f;
  f.p = static_cast<const uint8_t*>(m);
  f.n = static_cast<size_t>(st.st_size);
  return f;
}

void BM_FileCountLines(benchmark::State& state, MappedFile f) {
  for (auto _ : state) benchmark::DoNotOptimize(scan::CountLines(f.p, f.n));
  Done(state, f.n);
}

void BM_FileWordCount(benchmark::State& state, MappedFile f) {
  for (auto _ : state) benchmark::DoNotOptimize(scan::WordCount(f.p, f.n));
  Done(state, f.n);
}

}  // namespace

int main(int argc, char** argv) {
  MappedFile f = MapBenchFile();
  if (f.p) {
    benchmark::RegisterBenchmark("BM_FileCountLines", BM_FileCountLines, f);
    benchmark::RegisterBenchmark("BM_FileWordCount", BM_FileWordCount, f);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
