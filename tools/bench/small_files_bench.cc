// Many small files: how fast can a batch of them be opened, sized and read? Compares, on the
// same files (all warm in the page cache):
//   - one thread doing open + fstat + pread + close per file (what open_sync does, in a loop);
//   - a pool of N threads claiming files from a shared counter (what the loader's workers do);
//   - io_uring on one thread: per file an IORING_OP_OPENAT into a direct descriptor linked to a
//     READ and a CLOSE, plus a STATX for the file's identity, submitted in batches of B files;
//   - the runtime itself: spl_submit_many + spl_file_wait + spl_file_close.
// This is the measurement behind keeping the thread pool (docs/benchmarks.md). io_uring is
// measured only when liburing was found at build time (Debian's liburing-dev); the bench data
// comes from tools/bench/run_all (DIR/f0 .. DIR/fN-1). Usage: small_files_bench DIR COUNT
// [REPEATS]. Prints one line per method: the median over REPEATS runs, in milliseconds. Never
// asserts on time.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifdef SPL_HAVE_LIBURING
#include <liburing.h>
#endif

#include "spl/file.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> g_paths;

// Bytes read, so the work cannot be optimised away and runs can be checked against each other.
using Method = std::function<uint64_t()>;

uint64_t LoadOne(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return 0;
  struct stat st;
  uint64_t got = 0;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    std::unique_ptr<uint8_t[]> buf(new uint8_t[st.st_size]);
    ssize_t n = ::pread(fd, buf.get(), st.st_size, 0);
    if (n > 0) got = static_cast<uint64_t>(n);
  }
  ::close(fd);
  return got;
}

uint64_t Pool(unsigned threads) {
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> total{0};
  auto work = [&] {
    uint64_t t = 0;
    for (size_t i; (i = next.fetch_add(1)) < g_paths.size();) t += LoadOne(g_paths[i]);
    total += t;
  };
  std::vector<std::thread> helpers;
  for (unsigned i = 1; i < threads; ++i) helpers.emplace_back(work);
  work();
  for (auto& h : helpers) h.join();
  return total;
}

uint64_t Runtime() {
  std::vector<const char*> paths;
  for (auto& p : g_paths) paths.push_back(p.c_str());
  std::vector<spl_handle_t> hs(paths.size());
  if (spl_submit_many(paths.data(), paths.size(), nullptr, hs.data()) != 0) return 0;
  uint64_t total = 0;
  for (spl_handle_t h : hs) {
    uint64_t len = 0;
    if (spl_file_wait(h, -1) == 0 && spl_region_len(h, &len) == 0) total += len;
    spl_file_close(h);
  }
  return total;
}

#ifdef SPL_HAVE_LIBURING
// One ring; per batch, each file gets 4 SQEs: OPENAT into direct slot k, linked READ from the
// slot into a 64 KiB buffer, hard-linked CLOSE of the slot (so a short read does not cancel
// it), and an unlinked STATX by path. Files above 64 KiB would need a second read: not the
// case measured here. Returns 0 when the ring cannot be set up (then the line says so).
uint64_t Uring(unsigned batch, bool with_statx) {
  io_uring ring;
  if (io_uring_queue_init(batch * 4, &ring, 0) != 0) return 0;
  if (io_uring_register_files_sparse(&ring, batch) != 0) {
    io_uring_queue_exit(&ring);
    return 0;
  }
  constexpr size_t kCap = 64 << 10;
  std::vector<std::unique_ptr<uint8_t[]>> bufs;
  for (unsigned k = 0; k < batch; ++k) bufs.emplace_back(new uint8_t[kCap]);
  std::vector<struct statx> stx(batch);
  uint64_t total = 0;
  const unsigned per = with_statx ? 4 : 3;
  for (size_t base = 0; base < g_paths.size(); base += batch) {
    unsigned n = static_cast<unsigned>(std::min<size_t>(batch, g_paths.size() - base));
    for (unsigned k = 0; k < n; ++k) {
      const char* p = g_paths[base + k].c_str();
      io_uring_sqe* s = io_uring_get_sqe(&ring);
      io_uring_prep_openat_direct(s, AT_FDCWD, p, O_RDONLY, 0, k);
      s->flags |= IOSQE_IO_LINK;
      s->user_data = k * 4;
      s = io_uring_get_sqe(&ring);
      io_uring_prep_read(s, static_cast<int>(k), bufs[k].get(), kCap, 0);
      s->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
      s->user_data = k * 4 + 1;
      s = io_uring_get_sqe(&ring);
      io_uring_prep_close_direct(s, k);
      s->user_data = k * 4 + 2;
      if (with_statx) {
        s = io_uring_get_sqe(&ring);
        io_uring_prep_statx(s, AT_FDCWD, p, 0, STATX_BASIC_STATS, &stx[k]);
        s->user_data = k * 4 + 3;
      }
    }
    io_uring_submit_and_wait(&ring, n * per);
    for (unsigned left = n * per; left > 0; --left) {
      io_uring_cqe* c = nullptr;
      if (io_uring_wait_cqe(&ring, &c) != 0) break;
      if ((c->user_data & 3) == 1 && c->res > 0) total += static_cast<uint64_t>(c->res);
      io_uring_cqe_seen(&ring, c);
    }
  }
  io_uring_queue_exit(&ring);
  return total;
}
#endif

void Measure(const char* name, const Method& m, int repeats, uint64_t expect) {
  std::vector<double> ms;
  uint64_t got = 0;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = Clock::now();
    got = m();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  if (got != expect) {
    std::printf("%-34s  failed (read %llu bytes of %llu)\n", name, (unsigned long long)got,
                (unsigned long long)expect);
    return;
  }
  std::printf("%-34s  %8.1f ms\n", name, ms[ms.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: small_files_bench DIR COUNT [REPEATS]\n");
    return 2;
  }
  const int count = std::atoi(argv[2]);
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 7;
  for (int i = 0; i < count; ++i)
    g_paths.push_back(std::string(argv[1]) + "/f" + std::to_string(i));
  const uint64_t expect = Pool(1);  // also warms the page cache and the dentries
  std::printf("%d files, %llu bytes, median of %d runs\n", count, (unsigned long long)expect,
              repeats);
  Measure(
      "open+fstat+pread+close, 1 thread", [] { return Pool(1); }, repeats, expect);
  for (unsigned t : {2u, 4u}) {
    std::string name = "same, pool of " + std::to_string(t) + " threads";
    Measure(
        name.c_str(), [t] { return Pool(t); }, repeats, expect);
  }
#ifdef SPL_HAVE_LIBURING
  for (bool statx : {false, true}) {
    for (unsigned b : {16u, 64u, 256u}) {
      std::string name = "io_uring, batches of " + std::to_string(b) + (statx ? " +statx" : "");
      Measure(
          name.c_str(), [b, statx] { return Uring(b, statx); }, repeats, expect);
    }
  }
#else
  std::printf("io_uring: not measured (liburing was not found at build time)\n");
#endif
  Measure("runtime: spl_submit_many + waits", Runtime, repeats, expect);
  return 0;
}
