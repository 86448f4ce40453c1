// Issue 11 item 2: job list filters at 1,000,000 jobs on SQLite and PostgreSQL, each p50 under 5 ms.
// A million jobs are loaded through Store.insertJob (many calls in flight: SQLite group commit, the PostgreSQL
// pool), then each filter of GET /api/v1/jobs is timed through Store.listJobs (a page of 101 with its tag sets; the
// store picks the plan per case, src/store/shared/job-list.ts). PostgreSQL after VACUUM ANALYZE, which autovacuum
// would run after such a load. BENCH_LIST_JOBS changes the size, BENCH_LIST_STORES the stores.
import { loadavg } from "node:os";
import pg from "pg";
import type { JobFilter, JobStatus, PageQuery } from "../src/core/index.ts";
import type { BenchStoreKind } from "./_jobs-loader.ts";
import { benchJob, loadJobs, openBenchStore, timeStats } from "./_jobs-loader.ts";
import { postgresUrl } from "./_server.ts";

const JOBS = Number(process.env["BENCH_LIST_JOBS"] ?? 1_000_000);
const STORES = (process.env["BENCH_LIST_STORES"] ?? "sqlite,postgres").split(",") as BenchStoreKind[];
const RUNS = 30;
const TARGET_MS = 5;
const STATUS_CYCLE: JobStatus[] = [
  "SUCCEEDED",
  "SUCCEEDED",
  "SUCCEEDED",
  "SUCCEEDED",
  "SUCCEEDED",
  "SUCCEEDED",
  "SUCCEEDED",
  "FAILED",
  "CANCELED",
  "KILLED",
];

/** Names etl-0..999 (0.1 % each), users user0..99 (1 %), tags env (50 %), team:0..99 (1 %), rare (0.01 %). */
function job(n: number) {
  return benchJob(n, {
    status: n % 1000 === 999 ? "RUNNING" : (STATUS_CYCLE[n % 10] as JobStatus),
    name: `etl-${n % 1000}`,
    user: `user${n % 100}`,
    tags: [n % 2 ? "env:prod" : "env:dev", `team:${n % 100}`, ...(n % 10_000 === 5 ? ["rare"] : [])],
  });
}

const bySeq: PageQuery = { limit: 101, order_by: "seq", direction: "desc" };
const byCreated: PageQuery = { limit: 101, order_by: "created_at", direction: "desc" };
/** Time filters relative to the end of the load (the jobs' timestamps are their insert times). */
function cases(loadedAt: number, loadS: number): [string, JobFilter, PageQuery][] {
  const mid = Math.floor(loadedAt - loadS / 2);
  return [
    ["status=FAILED (10 %)", { status: ["FAILED"] }, bySeq],
    ["status=RUNNING (0.1 %)", { status: ["RUNNING"] }, bySeq],
    ["status=FAILED,CANCELED", { status: ["FAILED", "CANCELED"] }, bySeq],
    ["tags=env:prod (50 %)", { tags: ["env:prod"] }, bySeq],
    ["tags=team:42 (1 %)", { tags: ["team:42"] }, bySeq],
    ["tags=rare (0.01 %)", { tags: ["rare"] }, bySeq],
    ["tags=absent", { tags: ["absent:tag"] }, bySeq],
    ["tags=_id:<id>", { tags: ["_id:bench-123457"] }, bySeq],
    ["tags=env:prod,rare", { tags: ["env:prod", "rare"] }, bySeq],
    ["name=etl-42 (exact, 0.1 %)", { name: "etl-42" }, bySeq],
    ["name=etl-42% (prefix, 1.1 %)", { name: "etl-42%" }, bySeq],
    ["name=etl-4% (prefix, 11 %)", { name: "etl-4%" }, bySeq],
    ["name=etl-4_2 (pattern, 1 %)", { name: "etl-4_2" }, bySeq],
    ["name=zzz% (prefix, none)", { name: "zzz%" }, bySeq],
    ["username=user42 (1 %)", { username: "user42" }, bySeq],
    ["username=user4% (prefix, 11 %)", { username: "user4%" }, bySeq],
    ["started_after=<mid-load> (RUNNING: 0.05 %)", { started_after: mid }, bySeq],
    ["finished_before=<mid-load> (~50 %)", { finished_before: mid }, bySeq],
    ["finished_before=<before the load> (none)", { finished_before: Math.floor(loadedAt - loadS - 60) }, bySeq],
    ["status=RUNNING, order_by=created_at", { status: ["RUNNING"] }, byCreated],
    ["tags=absent, order_by=created_at", { tags: ["absent:tag"] }, byCreated],
    ["tags=team:42, order_by=created_at", { tags: ["team:42"] }, byCreated],
    ["tags=env:prod, order_by=created_at", { tags: ["env:prod"] }, byCreated],
    ["tags=rare, order_by=created_at", { tags: ["rare"] }, byCreated],
  ];
}

