// Region implementation: mapping, buffers, advice, flush, close, staleness (see region.h).
#include "runtime/region.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "runtime/prefault.h"
#include "runtime/unmapper.h"

namespace spl::rt {
namespace {

size_t PageSize() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

int AdviceFlag(Advice advice) {
  switch (advice) {
    case Advice::kNormal:
      return MADV_NORMAL;
    case Advice::kSequential:
      return MADV_SEQUENTIAL;
    case Advice::kRandom:
      return MADV_RANDOM;
    case Advice::kWillNeed:
      return MADV_WILLNEED;
    case Advice::kDontNeed:
      return MADV_DONTNEED;
#ifdef MADV_HUGEPAGE
    case Advice::kHugePage:
      return MADV_HUGEPAGE;
#endif
    default:
      return -1;
  }
}

}  // namespace

const char* MapModeName(MapMode mode) {
  switch (mode) {
    case MapMode::kReadOnly:
      return "read-only";
    case MapMode::kReadWrite:
      return "read-write";
    case MapMode::kCopyOnWrite:
      return "copy-on-write";
  }
  return "?";
}

const char* StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kEmpty:
      return "empty";
    case Strategy::kMmap:
      return "mmap";
    case Strategy::kRead:
      return "read";
    case Strategy::kReadToEof:
      return "read-to-eof";
    case Strategy::kStream:
      return "stream";
  }
  return "?";
}

const char* PrefaultMethodName(PrefaultMethod method) {
  switch (method) {
    case PrefaultMethod::kNone:
      return "none";
    case PrefaultMethod::kPopulateRead:
      return "populate-read";
    case PrefaultMethod::kTouch:
      return "willneed+touch";
    case PrefaultMethod::kPopulateAndTouch:
      return "populate-read+touch";
  }
  return "?";
}

Region::Region(std::string path, FileIdentity identity, MapMode mode, Strategy strategy)
    : path_(std::move(path)), identity_(identity), mode_(mode), strategy_(strategy) {}

Region::~Region() {
  std::unique_lock lock(mu_);
  ReleaseLocked();
}

std::shared_ptr<Region> Region::Empty(std::string path, FileIdentity identity, MapMode mode) {
  return std::shared_ptr<Region>(new Region(std::move(path), identity, mode, Strategy::kEmpty));
}

Result<std::shared_ptr<Region>> Region::Map(int fd, std::string path, FileIdentity identity,
                                            MapMode mode, uint64_t offset, uint64_t length) {
  if (length == 0) return Empty(std::move(path), identity, mode);
  const uint64_t aligned = offset & ~static_cast<uint64_t>(PageSize() - 1);
  const uint64_t delta = offset - aligned;
  if (length > SIZE_MAX - delta) {
    return Status::Error(Code::kInvalidArgument, path, "range too large to map");
  }
  const size_t map_length = static_cast<size_t>(length + delta);
  int prot = PROT_READ;
  int flags = MAP_PRIVATE;
  if (mode == MapMode::kReadWrite) {
    prot |= PROT_WRITE;
    flags = MAP_SHARED;
  } else if (mode == MapMode::kCopyOnWrite) {
    prot |= PROT_WRITE;
  }
  void* base = ::mmap(nullptr, map_length, prot, flags, fd, static_cast<off_t>(aligned));
  if (base == MAP_FAILED) {
    int err = errno;
    if (err == ENODEV) {  // (e.g. a sysfs file, whose size says it is a regular one)
      return Status::Error(Code::kIoError, path,
                           "mmap: its file system cannot map it (No such device)", err);
    }
    Status s = Status::FromErrno(err, path, "mmap");
    if (s.code() == Code::kInvalidArgument || s.code() == Code::kIoError) {
      return Status::Error(Code::kIoError, path, fmt::format("mmap: {}", std::strerror(err)), err);
    }
    return s;
  }
  std::shared_ptr<Region> r(new Region(std::move(path), identity, mode, Strategy::kMmap));
  r->map_base_ = base;
  r->map_length_ = map_length;
  r->data_ = static_cast<uint8_t*>(base) + delta;
  r->file_offset_ = offset;
  r->size_ = length;
  return r;
}

std::shared_ptr<Region> Region::FromBuffer(std::string path, FileIdentity identity,
                                           std::unique_ptr<uint8_t[]> buffer, size_t size,
                                           Strategy strategy) {
  std::shared_ptr<Region> r(new Region(std::move(path), identity, MapMode::kReadOnly, strategy));
  r->buffer_ = std::move(buffer);
  r->data_ = r->buffer_.get();
  r->size_ = size;
  return r;
}

Status Region::CheckRange(uint64_t offset, uint64_t length) const {
  if (closed_.load(std::memory_order_acquire)) {
    return Status::Error(Code::kAlreadyClosed, path_, "region is closed");
  }
  if (offset > size_ || length > size_ - offset) {
    return Status::Error(Code::kOutOfBounds, path_,
                         fmt::format("range {}..{} outside 0..{}", offset, offset + length, size_));
  }
  return Status::Ok();
}

