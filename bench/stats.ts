// Issue 9 item 4: GET /api/v1/stats answers under 50 ms on 100,000 jobs, on SQLite and PostgreSQL.
// 100,000 jobs are loaded through Store.insertJob (statuses at insert: 80 % SUCCEEDED, 10 % FAILED, 5 % CANCELED,
// 4 % KILLED, 1 % RUNNING with a progress summary through setJobProgress); the store stamps every time with the
// database clock, so one UPDATE then spreads created/started/finished over the last 24 hours (the worst case for
// the default window: every job is in it). Store.jobStats() is then timed, p50/p95 per store.
// BENCH_STATS_JOBS changes the size, BENCH_STATS_STORES the stores.
import pg from "pg";
import Database from "better-sqlite3";
import type { JobStatus } from "../src/core/index.ts";
import type { BenchStoreKind } from "./_jobs-loader.ts";
import { benchJob, loadJobs, openBenchStore, timeStats } from "./_jobs-loader.ts";
import { postgresUrl } from "./_server.ts";

const JOBS = Number(process.env["BENCH_STATS_JOBS"] ?? 100_000);
const STORES = (process.env["BENCH_STATS_STORES"] ?? "sqlite,postgres").split(",") as BenchStoreKind[];
const RUNS = 40;
const TARGET_MS = 50;

function status(n: number): JobStatus {
  const k = n % 100;
  return k < 80 ? "SUCCEEDED" : k < 90 ? "FAILED" : k < 95 ? "CANCELED" : k < 99 ? "KILLED" : "RUNNING";
}

/** created = now - (n * 86399 / JOBS) seconds; started 0..59 s later; finished up to ~1 h after start. */
function spreadSql(now: number): string {
  const created = `(${now} - (seq * 86399) / ${JOBS})`;
  return `UPDATE jobs SET created_at = ${created}, updated_at = ${created},
    started_at = CASE WHEN started_at IS NULL AND status IN ('NEW', 'CANCELED') THEN NULL ELSE ${created} + seq % 60 END,
    finished_at = CASE WHEN finished_at IS NULL THEN NULL ELSE ${created} + seq % 60 + (seq * 7919) % 3600 END`;
}

async function measure(
  kind: BenchStoreKind,
  pgServer: string | undefined,
): Promise<{ loadS: number; p50: number; p95: number; work: number }> {
  const b = await openBenchStore(kind, pgServer, "stats");
  let store = b.store;
  try {
    const loadS = await loadJobs(
      store,
      JOBS,
      (n) => benchJob(n, { status: status(n), name: `etl-${n % 500}`, user: `user${n % 50}`, tags: [] }),
      kind === "sqlite" ? 512 : 48,
    );
    for (let n = 99; n < JOBS; n += 100) {
      await store.setJobProgress(`bench-${n}`, { tasks: 4, succeeded: 1, running: 2, retrying: 1, failed: 0, pending: 0 });
    }
    const now = await store.now();
    if (kind === "sqlite") {
      await store.close();
      const db = new Database(b.url.slice("sqlite:".length));
      db.exec(spreadSql(now));
      db.close();
      const { openStore } = await import("../src/store/index.ts");
      store = await openStore({ connectionString: b.url });
    } else {
      const c = new pg.Client(b.url);
      await c.connect();
      await c.query(spreadSql(now));
      await c.query("VACUUM ANALYZE jobs");
      await c.end();
    }
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const st = await store.jobStats();
      const c = process.cpuUsage(c0);
      if (i === 0 && st.running_ecs_tasks !== 2 * Math.floor(JOBS / 100))
        throw new Error(`stats: running_ecs_tasks ${st.running_ecs_tasks}`);
      if (i >= 3) {
        times.push(performance.now() - t0);
        cpu.push((c.user + c.system) / 1000);
      }
    }
    return { loadS, ...timeStats(times), work: timeStats(cpu).p50 };
  } finally {
    await store.close().catch(() => undefined);
    b.cleanup();
  }
}

export async function run(): Promise<string> {
  const out = [
    `## GET /api/v1/stats at ${JOBS.toLocaleString("en-US")} jobs (issue 9 item 4)`,
    "",
    "Jobs loaded through `Store.insertJob`, times spread over the last 24 h by one UPDATE (every job in the default",
    `window); \`Store.jobStats()\` timed ${RUNS} times after 3 warm-ups. Target: under ${TARGET_MS} ms. CPU ms is this`,
    "process's CPU per call (all of the work on SQLite; only the client side on PostgreSQL).",
    "",
    "| Store | load s | p50 ms | p95 ms | CPU ms p50 |",
    "|---|---|---|---|---|",
  ];
  let pgServer: { url: string; stop: () => Promise<void> } | undefined;
  try {
    for (const kind of STORES) {
      if (kind === "postgres") pgServer = await postgresUrl();
      const m = await measure(kind, pgServer?.url);
      out.push(
        `| ${kind === "sqlite" ? "SQLite" : "PostgreSQL"} | ${m.loadS.toFixed(0)} | ${m.p50.toFixed(1)} | ${m.p95.toFixed(1)} | ${m.work.toFixed(1)} |`,
      );
    }
  } finally {
    await pgServer?.stop();
  }
  return out.join("\n");
}
