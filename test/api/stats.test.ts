// GET /api/v1/stats and the job timing fields and filters over HTTP (issue 9 items 2 and 4), on both stores:
// started_at/finished_at always present, progress omitted until set, started_after/finished_before validated
// with 400s naming the field, and the stats object of a real ping job.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { JOB_STATUSES } from "../../src/core/index.ts";
import { call, startHarness, waitFinal } from "./harness.ts";
import type { Harness, StoreKind } from "./harness.ts";

const P = "/api/v1";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  void describe(`stats and job timing over HTTP on ${kind}`, () => {
    let h: Harness | undefined;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      await h?.close();
    });

    it("a ping job gets started_at and finished_at; progress shows once set, in the job and the list", async (t) => {
      if (!h) return t.skip("PostgreSQL not configured");
      const sub = await call(h.app, "POST", `${P}/job`, {
        user: "alice",
        body: { name: "timed", version: "1", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
      });
      assert.equal(sub.status, 200, sub.body);
      assert.ok("started_at" in sub.json && "finished_at" in sub.json, "always present");
      assert.equal(sub.json.finished_at, null);
      assert.equal(await waitFinal(h.app, sub.json.id), "SUCCEEDED");
      const job = (await call(h.app, "GET", `${P}/job/${sub.json.id}`)).json;
      assert.equal(typeof job.started_at, "number");
      assert.equal(typeof job.finished_at, "number");
      assert.ok(job.finished_at >= job.started_at && job.started_at >= job.created_at);
      assert.ok(!("progress" in job));
      const progress = { tasks: 2, succeeded: 2, running: 0, retrying: 0, failed: 0, pending: 0 };
      await h.store.setJobProgress(job.id, progress);
      assert.deepEqual((await call(h.app, "GET", `${P}/job/${job.id}`)).json.progress, progress);
      const listed = await call(
        h.app,
        "GET",
        `${P}/jobs?started_after=${job.started_at}&finished_before=${job.finished_at + 1}&name=timed`,
      );
      assert.deepEqual(
        listed.json.data.map((j: { id: string }) => j.id),
        [job.id],
      );
      assert.deepEqual(listed.json.data[0].progress, progress);
      const none = await call(h.app, "GET", `${P}/jobs?finished_before=${job.finished_at}&name=timed`);
      assert.deepEqual(none.json.data, []);
    });

    it("started_after / finished_before must be non-negative integers: 400 naming the field", async (t) => {
      if (!h) return t.skip("PostgreSQL not configured");
      for (const [q, field] of [
        ["started_after=-1", "started_after"],
        ["started_after=abc", "started_after"],
        ["finished_before=1.5", "finished_before"],
        ["finished_before=1e3", "finished_before"],
      ]) {
        const r = await call(h.app, "GET", `${P}/jobs?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal(r.json.error, `${field}: must be a non-negative integer (epoch seconds)`);
      }
      assert.equal((await call(h.app, "GET", `${P}/jobs?started_after=`)).status, 200, "empty = no filter");
    });

    it("GET /stats answers every status, every hour and the finished job", async (t) => {
      if (!h) return t.skip("PostgreSQL not configured");
      const r = await call(h.app, "GET", `${P}/stats`);
      assert.equal(r.status, 200, r.body);
      const st = r.json;
      assert.deepEqual(Object.keys(st), [
        "since",
        "until",
        "counts",
        "finished_per_hour",
        "running_ecs_tasks",
        "slowest",
        "recent_failures",
      ]);
      assert.equal(st.until - st.since, 86_400);
      assert.deepEqual(Object.keys(st.counts).sort(), [...JOB_STATUSES].sort());
      assert.ok(st.counts.SUCCEEDED >= 1);
      assert.ok(st.finished_per_hour.length === 25 || st.finished_per_hour.length === 24);
      assert.ok(st.finished_per_hour.reduce((n: number, x: { succeeded: number }) => n + x.succeeded, 0) >= 1);
      assert.ok(st.slowest.some((x: { name: string }) => x.name === "timed"));
      assert.equal(st.running_ecs_tasks, 0);
      const since = st.until - 60;
      const narrow = await call(h.app, "GET", `${P}/stats?since=${since}`);
      assert.equal(narrow.json.since, since);
    });

    it("GET /stats?since= is validated", async (t) => {
      if (!h) return t.skip("PostgreSQL not configured");
      const bad = await call(h.app, "GET", `${P}/stats?since=yesterday`);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error, "since: must be a non-negative integer (epoch seconds)");
      const old = await call(h.app, "GET", `${P}/stats?since=0`);
      assert.equal(old.status, 400);
      assert.equal(old.json.error, "since: must be at most 90 days ago (epoch seconds)");
    });
  });
}
