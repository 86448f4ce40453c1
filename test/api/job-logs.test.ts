// GET /api/v1/job/{id}/logs at the API layer (real store and engine; the ECS side is in test/plugins/ecs): 404 for
// an unknown job, 400 naming the alternative for a job whose plugin has no task logs, 400 naming the parameter for
// bad follow/slot/cursor, and the handler's items serialized as NDJSON with the query passed through.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HeimdallError } from "../../src/core/index.ts";
import type { JobLogsQuery, PluginModule } from "../../src/plugins/index.ts";
import { call, startHarness, waitFinal } from "./harness.ts";
import type { Harness } from "./harness.ts";

const seen: Omit<JobLogsQuery, "jobStatus">[] = [];
/** A plugin answering jobLogs from the query it got, ending with the job's status as read through jobStatus. */
const taskLogsPlugin: PluginModule = {
  name: "multi-task",
  create() {
    return {
      async execute(_signal, rt) {
        rt.stdout.write("done\n");
      },
      async cleanup() {},
      jobLogs(_job, q) {
        if (q.cursor === "bad") throw new HeimdallError("BAD_REQUEST", "cursor: not a cursor of this job's logs");
        const { jobStatus, ...rest } = q;
        seen.push(rest);
        return (async function* () {
          yield {
            slot: q.slot ?? 0,
            attempt: 1,
            container: "main",
            timestamp: 1_700_000_000_000,
            message: 'a "quoted" line ✓',
            cursor: "c1",
          };
          yield { heartbeat: true as const };
          yield { end: true, status: await jobStatus() };
        })();
      },
    };
  },
};

describe("GET /api/v1/job/{id}/logs", () => {
  let h: Harness;
  before(async () => {
    const started = await startHarness(
      "sqlite",
      (c) => {
        c.commands.push({
          id: "multi",
          name: "multi",
          status: "ACTIVE",
          plugin: "multi-task",
          version: "",
          description: "",
          is_sync: false,
          user: "heimdall",
          tags: ["type:multi"],
          cluster_tags: ["type:localhost"],
          allowed_callers: [],
        });
      },
      { plugins: [taskLogsPlugin] },
    );
    assert.ok(started);
    h = started;
  });
  after(async () => {
    await h?.close();
  });
  const submit = async (tag: string) => {
    const r = await call(h.app, "POST", "/api/v1/job", {
      user: "alice",
      body: { name: "logs", version: "1", command_criteria: [tag], cluster_criteria: ["type:localhost"] },
    });
    assert.equal(r.status, 200, r.body);
    const id = r.json.id as string;
    await waitFinal(h.app, id);
    return id;
  };

  it("404 for an unknown job", async () => {
    const r = await call(h.app, "GET", "/api/v1/job/nope/logs");
    assert.equal(r.status, 404);
    assert.equal(r.json.error, "unknown job_id");
  });

  it("400 for a job whose plugin has no task logs (shell), naming stdout/stderr", async () => {
    const id = await submit("type:shell");
    const r = await call(h.app, "GET", `/api/v1/job/${id}/logs?follow=true`);
    assert.equal(r.status, 400);
    assert.match(r.json.error, new RegExp(`^job ${id} is not an ECS job: .*/api/v1/job/${id}/stdout`));
  });

  it("NDJSON of the handler's items; follow, slot and cursor passed through", async () => {
    const id = await submit("type:multi");
    const r = await call(h.app, "GET", `/api/v1/job/${id}/logs?follow=TRUE&slot=2&cursor=abc`);
    assert.equal(r.status, 200, r.body);
    assert.match(String(r.headers["content-type"]), /^application\/x-ndjson/);
    assert.equal(r.headers["cache-control"], "no-cache");
    assert.ok(r.body.endsWith("\n"));
    const items = r.body
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(items, [
      { slot: 2, attempt: 1, container: "main", timestamp: 1_700_000_000_000, message: 'a "quoted" line ✓', cursor: "c1" },
      { heartbeat: true },
      { end: true, status: "SUCCEEDED" },
    ]);
    assert.deepEqual(seen.at(-1), { follow: true, slot: 2, cursor: "abc", heartbeatMs: 15_000 });
    const plain = await call(h.app, "GET", `/api/v1/job/${id}/logs`);
    assert.equal(plain.status, 200);
    assert.deepEqual(seen.at(-1), { follow: false, heartbeatMs: 15_000 });
  });

  it("400 naming the parameter for bad follow, slot or cursor", async () => {
    const id = await submit("type:multi");
    for (const [q, msg] of [
      ["follow=1", /^follow: must be true or false$/],
      ["slot=x", /^slot: must be a non-negative integer$/],
      ["slot=-3", /^slot: must be a non-negative integer$/],
      ["cursor=bad", /^cursor: /],
    ] as const) {
      const r = await call(h.app, "GET", `/api/v1/job/${id}/logs?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.json.error, msg, q);
    }
  });
});
