// HandleTable implementation (see handle_table.h).
#include "ffi/handle_table.h"

namespace spl::ffi {

uint64_t HandleTable::Reserve() {
  std::lock_guard lock(mu_);
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    // Room in free_ for every slot first, so Remove never allocates (and never throws).
    free_.reserve(slots_.size() + 1);
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[index];
  s.used = true;
  ++live_;
  return (uint64_t{s.generation} << 32) | (uint64_t{index} + 1);
}

const HandleTable::Slot* HandleTable::Find(uint64_t id) const {
  uint64_t low = id & 0xffffffffu;
  if (low == 0 || low > slots_.size()) return nullptr;
  const Slot& s = slots_[low - 1];
  if (!s.used || s.generation != static_cast<uint32_t>(id >> 32)) return nullptr;
  return &s;
}

void HandleTable::Fill(uint64_t id, std::shared_ptr<rt::Job> job) {
  std::lock_guard lock(mu_);
  if (Find(id) != nullptr) const_cast<Slot*>(Find(id))->job = std::move(job);
}

std::shared_ptr<rt::Job> HandleTable::Get(uint64_t id) const {
  std::lock_guard lock(mu_);
  const Slot* s = Find(id);
  return s != nullptr ? s->job : nullptr;
}

std::shared_ptr<rt::Job> HandleTable::Remove(uint64_t id) {
  std::lock_guard lock(mu_);
  Slot* s = const_cast<Slot*>(Find(id));
  if (s == nullptr) return nullptr;
  std::shared_ptr<rt::Job> job = std::move(s->job);
  s->job.reset();
  s->used = false;
  // Skip generation 0 so no id is ever 0 in its high half after wrap-around.
  s->generation = s->generation == UINT32_MAX ? 1 : s->generation + 1;
  free_.push_back(static_cast<uint32_t>(&*s - slots_.data()));
  --live_;
  return job;
}

size_t HandleTable::live() const {
  std::lock_guard lock(mu_);
  return live_;
}

}  // namespace spl::ffi
