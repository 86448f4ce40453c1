// End-to-end job throughput (issue 11 item 1): 10,000 ping jobs submitted async over HTTP with 32 connections to a
// `heimdall serve` process, timed from the first POST until every job is SUCCEEDED; beside it, in the same run and
// the same way (after the same warm-up), a bare Fastify app whose POST route does one insert into the same kind of database
// (a job row into Heimdall's own jobs table; and, for reference, a row into a table with only a primary key)
// (bench/_throughput-bare.mjs), and a bare in-process loop doing the same row writes as Heimdall's job path with
// group commit (batches of 256 jobs per transaction and step). Ratios are printed. SQLite and PostgreSQL.
// BENCH_JOBS (10000), BENCH_WARMUP (2000), BENCH_CONNECTIONS (32), BENCH_POOLS (pool sizes, "10,100"),
// BENCH_STORES (sqlite,postgres).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import pg from "pg";
import { freePort } from "../test/cli/server-process.ts";
import { openStore } from "../src/store/index.ts";
import { freshPostgresDatabase, postgresUrl, startBenchServer } from "./_server.ts";

const JOBS = Number(process.env["BENCH_JOBS"] ?? 10_000);
const CONNECTIONS = Number(process.env["BENCH_CONNECTIONS"] ?? 32);
/** Pool sizes to run Heimdall with (BENCH_POOLS, default "10,100": the configured default and a large pool). */
const POOLS = (process.env["BENCH_POOLS"] ?? "10,100").split(",").map(Number);
const BODY = JSON.stringify({ name: "bench", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] });
const BATCH = 256;
/** POSTs before the timed ones, for Heimdall and the bare app alike (a cold process runs at half speed: JIT). */
const WARMUP = Number(process.env["BENCH_WARMUP"] ?? 2000);
/** BENCH_STORES: "sqlite,postgres" (default) or one of them. */
const STORES = (process.env["BENCH_STORES"] ?? "sqlite,postgres").split(",");

interface Figures {
  store: string;
  pool: number;
  heimdall: number;
  submitOnly: number;
  /** The bare app inserting into Heimdall's own jobs table (the ratio of the target). */
  bare: number;
  /** The bare app inserting into a table with only a primary key. */
  bareMinimal: number;
  loop: number;
  errors: number;
}

/**
 * `amount` POSTs with CONNECTIONS connections. Timed to the LAST RESPONSE (autocannon itself notices the end only at
 * its next 1-second sample tick, which rounded every run up to whole seconds). `onAll` runs at that response.
 */
async function post(url: string, amount: number, onAll?: () => void): Promise<{ rps: number; errors: number; end: number }> {
  const t0 = performance.now();
  let last = t0;
  let count = 0;
  const run = autocannon({
    url: `${url}/api/v1/job`,
    method: "POST",
    headers: { "content-type": "application/json", "x-heimdall-user": "bench" },
    body: BODY,
    connections: CONNECTIONS,
    amount,
  });
  run.on("response", () => {
    last = performance.now();
    if (++count === amount) onAll?.();
  });
  const r = await run;
  return { rps: amount / ((last - t0) / 1000), errors: r.non2xx + r.errors + r.timeouts, end: last };
}

