// State of the built-in BDD test DSL (describe/context/it/skip/before_each/after_each/expect):
// nesting, hooks and passed/failed/skipped counts. The DSL functions live in bdd.cc.
#pragma once

#include <memory>
#include <string>
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
  // `spl test -k TEXT`: only examples whose description (the names of the groups around
  // them and their own, joined by spaces) contains `filter` run; the others are counted as
  // deselected and not shown. Group headings are printed when their first example runs.
  std::string filter;
  int deselected = 0;
  struct Heading {
    std::string name;
    int depth;
    bool printed;
  };
  std::vector<Heading> headings;  // the groups being run, outermost first
  bool ran_examples() const { return passed + failed + skipped + deselected > 0; }
};

}  // namespace spl
