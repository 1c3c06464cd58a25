// Evaluator tests: run small programs in-process and check the global `result`.
#include <gtest/gtest.h>

#include "test_util.h"

namespace spl {
namespace {

using test::run_capturing_stderr;
using test::run_source;

std::string eval(const std::string& src) {
  auto r = run_source(src);
  for (auto& m : r.messages) ADD_FAILURE() << m;
  EXPECT_EQ(r.exit_code, 0) << src;
  return r.result;
}

TEST(Eval, Arithmetic) {
  EXPECT_EQ(eval("result = 1 + 2 * 3 - 4 / 2"), "5");
  EXPECT_EQ(eval("result = 7 // 2 + 7 % 3"), "4");
  EXPECT_EQ(eval("result = 1.5 + 1"), "2.5");
  EXPECT_EQ(eval("result = \"a\" + \"b\" * 2"), "abb");
}

TEST(Eval, ReferenceSemanticsForStructsArraysDicts) {
  EXPECT_EQ(eval("struct S:\n    v: i64\nlet a = S(v: 1)\nlet b = a\nb.v = 2\nresult = a.v"), "2");
  EXPECT_EQ(eval("let a = [1]\nlet b = a\nb.push(2)\nresult = a"), "[1, 2]");
  EXPECT_EQ(eval("let a = {}\nlet b = a\nb[\"k\"] = 1\nresult = a"), "{\"k\": 1}");
}

TEST(Eval, ClosuresCaptureByReference) {
  EXPECT_EQ(eval("fn mk():\n    var n = 0\n    fn inc():\n        n += 1\n        n\n    inc\nlet "
                 "f = mk()\nf()\nresult = f()"),
            "2");
  EXPECT_EQ(eval("var total = 0\nlet add = \\x: total + x\ntotal = 10\nresult = add(1)"), "11");
}

TEST(Eval, ImplicitReturnOfTrailingMatchAndIf) {
  EXPECT_EQ(eval("fn f(x):\n    match x:\n        case 1: \"one\"\n        case _: "
                 "\"other\"\nresult = f(1) + f(2)"),
            "oneother");
  EXPECT_EQ(eval("fn g(x):\n    if x: 1 else: 2\nresult = g(false)"), "2");
}

TEST(Eval, TryOperatorPropagates) {
  EXPECT_EQ(eval("fn inner(ok):\n    if ok: Ok(1) else: Err(\"no\")\n"
                 "fn outer(ok):\n    let v = inner(ok)?\n    Ok(v + 1)\nresult = [outer(true), "
                 "outer(false)]"),
            "[Ok(2), Err(\"no\")]");
  EXPECT_EQ(eval("fn f(o):\n    let v = o?\n    Some(v * 2)\nresult = [f(Some(2)), f(None)]"),
            "[Some(4), None]");
}

TEST(Eval, DictGetReturnsOptionAndKeepsOrder) {
  EXPECT_EQ(
      eval("let d = {\"b\": 1}\nd[\"a\"] = 2\nresult = [d.keys(), d.get(\"a\"), d.get(\"z\")]"),
      "[[\"b\", \"a\"], Some(2), None]");
}

TEST(Eval, NamedAndDefaultArguments) {
  EXPECT_EQ(eval("fn f(a, b = 2, c = 3): a * 100 + b * 10 + c\nresult = [f(1), f(1, c: 9), f(c: 1, "
                 "a: 2)]"),
            "[123, 129, 221]");
}

TEST(Eval, ModuleGlobalsAssignedFromFunctions) {
  EXPECT_EQ(
      eval("var current = None\nfn set_it(x):\n    current = Some(x)\nset_it(4)\nresult = current"),
      "Some(4)");
}

TEST(Eval, FirstImplMethodWins) {
  EXPECT_EQ(eval("struct S:\n    a: i64\nimpl S:\n    fn m(self): 1\nimpl S:\n    fn m(self): "
                 "2\nresult = S(a: 0).m()"),
            "1");
}

TEST(Eval, RuntimeErrorsAreReportedNotCrashes) {
  auto r = run_source("let x = [1]\nresult = x[5]\n");
  EXPECT_EQ(r.exit_code, 1);
  r = run_source("fn f(n): f(n + 1)\nf(0)\n");
  EXPECT_EQ(r.exit_code, 1);
  r = run_source("result = 1 / 0\n");
  EXPECT_EQ(r.exit_code, 1);
  r = run_source("result = 9223372036854775807 + 1\n");
  EXPECT_EQ(r.exit_code, 1);
}

TEST(Eval, UnknownNameIsALoadErrorWhenChecked) {
  auto r = run_source("fn main():\n    pritn(1)\n", /*check_mode=*/true);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_NE(r.messages[0].find(":2:5: error: unknown name 'pritn' (did you mean 'print'?)"),
            std::string::npos)
      << r.messages[0];
}

TEST(Eval, UnknownNameBindsWhenTheCodeRuns) {
  // Not reached: no error. Reached: a runtime error (exit 1), not a load error.
  auto r = run_source("fn f(x):\n    if x:\n        pritn(1)\n    2\nresult = f(false)\n");
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "2");
  r = run_source("fn main():\n    pritn(1)\n");
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.exit_code, 1);
}

TEST(Eval, UnboundExternIsARuntimeErrorNamingIt) {
  auto r = run_source("extern fn rt_missing_native(x: i64)\nresult = 1\n");
  EXPECT_EQ(r.exit_code, 0);  // declaring is fine
  r = run_capturing_stderr("extern fn rt_missing_native(x: i64)\nrt_missing_native(1)\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(":2:1: error: extern function 'rt_missing_native' is not bound: no native "
                       "module provides it\n"),
            std::string::npos)
      << r.err;
}

TEST(Eval, AsyncMainIsCalledAutomatically) {
  EXPECT_EQ(eval("var result = 0\nasync fn main():\n    await sleep(1)\n    result = 5"), "5");
}

}  // namespace
}  // namespace spl