/** Waits until no job is NEW, ACCEPTED or RUNNING (polled every 10 ms through the list API); resolves with the time. */
async function allFinished(url: string): Promise<number> {
  for (;;) {
    const r = await fetch(`${url}/api/v1/jobs?status=NEW,ACCEPTED,RUNNING&limit=1`, { headers: { "x-heimdall-user": "bench" } });
    const body = (await r.json()) as { data: unknown[] };
    if (r.status === 200 && body.data.length === 0) return performance.now();
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** `amount` jobs submitted; jobs/s end to end (until all are final, polled from the last response on), submit rate. */
async function submitAndFinish(url: string, amount: number): Promise<{ e2e: number; submit: number; errors: number }> {
  const t0 = performance.now();
  let finished: Promise<number> | undefined;
  const p = await post(url, amount, () => (finished = allFinished(url)));
  const end = await (finished ?? allFinished(url));
  return { e2e: amount / ((end - t0) / 1000), submit: p.rps, errors: p.errors };
}

async function succeeded(url: string): Promise<number> {
  const r = await fetch(`${url}/api/v1/stats`, { headers: { "x-heimdall-user": "bench" } });
  return ((await r.json()) as { counts: Record<string, number> }).counts["SUCCEEDED"] ?? 0;
}

/** Heimdall: submit JOBS ping jobs, time until all are final. Returns jobs/s end to end and the submit rate. */
async function heimdall(databaseUrl: string | undefined, pool: number): Promise<{ e2e: number; submit: number; errors: number }> {
  const srv = await startBenchServer(databaseUrl, { pool: { size: pool } });
  try {
    await submitAndFinish(srv.url, WARMUP);
    const before = await succeeded(srv.url);
    const h = await submitAndFinish(srv.url, JOBS);
    const ok = (await succeeded(srv.url)) - before;
    if (ok !== JOBS - h.errors) throw new Error(`expected ${JOBS - h.errors} SUCCEEDED jobs, found ${ok}`);
    return h;
  } finally {
    await srv.stop();
  }
}

/** The bare Fastify app with one insert per POST into `table` ("jobs": Heimdall's, migrated; "minimal"). */
async function bareApp(target: string, table: "jobs" | "minimal"): Promise<number> {
  const port = await freePort();
  const proc = spawn(process.execPath, [new URL("./_throughput-bare.mjs", import.meta.url).pathname, String(port), target, table], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((r) => proc.once("exit", r));
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/api/v1/health`)).ok) break;
      } catch {
        if (i > 300) throw new Error("bare app did not start");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await post(url, WARMUP);
    const p = await post(url, JOBS);
    if (p.errors > 0) throw new Error(`bare app: ${p.errors} errors`);
    return p.rps;
  } finally {
    proc.kill("SIGTERM");
    await exited;
  }
}

/** SQLite: the row writes of Heimdall's job path (insert, claim, start, result + finish), 256 jobs per commit. */
function sqliteLoop(file: string): number {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("temp_store = MEMORY");
  const insJob = db.prepare(`INSERT INTO jobs (id, status, name, version, description, context, error, user_name, is_sync,
    store_result_sync, canceled_by, job_attributes, command_id, command_name, cluster_id, cluster_name, command_criteria,
    cluster_criteria, created_at, updated_at) VALUES (?, 'NEW', 'bench', '', '', NULL, '', 'bench', 0, 0, '', '{}', 'ping-0.0.1',
    'ping', 'localhost-0.0.1', 'localhost', '["type:ping"]', '["type:localhost"]', unixepoch(), unixepoch()) RETURNING seq`);
  const insClaim = db.prepare("INSERT INTO claims (job_seq, owner, heartbeat, handed_back) VALUES (?, NULL, NULL, 0)");
  const claim = db.prepare("UPDATE claims SET owner = 'i', heartbeat = unixepoch() WHERE job_seq = ?");
  const accept = db.prepare("UPDATE jobs SET status = 'ACCEPTED', updated_at = unixepoch() WHERE seq = ?");
  const start = db.prepare("UPDATE jobs SET status = 'RUNNING', updated_at = unixepoch(), started_at = unixepoch() WHERE seq = ?");
  const result = db.prepare("INSERT INTO job_results (job_seq, result) VALUES (?, ?)");
  const finish = db.prepare(
    "UPDATE jobs SET status = 'SUCCEEDED', updated_at = unixepoch(), finished_at = unixepoch(), job_attributes = '{}' WHERE seq = ?",
  );
  const unclaim = db.prepare("DELETE FROM claims WHERE job_seq = ?");
  const tx = (fn: () => void) => {
    db.exec("BEGIN IMMEDIATE");
    fn();
    db.exec("COMMIT");
  };
  const res = JSON.stringify({ columns: [{ name: "message", type: "string" }], data: [["Hello, bench!"]] });
  const t0 = performance.now();
  for (let done = 0; done < JOBS; done += BATCH) {
    const seqs: number[] = [];
    tx(() => {
      for (let i = 0; i < Math.min(BATCH, JOBS - done); i++) {
        const id = randomUUID();
        const seq = (insJob.get(id) as { seq: number }).seq;
        insClaim.run(seq);
        seqs.push(seq);
      }
    });
    tx(() => seqs.forEach((s) => (claim.run(s), accept.run(s))));
    tx(() => seqs.forEach((s) => start.run(s)));
    tx(() => seqs.forEach((s) => (result.run(s, res), finish.run(s), unclaim.run(s))));
  }
  const rate = JOBS / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

/** PostgreSQL: the same row writes, each step one multi-row statement (arrays) per 256 jobs, one transaction each. */
async function postgresLoop(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const res = JSON.stringify({ columns: [{ name: "message", type: "string" }], data: [["Hello, bench!"]] });
  const now = "floor(extract(epoch from now()))::bigint";
  const t0 = performance.now();
  for (let done = 0; done < JOBS; done += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, JOBS - done) }, () => randomUUID());
    await c.query("BEGIN");
    const rows = await c.query(
      `INSERT INTO jobs (id, status, name, version, description, context, error, user_name, is_sync,
      store_result_sync, canceled_by, job_attributes, command_id, command_name, cluster_id, cluster_name, command_criteria,
      cluster_criteria, created_at, updated_at)
      SELECT x, 'NEW', 'bench', '', '', NULL, '', 'bench', false, false, '', '{}', 'ping-0.0.1', 'ping', 'localhost-0.0.1',
      'localhost', '["type:ping"]', '["type:localhost"]', ${now}, ${now} FROM unnest($1::text[]) AS x RETURNING seq, id`,
      [ids],
    );
    const seqs = rows.rows.map((r: { seq: string }) => Number(r.seq));
    await c.query(
      "INSERT INTO claims (job_seq, owner, heartbeat, handed_back) SELECT s, NULL, NULL, false FROM unnest($1::bigint[]) AS s",
      [seqs],
    );
    await c.query("COMMIT");
    await c.query("BEGIN");
    await c.query(`UPDATE claims SET owner = 'i', heartbeat = ${now} WHERE job_seq = ANY($1::bigint[])`, [seqs]);
    await c.query(`UPDATE jobs SET status = 'ACCEPTED', updated_at = ${now} WHERE seq = ANY($1::bigint[])`, [seqs]);
    await c.query("COMMIT");
    await c.query(`UPDATE jobs SET status = 'RUNNING', updated_at = ${now}, started_at = ${now} WHERE seq = ANY($1::bigint[])`, [seqs]);
    await c.query("BEGIN");
    await c.query("INSERT INTO job_results (job_seq, result) SELECT s, $2 FROM unnest($1::bigint[]) AS s", [seqs, res]);
    await c.query(`UPDATE jobs SET status = 'SUCCEEDED', updated_at = ${now}, finished_at = ${now} WHERE seq = ANY($1::bigint[])`, [seqs]);
    await c.query("DELETE FROM claims WHERE job_seq = ANY($1::bigint[])", [seqs]);
    await c.query("COMMIT");
  }
  const rate = JOBS / ((performance.now() - t0) / 1000);
  await c.end();
  return rate;
}

/** A database with Heimdall's schema (migrated by the store's own code), then closed. */
async function migrated(connectionString: string): Promise<void> {
  const s = await openStore({ connectionString });
  await s.close();
}

async function sqliteFigures(): Promise<Figures[]> {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-throughput-"));
  await migrated(`sqlite:${join(dir, "bare.db")}`);
  const bare = await bareApp(join(dir, "bare.db"), "jobs");
  const bareMinimal = await bareApp(join(dir, "bare-minimal.db"), "minimal");
  await migrated(`sqlite:${join(dir, "loop.db")}`);
  const loop = sqliteLoop(join(dir, "loop.db"));
  const rows: Figures[] = [];
  for (const pool of POOLS) {
    const h = await heimdall(undefined, pool);
    rows.push({ store: "SQLite", pool, heimdall: h.e2e, submitOnly: h.submit, bare, bareMinimal, loop, errors: h.errors });
  }
  return rows;
}

async function postgresFigures(serverUrl: string): Promise<Figures[]> {
  const bareUrl = await freshPostgresDatabase(serverUrl, `heimdall_tp_bare_${process.pid}`);
  await migrated(bareUrl);
  const bare = await bareApp(bareUrl, "jobs");
  const bareMinimal = await bareApp(await freshPostgresDatabase(serverUrl, `heimdall_tp_bare_min_${process.pid}`), "minimal");
  const loopUrl = await freshPostgresDatabase(serverUrl, `heimdall_tp_loop_${process.pid}`);
  await migrated(loopUrl);
  const loop = await postgresLoop(loopUrl);
  const rows: Figures[] = [];
  for (const pool of POOLS) {
    const h = await heimdall(await freshPostgresDatabase(serverUrl, `heimdall_tp_${process.pid}`), pool);
    rows.push({ store: "PostgreSQL", pool, heimdall: h.e2e, submitOnly: h.submit, bare, bareMinimal, loop, errors: h.errors });
  }
  return rows;
}

export async function run(): Promise<string> {
  const load0 = loadavg()[0] ?? 0;
  const rows: Figures[] = [];
  if (STORES.includes("sqlite")) rows.push(...(await sqliteFigures()));
  if (STORES.includes("postgres")) {
    const pgServer = await postgresUrl();
    try {
      rows.push(...(await postgresFigures(pgServer.url)));
    } finally {
      await pgServer.stop();
    }
  }
  const load1 = loadavg()[0] ?? 0;
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  const lines = rows.map(
    (r) =>
      `| ${r.store} | ${r.pool} | ${f(r.heimdall)} | ${f(r.submitOnly)} | ${f(r.bare)} | ${(r.bare / r.heimdall).toFixed(2)}x | ${f(r.bareMinimal)} | ${(r.bareMinimal / r.heimdall).toFixed(2)}x | ${f(r.loop)} | ${(r.loop / r.heimdall).toFixed(1)}x | ${r.errors} |`,
  );
  return [
    "## Job throughput end to end (issue 11 item 1)",
    "",
    `${JOBS.toLocaleString("en-US")} ping jobs, async, \`POST /api/v1/job\` over HTTP with ${CONNECTIONS} connections (autocannon, in the bench`,
    "process) to `heimdall serve` (the compiled build, `bin/heimdall.js`), timed from the first POST until every job is final (all SUCCEEDED, checked), after",
    `a warm-up of ${WARMUP.toLocaleString("en-US")} jobs; POST rates are timed to the last response (autocannon's own end is rounded up to its 1 s tick);`,
    `pool sizes ${POOLS.join(" and ")} (10 is the configured default). Bare app: Fastify whose POST route does one insert into the same kind of database`,
    "(`bench/_throughput-bare.mjs`, the same warm-up and 10,000 POSTs, autocommit per request): a job row into Heimdall's own `jobs` table",
    "(migrated by the store's code: the columns and indexes a submit writes), and beside it a row into a table with only a primary key.",
    "Bare loop: the same row writes as the job path (insert job,",
    "claim; claim; start; result and finish; the jobs have no client tags, and system tags and criteria are columns) straight",
    `through the driver, ${BATCH} jobs per transaction and step.`,
    `Load average (1 min) ${load0.toFixed(1)} at start, ${load1.toFixed(1)} at end. Targets: ≥ 3,000 jobs/s SQLite, ≥ 1,500 PostgreSQL, bare app (jobs table) / Heimdall ≤ 2.`,
    "",
    "| Store | pool | Heimdall jobs/s (submit → SUCCEEDED) | submits/s during it | bare app POSTs/s (jobs table) | bare app / Heimdall | bare app POSTs/s (minimal table) | minimal / Heimdall | bare loop jobs/s | bare loop / Heimdall | errors |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...lines,
  ].join("\n");
}
