// The C ABI (spl/file.h) from C++: handles and their generations, sync and async loads, every
// error path's code and message, guarded scans, and completion delivery on a libuv loop.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "spl/file.h"
#include "tests/common/temp_dir.h"

namespace {

using spl::testing::TempDir;

spl_handle_t OpenSync(const std::string& path) {
  spl_handle_t h = 0;
  EXPECT_EQ(spl_open_sync(path.c_str(), nullptr, &h), 0) << spl_last_error();
  return h;
}

TEST(FileAbi, OpenSyncLenDataClose) {
  TempDir dir;
  spl_handle_t h = OpenSync(dir.Write("f", "one\ntwo\nthree\n"));
  ASSERT_NE(h, 0u);
  EXPECT_EQ(spl_file_state(h), SPL_STATE_READY);
  EXPECT_EQ(spl_file_is_ready(h), 1);
  EXPECT_EQ(spl_file_strategy(h), SPL_STRATEGY_READ);
  uint64_t len = 0;
  ASSERT_EQ(spl_region_len(h, &len), 0);
  EXPECT_EQ(len, 14u);
  const uint8_t* data = nullptr;
  ASSERT_EQ(spl_region_data(h, &data, &len), 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data), len), "one\ntwo\nthree\n");
  EXPECT_EQ(spl_region_mode(h), SPL_MODE_READ_ONLY);
  EXPECT_EQ(spl_file_close(h), 0);
  EXPECT_EQ(spl_file_close(h), SPL_ECLOSED);
  EXPECT_EQ(spl_region_len(h, &len), SPL_ECLOSED);
  EXPECT_NE(std::string(spl_last_error()).find("closed or stale"), std::string::npos);
}

TEST(FileAbi, StaleIdNeverReachesAReusedSlot) {
  TempDir dir;
  std::string path = dir.Write("f", "abc");
  spl_handle_t first = OpenSync(path);
  ASSERT_EQ(spl_file_close(first), 0);
  spl_handle_t second = OpenSync(path);
  EXPECT_NE(first, second);
  EXPECT_EQ(first & 0xffffffffu, second & 0xffffffffu) << "same slot, new generation";
  EXPECT_EQ(spl_file_state(first), SPL_ECLOSED);
  EXPECT_EQ(spl_file_state(second), SPL_STATE_READY);
  EXPECT_EQ(spl_file_state(0), SPL_ECLOSED);
  EXPECT_EQ(spl_file_state(0xdeadbeefcafeULL), SPL_ECLOSED);
  EXPECT_EQ(spl_file_close(second), 0);
}

TEST(FileAbi, SubmitWaitProgressResult) {
  TempDir dir;
  std::string path = dir.WriteSized("big", 5 << 20);
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  opts.prefault_chunk = 1 << 20;
  spl_handle_t h = 0;
  ASSERT_EQ(spl_submit(path.c_str(), &opts, &h), 0);
  int state = spl_file_state(h);
  EXPECT_TRUE(state >= SPL_STATE_PENDING && state <= SPL_STATE_READY);
  EXPECT_EQ(spl_file_wait(h, -1), 0);
  EXPECT_EQ(spl_file_result(h), 0);
  uint64_t done = 0, total = 0;
  ASSERT_EQ(spl_file_progress(h, &done, &total), 0);
  EXPECT_EQ(done, 5u << 20);
  EXPECT_EQ(total, 5u << 20);
  EXPECT_EQ(spl_file_strategy(h), SPL_STRATEGY_MMAP);
  EXPECT_NE(spl_file_prefault_method(h), SPL_PREFAULT_NONE);
  EXPECT_EQ(spl_file_cancel(h), 0) << "cancel after ready is a no-op";
  EXPECT_EQ(spl_file_state(h), SPL_STATE_READY);
  EXPECT_EQ(spl_file_close(h), 0);
}

