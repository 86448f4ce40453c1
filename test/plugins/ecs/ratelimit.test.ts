// The plugin's client-side token buckets (ratelimit.ts): a burst passes at once, the rest is paced at the
// published rate, waits honour cancellation, and RunTask also spends a task-modify token. Only lower bounds on
// waiting are asserted (a loaded machine can only make waits longer).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RateLimiter, TokenBucket } from "../../../src/plugins/ecs/ratelimit.ts";

const never = new AbortController().signal;

describe("ecs client-side rate limiter", () => {
  it("lets a burst of `capacity` through, then paces one token per interval", async () => {
    const bucket = new TokenBucket(3, 10); // burst 3, then one per 100 ms
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await bucket.take(never);
    const burst = performance.now() - t0;
    for (let i = 0; i < 3; i++) await bucket.take(never);
    const total = performance.now() - t0;
    assert.ok(burst < 90, `burst of 3 took ${burst.toFixed(1)} ms, expected no waiting`);
    assert.ok(total >= 270, `3 more tokens after the burst took ${total.toFixed(1)} ms, expected ≥ 300 ms`);
  });

  it("rejects a waiting take when its signal aborts, without consuming later callers' turn forever", async () => {
    const bucket = new TokenBucket(1, 1); // burst 1, then one per second
    await bucket.take(never);
    const ac = new AbortController();
    const waiting = bucket.take(ac.signal);
    setTimeout(() => ac.abort(new Error("canceled")), 20);
    const t0 = performance.now();
    await assert.rejects(waiting);
    assert.ok(performance.now() - t0 < 900, "the abort ended the wait before the token was due");
  });

  it("scale 0 turns the limiter off; RunTask spends run-task and task-modify tokens", async () => {
    const off = new RateLimiter(0);
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) await off.take("run-task", never);
    assert.ok(performance.now() - t0 < 500, "no waiting with the limiter off");

    // scale 0.05: run-task burst 1 at 1/s; task-modify burst 5 at 2/s.
    const a = new RateLimiter(0.05);
    await a.take("run-task", never);
    const t1 = performance.now();
    await a.take("run-task", never);
    assert.ok(performance.now() - t1 >= 900, "second RunTask waited for the run-task bucket (1/s)");

    const b = new RateLimiter(0.05);
    await b.take("run-task", never); // spends one task-modify token too
    const t2 = performance.now();
    for (let i = 0; i < 4; i++) await b.take("task-modify", never); // the rest of the burst of 5
    assert.ok(performance.now() - t2 < 400, "four more task-modify tokens were in the burst");
    const t3 = performance.now();
    await b.take("task-modify", never); // the sixth: only due because RunTask drew one
    assert.ok(performance.now() - t3 >= 400, "task-modify bucket was drawn down by the RunTask");
  });
});