interface Measured {
  label: string;
  p50: number;
  p95: number;
  /** CPU time of this process per call, p50: on SQLite the whole query (it runs in-process), on PostgreSQL the
   * client's share only. Load-independent where wall times include waiting for a CPU. */
  cpu: number;
  rows: number;
}

async function measureStore(
  kind: BenchStoreKind,
  pgServer: string | undefined,
): Promise<{ loadS: number; loadCpuS: number; rows: Measured[] }> {
  const b = await openBenchStore(kind, pgServer, "list");
  const { store } = b;
  try {
    const c0 = process.cpuUsage();
    const loadS = await loadJobs(store, JOBS, job, kind === "sqlite" ? 512 : 48, (done) =>
      process.stderr.write(`list-filters ${kind}: ${done} jobs ${new Date().toISOString()}\n`),
    );
    const c = process.cpuUsage(c0);
    const loadCpuS = (c.user + c.system) / 1e6;
    if (kind === "postgres") {
      const client = new pg.Client(b.url);
      await client.connect();
      await client.query("VACUUM ANALYZE jobs");
      await client.query("VACUUM ANALYZE job_tags");
      await client.end();
    }
    const rows: Measured[] = [];
    for (const [label, filter, page] of cases(Date.now() / 1000, loadS)) {
      const times: number[] = [];
      const cpu: number[] = [];
      let count = 0;
      for (let i = 0; i < RUNS + 3; i++) {
        const c1 = process.cpuUsage();
        const t0 = performance.now();
        count = (await store.listJobs(filter, page)).data.length;
        const c2 = process.cpuUsage(c1);
        if (i >= 3) {
          times.push(performance.now() - t0);
          cpu.push((c2.user + c2.system) / 1000);
        }
      }
      rows.push({ label, ...timeStats(times), cpu: timeStats(cpu).p50, rows: count });
    }
    await store.close();
    return { loadS, loadCpuS, rows };
  } finally {
    await store.close().catch(() => undefined);
    b.cleanup();
  }
}

export async function run(): Promise<string> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const out: string[] = [
    `## Job list filters at ${JOBS.toLocaleString("en-US")} jobs (issue 11 item 2)`,
    "",
    `Jobs loaded through \`Store.insertJob\`; each filter timed through \`Store.listJobs\` (page of 101 with its tag`,
    `sets), ${RUNS} runs after 3 warm-ups. Target: p50 < ${TARGET_MS} ms. Names etl-0..999, users user0..99, tags env`,
    "(50 %), team:0..99 (1 %), rare (0.01 %); PostgreSQL after `VACUUM ANALYZE`. The query-plan tests",
    "(test/store/list-plans.test.ts) show each plan. On a loaded machine wall times include waiting for a CPU.",
    "",
  ];
  let pgServer: { url: string; stop: () => Promise<void> } | undefined;
  const failures: string[] = [];
  try {
    for (const kind of STORES) {
      if (kind === "postgres") pgServer = await postgresUrl();
      const before = load();
      const t0 = new Date().toISOString();
      const m = await measureStore(kind, pgServer?.url);
      out.push(
        `### ${kind === "sqlite" ? "SQLite" : "PostgreSQL"} (loaded in ${m.loadS.toFixed(0)} s, ${(JOBS / m.loadS).toFixed(0)} jobs/s, ` +
          `${m.loadCpuS.toFixed(0)} s CPU in this process)`,
        "",
        `Started ${t0}, load average before ${before}, after ${load()}.`,
        "",
        `| filter | rows | p50 ms | p95 ms | CPU ms p50 (${kind === "sqlite" ? "the query" : "client side"}) |`,
        "|---|---|---|---|---|",
      );
      for (const r of m.rows) {
        out.push(`| ${r.label} | ${r.rows} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.cpu.toFixed(2)} |`);
        if (r.p50 >= TARGET_MS) failures.push(`${kind} ${r.label}: p50 ${r.p50.toFixed(2)} ms`);
      }
      out.push("");
    }
  } finally {
    await pgServer?.stop();
  }
  out.push(failures.length ? `Over the target: ${failures.join("; ")}.` : `Every filter under ${TARGET_MS} ms.`);
  return out.join("\n");
}
