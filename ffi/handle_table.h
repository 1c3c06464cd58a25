// HandleTable: maps 64-bit ids to loader jobs. An id is (generation << 32 | slot + 1); a slot's
// generation moves on when its handle is removed, so a stale id never reaches a reused slot.
// Thread-safe. Does not know what a job is for: file_api.cc does.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/loader.h"

namespace spl::ffi {

class HandleTable {
 public:
  // Reserves an id whose job is set by Fill (lookups return null until then). May throw
  // std::bad_alloc; the other methods never allocate.
  uint64_t Reserve();
  void Fill(uint64_t id, std::shared_ptr<rt::Job> job);
  // The job behind a live id, or null for a closed, stale or unknown id.
  std::shared_ptr<rt::Job> Get(uint64_t id) const;
  // Removes a live id and returns its job (null if the id was not live).
  std::shared_ptr<rt::Job> Remove(uint64_t id);
  size_t live() const;

 private:
  struct Slot {
    uint32_t generation = 1;
    bool used = false;
    std::shared_ptr<rt::Job> job;
  };
  const Slot* Find(uint64_t id) const;

  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace spl::ffi
