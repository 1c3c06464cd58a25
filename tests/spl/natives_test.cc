// Native table tests: extern fn binding through a table, argument checks, and a native that
// returns a pending future resolved later from a libuv timer callback on the loop thread.
#include <gtest/gtest.h>

#include "natives/native_api.h"
#include "test_util.h"

namespace spl {
namespace {

Value t_add(NativeCall& c) {
  int64_t a = c.int_arg(0), b = c.int_arg(1);
  if (c.failed()) return c.nil();
  return c.integer(a + b);
}

struct Deferred {
  uv_timer_t timer;
  PendingFuture fut;
  int64_t value;
  bool reject;
};

Value t_deferred(NativeCall& c) {
  int64_t v = c.int_arg(0);
  bool reject = c.argc() > 1 && c.bool_arg(1);
  if (c.failed()) return c.nil();
  auto* d = new Deferred{};
  d->fut = c.pending_future();
  d->value = v;
  d->reject = reject;
  uv_timer_init(c.loop(), &d->timer);
  d->timer.data = d;
  uv_timer_start(
      &d->timer,
      [](uv_timer_t* t) {
        auto* d = static_cast<Deferred*>(t->data);
        if (d->reject)
          d->fut.reject("native load failed");
        else
          d->fut.resolve(Value::integer(d->value * 2));
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete static_cast<Deferred*>(h->data); });
      },
      5, 0);
  return d->fut.value();
}

Value t_result(NativeCall& c) {
  std::string s = c.text_arg(0);
  if (c.failed()) return c.nil();
  return s.empty() ? c.err(c.text("empty")) : c.ok(c.text(s));
}

std::vector<uint64_t> g_released;  // ids released by t_resource's callback, in order

Value t_resource(NativeCall& c) {
  int64_t id = c.int_arg(0);
  if (c.failed()) return c.nil();
  return c.resource(uint64_t(id), [](uint64_t rid) { g_released.push_back(rid); });
}

Value t_release(NativeCall& c) {
  if (!c.release_resource(0)) return c.fail("test_native_release: not a resource");
  return c.nil();
}

Value t_resource_id(NativeCall& c) {
  uint64_t id = c.resource_arg(0);
  if (c.failed()) return c.nil();
  return c.integer(int64_t(id));
}

const NativeReg kTestTable[] = {
    {"test_native_add", 2, 2, t_add},         {"test_native_deferred", 1, 2, t_deferred},
    {"test_native_result", 1, 1, t_result},   {"test_native_resource", 1, 1, t_resource},
    {"test_native_release", 1, 1, t_release}, {"test_native_resource_id", 1, 1, t_resource_id},
};
SPL_NATIVE_MODULE(test_table, "test", kTestTable);

using test::run_capturing_stderr;
using test::run_source;

TEST(Natives, ExternBindsThroughTable) {
  auto r = run_source(
      "extern fn test_native_add(a: i64, b: i64) -> i64\nresult = test_native_add(2, 3)\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "5");
}

TEST(Natives, ArgumentTypeErrorIsARuntimeError) {
  auto r = run_source(
      "extern fn test_native_add(a: i64, b: i64) -> i64\nresult = 1\nresult = "
      "test_native_add(\"x\", 3)\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.result, "1");
}

TEST(Natives, ArityIsChecked) {
  auto r = run_capturing_stderr(
      "extern fn test_native_add(a: i64, b: i64) -> i64\ntest_native_add(1)\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(":2:1: error: 'test_native_add' takes 2 arguments but 1 were given\n"),
            std::string::npos)
      << r.err;
}

TEST(Natives, PendingFutureResolvedFromLoopCallback) {
  auto r = run_source(
      "extern fn test_native_deferred(v: i64) -> i64\n"
      "let log = []\n"
      "async fn other():\n    log.push(\"other ran while waiting\")\n"
      "let f = test_native_deferred(21)\nother()\nlet v = await f\nlog.push(v)\nresult = log\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "[\"other ran while waiting\", 42]");
  EXPECT_EQ(r.open_handles, 0u);
}

TEST(Natives, PendingFutureRejected) {
  auto r = run_source(
      "extern fn test_native_deferred(v: i64, fail: bool) -> i64\nresult = 0\nawait "
      "test_native_deferred(1, true)\nresult = 1\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.result, "0");
}

TEST(Natives, ResultValues) {
  auto r = run_source(
      "extern fn test_native_result(s: text)\nresult = [test_native_result(\"a\"), "
      "test_native_result(\"\")]\n");
  EXPECT_EQ(r.result, "[Ok(\"a\"), Err(\"empty\")]");
}

TEST(Natives, ResourcesAreReleasedOnceWhenTheLastReferenceGoes) {
  g_released.clear();
  auto r = run_source(
      "extern fn test_native_resource(id)\nextern fn test_native_release(r)\n"
      "extern fn test_native_resource_id(r)\n"
      "struct Holder:\n    res: i64\n"
      "fn main():\n"
      "    var h = Holder(res: test_native_resource(1))\n"
      "    let alias = h\n"
      "    h = nil\n"  // still held by alias: not released
      "    print(test_native_resource_id(alias.res))\n"
      "    let r2 = test_native_resource(2)\n"
      "    test_native_release(r2)\n"           // released now
      "    test_native_release(r2)\n"           // and only once
      "    let r3 = test_native_resource(3)\n"  // released at shutdown
      "    result = 0\n");
  EXPECT_EQ(r.exit_code, 0);
  // 2 explicitly; then, when main returns, alias (1) and r3 (3) go with its registers.
  ASSERT_EQ(g_released.size(), 3u);
  EXPECT_EQ(g_released[0], 2u);
  EXPECT_EQ(std::count(g_released.begin(), g_released.end(), 1u), 1);
  EXPECT_EQ(std::count(g_released.begin(), g_released.end(), 3u), 1);
}

}  // namespace
}  // namespace spl