TEST(FileAbi, WaitWithHugeTimeoutsMeansNoLimit) {
  // INT64_MAX ms used to overflow converting to nanoseconds (UBSan: signed overflow) and time
  // out at once; every value too large to count is "forever" now.
  TempDir dir;
  std::string path = dir.WriteSized("big", 64 << 20);
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  opts.prefault_chunk = 1 << 20;
  opts.prefault_workers = 1;
  for (int64_t limit : {INT64_MAX, INT64_MAX / 1000000 + 1, INT64_MAX / 1000000, INT64_MAX / 2}) {
    spl_handle_t h = 0;
    ASSERT_EQ(spl_submit(path.c_str(), &opts, &h), 0);
    EXPECT_EQ(spl_file_wait(h, limit), 0) << limit << ": " << spl_last_error();
    EXPECT_EQ(spl_file_state(h), SPL_STATE_READY);
    EXPECT_EQ(spl_file_close(h), 0);
  }
}

TEST(FileAbi, PathCheckRefusesNulBytes) {
  const std::string good = "/tmp/small.txt";
  EXPECT_EQ(spl_path_check(good.data(), good.size()), 0);
  EXPECT_EQ(spl_path_check("", 0), 0) << "empty is for the open to report";
  const std::string bad("small.txt\0.png", 14);
  EXPECT_EQ(spl_path_check(bad.data(), bad.size()), SPL_EINVAL);
  EXPECT_STREQ(spl_last_error(), "path contains a NUL byte at offset 9: small.txt\\0.png");
  EXPECT_EQ(spl_path_check(nullptr, 3), SPL_EINVAL);
}

TEST(FileAbi, ReadLimitAndPseudoFileMessages) {
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  EXPECT_EQ(opts.read_limit, 64u << 20);
  opts.read_limit = 100;
  spl_handle_t h = 0;
  EXPECT_EQ(spl_open_sync("/proc/self/status", &opts, &h), SPL_EFBIG);
  EXPECT_STREQ(spl_err_name(SPL_EFBIG), "EFBIG");
  EXPECT_STREQ(spl_last_error(),
               "too large: /proc/self/status (more than the read limit of 100 bytes from a "
               "pseudo file)");
  spl_open_options_init(&opts);
  opts.mode = SPL_MODE_COPY_ON_WRITE;
  EXPECT_EQ(spl_open_sync("/proc/self/status", &opts, &h), SPL_EINVAL);
  EXPECT_NE(std::string(spl_last_error()).find("load them read-only, not copy-on-write"),
            std::string::npos);
}

