// Store.jobStats on both engines (GET /api/v1/stats, issue 9 item 4): counts by status of the jobs created since
// S, finished per hour (every hour, zeros included), running ECS tasks from progress, the 5 slowest and the 5
// latest failures of the window — checked against a dataset whose times are set directly.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { JobStatus } from "../../src/core/index.ts";
import { rawQuery, storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

interface Row {
  id: string;
  status: JobStatus;
  /** Seconds before now; undefined = not set (NULL). */
  started?: number;
  finished?: number;
  created?: number;
  error?: string;
  running?: number;
}

const ROWS: Row[] = [
  { id: "j00", status: "SUCCEEDED", started: 3000, finished: 100 },
  { id: "j01", status: "FAILED", started: 60, finished: 50, error: "boom1" },
  { id: "j02", status: "FAILED", started: 7300, finished: 7205, error: "boom2" },
  { id: "j03", status: "CANCELED", finished: 3600 },
  { id: "j04", status: "RUNNING", started: 500, running: 3 },
  { id: "j05", status: "RUNNING", started: 400, running: 2 },
  { id: "j06", status: "RUNNING", started: 300 },
  { id: "j07", status: "SUCCEEDED", created: 200_000, started: 199_000, finished: 190_000 },
  { id: "j08", status: "NEW" },
  { id: "j09", status: "KILLED", started: 20, finished: 10 },
  { id: "j10", status: "SUCCEEDED", started: 35, finished: 30 },
  { id: "j11", status: "SUCCEEDED", started: 31, finished: 30 },
  ...[0, 1, 2, 3].map((i): Row => ({ id: `j1${2 + i}`, status: "FAILED", started: 1000 + i, finished: 1000 + i, error: `e${i}` })),
];

for (const backend of storeBackends()) {
  void describe(`job stats on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("counts, hours, running tasks, slowest and recent failures of the window", async () => {
      const url = await backend.freshUrl();
      let s = await backend.open(url);
      for (const r of ROWS) await s.insertJob(newJob({ id: r.id, name: `name-${r.id}`, status: r.status }));
      for (const r of ROWS)
        if (r.running !== undefined) {
          await s.setJobProgress(r.id, { tasks: 5, succeeded: 0, running: r.running, retrying: 0, failed: 0, pending: 5 - r.running });
        }
      const now = await s.now();
      await s.close();
      const at = (ago: number | undefined) => (ago === undefined ? "NULL" : String(now - ago));
      for (const r of ROWS) {
        await rawQuery(
          url,
          `UPDATE jobs SET started_at = ${at(r.started)}, finished_at = ${at(r.finished)},
          created_at = ${r.created === undefined ? "created_at" : now - r.created}, error = '${r.error ?? ""}'
          WHERE id = '${r.id}'`,
        );
      }
      s = await backend.open(url);
      const since = now - 86_400;
      const st = await s.jobStats(since);

      assert.equal(st.since, since);
      assert.ok(st.until >= now && st.until < now + 60);
      assert.deepEqual(st.counts, { NEW: 1, ACCEPTED: 0, RUNNING: 3, FAILED: 6, KILLED: 1, SUCCEEDED: 3, CANCELING: 0, CANCELED: 1 });

      const hours = st.finished_per_hour;
      const first = Math.floor(since / 3600) * 3600;
      assert.equal(hours[0]?.hour, first);
      assert.equal(hours.at(-1)?.hour, Math.floor(st.until / 3600) * 3600);
      assert.ok(
        hours.every((h, i) => h.hour === first + 3600 * i),
        "every hour, in order, none skipped",
      );
      const sum = (k: "succeeded" | "failed" | "canceled") => hours.reduce((n, h) => n + h[k], 0);
      assert.deepEqual([sum("succeeded"), sum("failed"), sum("canceled")], [3, 6, 1], "j07 finished before the window");
      const hourOf = (ago: number) => hours.find((h) => h.hour === Math.floor((now - ago) / 3600) * 3600);
      assert.ok((hourOf(7205)?.failed ?? 0) >= 1, "j02 in its own hour");
      assert.ok((hourOf(3600)?.canceled ?? 0) >= 1);

      assert.equal(st.running_ecs_tasks, 5);

      assert.deepEqual(
        st.slowest.map((x) => [x.id, x.duration]),
        [
          ["j00", 2900],
          ["j02", 95],
          ["j09", 10],
          ["j01", 10],
          ["j10", 5],
        ],
        "ties: the later job first",
      );
      assert.deepEqual(st.slowest[0], {
        id: "j00",
        name: "name-j00",
        status: "SUCCEEDED",
        started_at: now - 3000,
        finished_at: now - 100,
        duration: 2900,
      });

      assert.deepEqual(
        st.recent_failures.map((x) => x.id),
        ["j01", "j12", "j13", "j14", "j15"],
      );
      assert.deepEqual(st.recent_failures[0], { id: "j01", name: "name-j01", error: "boom1", finished_at: now - 50 });

      const narrow = await s.jobStats(now - 60);
      assert.deepEqual(
        narrow.recent_failures.map((x) => x.id),
        ["j01"],
      );
      assert.deepEqual(
        narrow.slowest.map((x) => x.id),
        ["j09", "j01", "j10", "j11"],
      );
      assert.ok(narrow.finished_per_hour.length >= 1 && narrow.finished_per_hour.length <= 2);

      const byDefault = await s.jobStats();
      assert.ok(Math.abs(byDefault.since - (byDefault.until - 86_400)) === 0, "default window: the last 24 hours");
    });
  });
}
