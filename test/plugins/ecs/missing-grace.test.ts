// judgeMissing: the MISSING grace counts from the RunTask time stored in the attempt (so a resumed job keeps
// its origin, whatever missing_grace is now), looks again with backoff, and gives up with the reason.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeMissing } from "../../../src/plugins/ecs/classify.ts";
import { newAttempt } from "../../../src/plugins/ecs/state.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const ran = (graceMs: number, seen = false) => {
  const a = newAttempt("heimdall-job-x-0", 0, 1);
  a.task_arn = "arn:aws:ecs:us-east-1:1:task/c/0123456789abcdef0123456789abcdef";
  a.status = "ACTIVE";
  a.seen = seen;
  a.run_task_at = new Date(T0).toISOString();
  a.visible_by = new Date(T0 + graceMs).toISOString();
  return a;
};

describe("judgeMissing", () => {
  it("waits for a never-seen task with exponential backoff from the polling interval, never past the grace", () => {
    const a = ran(120_000);
    const looks: number[] = [];
    let now = T0 + 2_000;
    for (let k = 1; k <= 8; k++) {
      const v = judgeMissing(a, "MISSING", k, now, 2_000, 120_000);
      assert.equal(v.kind, "wait");
      if (v.kind !== "wait") return;
      looks.push(v.nextLookAt - now);
      now = v.nextLookAt;
      if (now >= T0 + 120_000) break;
    }
    assert.deepEqual(looks, [2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 28_000]);
    assert.equal(now, T0 + 120_000, "the last look is at the end of the grace");
  });

  it("gives up a never-seen task once the stored grace has passed, naming it", () => {
    const v = judgeMissing(ran(120_000), "MISSING", 7, T0 + 120_000, 2_000, 120_000);
    assert.deepEqual(v, { kind: "give-up", why: "task not visible in DescribeTasks 2m0s after RunTask (MISSING)" });
  });

  it("uses the grace stored at RunTask, not the current setting (a resumed job keeps its origin)", () => {
    const a = ran(3_000);
    assert.equal(judgeMissing(a, "MISSING", 1, T0 + 3_000, 1_000, 600_000).kind, "give-up");
    assert.equal(judgeMissing(a, "MISSING", 1, T0 + 2_999, 1_000, 600_000).kind, "wait");
    // A record stored before visible_by existed counts from created_at with the current grace.
    const old = ran(0);
    old.run_task_at = undefined;
    old.visible_by = undefined;
    old.created_at = new Date(T0).toISOString();
    assert.equal(judgeMissing(old, "MISSING", 1, T0 + 9_000, 1_000, 10_000).kind, "wait");
    assert.equal(judgeMissing(old, "MISSING", 1, T0 + 10_000, 1_000, 10_000).kind, "give-up");
  });

  it("gives up a task seen before at once", () => {
    assert.deepEqual(judgeMissing(ran(120_000, true), "MISSING", 1, T0 + 1_000, 2_000, 120_000), {
      kind: "give-up",
      why: "task disappeared: DescribeTasks answers MISSING for a task seen before",
    });
  });

  it("backs off no longer than the polling interval when it is above 30 s", () => {
    const v = judgeMissing(ran(600_000), "MISSING", 5, T0 + 60_000, 60_000, 600_000);
    assert.deepEqual(v, { kind: "wait", nextLookAt: T0 + 120_000 });
  });
});