TEST(FileAbi, StreamsFromDescriptorsAndOnRequest) {
  // A pipe handed over (as standard input would be): read to EOF in the background.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  spl_handle_t h = 0;
  ASSERT_EQ(spl_submit_fd(fds[0], "-", nullptr, &h), 0) << spl_last_error();
  ::close(fds[0]);  // the library has its own duplicate
  ASSERT_EQ(::write(fds[1], "piped\n", 6), 6);
  ::close(fds[1]);
  EXPECT_EQ(spl_file_wait(h, -1), 0) << spl_last_error();
  EXPECT_EQ(spl_file_strategy(h), SPL_STRATEGY_STREAM);
  uint64_t len = 0;
  ASSERT_EQ(spl_region_len(h, &len), 0);
  EXPECT_EQ(len, 6u);
  EXPECT_EQ(spl_file_close(h), 0);

  // A regular file handed over: loaded from its position.
  TempDir dir;
  std::string path = dir.Write("f", "0123456789");
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_EQ(::lseek(fd, 4, SEEK_SET), 4);
  ASSERT_EQ(spl_open_sync_fd(fd, "-", nullptr, &h), 0) << spl_last_error();
  ::close(fd);
  ASSERT_EQ(spl_region_len(h, &len), 0);
  EXPECT_EQ(len, 6u);
  EXPECT_EQ(spl_file_close(h), 0);
  EXPECT_EQ(spl_submit_fd(-1, "-", nullptr, &h), SPL_EBADF);
  EXPECT_STREQ(spl_err_name(SPL_EBADF), "EBADF");
  EXPECT_EQ(spl_open_sync_fd(777, "in", nullptr, &h), SPL_EBADF);
  EXPECT_STREQ(spl_last_error(), "I/O error: in (descriptor 777 is not open)");

  // Character devices and FIFOs by path: refused by default, read when asked for.
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  EXPECT_EQ(opts.streams, 0u);
  EXPECT_EQ(spl_open_sync("/dev/null", &opts, &h), SPL_EUNSUPPORTED);
  opts.streams = SPL_STREAM_CHAR_DEVICES;
  ASSERT_EQ(spl_open_sync("/dev/null", &opts, &h), 0);
  EXPECT_EQ(spl_file_strategy(h), SPL_STRATEGY_STREAM);
  EXPECT_EQ(spl_file_close(h), 0);
  opts.streams = 8;
  EXPECT_EQ(spl_open_sync("/dev/null", &opts, &h), SPL_EINVAL);

  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  opts.streams = SPL_STREAM_FIFOS;
  ASSERT_EQ(spl_submit(fifo.c_str(), &opts, &h), 0);
  // The longest wait there is: it must wait for the writer, not time out at once.
  std::atomic<int> waited{1};
  std::thread waiter([&] { waited = spl_file_wait(h, INT64_MAX); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(waited.load(), 1) << "returned before any writer came";
  int w = ::open(fifo.c_str(), O_WRONLY);
  ASSERT_GE(w, 0);
  ASSERT_EQ(::write(w, "abc", 3), 3);
  ::close(w);
  waiter.join();
  EXPECT_EQ(waited.load(), 0) << spl_last_error();
  ASSERT_EQ(spl_region_len(h, &len), 0);
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(spl_file_close(h), 0);
}

TEST(FileAbi, ErrorsHaveCodesNamesAndMessages) {
  TempDir dir;
  spl_handle_t h = 0;
  EXPECT_EQ(spl_open_sync("/nonexistent/x.txt", nullptr, &h), SPL_ENOENT);
  EXPECT_STREQ(spl_last_error(), "not found: /nonexistent/x.txt");
  EXPECT_EQ(spl_open_sync(dir.path().c_str(), nullptr, &h), SPL_EISDIR);
  EXPECT_EQ(std::string(spl_last_error()), "is a directory: " + dir.path());
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(spl_open_sync(fifo.c_str(), nullptr, &h), SPL_EUNSUPPORTED);
  EXPECT_EQ(spl_open_sync("/dev/zero", nullptr, &h), SPL_EUNSUPPORTED);
  EXPECT_EQ(spl_open_sync(nullptr, nullptr, &h), SPL_EINVAL);
  spl_open_options_t bad;
  spl_open_options_init(&bad);
  bad.mode = 7;
  EXPECT_EQ(spl_open_sync(dir.Write("f", "x").c_str(), &bad, &h), SPL_EINVAL);

  // Async failures come out of wait and result.
  ASSERT_EQ(spl_submit("/nonexistent/y", nullptr, &h), 0);
  EXPECT_EQ(spl_file_wait(h, -1), SPL_ENOENT);
  EXPECT_EQ(spl_file_result(h), SPL_ENOENT);
  EXPECT_EQ(spl_file_state(h), SPL_STATE_FAILED);
  uint64_t len;
  EXPECT_EQ(spl_region_len(h, &len), SPL_ENOENT);
  EXPECT_EQ(spl_file_close(h), 0);

  EXPECT_STREQ(spl_err_name(SPL_ENOENT), "ENOENT");
  EXPECT_STREQ(spl_err_name(SPL_ETRUNCATED), "ETRUNCATED");
  EXPECT_STREQ(spl_err_name(SPL_ECLOSED), "ECLOSED");
  EXPECT_STREQ(spl_err_name(12345), "UNKNOWN");
  EXPECT_STREQ(spl_strerror(SPL_ECANCELED), "load cancelled");
  EXPECT_STREQ(spl_strerror(SPL_EACCES), "permission denied");
  EXPECT_STREQ(spl_strerror(-EXDEV), "Invalid cross-device link");
  EXPECT_STREQ(spl_strerror(0), "success");
}

TEST(FileAbi, Scans) {
  TempDir dir;
  std::string content = "alpha beta\nbeta gamma\n\xce\xb1\xff tail\n";
  spl_handle_t h = OpenSync(dir.Write("f", content));
  uint64_t n = 0;
  ASSERT_EQ(spl_scan_count_lines(h, 0, content.size(), &n), 0);
  EXPECT_EQ(n, 3u);
  ASSERT_EQ(spl_scan_count(h, 0, content.size(), "beta", 4, &n), 0);
  EXPECT_EQ(n, 2u);
  ASSERT_EQ(spl_scan_count(h, 11, 11, "beta", 4, &n), 0);
  EXPECT_EQ(n, 1u) << "count inside a sub-range";
  int64_t pos = 0;
  ASSERT_EQ(spl_scan_find(h, 0, content.size(), 0, "beta", 4, &pos), 0);
  EXPECT_EQ(pos, 6);
  ASSERT_EQ(spl_scan_find(h, 0, content.size(), 7, "beta", 4, &pos), 0);
  EXPECT_EQ(pos, 11) << "find next";
  ASSERT_EQ(spl_scan_find(h, 0, content.size(), 12, "beta", 4, &pos), 0);
  EXPECT_EQ(pos, -1);
  EXPECT_EQ(spl_scan_find(h, 5, 10, 2, "a", 1, &pos), SPL_ERANGE);
  uint64_t bad = 0;
  EXPECT_EQ(spl_scan_validate_utf8(h, 0, 22, &bad), 0);
  EXPECT_EQ(spl_scan_validate_utf8(h, 0, content.size(), &bad), SPL_EUTF8);
  EXPECT_EQ(bad, 24u);
  EXPECT_STREQ(spl_last_error(), "invalid UTF-8 at byte 24");
  EXPECT_EQ(spl_scan_validate_utf8(h, 23, 3, &bad), SPL_EUTF8) << "starts mid-character";
  EXPECT_EQ(bad, 23u);
  spl_wc_counts_t wc;
  ASSERT_EQ(spl_scan_wc(h, 0, content.size(), &wc), 0);
  EXPECT_EQ(wc.lines, 3u);
  EXPECT_EQ(wc.words, 6u) << "alpha beta beta gamma \u03b1\xff tail";
  EXPECT_EQ(wc.chars, content.size() - 2) << "the 2-byte alpha is one char, \xff is none";
  EXPECT_EQ(wc.bytes, content.size());
  char out[6] = {};
  ASSERT_EQ(spl_scan_copy(h, 6, 5, out), 0);
  EXPECT_STREQ(out, "beta\n");
  EXPECT_EQ(spl_scan_copy(h, content.size() - 1, 2, out), SPL_ERANGE);
  EXPECT_EQ(spl_scan_count_lines(h, 0, content.size() + 1, &n), SPL_ERANGE);
  EXPECT_EQ(spl_file_close(h), 0);
  EXPECT_EQ(spl_scan_count_lines(h, 0, 1, &n), SPL_ECLOSED);
}

TEST(FileAbi, TruncatedUnderScanGivesETRUNCATED) {
  TempDir dir;
  std::string path = dir.WriteSized("big", 2 << 20);
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  opts.prefault = 0;
  spl_handle_t h = 0;
  ASSERT_EQ(spl_open_sync(path.c_str(), &opts, &h), 0);
  ASSERT_EQ(::truncate(path.c_str(), 100), 0);
  uint64_t n = 0;
  EXPECT_EQ(spl_scan_count_lines(h, 0, 2 << 20, &n), SPL_ETRUNCATED);
  EXPECT_NE(std::string(spl_last_error()).find(path), std::string::npos);
  EXPECT_EQ(spl_region_is_stale(h), 1);
  EXPECT_EQ(spl_file_close(h), 0);
}

TEST(FileAbi, WriteFlushAdviseStale) {
  TempDir dir;
  std::string path = dir.Write("f", "hello\n");
  spl_open_options_t opts;
  spl_open_options_init(&opts);
  opts.mode = SPL_MODE_READ_WRITE;
  spl_handle_t h = 0;
  ASSERT_EQ(spl_open_sync(path.c_str(), &opts, &h), 0) << spl_last_error();
  EXPECT_EQ(spl_region_write(h, 0, "J", 1), 0);
  EXPECT_EQ(spl_region_flush(h, 0, 0), 0);
  EXPECT_EQ(spl_region_is_stale(h), 0);
  EXPECT_EQ(spl_region_advise(h, SPL_ADVICE_SEQUENTIAL, 0, 0), 0);
  EXPECT_EQ(spl_region_advise(h, 99, 0, 0), SPL_EINVAL);
  EXPECT_EQ(spl_file_close(h), 0);
  spl_handle_t ro = OpenSync(path);
  EXPECT_EQ(spl_region_write(ro, 0, "x", 1), SPL_EREADONLY);
  EXPECT_EQ(spl_region_flush(ro, 0, 0), SPL_EREADONLY);
  char buf[7] = {};
  ASSERT_EQ(spl_scan_copy(ro, 0, 6, buf), 0);
  EXPECT_STREQ(buf, "Jello\n");
  EXPECT_EQ(spl_file_close(ro), 0);
}

TEST(FileAbi, CloseCancelsARunningLoad) {
  TempDir dir;
  std::string path = dir.WriteSized("big", 8 << 20);
  std::vector<spl_handle_t> hs(50);
  for (auto& h : hs) ASSERT_EQ(spl_submit(path.c_str(), nullptr, &h), 0);
  for (auto h : hs) EXPECT_EQ(spl_file_close(h), 0);
  for (auto h : hs) EXPECT_EQ(spl_file_state(h), SPL_ECLOSED);
}

struct LoopSeen {
  std::vector<std::pair<spl_handle_t, int>> done;
  std::thread::id thread;
  bool wrong_thread = false;
};

// Attaches `loop` with a callback that records each completion (and whether it ran on this
// thread) in `seen`.
int AttachRecording(uv_loop_t* loop, LoopSeen* seen) {
  seen->thread = std::this_thread::get_id();
  return spl_loop_attach(
      loop,
      [](spl_handle_t h, int state, void* user) {
        auto* s = static_cast<LoopSeen*>(user);
        if (std::this_thread::get_id() != s->thread) s->wrong_thread = true;
        s->done.emplace_back(h, state);
      },
      seen);
}

TEST(FileAbi, CompletionOnTheLoop) {
  TempDir dir;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  LoopSeen seen;
  ASSERT_EQ(AttachRecording(&loop, &seen), 0);
  ASSERT_EQ(spl_loop_ref(1), 0);
  spl_handle_t good = 0, bad = 0;
  ASSERT_EQ(spl_submit(dir.WriteSized("f", 300000).c_str(), nullptr, &good), 0);
  ASSERT_EQ(spl_submit("/nonexistent", nullptr, &bad), 0);
  // (Run in one process with the other tests, a load an earlier test closed while it ran
  // may end, and be announced under its old handle, after this loop was attached: only this
  // test's two handles are counted.)
  auto ours = [&] {
    int n = 0;
    for (auto& [h, state] : seen.done) n += h == good || h == bad;
    return n;
  };
  while (ours() < 2) uv_run(&loop, UV_RUN_ONCE);
  EXPECT_FALSE(seen.wrong_thread);
  for (auto& [h, state] : seen.done) {
    if (h == good) {
      EXPECT_EQ(state, SPL_STATE_READY);
    } else if (h == bad) {
      EXPECT_EQ(state, SPL_STATE_FAILED);
    }
  }
  EXPECT_EQ(ours(), 2) << "each completion once";
  EXPECT_EQ(spl_loop_detach(), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  EXPECT_EQ(spl_file_close(good), 0);
  EXPECT_EQ(spl_file_close(bad), 0);
}

TEST(FileAbi, LoopPollDeliversEndedLoadsWithoutRunningTheLoop) {
  TempDir dir;
  EXPECT_EQ(spl_loop_poll(), SPL_EINVAL) << "no loop attached";
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  LoopSeen seen;
  ASSERT_EQ(AttachRecording(&loop, &seen), 0);
  std::vector<std::string> paths;
  for (int i = 0; i < 30; ++i) paths.push_back(dir.Write("f" + std::to_string(i), "abc"));
  std::vector<const char*> cpaths;
  for (const auto& p : paths) cpaths.push_back(p.c_str());
  std::vector<spl_handle_t> hs(cpaths.size());
  ASSERT_EQ(spl_submit_many(cpaths.data(), cpaths.size(), nullptr, hs.data()), 0);
  for (spl_handle_t h : hs) ASSERT_EQ(spl_file_wait(h, -1), 0);
  // (Counts only this test's loads: run in one process with the other tests, a load an
  // earlier test cancelled may end, and be announced, after this loop was attached.)
  auto ours = [&] {
    size_t n = 0;
    for (auto& [h, state] : seen.done) n += std::count(hs.begin(), hs.end(), h);
    return n;
  };
  EXPECT_GE(spl_loop_poll(), 30);
  EXPECT_EQ(ours(), 30u);
  EXPECT_FALSE(seen.wrong_thread);
  uv_run(&loop, UV_RUN_NOWAIT);
  EXPECT_EQ(ours(), 30u) << "each completion is delivered once";
  EXPECT_EQ(spl_loop_poll(), 0);
  EXPECT_EQ(spl_loop_detach(), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  for (spl_handle_t h : hs) EXPECT_EQ(spl_file_close(h), 0);
}

TEST(FileAbi, LoadsDoneOnTheCallingThreadAreNotAnnouncedToTheLoop) {
  // The caller of spl_submit_or_load learns from the call that such a load ended; queued for
  // the loop as well, it would stay queued in a program that never runs its loop.
  TempDir dir;
  std::string small = dir.Write("small", "12345");
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  LoopSeen seen;
  ASSERT_EQ(AttachRecording(&loop, &seen), 0);
  ASSERT_EQ(spl_loop_ref(1), 0);
  spl_handle_t inline_h = 0, missing_h = 0, worker_h = 0;
  ASSERT_EQ(spl_submit_or_load(small.c_str(), nullptr, &inline_h), 0);
  ASSERT_EQ(spl_file_state(inline_h), SPL_STATE_READY);
  ASSERT_EQ(spl_submit_or_load(dir.Join("missing").c_str(), nullptr, &missing_h), 0);
  ASSERT_EQ(spl_file_state(missing_h), SPL_STATE_FAILED);
  // A load a loader thread does (mapped) is announced, as always.
  spl_open_options_t mapped;
  spl_open_options_init(&mapped);
  mapped.mmap_threshold = 1;
  ASSERT_EQ(spl_submit_or_load(small.c_str(), &mapped, &worker_h), 0);
  while (seen.done.empty()) uv_run(&loop, UV_RUN_ONCE);
  for (int i = 0; i < 5; i++) uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(seen.done.size(), 1u);
  EXPECT_EQ(seen.done[0].first, worker_h);
  EXPECT_EQ(seen.done[0].second, SPL_STATE_READY);
  EXPECT_EQ(spl_loop_detach(), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  for (spl_handle_t h : {inline_h, missing_h, worker_h}) EXPECT_EQ(spl_file_close(h), 0);
}

TEST(FileAbi, ConfigureAfterStartIsRefused) {
  EXPECT_GE(spl_loader_threads(), 4);
  EXPECT_EQ(spl_loader_configure(2), SPL_EINVAL);
}

TEST(FileAbi, SubmitManyGivesHandlesInOrderAndHandleCountTracksThem) {
  TempDir dir;
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i)
    names.push_back(dir.Write("f" + std::to_string(i), std::string(i, 'x')));
  names.push_back(dir.Join("missing"));
  std::vector<const char*> paths;
  for (auto& n : names) paths.push_back(n.c_str());
  const uint64_t before = spl_handle_count();
  std::vector<spl_handle_t> hs(paths.size(), 0);
  ASSERT_EQ(spl_submit_many(paths.data(), paths.size(), nullptr, hs.data()), 0) << spl_last_error();
  EXPECT_EQ(spl_handle_count(), before + paths.size());
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(spl_file_wait(hs[i], -1), 0) << spl_last_error();
    uint64_t len = 0;
    ASSERT_EQ(spl_region_len(hs[i], &len), 0);
    EXPECT_EQ(len, static_cast<uint64_t>(i));
  }
  EXPECT_EQ(spl_file_wait(hs.back(), -1), SPL_ENOENT);
  for (spl_handle_t h : hs) EXPECT_EQ(spl_file_close(h), 0);
  EXPECT_EQ(spl_handle_count(), before);
}

TEST(FileAbi, SubmitManyIsAllOrNothing) {
  TempDir dir;
  std::string a = dir.Write("a", "a");
  const char* paths[] = {a.c_str(), nullptr, a.c_str()};
  spl_handle_t hs[3] = {0, 0, 0};
  const uint64_t before = spl_handle_count();
  EXPECT_EQ(spl_submit_many(paths, 3, nullptr, hs), SPL_EINVAL);
  EXPECT_NE(std::string(spl_last_error()).find("paths[1] is NULL"), std::string::npos);
  EXPECT_EQ(hs[0], 0u) << "out untouched";
  EXPECT_EQ(spl_handle_count(), before) << "nothing queued";
  EXPECT_EQ(spl_submit_many(nullptr, 0, nullptr, nullptr), 0) << "an empty batch is fine";
  EXPECT_EQ(spl_submit_many(nullptr, 1, nullptr, hs), SPL_EINVAL);
  spl_open_options_t bad;
  spl_open_options_init(&bad);
  bad.mode = 9;
  EXPECT_EQ(spl_submit_many(paths, 1, &bad, hs), SPL_EINVAL);
}

TEST(FileAbi, RunIfCachedEndsALoadAtOnceOrSaysItRuns) {
  TempDir dir;
  spl_handle_t h = 0;
  ASSERT_EQ(spl_submit(dir.Write("f", "12345").c_str(), nullptr, &h), 0);
  int rc = spl_file_run_if_cached(h);
  ASSERT_TRUE(rc == 0 || rc == 1) << rc;
  // Whether here or on a loader thread, the load ends with the file's bytes.
  ASSERT_EQ(spl_file_wait(h, -1), 0);
  EXPECT_EQ(spl_file_run_if_cached(h), 1) << "ended";
  uint64_t len = 0;
  ASSERT_EQ(spl_region_len(h, &len), 0);
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(spl_file_close(h), 0);
  EXPECT_EQ(spl_file_run_if_cached(h), SPL_ECLOSED);
}

}  // namespace

namespace {

TEST(FileAbi, SubmitOrLoadEndsACachedSmallFileBeforeReturning) {
  TempDir dir;
  // A file just written is in the page cache (its pages are dirty, never marked for
  // read-ahead): below mmap_threshold it is read on the calling thread.
  std::string small = dir.Write("small", "12345");
  spl_handle_t h = 0;
  ASSERT_EQ(spl_submit_or_load(small.c_str(), nullptr, &h), 0);
  EXPECT_EQ(spl_file_state(h), SPL_STATE_READY);
  uint64_t len = 0;
  ASSERT_EQ(spl_region_len(h, &len), 0);
  EXPECT_EQ(len, 5u);
  char buf[5];
  ASSERT_EQ(spl_scan_copy(h, 0, 5, buf), 0);
  EXPECT_EQ(std::string(buf, 5), "12345");
  EXPECT_EQ(spl_file_close(h), 0);

  // A load that fails at once fails before returning too, with its error.
  ASSERT_EQ(spl_submit_or_load(dir.Join("missing").c_str(), nullptr, &h), 0);
  EXPECT_EQ(spl_file_state(h), SPL_STATE_FAILED);
  EXPECT_EQ(spl_file_result(h), SPL_ENOENT);
  EXPECT_EQ(spl_file_close(h), 0);

  // What would be mapped goes to the loader threads as spl_submit sends it.
  spl_open_options_t mapped;
  spl_open_options_init(&mapped);
  mapped.mmap_threshold = 1;
  ASSERT_EQ(spl_submit_or_load(small.c_str(), &mapped, &h), 0);
  ASSERT_EQ(spl_file_wait(h, -1), 0);
  EXPECT_EQ(spl_file_strategy(h), SPL_STRATEGY_MMAP);
  EXPECT_EQ(spl_file_close(h), 0);

  EXPECT_EQ(spl_submit_or_load(nullptr, nullptr, &h), SPL_EINVAL);
  EXPECT_EQ(spl_submit_or_load(small.c_str(), nullptr, nullptr), SPL_EINVAL);
}

}  // namespace
