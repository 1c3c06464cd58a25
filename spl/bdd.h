// State of the built-in BDD test DSL (describe/context/it/skip/before_each/after_each/expect):
// nesting, hooks and passed/failed/skipped counts. The DSL functions live in bdd.cc.
#pragma once

#include <memory>
#include <vector>

#include "value.h"

namespace spl {

struct ErrorInfo;

struct BddGroup {
  std::vector<Value> before_each, after_each;
};

struct BddState {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  int depth = 0;
  bool in_example = false;
  // The error `skip("reason")` raised to stop the running example; `it` recognises it by
  // identity and counts the example as skipped instead of failed.
  std::shared_ptr<ErrorInfo> skip_signal;
  std::vector<BddGroup> groups{BddGroup{}};  // [0] is the file level
  bool ran_examples() const { return passed + failed + skipped > 0; }
};

}  // namespace spl
