// The UI's reading of a Spot job's task timeline (the shape GET /api/v1/job/{id}/tasks answers for Fargate Spot).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeTimeline } from "../../../src/ui/app/pages/task-timeline.ts";

describe("task timeline of a Fargate Spot job", () => {
  it("reads each attempt's capacity provider and Spot interruption, and the job's interruption count", () => {
    const tl = normalizeTimeline({
      task_count: 1,
      max_fail_count: 0,
      max_spot_interruptions: 3,
      spot_interruptions: 1,
      slots: [
        {
          slot: 0,
          task_name: "heimdall-job-j-0",
          attempts: [
            {
              attempt: 1,
              status: "INTERRUPTED",
              stop_code: "SpotInterruption",
              capacity_provider: "FARGATE_SPOT",
              spot_interruption: true,
            },
            {
              attempt: 2,
              status: "SUCCEEDED",
              stop_code: "EssentialContainerExited",
              capacity_provider: "FARGATE",
              spot_interruption: false,
            },
            { attempt: 3, status: "ACTIVE", capacityProviderName: "FARGATE_SPOT", stopCode: "SpotInterruption" },
          ],
        },
      ],
    });
    assert.equal(tl.spot_interruptions, 1);
    assert.equal(tl.max_spot_interruptions, 3);
    const [a, b, c] = tl.slots[0]!.attempts;
    assert.deepEqual([a?.status, a?.capacity_provider, a?.spot_interruption], ["INTERRUPTED", "FARGATE_SPOT", true]);
    assert.deepEqual([b?.capacity_provider, b?.spot_interruption], ["FARGATE", false]);
    // A task under its Spot notice (still running, stopCode already set) is shown as interrupted.
    assert.deepEqual([c?.capacity_provider, c?.spot_interruption], ["FARGATE_SPOT", true]);
    // Launch-type tasks have no provider.
    assert.equal(
      normalizeTimeline({ slots: [{ slot: 0, attempts: [{ status: "SUCCEEDED" }] }] }).slots[0]!.attempts[0]!.capacity_provider,
      "",
    );
  });
});
