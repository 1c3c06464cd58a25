// Many small files: how fast can a batch of them be opened, sized and read? Compares, on the
// same files (all warm in the page cache):
//   - one thread doing open + fstat + pread + close per file (what open_sync does, in a loop);
//   - a pool of N threads claiming files from a shared counter (what the loader's workers do);
//   - io_uring on one thread: per file an IORING_OP_OPENAT into a direct descriptor linked to a
//     READ and a CLOSE, plus a STATX for the file's identity, submitted in batches of B files;
//   - what the loader's BatchReader does, on one thread: the OPENATs of B files in one
//     submission, an fstat system call per file, then their READs, each hard-linked to its
//     CLOSE, in a second submission;
//   - the runtime itself: spl_submit_many + spl_file_wait + spl_file_close.
// Each line gives the median wall time and the median CPU time of the whole process (all its
// threads, the kernel's io_uring workers included): in a program the interpreter has a core
// of its own to use, so CPU time is what the loading costs it. This is the measurement behind
// the loader's design (docs/benchmarks.md). The bench data comes from tools/bench/run_all
// (DIR/f0 .. DIR/fN-1). Usage: small_files_bench DIR COUNT [REPEATS]. Never asserts on time.
#include <fcntl.h>
#include <liburing.h>
#include <sys/resource.h>
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

// BatchReader's way: B OPENATs in one submission, fstat per file, then B READs each
// hard-linked to its CLOSE in a second submission. 0 when the ring cannot be set up.
uint64_t OpenStatRead(unsigned batch) {
  io_uring ring;
  if (io_uring_queue_init(batch * 2, &ring, 0) != 0) return 0;
  std::vector<int> fds(batch);
  std::vector<std::unique_ptr<uint8_t[]>> bufs(batch);
  uint64_t total = 0;
  for (size_t base = 0; base < g_paths.size(); base += batch) {
    unsigned n = static_cast<unsigned>(std::min<size_t>(batch, g_paths.size() - base));
    for (unsigned k = 0; k < n; ++k) {
      io_uring_sqe* s = io_uring_get_sqe(&ring);
      io_uring_prep_openat(s, AT_FDCWD, g_paths[base + k].c_str(),
                           O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
      s->user_data = k;
    }
    io_uring_submit_and_wait(&ring, n);
    for (unsigned left = n; left > 0; --left) {
      io_uring_cqe* c = nullptr;
      if (io_uring_wait_cqe(&ring, &c) != 0) break;
      fds[c->user_data] = c->res;
      io_uring_cqe_seen(&ring, c);
    }
    unsigned queued = 0;
    for (unsigned k = 0; k < n; ++k) {
      struct stat st;
      if (fds[k] < 0) continue;
      if (::fstat(fds[k], &st) != 0 || st.st_size <= 0) {
        ::close(fds[k]);
        continue;
      }
      bufs[k].reset(new uint8_t[st.st_size]);
      io_uring_sqe* s = io_uring_get_sqe(&ring);
      io_uring_prep_read(s, fds[k], bufs[k].get(), static_cast<unsigned>(st.st_size), 0);
      s->flags |= IOSQE_IO_HARDLINK;
      s->user_data = k * 2;
      s = io_uring_get_sqe(&ring);
      io_uring_prep_close(s, fds[k]);
      s->user_data = k * 2 + 1;
      queued += 2;
    }
    io_uring_submit_and_wait(&ring, queued);
    for (unsigned left = queued; left > 0; --left) {
      io_uring_cqe* c = nullptr;
      if (io_uring_wait_cqe(&ring, &c) != 0) break;
      if (c->user_data % 2 == 0 && c->res > 0) total += static_cast<uint64_t>(c->res);
      io_uring_cqe_seen(&ring, c);
    }
  }
  io_uring_queue_exit(&ring);
  return total;
}

double CpuMs() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

void Measure(const char* name, const Method& m, int repeats, uint64_t expect) {
  std::vector<double> ms, cpu;
  uint64_t got = 0;
  for (int r = 0; r < repeats; ++r) {
    const double c0 = CpuMs();
    auto t0 = Clock::now();
    got = m();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    cpu.push_back(CpuMs() - c0);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  if (got != expect) {
    std::printf("%-34s  failed (read %llu bytes of %llu)\n", name, (unsigned long long)got,
                (unsigned long long)expect);
    return;
  }
  std::printf("%-38s  %8.1f ms wall  %8.1f ms CPU\n", name, ms[ms.size() / 2], cpu[cpu.size() / 2]);
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
  for (bool statx : {false, true}) {
    for (unsigned b : {16u, 64u, 256u}) {
      std::string name = "io_uring, batches of " + std::to_string(b) + (statx ? " +statx" : "");
      Measure(
          name.c_str(), [b, statx] { return Uring(b, statx); }, repeats, expect);
    }
  }
  for (unsigned b : {16u, 64u}) {
    std::string name = "io_uring open, fstat, read+close, " + std::to_string(b);
    Measure(
        name.c_str(), [b] { return OpenStatRead(b); }, repeats, expect);
  }
  Measure("runtime: spl_submit_many + waits", Runtime, repeats, expect);
  return 0;
}
