// Pure helpers of the browser code, run in Node: reading the ECS plugin's task timeline defensively, and splitting
// API validation messages onto the Submit page's fields.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeTimeline, toEpochSeconds } from "../../src/ui/app/pages/task-timeline.ts";
import { fieldErrors } from "../../src/ui/app/pages/submit.ts";

describe("task timeline reader", () => {
  it("reads the ecs plugin's shape (ISO dates, representative, outcome, containers)", () => {
    const tl = normalizeTimeline({
      job_id: "j1",
      cluster_name: "my-fargate-cluster",
      task_definition_arn: "arn:aws:ecs:us-east-1:0:task-definition/batch:1",
      task_count: 2,
      max_fail_count: 3,
      outcome: { kind: "failed", slot: 1, error: "task 1 failed 3 times" },
      representative: { slot: 1, attempt: 3 },
      slots: [
        {
          slot: 1,
          task_name: "heimdall-job-j1-1",
          attempts: [
            {
              slot: 1,
              attempt: 1,
              task_arn: "arn:aws:ecs:us-east-1:0:task/c/abc",
              status: "FAILED",
              last_status: "STOPPED",
              exit_code: 2,
              containers: [{ name: "main", exit_code: 2, reason: null }],
              stop_code: "EssentialContainerExited",
              stopped_reason: "Essential container in task exited",
              failure: "exit code 2",
              created_at: "2026-01-01T00:00:00.000Z",
              started_at: "2026-01-01T00:00:05.000Z",
              stopped_at: "2026-01-01T00:01:05.000Z",
            },
          ],
        },
      ],
    });
    assert.equal(tl.task_count, 2);
    assert.equal(tl.outcome, "failed: task 1 failed 3 times");
    assert.deepEqual(tl.representative, { slot: 1, attempt: 3 });
    const a = tl.slots[0]?.attempts[0];
    assert.equal(tl.slots[0]?.task_name, "heimdall-job-j1-1");
    assert.equal(a?.status, "FAILED");
    assert.equal(a?.last_status, "STOPPED");
    assert.equal(a?.exit_code, 2);
    assert.equal(a?.containers, "main: exit 2");
    assert.equal(a?.failure, "exit code 2");
    assert.equal((a?.stopped_at ?? 0) - (a?.started_at ?? 0), 60);
  });

  it("accepts a bare array, camelCase keys and epoch seconds or milliseconds; missing fields stay empty", () => {
    const tl = normalizeTimeline([
      { taskNumber: 4, attempts: [{ taskArn: "arn:x", lastStatus: "running", startedAt: 1_700_000_000_000, exitCode: null }, {}] },
    ]);
    assert.equal(tl.slots[0]?.slot, 4);
    assert.equal(tl.slots[0]?.attempts[0]?.task_arn, "arn:x");
    assert.equal(tl.slots[0]?.attempts[0]?.status, "RUNNING");
    assert.equal(tl.slots[0]?.attempts[0]?.started_at, 1_700_000_000);
    assert.equal(tl.slots[0]?.attempts[0]?.exit_code, undefined);
    assert.equal(tl.slots[0]?.attempts[1]?.attempt, 2);
    assert.equal(tl.slots[0]?.attempts[1]?.status, "");
    assert.deepEqual(normalizeTimeline(null).slots, []);
    assert.deepEqual(normalizeTimeline({ slots: "nope" }).slots, []);
    assert.equal(toEpochSeconds(1_700_000_000), 1_700_000_000);
    assert.equal(toEpochSeconds("not a date"), undefined);
    assert.equal(toEpochSeconds(0), undefined);
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
