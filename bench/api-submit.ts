// Async submit throughput (issue 2 target: ≥ 2,000 submits/s on SQLite on 2 cores): autocannon POSTs ping jobs
// to a `heimdall serve` process (the pool runs them meanwhile), on SQLite and on PostgreSQL.
import autocannon from "autocannon";
import { freshPostgresDatabase, postgresUrl, startBenchServer } from "./_server.ts";

const DURATION_S = Number(process.env["BENCH_DURATION"] ?? 10);
const CONNECTIONS = Number(process.env["BENCH_CONNECTIONS"] ?? 32);
const BODY = JSON.stringify({ name: "bench", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] });

interface Row {
  store: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
}

async function measure(store: string, url: string): Promise<Row> {
  const opts = {
    url: `${url}/api/v1/job`,
    method: "POST" as const,
    headers: { "content-type": "application/json", "x-heimdall-user": "bench" },
    body: BODY,
    connections: CONNECTIONS,
  };
  await autocannon({ ...opts, duration: 2 }); // warm-up
  const r = await autocannon({ ...opts, duration: DURATION_S });
  return { store, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r["2xx"], errors: r.non2xx + r.errors + r.timeouts };
}

export async function run(): Promise<string> {
  const rows: Row[] = [];
  const sqlite = await startBenchServer();
  try {
    rows.push(await measure("SQLite", sqlite.url));
  } finally {
    await sqlite.stop();
  }
  const pg = await postgresUrl();
  try {
    const srv = await startBenchServer(await freshPostgresDatabase(pg.url, `heimdall_bench_${process.pid}`));
    try {
      rows.push(await measure("PostgreSQL", srv.url));
    } finally {
      await srv.stop();
    }
  } finally {
    await pg.stop();
  }
  const lines = rows.map((r) => `| ${r.store} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.ok} | ${r.errors} |`);
  return [
    "## API: async submit throughput",
    "",
    `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s after a 2 s warm-up, \`POST /api/v1/job\` (ping, async) against a`,
    "`heimdall serve` process whose worker pool runs the jobs at the same time. Target: ≥ 2,000 submits/s on SQLite.",
    "",
    "| Store | submits/s (mean) | p50 ms | p99 ms | 2xx | errors |",
    "|---|---|---|---|---|---|",
    ...lines,
  ].join("\n");
}
