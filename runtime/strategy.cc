// Strategy implementation (see strategy.h).
#include "runtime/strategy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include "runtime/fd_closer.h"
#include "runtime/file_probe.h"
#include "runtime/memory_limit.h"
#include "runtime/stream.h"

namespace spl::rt {
namespace {

// n bytes, uninitialised, or null when memory ran out (never throws).
std::unique_ptr<uint8_t[]> TryAlloc(size_t n) {
  return std::unique_ptr<uint8_t[]>(new (std::nothrow) uint8_t[n]);
}

// Reads up to `length` bytes at `offset`, stopping early at EOF.
Result<size_t> ReadRange(int fd, const std::string& path, uint8_t* dst, uint64_t offset,
                         uint64_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, dst + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, path, "read");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// A region over what ReadToEnd got, cut to the requested range.
Result<std::shared_ptr<Region>> FromReadBuffer(const ProbedFile& file, ReadBuffer got,
                                               const LoadOptions& options, Strategy strategy) {
  const size_t size = got.size;
  if (options.offset > size || (options.length != 0 && options.length > size - options.offset)) {
    return Status::Error(Code::kOutOfBounds, file.path,
                         fmt::format("range starts at {} with length {}, the input has {} bytes",
                                     options.offset, options.length, size));
  }
  size_t len = options.length != 0 ? options.length : size - options.offset;
  if (options.offset != 0) std::memmove(got.data.get(), got.data.get() + options.offset, len);
  FileIdentity id = file.identity;
  id.size = size;
  return Region::FromBuffer(file.path, id, std::move(got.data), len, strategy);
}

// Pseudo files and streams are read into memory: only ReadOnly makes sense for them.
Status ReadOnlyOnly(const std::string& path, const LoadOptions& options, const char* what) {
  if (options.mode == MapMode::kReadOnly) return Status::Ok();
  // Not "unsupported file kind": say what went wrong and what works.
  return Status::Error(Code::kInvalidArgument, path,
                       fmt::format("{} are read, not mapped: load them read-only, not {}", what,
                                   MapModeName(options.mode)));
}

// Loads from one descriptor source at a time: two loads of standard input read it one after
// the other (the second one finds EOF, as with `wc - -`), never interleaved.
std::mutex& SourceMutex() {
  static std::mutex* mu = new std::mutex;  // never destroyed: loader threads may outlive exit
  return *mu;
}

// The memory window of a new mapping, and drop-behind when a ReadOnly one is bigger. The
// limit is read once per process (mappings below 16 MiB never need it: they fit any window
// the auto setting gives a machine able to run us).
void SetStreaming(Region& region, int fd, uint64_t file_offset, const LoadOptions& options) {
  uint64_t window = options.memory_window;
  if (window == 0) {
    if (region.size() < (16u << 20)) return;
    static const uint64_t kAuto = std::max<uint64_t>(MemoryLimit() / 4, 16u << 20);
    window = kAuto;
  }
  region.set_memory_window(window);
  if (options.mode != MapMode::kReadOnly || region.size() <= window) return;
  int kept = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  region.EnableDropBehind(Fd(kept), file_offset);  // without a descriptor: madvise only
}

}  // namespace

Result<std::shared_ptr<Region>> OpenRegion(const std::string& path, const LoadOptions& options,
                                           const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> source_lock;
  Result<ProbedFile> probed = Status::Ok();
  if (options.source) {
    source_lock = std::unique_lock(SourceMutex());
    probed = ProbeFd(options.source->get(), path);
  } else {
    ProbeOptions probe;
    probe.writable = options.mode == MapMode::kReadWrite;
    probe.nofollow = options.nofollow;
    probed = ProbeFile(path, probe);
  }
  if (!probed.ok()) return probed.status();
  ProbedFile& file = probed.value();
  const uint64_t limit = options.read_limit != 0 ? options.read_limit : kDefaultReadLimit;
  bool stream = false;  // read to EOF as a non-seekable input
  switch (file.kind) {
    case FileKind::kRegular:
      break;
    case FileKind::kPseudo: {
      constexpr const char* kWhat = "pseudo files such as /proc and /sys ones";
      if (Status s = ReadOnlyOnly(path, options, kWhat); !s.ok()) return s;
      auto got = ReadToEnd(file.fd.get(), path, limit, "a pseudo file", cancel);
      if (!got.ok()) return got.status();
      return FromReadBuffer(file, std::move(got.value()), options, Strategy::kReadToEof);
    }
    case FileKind::kDirectory:
      return Status::Error(Code::kIsDirectory, path);
    case FileKind::kFifo:
      stream = options.source || options.read_fifos;
      break;
    case FileKind::kCharDevice:
      stream = options.source || options.read_char_devices;
      break;
    case FileKind::kSocket:
      stream = options.source != nullptr;  // only as a descriptor handed over (standard input)
      break;
    default:
      break;
  }
  if (!stream && file.kind != FileKind::kRegular) {
    return Status::Error(Code::kUnsupported, path,
                         fmt::format("{} is not a regular file", FileKindName(file.kind)));
  }
  if (stream) {
    constexpr const char* kWhat = "pipes, FIFOs and devices";
    if (Status s = ReadOnlyOnly(path, options, kWhat); !s.ok()) return s;
    auto got = ReadToEnd(file.fd.get(), path, limit, "a stream", cancel);
    if (!got.ok()) return got.status();
    return FromReadBuffer(file, std::move(got.value()), options, Strategy::kStream);
  }
  // A regular file. Handed over as a descriptor, it is loaded from its current position (what
  // a reader of the descriptor would see next), which then moves past what was loaded.
  uint64_t base = 0;
  if (options.source) {
    off_t at = ::lseek(file.fd.get(), 0, SEEK_CUR);
    if (at > 0) base = std::min<uint64_t>(static_cast<uint64_t>(at), file.identity.size);
  }
  const uint64_t size = file.identity.size - base;
  if (options.offset > size || (options.length != 0 && options.length > size - options.offset)) {
    return Status::Error(Code::kOutOfBounds, path,
                         fmt::format("range starts at {} with length {}, file has {} bytes",
                                     options.offset, options.length, size));
  }
  const uint64_t offset = base + options.offset;
  const uint64_t length = options.length != 0 ? options.length : size - options.offset;
  std::shared_ptr<Region> region;
  if (length == 0) {
    region = Region::Empty(path, file.identity, options.mode);
  } else if (options.mode == MapMode::kReadOnly && length < options.mmap_threshold) {
    if (length > SIZE_MAX) return Status::Error(Code::kOutOfMemory, path, "reading");
    auto buf = TryAlloc(static_cast<size_t>(length));
    if (!buf) return Status::Error(Code::kOutOfMemory, path, "reading");
    auto got = ReadRange(file.fd.get(), path, buf.get(), offset, length);
    if (!got.ok()) return got.status();
    region = Region::FromBuffer(path, file.identity, std::move(buf), *got, Strategy::kRead);
  } else {
    auto mapped = Region::Map(file.fd.get(), path, file.identity, options.mode, offset, length);
    if (!mapped.ok()) return mapped.status();
    region = std::move(mapped.value());
    SetStreaming(*region, file.fd.get(), offset, options);
  }
  if (options.source) ::lseek(file.fd.get(), static_cast<off_t>(offset + length), SEEK_SET);
  // The descriptor closes here (file.fd goes out of scope); the mapping keeps the file alive.
  if (options.advice != Advice::kNormal) {
    // Advice is a hint: a kernel that refuses it (e.g. HugePage on this file system) does not
    // fail the load. Region::Advise reports such errors when called directly.
    (void)region->Advise(options.advice, 0, 0);
  }
  return region;
}

namespace {

// Whether every page of [offset, offset + length) of fd is in the page cache, from the
// cachestat system call (Linux 6.5 and later); false when the kernel cannot say.
bool AllCached(int fd, uint64_t offset, uint64_t length) {
#if defined(__NR_cachestat)
  constexpr long kCachestat = __NR_cachestat;
#elif defined(__x86_64__) || defined(__aarch64__)
  constexpr long kCachestat = 451;  // (the same number on every architecture)
#else
  constexpr long kCachestat = -1;
#endif
  if (kCachestat < 0 || length == 0) return false;
  struct {
    uint64_t off, len;
  } range{offset, length};
  struct {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
  } stat{};
  if (::syscall(kCachestat, fd, &range, &stat, 0) != 0) return false;  // (ENOSYS: older kernel)
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t pages = (offset + length + page - 1) / page - offset / page;
  return stat.nr_cache >= pages;
}

}  // namespace

Result<std::shared_ptr<Region>> OpenRegionIfCached(const std::string& path,
                                                   const LoadOptions& options,
                                                   bool close_in_background) {
  auto not_now = [&] { return Status::Error(Code::kNotReady, path, "would wait for the disk"); };
  if (options.source || options.mode != MapMode::kReadOnly) return not_now();
  ProbeOptions probe;
  probe.nofollow = options.nofollow;
  auto probed = ProbeFile(path, probe);
  if (!probed.ok()) return probed.status();
  ProbedFile& file = probed.value();
  if (file.kind == FileKind::kDirectory) return Status::Error(Code::kIsDirectory, path);
  if (file.kind != FileKind::kRegular) return not_now();
  const uint64_t size = file.identity.size;
  if (options.offset > size || (options.length != 0 && options.length > size - options.offset)) {
    return Status::Error(Code::kOutOfBounds, path,
                         fmt::format("range starts at {} with length {}, file has {} bytes",
                                     options.offset, options.length, size));
  }
  const uint64_t length = options.length != 0 ? options.length : size - options.offset;
  if (length == 0) return Region::Empty(path, file.identity, options.mode);
  if (length >= options.mmap_threshold || length > SIZE_MAX) return not_now();
  auto buf = TryAlloc(static_cast<size_t>(length));
  if (!buf) return Status::Error(Code::kOutOfMemory, path, "reading");
  struct iovec iov {
    buf.get(), static_cast<size_t>(length)
  };
  ssize_t n;
  do {
    n = ::preadv2(file.fd.get(), &iov, 1, static_cast<off_t>(options.offset), RWF_NOWAIT);
  } while (n < 0 && errno == EINTR);
  // EAGAIN: not all cached, or a cached page marked to start read-ahead (RWF_NOWAIT refuses
  // those too, so a file read once sequentially often gives EAGAIN): when cachestat says every
  // page is cached, a plain read does not wait for the disk. EOPNOTSUPP: the file system
  // cannot say. A short read may mean either, or a file that shrank: the usual load sorts
  // that out.
  if (n < 0 && errno == EAGAIN && AllCached(file.fd.get(), options.offset, length)) {
    do {
      n = ::pread(file.fd.get(), buf.get(), static_cast<size_t>(length),
                  static_cast<off_t>(options.offset));
    } while (n < 0 && errno == EINTR);
  }
  if (n < 0 || static_cast<uint64_t>(n) != length) return not_now();
  if (close_in_background) CloseSoon(std::move(file.fd));
  return Region::FromBuffer(path, file.identity, std::move(buf), length, Strategy::kRead);
}

Result<std::shared_ptr<Region>> LoadSync(const std::string& path, const LoadOptions& options,
                                         PrefaultMethod* used) {
  auto region = OpenRegion(path, options, nullptr);
  if (!region.ok() || !options.prefault) return region;
  const uint64_t chunk =
      options.prefault_chunk != 0 ? options.prefault_chunk : kDefaultPrefaultChunk;
  uint64_t size = (*region)->size();
  // A big mapping is not prefaulted here: scans bring in what they read, ahead of themselves
  // (there is no loader here to prefault it in the background).
  if ((*region)->strategy() == Strategy::kMmap && options.stream_threshold != 0 &&
      size >= options.stream_threshold) {
    if (used) *used = PrefaultMethod::kNone;
    return region;
  }
  for (uint64_t off = 0; off < size; off += chunk) {
    Status s = (*region)->Prefault(off, std::min(chunk, size - off), options.prefault_touch, used);
    if (!s.ok()) return s;
  }
  return region;
}

}  // namespace spl::rt
