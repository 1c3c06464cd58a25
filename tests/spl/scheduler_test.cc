// Scheduler tests: two tasks interleave at awaits, timers order wake-ups, errors cross awaits,
// tasks run until their first pending await, and no libuv handles leak.
#include <gtest/gtest.h>

#include "test_util.h"

namespace spl {
namespace {

using test::run_capturing_stderr;
using test::run_source;

TEST(Scheduler, AsyncCallRunsUntilFirstPendingAwait) {
  auto r = run_source(
      "let log = []\n"
      "async fn t():\n    log.push(\"t1\")\n    await sleep(1)\n    log.push(\"t2\")\n"
      "let f = t()\nlog.push(\"caller\")\nawait f\nresult = log\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "[\"t1\", \"caller\", \"t2\"]");
}

TEST(Scheduler, TwoTasksInterleave) {
  auto r = run_source(
      "let log = []\n"
      "async fn worker(name):\n    for i in 0..3:\n        log.push(\"{name}{i}\")\n        await "
      "async_yield()\n"
      "let a = worker(\"a\")\nlet b = worker(\"b\")\nawait gather([a, b])\nresult = log.join(\" "
      "\")\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "a0 b0 a1 b1 a2 b2");
}

TEST(Scheduler, TimersWakeInDeadlineOrder) {
  // Asserts order, not duration. Each timer counts from when its task starts it; the tasks
  // start in the order slow (300 ms), fast (1 ms), mid (150 ms). Margin: "mid" wakes before
  // "slow" as long as the three starts take less than 150 ms together (they take microseconds,
  // a few ms under sanitizers); "fast" before "mid" always holds. A loop that runs late on a
  // busy machine still fires due timers in deadline order.
  auto r = run_source(
      "let log = []\n"
      "async fn after(ms, name):\n    await sleep(ms)\n    log.push(name)\n"
      "await gather([after(300, \"slow\"), after(1, \"fast\"), after(150, \"mid\")])\nresult = "
      "log\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "[\"fast\", \"mid\", \"slow\"]");
}

TEST(Scheduler, ErrorCrossesAwait) {
  auto r = run_source(
      "async fn bad():\n    await sleep(1)\n    panic(\"inner\")\n"
      "async fn middle():\n    await bad()\n    return \"unreachable\"\n"
      "result = \"start\"\nawait middle()\nresult = \"not reached\"\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.result, "start");
}

TEST(Scheduler, AwaitOnPlainValueIsIdentity) {
  auto r = run_source("result = await 5\n");
  EXPECT_EQ(r.result, "5");
}

TEST(Scheduler, NoLeakedHandlesAfterTimeouts) {
  auto r = run_source(
      "async fn main():\n    let f = with_timeout(sleep(5), 500)\n    await f\n"
      "    await with_timeout(sleep(1), 1000)\nresult = \"ok\"\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.open_handles, 0u);
}

TEST(Scheduler, DeadlockIsDetected) {
  auto r = run_capturing_stderr(
      "var me = nil\nasync fn w():\n    await sleep(1)\n    await me\nme = w()\nawait me\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "error: deadlock: the main task is waiting for a future that can never complete\n");
}

TEST(Scheduler, ManyTasks) {
  auto r = run_source(
      "async fn sq(x):\n    await sleep(1)\n    x * x\n"
      "let fs = []\nfor i in 0..500:\n    fs.push(sq(i))\nlet rs = await gather(fs)\nresult = "
      "rs.sum()\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "41541750");
}

}  // namespace
}  // namespace spl
