// Issue 8 item 5: a FAILED shell job's process never outlives it. Real `heimdall serve` processes are SIGKILLed
// (the server process only, so its shell job's process group survives as it would after a crash); then
// - SQLite: a new server on the same database and jobs_directory kills the leftover group at startup, the job ends
//   FAILED `awol` and its side effect never happens;
// - PostgreSQL: a server restarted on the same jobs_directory kills the group at startup, while the job is
//   still RUNNING (before any janitor marks it);
// - PostgreSQL: two instances share one jobs_directory; the survivor's janitor kills the dead instance's group
//   before it writes FAILED `awol`.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freshDatabaseUrl, POSTGRES_SKIP_REASON, postgresBaseUrl } from "../helpers/db.ts";
import { startServer, type ServerProcess } from "./server-process.ts";

const HAS_PROC = existsSync("/proc/self/stat");
const AWOL = "awol: job is stale, marking failed";
/** The job sleeps this long, then appends to the side-effect file: far longer than recovery takes. */
const SLEEP_S = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, headers: { "X-Heimdall-User": "tester", "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(`${base}/api/v1${path}`, init);
  return { status: r.status, json: await r.json() };
}

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function config(side: string, extra: Record<string, unknown> = {}) {
  return {
    janitor: { keepalive: 1, stale_job: 3, clean_interval: 1 },
    commands: [
      {
        name: "slow",
        plugin: "shell",
        tags: ["type:slow"],
        cluster_tags: ["type:localhost"],
        context: { command: ["/bin/sh", "-c", 'sleep "$1"; echo done >> "$0"', side, String(SLEEP_S)] },
      },
    ],
    ...extra,
  };
}

/** Submits the slow job and waits until it runs and its process record is written; returns id, pid, instance. */
async function startSlowJob(
  srv: ServerProcess,
  jobsDir: string,
): Promise<{ id: string; pid: number; instance: string; startedAt: number }> {
  const r = await api(srv.url, "POST", "/job", { command_criteria: ["type:slow"], cluster_criteria: ["type:localhost"] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const id: string = r.json.id;
  const record = join(jobsDir, id, "process.json");
  const deadline = Date.now() + 30_000;
  while (!existsSync(record)) {
    assert.ok(
      Date.now() < deadline,
      `no process record for job ${id}: ${JSON.stringify((await api(srv.url, "GET", `/job/${id}/status`)).json)}`,
    );
    await sleep(50);
  }
  const rec = JSON.parse(readFileSync(record, "utf8"));
  assert.ok(alive(rec.pid), "the job's process runs");
  return { id, pid: rec.pid, instance: rec.instance, startedAt: Date.now() };
}

/** SIGKILLs the server process alone: its job's process group lives on, as after a crash. */
async function crash(srv: ServerProcess): Promise<void> {
  const exited = new Promise((r) => srv.proc.once("exit", r));
  if (srv.running()) process.kill(srv.proc.pid!, "SIGKILL");
  await exited;
}

async function waitFinal(srv: ServerProcess, id: string, ms = 60_000): Promise<{ status: string; error?: string }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const st = await api(srv.url, "GET", `/job/${id}/status`);
    if (["SUCCEEDED", "FAILED", "KILLED", "CANCELED"].includes(st.json.status)) return { status: st.json.status, error: st.json.error };
    assert.ok(Date.now() < deadline, `job ${id} still ${st.json.status}`);
    await sleep(100);
  }
}

/** Waits until the job's side effect would have happened, then asserts it did not. */
async function assertNoSideEffect(side: string, startedAt: number): Promise<void> {
  await sleep(Math.max(0, startedAt + (SLEEP_S + 3) * 1000 - Date.now()));
  assert.ok(!existsSync(side), "the job's work never completed after its instance died");
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone (the expected case)
  }
}