Status Region::Write(uint64_t offset, const void* src, size_t n) {
  std::shared_lock lock(mu_);
  Status s = CheckRange(offset, n);
  if (!s.ok()) return s;
  if (mode_ == MapMode::kReadOnly) {
    return Status::Error(Code::kNotWritable, path_, "region is read-only");
  }
  uint8_t* dst = data_ + offset;
  return guard::Run(path_, [&] { std::memcpy(dst, src, n); });
}

Status Region::Advise(Advice advice, uint64_t offset, uint64_t length) {
  std::shared_lock lock(mu_);
  if (length == 0 && offset <= size_) length = size_ - offset;
  Status s = CheckRange(offset, length);
  if (!s.ok()) return s;
  int flag = AdviceFlag(advice);
  if (flag < 0) return Status::Error(Code::kUnsupported, path_, "advice not available here");
  if (strategy_ != Strategy::kMmap || length == 0) return Status::Ok();  // nothing mapped
  uintptr_t start = reinterpret_cast<uintptr_t>(data_ + offset) & ~(PageSize() - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(data_ + offset + length);
  if (::madvise(reinterpret_cast<void*>(start), end - start, flag) != 0) {
    return Status::FromErrno(errno, path_, "madvise");
  }
  return Status::Ok();
}

Status Region::Flush(uint64_t offset, uint64_t length) {
  std::shared_lock lock(mu_);
  if (length == 0 && offset <= size_) length = size_ - offset;
  Status s = CheckRange(offset, length);
  if (!s.ok()) return s;
  if (mode_ != MapMode::kReadWrite) {
    return Status::Error(
        Code::kNotWritable, path_,
        fmt::format("flush needs a read-write region (this one is {})", MapModeName(mode_)));
  }
  if (strategy_ != Strategy::kMmap || length == 0) return Status::Ok();
  uintptr_t start = reinterpret_cast<uintptr_t>(data_ + offset) & ~(PageSize() - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(data_ + offset + length);
  if (::msync(reinterpret_cast<void*>(start), end - start, MS_SYNC) != 0) {
    return Status::FromErrno(errno, path_, "msync");
  }
  // Our own writes moved mtime; the file is still the one we loaded.
  auto now = IdentityOfPath(path_);
  std::lock_guard id_lock(id_mu_);
  if (now.ok() && now->dev == identity_.dev && now->ino == identity_.ino) identity_ = *now;
  return Status::Ok();
}

Status Region::Prefault(uint64_t offset, uint64_t length, bool touch, PrefaultMethod* used) {
  std::shared_lock lock(mu_);
  Status s = CheckRange(offset, length);
  if (!s.ok()) return s;
  if (strategy_ != Strategy::kMmap || length == 0) {
    if (used) *used = PrefaultMethod::kNone;
    return Status::Ok();
  }
  uintptr_t start = reinterpret_cast<uintptr_t>(data_ + offset) & ~(PageSize() - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(data_ + offset + length);
  return PrefaultMapped(reinterpret_cast<const uint8_t*>(start), end - start, path_, touch, used);
}

void Region::ReleaseLocked() {
  if (map_base_ != nullptr) UnmapSoon(map_base_, map_length_);
  map_base_ = nullptr;
  map_length_ = 0;
  buffer_.reset();
  data_ = nullptr;
  drop_fd_.reset();
}

Status Region::Close() {
  std::unique_lock lock(mu_);
  if (closed_.load(std::memory_order_relaxed)) return Status::Ok();
  ReleaseLocked();
  closed_.store(true, std::memory_order_release);
  return Status::Ok();
}

Result<bool> Region::IsStale() const {
  if (closed()) return Status::Error(Code::kAlreadyClosed, path_, "region is closed");
  if (strategy_ == Strategy::kStream) return false;
  auto now = IdentityOfPath(path_);
  if (!now.ok()) return true;
  FileIdentity then = identity();
  bool same_file = now->dev == then.dev && now->ino == then.ino;
  // A pseudo file (/proc, /sys) reports size 0 and a changing or meaningless mtime: only
  // which file it is can be compared, not its contents.
  if (strategy_ == Strategy::kReadToEof) return !same_file;
  return !(same_file && now->size == then.size && now->mtime_ns == then.mtime_ns);
}

Result<ByteView> ByteView::Slice(uint64_t start, uint64_t end) const {
  if (start > end || end > length) {
    return Status::Error(Code::kOutOfBounds, owner ? owner->path() : std::string(),
                         fmt::format("slice {}..{} outside 0..{}", start, end, length));
  }
  return ByteView{owner, offset + start, end - start};
}

}  // namespace spl::rt
