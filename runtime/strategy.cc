// Strategy implementation (see strategy.h).
#include "runtime/strategy.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>

#include "runtime/file_probe.h"

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

// "64 MiB" for whole MiB, else bytes.
std::string Bytes(uint64_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return fmt::format("{} MiB", n >> 20);
  return fmt::format("{} bytes", n);
}

Result<std::shared_ptr<Region>> ReadToEof(ProbedFile& file, const LoadOptions& options) {
  const uint64_t limit = options.read_limit != 0 ? options.read_limit : kDefaultReadLimit;
  size_t cap = 4096, size = 0;
  auto buf = TryAlloc(cap);
  if (!buf) return Status::Error(Code::kOutOfMemory, file.path, "reading");
  for (;;) {
    if (size == cap) {
      if (size > limit) {
        return Status::Error(
            Code::kTooLarge, file.path,
            fmt::format("more than the read limit of {} from a pseudo file", Bytes(limit)));
      }
      // Grow to twice the size, and to a page past the limit at most: reading past it tells
      // a file of exactly `limit` bytes from a longer one. (A page, not a byte: some pseudo
      // files, such as /proc/self/pagemap, refuse reads of odd sizes.)
      constexpr uint64_t kPastLimit = 4096;
      uint64_t next = uint64_t{cap} * 2;
      if (limit < next - kPastLimit) next = limit + kPastLimit;  // > cap: cap == size <= limit
      auto bigger = TryAlloc(static_cast<size_t>(next));
      if (!bigger) return Status::Error(Code::kOutOfMemory, file.path, "reading");
      std::memcpy(bigger.get(), buf.get(), size);
      buf = std::move(bigger);
      cap = static_cast<size_t>(next);
    }
    ssize_t n = ::read(file.fd.get(), buf.get() + size, cap - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, file.path, "read");
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > limit) {
    return Status::Error(
        Code::kTooLarge, file.path,
        fmt::format("more than the read limit of {} from a pseudo file", Bytes(limit)));
  }
  if (options.offset > size || (options.length != 0 && options.length > size - options.offset)) {
    return Status::Error(Code::kOutOfBounds, file.path,
                         fmt::format("range starts at {} with length {}, file has {} bytes",
                                     options.offset, options.length, size));
  }
  size_t len = options.length != 0 ? options.length : size - options.offset;
  if (options.offset != 0) std::memmove(buf.get(), buf.get() + options.offset, len);
  FileIdentity id = file.identity;
  id.size = size;
  return Region::FromBuffer(file.path, id, std::move(buf), len, Strategy::kReadToEof);
}

}  // namespace

Result<std::shared_ptr<Region>> OpenRegion(const std::string& path, const LoadOptions& options) {
  ProbeOptions probe;
  probe.writable = options.mode == MapMode::kReadWrite;
  probe.nofollow = options.nofollow;
  auto probed = ProbeFile(path, probe);
  if (!probed.ok()) return probed.status();
  ProbedFile& file = probed.value();
  switch (file.kind) {
    case FileKind::kRegular:
      break;
    case FileKind::kPseudo:
      if (options.mode != MapMode::kReadOnly) {
        // Not "unsupported file kind": say what went wrong and what works.
        return Status::Error(
            Code::kInvalidArgument, path,
            fmt::format("pseudo files such as /proc and /sys ones are read, not mapped: load "
                        "them read-only, not {}",
                        MapModeName(options.mode)));
      }
      return ReadToEof(file, options);
    case FileKind::kDirectory:
      return Status::Error(Code::kIsDirectory, path);
    default:
      return Status::Error(Code::kUnsupported, path,
                           fmt::format("{} is not a regular file", FileKindName(file.kind)));
  }
  const uint64_t size = file.identity.size;
  if (options.offset > size || (options.length != 0 && options.length > size - options.offset)) {
    return Status::Error(Code::kOutOfBounds, path,
                         fmt::format("range starts at {} with length {}, file has {} bytes",
                                     options.offset, options.length, size));
  }
  const uint64_t length = options.length != 0 ? options.length : size - options.offset;
  if (length == 0) return Region::Empty(path, file.identity, options.mode);

  std::shared_ptr<Region> region;
  if (options.mode == MapMode::kReadOnly && length < options.mmap_threshold) {
    if (length > SIZE_MAX) return Status::Error(Code::kOutOfMemory, path, "reading");
    auto buf = TryAlloc(static_cast<size_t>(length));
    if (!buf) return Status::Error(Code::kOutOfMemory, path, "reading");
    auto got = ReadRange(file.fd.get(), path, buf.get(), options.offset, length);
    if (!got.ok()) return got.status();
    region = Region::FromBuffer(path, file.identity, std::move(buf), *got, Strategy::kRead);
  } else {
    auto mapped =
        Region::Map(file.fd.get(), path, file.identity, options.mode, options.offset, length);
    if (!mapped.ok()) return mapped.status();
    region = std::move(mapped.value());
  }
  // The descriptor closes here (file.fd goes out of scope); the mapping keeps the file alive.
  if (options.advice != Advice::kNormal) {
    // Advice is a hint: a kernel that refuses it (e.g. HugePage on this file system) does not
    // fail the load. Region::Advise reports such errors when called directly.
    (void)region->Advise(options.advice, 0, 0);
  }
  return region;
}

Result<std::shared_ptr<Region>> LoadSync(const std::string& path, const LoadOptions& options,
                                         PrefaultMethod* used) {
  auto region = OpenRegion(path, options);
  if (!region.ok() || !options.prefault) return region;
  const uint64_t chunk =
      options.prefault_chunk != 0 ? options.prefault_chunk : kDefaultPrefaultChunk;
  const uint64_t size = (*region)->size();
  for (uint64_t off = 0; off < size; off += chunk) {
    Status s = (*region)->Prefault(off, std::min(chunk, size - off), options.prefault_touch, used);
    if (!s.ok()) return s;
  }
  return region;
}

}  // namespace spl::rt