// The three cases run at once: each has its own servers, database and jobs_directory, and spends most of its time
// waiting out SLEEP_S (the suite's wall time, not its work).
describe("leftover processes of a crashed instance's shell jobs", { skip: HAS_PROC ? false : "needs Linux /proc", concurrency: 3 }, () => {
  it(
    "SQLite: a new server on the same jobs_directory kills the group at startup; the job ends FAILED awol",
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "heimdall-leftover-"));
      const side = join(dir, "side-effect.txt");
      const a = await startServer({ dir, extra: config(side) });
      let b: ServerProcess | undefined;
      let pid: number | undefined;
      try {
        const job = await startSlowJob(a, join(dir, "jobs"));
        pid = job.pid;
        await crash(a);
        await sleep(300);
        assert.ok(alive(job.pid), "the crash alone leaves the job's process running");
        b = await startServer({ dir, extra: config(side) });
        // engine.start (with the leftover scan) completes before the server listens.
        assert.ok(!alive(job.pid), "the leftover process group is gone once the new server is up");
        assert.ok(!existsSync(join(dir, "jobs", job.id)), "the leftover working directory is deleted");
        assert.deepEqual(await waitFinal(b, job.id), { status: "FAILED", error: AWOL });
        await assertNoSideEffect(side, job.startedAt);
      } finally {
        killGroup(pid);
        if (b) await b.stop();
        if (a.running()) await a.kill();
      }
    },
  );

  it(
    "PostgreSQL: a server started on the dead server's jobs_directory kills its group at startup, before the janitor marks the job",
    { timeout: 150_000, skip: postgresBaseUrl() ? false : POSTGRES_SKIP_REASON },
    async () => {
      const db = await freshDatabaseUrl();
      const dir = mkdtempSync(join(tmpdir(), "heimdall-leftover-restart-"));
      const side = join(dir, "side-effect.txt");
      // stale_job 30 s: the janitor cannot mark the job before the new server is up.
      const extra = config(side, { janitor: { keepalive: 1, stale_job: 30, clean_interval: 1 } });
      const a = await startServer({ dir, databaseUrl: db, extra });
      let b: ServerProcess | undefined;
      let pid: number | undefined;
      try {
        const job = await startSlowJob(a, join(dir, "jobs"));
        pid = job.pid;
        await crash(a);
        await sleep(300);
        assert.ok(alive(job.pid), "the crash alone leaves the job's process running");
        b = await startServer({ dir, databaseUrl: db, extra });
        assert.ok(!alive(job.pid), "the dead server's group is gone once the new server is up");
        assert.equal((await api(b.url, "GET", `/job/${job.id}/status`)).json.status, "RUNNING", "the janitor has not marked the job yet");
        assert.ok(!existsSync(join(dir, "jobs", job.id)), "the leftover working directory is deleted");
        assert.deepEqual(await waitFinal(b, job.id, 90_000), { status: "FAILED", error: AWOL });
        await assertNoSideEffect(side, job.startedAt);
      } finally {
        killGroup(pid);
        if (b) await b.stop();
        if (a.running()) await a.kill();
      }
    },
  );

  it(
    "PostgreSQL: with a shared jobs_directory, the other instance's janitor kills the group before writing FAILED awol",
    { timeout: 120_000, skip: postgresBaseUrl() ? false : POSTGRES_SKIP_REASON },
    async () => {
      const db = await freshDatabaseUrl();
      const shared = mkdtempSync(join(tmpdir(), "heimdall-leftover-pg-"));
      const jobsDir = join(shared, "jobs");
      const side = join(shared, "side-effect.txt");
      const servers = [
        await startServer({ databaseUrl: db, extra: config(side, { jobs_directory: jobsDir }) }),
        await startServer({ databaseUrl: db, extra: config(side, { jobs_directory: jobsDir }) }),
      ];
      let pid: number | undefined;
      try {
        const job = await startSlowJob(servers[0]!, jobsDir);
        pid = job.pid;
        const names = await Promise.all(servers.map(async (s) => (await (await fetch(`${s.url}/api/v1/health`)).json()).instance));
        const ownerIndex = names.indexOf(job.instance);
        assert.ok(ownerIndex >= 0, `the record names a running instance: ${job.instance} in ${names.join(", ")}`);
        const owner = servers[ownerIndex]!;
        const survivor = servers[1 - ownerIndex]!;
        await crash(owner);
        await sleep(300);
        assert.ok(alive(job.pid), "the crash alone leaves the job's process running");
        assert.deepEqual(await waitFinal(survivor, job.id), { status: "FAILED", error: AWOL });
        assert.ok(!alive(job.pid), "the process group is dead by the time FAILED is written");
        await assertNoSideEffect(side, job.startedAt);
      } finally {
        killGroup(pid);
        for (const s of servers) {
          if (s.running()) await s.stop();
        }
      }
    },
  );
});
