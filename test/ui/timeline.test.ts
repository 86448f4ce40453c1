// Pure helpers of the browser code, run in Node: the ECS task timeline's table rows (from core's TaskAttempt, Fargate
// Spot attempts included), and splitting API validation messages onto the Submit page's fields.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TaskAttempt } from "../../src/core/index.ts";
import { attemptRow, isoSeconds, outcomeText } from "../../src/ui/app/pages/task-timeline.ts";
import { fieldErrors } from "../../src/ui/app/pages/submit.ts";

describe("task timeline rows", () => {
  const attempt: TaskAttempt = {
    slot: 1,
    attempt: 1,
    task_name: "heimdall-job-j1-1",
    client_token: "j1-1-1",
    task_arn: "arn:aws:ecs:us-east-1:0:task/c/abc",
    status: "FAILED",
    last_status: "STOPPED",
    exit_code: 2,
    containers: [
      { name: "main", exit_code: 2, reason: null },
      { name: "side", exit_code: null, reason: "OutOfMemoryError" },
    ],
    stop_code: "EssentialContainerExited",
    stopped_reason: "Essential container in task exited",
    failure: "exit code 2",
    created_at: "2026-01-01T00:00:00.000Z",
    started_at: "2026-01-01T00:00:05.000Z",
    stopped_at: "2026-01-01T00:01:05.000Z",
    launch_errors: 0,
    last_launch_error: null,
    capacity_provider: "FARGATE_SPOT",
    spot_interruption: false,
  };

  it("turns the plugin's attempt (ISO dates, nulls, containers) into a table row", () => {
    const row = attemptRow(attempt);
    assert.equal(row.status, "FAILED");
    assert.equal(row.last_status, "STOPPED");
    assert.equal(row.exit_code, 2);
    assert.equal(row.containers, "main: exit 2; side: exit — (OutOfMemoryError)");
    assert.equal(row.failure, "exit code 2");
    assert.equal(row.capacity_provider, "FARGATE_SPOT");
    assert.equal(row.started_at, Date.parse("2026-01-01T00:00:05.000Z") / 1000);
    assert.equal((row.stopped_at ?? 0) - (row.started_at ?? 0), 60);
  });

  it("an attempt that never started: created_at stands in, nulls become empty, the launch error is the failure", () => {
    const row = attemptRow({
      ...attempt,
      task_arn: null,
      status: "LAUNCHING",
      last_status: null,
      exit_code: null,
      containers: [],
      stop_code: "SpotInterruption",
      stopped_reason: null,
      failure: null,
      started_at: null,
      stopped_at: null,
      last_launch_error: "RESOURCE:FARGATE",
      capacity_provider: null,
    });
    assert.equal(row.task_arn, "");
    assert.equal(row.last_status, "");
    assert.equal(row.exit_code, undefined);
    assert.equal(row.containers, "");
    assert.equal(row.failure, "RESOURCE:FARGATE");
    assert.equal(row.spot_interruption, true, "a SpotInterruption stop code counts");
    assert.equal(row.started_at, Date.parse("2026-01-01T00:00:00.000Z") / 1000);
    assert.equal(row.stopped_at, undefined);
    assert.equal(isoSeconds("not a date"), undefined);
  });

  it("a Fargate Spot job: each attempt's capacity provider and Spot interruption", () => {
    const [a, b, c, d] = [
      { status: "INTERRUPTED", stop_code: "SpotInterruption", capacity_provider: "FARGATE_SPOT", spot_interruption: true },
      { status: "SUCCEEDED", stop_code: "EssentialContainerExited", capacity_provider: "FARGATE" },
      // A task under its Spot notice (still running, stopCode already set) is shown as interrupted.
      { status: "ACTIVE", stop_code: "SpotInterruption", capacity_provider: "FARGATE_SPOT" },
      // Launch-type tasks have no provider.
      { status: "SUCCEEDED", capacity_provider: null },
    ].map((fields, i) => attemptRow({ ...attempt, attempt: i + 1, ...fields }));
    assert.deepEqual([a?.status, a?.capacity_provider, a?.spot_interruption], ["INTERRUPTED", "FARGATE_SPOT", true]);
    assert.deepEqual([b?.capacity_provider, b?.spot_interruption], ["FARGATE", false]);
    assert.deepEqual([c?.capacity_provider, c?.spot_interruption], ["FARGATE_SPOT", true]);
    assert.equal(d?.capacity_provider, "");
  });

  it("says how the job ended", () => {
    assert.equal(outcomeText({ kind: "failed", slot: 1, error: "task 1 failed 3 times" }), "failed: task 1 failed 3 times");
    assert.equal(outcomeText({ kind: "succeeded" }), "succeeded");
    assert.equal(outcomeText(null), "");
  });
});

describe("submit field errors", () => {
  it("puts each `<field>: <problem>` under its field and the rest under the form", () => {
    assert.deepEqual(
      fieldErrors("name: must be at most 300 characters; tags[1]: must be a string; context.arguments: must be an array of strings"),
      {
        name: ["name: must be at most 300 characters"],
        tags: ["tags[1]: must be a string"],
        context: ["context.arguments: must be an array of strings"],
      },
    );
    assert.deepEqual(fieldErrors("command-cluster pair is not found"), { general: ["command-cluster pair is not found"] });
    assert.deepEqual(fieldErrors("command_criteria[0]: must be a string"), { command_criteria: ["command_criteria[0]: must be a string"] });
  });
});
