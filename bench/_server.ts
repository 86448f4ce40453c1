// Benchmark helpers: a `heimdall serve` child process, a PostgreSQL URL, percentiles.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

const BIN = new URL("../bin/heimdall.js", import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** A PostgreSQL server URL: HEIMDALL_TEST_DATABASE_URL, else an embedded one started for the run. */
export async function postgresUrl(): Promise<{ url: string; stop: () => Promise<void> }> {
  const env = process.env["HEIMDALL_TEST_DATABASE_URL"];
  if (env) return { url: env, stop: async () => {} };
  const mod = (await import(new URL("../scripts/test-postgres.mjs", import.meta.url).href)) as {
    startTestPostgres: () => Promise<{ url: string; stop: () => Promise<void> }>;
  };
  return mod.startTestPostgres();
}

export interface BenchServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts `heimdall serve` with a ping command; `databaseUrl` undefined = SQLite in a temp dir. */
export async function startBenchServer(databaseUrl?: string, extra: Record<string, unknown> = {}): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-bench-"));
  const port = await freePort();
  const config = {
    server: { addr: `127.0.0.1:${port}` },
    database: { connection_string: databaseUrl ?? `sqlite:${join(dir, "heimdall.db")}`, max_connections: 10 },
    jobs_directory: join(dir, "jobs"),
    auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" } },
    log_level: "warn",
    local_ecs: { enabled: false },
    commands: [{ name: "ping-0.0.1", plugin: "ping", version: "0.0.1", tags: ["type:ping"], cluster_tags: ["type:localhost"] }],
    clusters: [{ name: "localhost-0.0.1", version: "0.0.1", tags: ["type:localhost"] }],
    ...extra,
  };
  const file = join(dir, "heimdall.yaml");
  writeFileSync(file, stringify(config));
  const proc = spawn(process.execPath, [BIN, "serve", "--config", file], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) break;
    } catch {
      // starting
    }
    if (i > 300 || proc.exitCode !== null) throw new Error("bench server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
