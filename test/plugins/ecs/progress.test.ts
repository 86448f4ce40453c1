// progressOf: every slot in exactly one bucket from the stored attempts; ProgressReporter: setProgress only on a
// change, at most once per interval, and the final summary at finish.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Writable } from "node:stream";
import type { Runtime } from "../../../src/plugins/contract.ts";
import { ProgressReporter, progressOf } from "../../../src/plugins/ecs/progress.ts";
import type { JobProgress } from "../../../src/plugins/ecs/progress.ts";
import { newAttempt } from "../../../src/plugins/ecs/state.ts";
import type { AttemptRecord, AttemptStatus } from "../../../src/plugins/ecs/state.ts";

function att(slot: number, attempt: number, status: AttemptStatus): AttemptRecord {
  return { ...newAttempt(`t-${slot}`, slot, attempt), status };
}
const plan = (taskCount: number, maxFailCount = 1, done = false) => ({ taskCount, maxFailCount, done });

describe("ecs progressOf", () => {
  it("nothing launched: all pending", () => {
    assert.deepEqual(progressOf([], plan(3)), { tasks: 3, succeeded: 0, running: 0, retrying: 0, failed: 0, pending: 3 });
  });

  it("the issue's example: 3 succeeded, 1 running, 1 retrying", () => {
    const attempts = [
      att(0, 1, "SUCCEEDED"),
      att(1, 1, "SUCCEEDED"),
      att(2, 1, "FAILED"),
      att(2, 2, "SUCCEEDED"),
      att(3, 1, "ACTIVE"),
      att(4, 1, "FAILED"),
      att(4, 2, "ACTIVE"),
    ];
    assert.deepEqual(progressOf(attempts, plan(5)), { tasks: 5, succeeded: 3, running: 1, retrying: 1, failed: 0, pending: 0 });
  });

  it("first attempt launching is pending; a failed, stopped or interrupted attempt to relaunch is retrying", () => {
    const attempts = [att(0, 1, "LAUNCHING"), att(1, 1, "FAILED"), att(2, 1, "STOPPED"), att(3, 1, "INTERRUPTED"), att(4, 2, "LAUNCHING")];
    assert.deepEqual(progressOf(attempts, plan(5, 2)), { tasks: 5, succeeded: 0, running: 0, retrying: 4, failed: 0, pending: 1 });
  });

  it("failures beyond max_fail_count are failed; order of the attempts does not matter", () => {
    const attempts = [att(0, 2, "FAILED"), att(0, 1, "FAILED"), att(1, 1, "FAILED")];
    assert.deepEqual(progressOf(attempts, plan(2, 1)), { tasks: 2, succeeded: 0, running: 0, retrying: 1, failed: 1, pending: 0 });
  });

  it("when the job is done, every unsucceeded final slot is failed and the buckets sum to tasks", () => {
    const attempts = [att(0, 1, "SUCCEEDED"), att(1, 1, "STOPPED"), att(2, 1, "FAILED")];
    const p = progressOf(attempts, plan(4, 3, true));
    assert.deepEqual(p, { tasks: 4, succeeded: 1, running: 0, retrying: 0, failed: 2, pending: 1 });
    assert.equal(p.succeeded + p.running + p.retrying + p.failed + p.pending, p.tasks);
  });
});

describe("ecs ProgressReporter", () => {
  function runtime(seen: JobProgress[]): Runtime {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    return {
      workingDirectory: "/tmp",
      version: "test",
      userAgent: "test",
      resumed: false,
      stdout: sink,
      stderr: sink,
      setResult: () => undefined,
      setOutput: () => undefined,
      setProgress: (p: JobProgress | null) => {
        if (p) seen.push(p);
        return Promise.resolve();
      },
    } as Runtime;
  }

  it("sends the first summary at once, holds later changes within the interval, sends the last at finish", () => {
    const seen: JobProgress[] = [];
    let attempts = [att(0, 1, "LAUNCHING")];
    const r = new ProgressReporter(runtime(seen), () => progressOf(attempts, plan(1)), 3_600_000);
    r.changed();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.pending, 1);
    attempts = [att(0, 1, "ACTIVE")];
    r.changed();
    r.changed();
    assert.equal(seen.length, 1, "held back within the interval");
    attempts = [att(0, 1, "SUCCEEDED")];
    r.finish();
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.succeeded, 1);
    r.finish();
    assert.equal(seen.length, 2, "no repeat of an unchanged summary");
  });

  it("sends nothing when the counts did not change", () => {
    const seen: JobProgress[] = [];
    const r = new ProgressReporter(runtime(seen), () => progressOf([], plan(2)), 0);
    r.changed();
    r.changed();
    r.finish();
    assert.equal(seen.length, 1);
  });

  it("works with a runtime without setProgress", () => {
    const rt = runtime([]);
    delete (rt as { setProgress?: unknown }).setProgress;
    const r = new ProgressReporter(rt, () => progressOf([], plan(1)), 0);
    assert.doesNotThrow(() => r.finish());
  });
});
