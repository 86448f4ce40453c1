// Several `heimdall serve` processes on one PostgreSQL database (issue 2):
// - two servers drain 2,000 queued jobs and every job runs exactly once (each job appends its own id — the
//   name of its working directory — to a shared file; every id must appear exactly once);
// - a server SIGKILLed while running async jobs: another instance marks them FAILED
//   `awol: job is stale, marking failed` within stale_job + clean_interval.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freshDatabaseUrl, POSTGRES_SKIP_REASON, postgresBaseUrl } from "../helpers/db.ts";
import { startServer } from "./server-process.ts";
import type { ServerProcess } from "./server-process.ts";

const JOBS = 2000;
const FINAL = ["SUCCEEDED", "FAILED", "KILLED", "CANCELED"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, headers: { "X-Heimdall-User": "tester", "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(`${base}/api/v1${path}`, init);
  return { status: r.status, json: await r.json() };
}

/** Sum of heimdall_jobs_finished_total samples with the given status on one instance. */
async function finishedCount(base: string, status: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("heimdall_jobs_finished_total{") && line.includes(`status="${status}"`)) n += Number(line.split(" ").pop());
  }
  return n;
}

describe("multiple instances on one PostgreSQL database", { skip: postgresBaseUrl() ? false : POSTGRES_SKIP_REASON }, () => {
  it(`two servers drain ${JOBS} jobs, each run exactly once`, { timeout: 240_000 }, async () => {
    const db = await freshDatabaseUrl();
    const shared = mkdtempSync(join(tmpdir(), "heimdall-once-"));
    const ran = join(shared, "ran.txt");
    const extra = {
      pool: { size: 8 },
      commands: [
        {
          name: "record",
          plugin: "shell",
          tags: ["type:record"],
          cluster_tags: ["type:localhost"],
          // The working directory is <jobs_directory>/<job id>: append the id (one short O_APPEND write).
          context: { command: ["/bin/sh", "-c", `echo "\${PWD##*/}" >> '${ran}'`] },
        },
      ],
    };
    const servers: ServerProcess[] = [];
    try {
      servers.push(await startServer({ databaseUrl: db, extra }));
      servers.push(await startServer({ databaseUrl: db, extra }));
      const ids: string[] = [];
      const body = { command_criteria: ["type:record"], cluster_criteria: ["type:localhost"] };
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          while (next < JOBS) {
            next++;
            const srv = servers[w % 2]!;
            const r = await api(srv.url, "POST", "/job", body);
            assert.equal(r.status, 200, JSON.stringify(r.json));
            ids.push(r.json.id);
          }
        }),
      );
      assert.equal(ids.length, JOBS);
      const deadline = Date.now() + 200_000;
      for (;;) {
        const open = await api(servers[0]!.url, "GET", "/jobs?status=NEW,ACCEPTED,RUNNING,CANCELING&limit=1");
        if (open.json.data.length === 0) break;
        assert.ok(Date.now() < deadline, "jobs still open after 200 s");
        await sleep(500);
      }
      const bad = await api(servers[1]!.url, "GET", "/jobs?status=FAILED,KILLED,CANCELED&limit=5");
      assert.deepEqual(bad.json.data, [], "no job failed");
      const lines = readFileSync(ran, "utf8").trim().split("\n");
      const counts = new Map<string, number>();
      for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n !== 1);
      assert.deepEqual(twice, [], "every job ran exactly once");
      assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), "the ids that ran are exactly the ids submitted");
      const perServer = await Promise.all(servers.map((s) => finishedCount(s.url, "SUCCEEDED")));
      assert.equal(perServer[0]! + perServer[1]!, JOBS, `finished per instance: ${perServer.join(", ")}`);
      assert.ok(perServer[0]! > 0 && perServer[1]! > 0, `both instances ran jobs: ${perServer.join(", ")}`);
    } finally {
      for (const s of servers) await s.stop();
    }
  });

  it("a SIGKILLed server's jobs are failed by another instance within stale_job + clean_interval", { timeout: 90_000 }, async () => {
    const db = await freshDatabaseUrl();
    const extra = {
      janitor: { keepalive: 1, stale_job: 3, clean_interval: 1 },
      commands: [
        { name: "sleeper", plugin: "shell", tags: ["type:sleep"], cluster_tags: ["type:localhost"], context: { command: ["sleep", "30"] } },
      ],
    };
    const a = await startServer({ databaseUrl: db, extra });
    let b: ServerProcess | undefined;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await api(a.url, "POST", "/job", { command_criteria: ["type:sleep"], cluster_criteria: ["type:localhost"] });
        assert.equal(r.status, 200);
        ids.push(r.json.id);
      }
      for (const id of ids) {
        for (let i = 0; ; i++) {
          const st = await api(a.url, "GET", `/job/${id}/status`);
          if (st.json.status === "RUNNING") break;
          assert.ok(i < 200, `job ${id} never RUNNING: ${JSON.stringify(st.json)}`);
          await sleep(50);
        }
      }
      await a.kill();
      const killedAt = Date.now();
      b = await startServer({ databaseUrl: db, extra });
      const limitMs = (3 + 1) * 1000 + 3000; // stale_job + clean_interval, plus heartbeat granularity
      for (const id of ids) {
        for (;;) {
          const st = await api(b.url, "GET", `/job/${id}/status`);
          if (FINAL.includes(st.json.status)) {
            assert.deepEqual(
              { status: st.json.status, error: st.json.error },
              { status: "FAILED", error: "awol: job is stale, marking failed" },
            );
            break;
          }
          assert.ok(Date.now() - killedAt < limitMs + 5000, `job ${id} still ${st.json.status} ${Date.now() - killedAt} ms after the kill`);
          await sleep(100);
        }
      }
      const elapsed = Date.now() - killedAt;
      assert.ok(elapsed <= limitMs, `recovered after ${elapsed} ms (limit ${limitMs} ms)`);
    } finally {
      if (b) await b.stop();
      if (a.running()) await a.kill();
    }
  });
});
