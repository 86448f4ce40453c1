// Submit → plugin-start latency on an idle server (issue 2 targets: p50 ≤ 20 ms, p99 ≤ 100 ms).
// The real store, engine and HTTP app run in this process with one extra plugin, `probe`, whose execute()
// records when it was called; each sample is one async submit over HTTP (fetch) measured from just before the
// request is sent to the moment execute() starts. Samples are taken one at a time with a short pause.
import type { AddressInfo } from "node:net";
import type { PluginModule } from "../src/plugins/index.ts";
import { startHarness } from "../test/api/harness.ts";
import type { StoreKind } from "../test/api/harness.ts";
import { freshPostgresDatabase, percentile, postgresUrl } from "./_server.ts";

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

/** The API test harness (real store, engine and app) with only the probe command, a pool of 10, listening. */
async function measure(kind: StoreKind, connectionString?: string): Promise<number[]> {
  const h = await startHarness(
    kind,
    (c) => {
      c.database.max_connections = 10;
      c.pool.size = 10;
      c.commands = [{ ...c.commands[0]!, id: "probe", name: "probe", plugin: "probe", tags: ["type:probe"] }];
    },
    { plugins: [probe], ...(connectionString ? { connectionString } : {}) },
  );
  if (!h) throw new Error("api-latency: no harness");
  const { app } = h;
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
    await h.close();
  }
  return samples.sort((a, b) => a - b);
}

export async function run(): Promise<string> {
  const rows: string[] = [];
  const row = (store: string, x: number[]) =>
    `| ${store} | ${x.length} | ${percentile(x, 50).toFixed(1)} | ${percentile(x, 99).toFixed(1)} | ${x[x.length - 1]!.toFixed(1)} |`;
  rows.push(row("SQLite", await measure("sqlite")));
  const pg = await postgresUrl();
  try {
    rows.push(row("PostgreSQL", await measure("postgres", await freshPostgresDatabase(pg.url, `heimdall_bench_lat_${process.pid}`))));
  } finally {
    await pg.stop();
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
