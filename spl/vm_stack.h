// The VM's stacks for one task: a contiguous array of Values holding the registers of its
// frames (a callee's registers start where the caller put the arguments, so calls copy
// nothing), and stable storage for the Frame records of the calls in progress. The Values
// live in the task's fiber mapping (above its native stack) or, outside tasks, in memory the
// interpreter owns. No execution here.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "value.h"

namespace spl {

struct Frame;

class VmStack {
 public:
  VmStack() = default;
  // [lo, hi) must be zero-filled memory (all nil Values); the stack does not own it.
  void init(Value* lo, Value* hi) {
    base_ = top_ = hwm_ = lo;
    limit_ = hi;
  }
  VmStack(const VmStack&) = delete;
  VmStack& operator=(const VmStack&) = delete;
  ~VmStack();

  Value* base() const { return base_; }
  Value* limit() const { return limit_; }
  // First register above the running frame: where a call from native code starts its frame.
  Value* top() const { return top_; }
  void set_top(Value* t) {
    top_ = t;
    if (t > hwm_) hwm_ = t;
  }
  void lower_top(Value* t) { top_ = t; }  // (t <= top: the high-water mark stays)
  bool room_for(const Value* from, uint32_t n) const { return from + n <= limit_; }

  // Frames: LIFO, never moved (the interpreter's frame chain points into them); a frame
  // record is kept for reuse once allocated (a list that only grows to the deepest call).
  Frame* push_frame();
  void pop_frame();

  // Releases every value the stack ever held and zero-fills it again (a task ends; its fiber
  // and this memory may serve another task).
  void release_all() {
    for (Value* v = base_; v < hwm_; v++) *v = Value();
    if (hwm_ > base_)
      std::memset(static_cast<void*>(base_), 0, size_t(hwm_ - base_) * sizeof(Value));
    top_ = hwm_ = base_;
  }

 private:
  Value* base_ = nullptr;
  Value* limit_ = nullptr;
  Value* top_ = nullptr;
  Value* hwm_ = nullptr;    // highest top so far (what release_all must clear)
  Frame* last_ = nullptr;   // the innermost frame in use (null: none)
  Frame* first_ = nullptr;  // the outermost frame record (reused)
  std::vector<std::unique_ptr<Frame>> owned_;
};

}  // namespace spl
