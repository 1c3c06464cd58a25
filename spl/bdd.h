// State of the built-in BDD test DSL (describe/context/it/skip/before_each/after_each/expect):
// nesting, hooks and pass/fail counts. The DSL functions live in bdd.cc.
#pragma once

#include <vector>

#include "value.h"

namespace spl {

struct BddGroup {
  std::vector<Value> before_each, after_each;
};

struct BddState {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  int depth = 0;
  bool in_example = false;
  std::vector<BddGroup> groups{BddGroup{}};  // [0] is the file level
  bool ran_examples() const { return passed + failed + skipped > 0; }
};

}  // namespace spl
