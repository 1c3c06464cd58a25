// BatchReader: loads a batch of small read-only files with two io_uring submissions instead
// of four system calls per file. All opens go in one submission; each opened file is
// classified with fstat (a plain system call: io_uring's statx runs on a kernel worker and
// costs more than it saves); every small regular file's read and close then go in a second
// submission. On this project's VM a system call costs microseconds, and 10,000 files of 8 KiB
// took half the CPU time of the open/fstat/pread/close loop (docs/benchmarks.md).
// It only takes the plain case: a regular file under the read threshold, opened by path,
// ReadOnly, read whole in one go. Anything else (an error, an empty, big or special file, a
// short read, no io_uring on this system) is left to the caller's usual load, which gives the
// same result and the same error messages as when no batch was tried.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "runtime/region.h"
#include "runtime/status.h"
#include "runtime/strategy.h"

namespace spl::rt {

class BatchReader {
 public:
  // The most files one Load takes.
  static constexpr size_t kMaxBatch = 64;

  // Null when io_uring cannot be used here (an old kernel, a seccomp filter, the
  // kernel.io_uring_disabled sysctl, no memory for the ring).
  static std::unique_ptr<BatchReader> Create();
  ~BatchReader();
  BatchReader(const BatchReader&) = delete;
  BatchReader& operator=(const BatchReader&) = delete;

  // Whether a load with these options can go in a batch (what the file is, is learnt there).
  static bool Eligible(const LoadOptions& options);

  struct Item {
    const std::string* path = nullptr;
    const LoadOptions* options = nullptr;
    std::shared_ptr<Region> region;  // out: the loaded region; null: load it the usual way
  };
  // Loads what it can of items[0..n) (n <= kMaxBatch). Never throws.
  void Load(Item* items, size_t n) noexcept;

 private:
  struct Ring;
  explicit BatchReader(std::unique_ptr<Ring> ring);
  std::unique_ptr<Ring> ring_;
};

}  // namespace spl::rt
