// Database outages (issue 8 item 1, docs/engine.md "Database outages"): PostgreSQL stopped while shell jobs run on
// two instances, then started again. Every job ends in the state that matches what ran, none stays RUNNING, and
// a job a runner gave up is recovered by the other instance's janitor. A DEDICATED embedded PostgreSQL is used
// (bench/chaos/postgres.ts): the shared test server is never stopped.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { HeimdallConfig } from "../../src/config/types.ts";
import type { Job } from "../../src/core/index.ts";
import { AWOL_ERROR, type Engine } from "../../src/engine/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { cluster, command, FINAL, input, never, readAll, registry, testEngine, until } from "./helpers.ts";
import { startChaosPostgres, type ChaosPostgres } from "../../bench/chaos/postgres.ts";

const skip = process.env.HEIMDALL_TEST_NO_PG === "1" ? "HEIMDALL_TEST_NO_PG=1" : false;
const JANITOR = { keepalive: 1, stale_job: 5, clean_interval: 1, finished_job_retention_days: 0, cleanup_timeout: 5 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** stale_job + clean_interval + keepalive (7 s) after the database is back, with room for a loaded machine. */
const WITHIN_MS = 20_000;

describe("database outage (PostgreSQL)", { skip, concurrency: 1 }, () => {
  let pg: ChaosPostgres;
  const stores: Store[] = [];
  const engines: Engine[] = [];
  let jobsDir: string;
  let marks: string;

  before(async () => {
    pg = await startChaosPostgres();
    jobsDir = mkdtempSync(join(tmpdir(), "heimdall-outage-jobs-"));
    marks = mkdtempSync(join(tmpdir(), "heimdall-outage-marks-"));
  });
  after(async () => {
    for (const e of engines) await e.stop().catch(() => undefined);
    for (const s of stores) await s.close().catch(() => undefined);
    await pg?.close();
    rmSync(jobsDir, { recursive: true, force: true });
    rmSync(marks, { recursive: true, force: true });
  });

  /** An instance with its own connection pool, like another server process. */
  async function instance(over: Partial<HeimdallConfig> = {}, dbRetryMs?: number): Promise<{ engine: Engine; store: Store }> {
    const store = await openStore({ connectionString: pg.url, maxConnections: 5 });
    stores.push(store);
    const engine = testEngine(
      jobsDir,
      store,
      registry(),
      { janitor: JANITOR, pool: { size: 20, sleepMs: 250 }, ...over },
      dbRetryMs ? { dbRetryMs } : {},
    );
    engines.push(engine);
    return { engine, store };
  }

  /** Submits n shell jobs running `script`; $1 is a per-job file the script appends one line to per run. */
  async function submitShell(engine: Engine, cmd: string, script: string, n: number): Promise<{ id: string; mark: string }[]> {
    await engine.putCluster(cluster("local"));
    await engine.putCommand(command(cmd, "shell", { context: { command: ["/bin/sh", "-c", script, "sh"] } }));
    const jobs: { id: string; mark: string }[] = [];
    for (let i = 0; i < n; i++) {
      const mark = join(marks, `${cmd}-${i}-${randomBytes(3).toString("hex")}`);
      const { job } = await engine.submit(input(cmd, { arguments: [mark] }), "u", never);
      jobs.push({ id: job.id, mark });
    }
    return jobs;
  }

  const runs = (mark: string) => {
    try {
      return readFileSync(mark, "utf8").split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  };

  async function allFinal(store: Store, ids: string[], timeoutMs: number): Promise<Job[]> {
    return until(
      "every job final",
      async () => {
        const out: Job[] = [];
        for (const id of ids) {
          const j = await store.getJob(id);
          if (!j || !FINAL.includes(j.status)) return undefined;
          out.push(j);
        }
        return out;
      },
      timeoutMs,
      200,
    );
  }

  it("jobs running through a 30 s outage all succeed once with their full stdout, no restart", async (t) => {
    const a = await instance();
    const b = await instance();
    await Promise.all([a.engine.start(), b.engine.start()]);
    const jobs = await submitShell(a.engine, "outage", 'echo x >> "$1"; sleep 4; echo out', 12);
    // Every job started (its side effect written) before the database goes away.
    await until("all jobs started", async () => jobs.every((j) => runs(j.mark) === 1), 20_000, 50);
    await pg.stop();
    await sleep(30_000);
    await pg.start();
    const back = Date.now();
    const done = await allFinal(
      a.store,
      jobs.map((j) => j.id),
      60_000,
    );
    const tookMs = Date.now() - back;
    t.diagnostic(`all jobs final ${tookMs} ms after the database came back`);
    for (const j of done) assert.equal(j.status, "SUCCEEDED", `job ${j.id}: ${j.status} ${j.error}`);
    for (const j of jobs) {
      assert.equal(await readAll(a.store, j.id, "stdout"), "out\n", `stdout of ${j.id}`);
      assert.equal(runs(j.mark), 1, `job ${j.id} ran ${runs(j.mark)} times`);
    }
    assert.ok(tookMs < WITHIN_MS, `all final ${tookMs} ms after the database came back`);
    await Promise.all([a.engine.stop(), b.engine.stop()]);
  });

  it("a job whose runner gave up is recovered by the other instance's janitor (FAILED awol), not left RUNNING", async (t) => {
    // A gives job-path writes up after 1.5 s; its own janitor sleeps, so B's janitor must recover the jobs.
    const a = await instance({ janitor: { ...JANITOR, clean_interval: 600 } }, 1500);
    await a.engine.start();
    const jobs = await submitShell(a.engine, "giveup", 'echo x >> "$1"; echo out; sleep 5', 4);
    await until("all jobs started", async () => jobs.every((j) => runs(j.mark) === 1), 20_000, 50);
    const b = await instance();
    await b.engine.start();
    for (const j of jobs) assert.equal((await a.store.getJob(j.id))?.status, "RUNNING", "still running when the database stops");
    await pg.stop();
    await sleep(12_000); // the processes end ~4 s in; A's final transitions give up ~1.5 s later
    await pg.start();
    const back = Date.now();
    const done = await allFinal(
      b.store,
      jobs.map((j) => j.id),
      40_000,
    );
    const tookMs = Date.now() - back;
    t.diagnostic(`all jobs recovered ${tookMs} ms after the database came back`);
    assert.ok(tookMs < WITHIN_MS, `all recovered ${tookMs} ms after the database came back`);
    for (const j of done) {
      assert.equal(j.status, "FAILED", `job ${j.id}: ${j.status}`);
      assert.equal(j.error, AWOL_ERROR);
    }
    for (const j of jobs) assert.equal(runs(j.mark), 1, `job ${j.id} ran ${runs(j.mark)} times`);
    await Promise.all([a.engine.stop(), b.engine.stop()]);
  });
});
