// Benchmarks of the C ABI: submit latency by file size, time to Ready with and without
// prefault, newline counting through the guarded scan against `wc -l` on the same file, and
// the mmap/read crossover. Files come from SPL_BENCH_DIR (made by tools/bench/run_all).
// Reports medians of repetitions; never asserts on time.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>
#include <cstdlib>
#include <string>

#include <benchmark/benchmark.h>

#include "spl/file.h"

extern char** environ;

namespace {

std::string BenchFile(const std::string& name) {
  const char* dir = std::getenv("SPL_BENCH_DIR");
  return std::string(dir != nullptr ? dir : "bench-data") + "/" + name;
}

std::string SizedFile(int64_t bytes) {
  if (bytes >= (1 << 30)) return BenchFile("1g.txt");
  if (bytes >= (1 << 20)) return BenchFile(std::to_string(bytes >> 20) + "m.txt");
  return BenchFile(std::to_string(bytes >> 10) + "k.txt");
}

void Check(benchmark::State& state, int rc) {
  if (rc < 0) state.SkipWithError(spl_last_error());
}

// Time spent inside spl_submit only (the load itself runs after the clock stops). Each
// benchmark iteration times 200 submits one by one and reports their median, 90th percentile
// and maximum as counters (in microseconds): a mean would be dominated by the rare submit
// that the 2-core VM preempts for milliseconds. Each load runs to Ready (prefault included)
// before the next submit; files of 64 MiB and more are submitted 30 times, not 200.
void BM_SubmitLatency(benchmark::State& state) {
  std::string path = SizedFile(state.range(0));
  std::vector<double> us;
  for (auto _ : state) {
    const int n = state.range(0) >= (64 << 20) ? 30 : 200;
    for (int i = 0; i < n; ++i) {
      spl_handle_t h = 0;
      auto t0 = std::chrono::steady_clock::now();
      int rc = spl_submit(path.c_str(), nullptr, &h);
      auto t1 = std::chrono::steady_clock::now();
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      Check(state, rc);
      spl_file_wait(h, -1);
      spl_file_close(h);
    }
  }
  std::sort(us.begin(), us.end());
  state.counters["median_us"] = us[us.size() / 2];
  state.counters["p90_us"] = us[us.size() * 9 / 10];
  state.counters["max_us"] = us.back();
}
BENCHMARK(BM_SubmitLatency)
    ->Arg(1 << 10)->Arg(1 << 20)->Arg(64 << 20)->Arg(1 << 30)
    ->Unit(benchmark::kMillisecond)->Iterations(1);

// Submit to Ready for the warm 1 GiB file, prefault on (arg 1) or off (arg 0).
void BM_TimeToReady1GiB(benchmark::State& state) {
  std::string path = BenchFile("1g.txt");
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  opts.prefault = static_cast<int>(state.range(0));
  for (auto _ : state) {
    spl_handle_t h = 0;
    Check(state, spl_submit(path.c_str(), &opts, &h));
    Check(state, spl_file_wait(h, -1));
    state.PauseTiming();
    spl_file_close(h);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_TimeToReady1GiB)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3)
    ->Repetitions(5)->ReportAggregatesOnly(true);

// Newlines in the warm, loaded 1 GiB file through the ABI's guarded scan.
void BM_CountLinesAbi1GiB(benchmark::State& state) {
  std::string path = BenchFile("1g.txt");
  spl_handle_t h = 0;
  Check(state, spl_open_sync(path.c_str(), nullptr, &h));
  uint64_t len = 0, lines = 0;
  spl_region_len(h, &len);
  for (auto _ : state) {
    Check(state, spl_scan_count_lines(h, 0, len, &lines));
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.counters["lines"] = static_cast<double>(lines);
  spl_file_close(h);
}
BENCHMARK(BM_CountLinesAbi1GiB)->Unit(benchmark::kMillisecond)->Iterations(5)->Repetitions(5)
    ->ReportAggregatesOnly(true);

// Open + map + prefault + count, from nothing, the whole job a `wc -l` does.
void BM_OpenAndCountLinesAbi1GiB(benchmark::State& state) {
  std::string path = BenchFile("1g.txt");
  for (auto _ : state) {
    spl_handle_t h = 0;
    uint64_t len = 0, lines = 0;
    Check(state, spl_submit(path.c_str(), nullptr, &h));
    Check(state, spl_file_wait(h, -1));
    spl_region_len(h, &len);
    Check(state, spl_scan_count_lines(h, 0, len, &lines));
    benchmark::DoNotOptimize(lines);
    spl_file_close(h);
  }
}
BENCHMARK(BM_OpenAndCountLinesAbi1GiB)->Unit(benchmark::kMillisecond)->Iterations(3)
    ->Repetitions(5)->ReportAggregatesOnly(true);

// `wc -l` on the same file, same run: a whole process, output to /dev/null.
void BM_WcL1GiB(benchmark::State& state) {
  std::string path = BenchFile("1g.txt");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  for (auto _ : state) {
    pid_t pid;
    char* argv[] = {const_cast<char*>("wc"), const_cast<char*>("-l"),
                    const_cast<char*>(path.c_str()), nullptr};
    if (posix_spawnp(&pid, "wc", &actions, nullptr, argv, environ) != 0) {
      state.SkipWithError("cannot run wc");
      break;
    }
    int status = 0;
    waitpid(pid, &status, 0);
  }
  posix_spawn_file_actions_destroy(&actions);
}
BENCHMARK(BM_WcL1GiB)->Unit(benchmark::kMillisecond)->Iterations(3)->Repetitions(5)
    ->ReportAggregatesOnly(true);

// Load + count + close of a warm file of range(0) bytes, forced to mmap (range(1) = 1) or to
// read (range(1) = 0): where the two lines cross is the best mmap threshold.
void BM_Crossover(benchmark::State& state) {
  std::string path = SizedFile(state.range(0));
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  opts.mmap_threshold = state.range(1) ? 1 : UINT64_MAX;
  for (auto _ : state) {
    spl_handle_t h = 0;
    uint64_t len = 0, lines = 0;
    Check(state, spl_open_sync(path.c_str(), &opts, &h));
    spl_region_len(h, &len);
    Check(state, spl_scan_count_lines(h, 0, len, &lines));
    benchmark::DoNotOptimize(lines);
    spl_file_close(h);
  }
}
BENCHMARK(BM_Crossover)
    ->ArgsProduct({{4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20, 32 << 20, 64 << 20},
                   {0, 1}})
    ->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
