// Submit → plugin-start latency on an idle server (issue 2 targets: p50 ≤ 20 ms, p99 ≤ 100 ms).
// The real store, engine and HTTP app run in this process with one extra plugin, `probe`, whose execute()
// records when it was called; each sample is one async submit over HTTP (fetch) measured from just before the
// request is sent to the moment execute() starts. Samples are taken one at a time with a short pause.
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { buildApp, createMetrics } from "../src/api/index.ts";
import type { HeimdallConfig } from "../src/config/types.ts";
import { createEngine } from "../src/engine/index.ts";
import { builtinPlugins, pluginRegistry } from "../src/plugins/index.ts";
import type { PluginModule } from "../src/plugins/index.ts";
import { openStore } from "../src/store/index.ts";
import { percentile, postgresUrl } from "./_server.ts";

const SAMPLES = Number(process.env["BENCH_LATENCY_SAMPLES"] ?? 300);
const started = new Map<string, (t: number) => void>();

/** execute() may run before the submit response arrives: such start times wait in `earlyStarts`. */
const earlyStarts = new Map<string, number>();
const probe: PluginModule = {
  name: "probe",
  create() {
    return {
      async execute(_signal, _rt, job) {
        const t = performance.now();
        const waiter = started.get(job.id);
        if (waiter) waiter(t);
        else earlyStarts.set(job.id, t);
      },
      async cleanup() {},
    };
  },
};

function config(connectionString: string, dir: string): HeimdallConfig {
  return {
    source: "<bench>",
    server: { host: "127.0.0.1", port: 0, read_timeout: 15, write_timeout: 15, idle_timeout: 30, read_header_timeout: 2, shutdown_timeout: 5 },
    database: { connection_string: connectionString, max_connections: 10 },
    pool: { size: 10, sleepMs: 250 },
    jobs_directory: join(dir, "jobs"),
    job_files: { max_bytes: 1_073_741_824 },
    janitor: { keepalive: 5, stale_job: 45, clean_interval: 60, finished_job_retention_days: 0, cleanup_timeout: 60 },
    health_check: { timeout_seconds: 30 },
    auth: { plugin: "auth_header", header: "X-Heimdall-User" },
    commands: [
      { id: "probe", name: "probe", status: "ACTIVE", plugin: "probe", version: "", description: "", is_sync: false, user: "heimdall", tags: ["type:probe"], cluster_tags: ["type:localhost"], allowed_callers: [] },
    ],
    clusters: [
      { id: "localhost", name: "localhost", status: "ACTIVE", version: "", description: "", user: "heimdall", tags: ["type:localhost"], health_check: false, attributes: {} },
    ],
    local_ecs: { enabled: false, port: 0, host: "127.0.0.1" },
    log_level: "silent",
  };
}

async function measure(connectionString: string, dir: string): Promise<number[]> {
  const cfg = config(connectionString, dir);
  const log = pino({ level: "silent" });
  const store = await openStore({ connectionString, maxConnections: 10 });
  const metrics = createMetrics("bench");
  const engine = createEngine({ config: cfg, store, plugins: pluginRegistry([...builtinPlugins().values(), probe]), log, version: "bench", metrics });
  await engine.start();
  const app = await buildApp({ config: cfg, store, engine, log, version: "bench", metrics });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/job`;
  const body = JSON.stringify({ command_criteria: ["type:probe"], cluster_criteria: ["type:localhost"] });
  const samples: number[] = [];
  try {
    for (let i = 0; i < SAMPLES + 20; i++) {
      let resolveStart!: (t: number) => void;
      const startedAt = new Promise<number>((r) => (resolveStart = r));
      const t0 = performance.now();
      const res = await fetch(url, { method: "POST", headers: { "x-heimdall-user": "bench", "content-type": "application/json" }, body });
      const job = (await res.json()) as { id: string };
      started.set(job.id, resolveStart);
      const early = earlyStarts.get(job.id);
      if (early !== undefined) resolveStart(early);
      const t1 = await startedAt;
      started.delete(job.id);
      earlyStarts.delete(job.id);
      if (i >= 20) samples.push(t1 - t0); // the first 20 warm up caches and connections
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await app.close();
    await engine.drain();
    await store.close();
  }
  return samples.sort((a, b) => a - b);
}

export async function run(): Promise<string> {
  const rows: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "heimdall-bench-lat-"));
  try {
    const s = await measure(`sqlite:${join(dir, "heimdall.db")}`, dir);
    rows.push(`| SQLite | ${s.length} | ${percentile(s, 50).toFixed(1)} | ${percentile(s, 99).toFixed(1)} | ${s[s.length - 1]!.toFixed(1)} |`);
    const pg = await postgresUrl();
    try {
      const pgMod = await import("pg");
      const dbName = `heimdall_bench_lat_${process.pid}`;
      const admin = new pgMod.default.Client({ connectionString: pg.url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
      await admin.query(`CREATE DATABASE ${dbName}`);
      await admin.end();
      const u = new URL(pg.url);
      u.pathname = `/${dbName}`;
      const p = await measure(u.toString(), dir);
      rows.push(`| PostgreSQL | ${p.length} | ${percentile(p, 50).toFixed(1)} | ${percentile(p, 99).toFixed(1)} | ${p[p.length - 1]!.toFixed(1)} |`);
    } finally {
      await pg.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    "## API: submit → plugin-start latency (idle server)",
    "",
    "One async submit at a time over HTTP; time from sending `POST /api/v1/job` to the plugin's `execute()` being",
    "called by a pool worker (in-process probe plugin). Targets: p50 ≤ 20 ms, p99 ≤ 100 ms.",
    "",
    "| Store | samples | p50 ms | p99 ms | max ms |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
