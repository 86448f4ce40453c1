// Benchmark helpers: a `heimdall serve` child process (the compiled build, as `npm start` runs it), a PostgreSQL
// URL, percentiles.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, freePort, launchServer } from "../test/cli/server-process.ts";

let built = false;
/**
 * bin/heimdall.js after `npm run build` (once per bench run): benchmarks measure the compiled server that `npm start`
 * and the package run; the TypeScript sources under tsx were 12-15 % slower in the throughput bench.
 */
export function compiledBin(): string {
  if (!built) {
    const build = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
    built = true;
  }
  return join(ROOT, "bin", "heimdall.js");
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

/** A new, empty database `name` (dropped first if it exists) on the PostgreSQL server at `serverUrl`; its URL. */
export async function freshPostgresDatabase(serverUrl: string, name: string): Promise<string> {
  const pgMod = await import("pg");
  const admin = new pgMod.default.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface BenchServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts the compiled `heimdall serve` with a ping command; `databaseUrl` undefined = SQLite in a temp dir. */
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
  const srv = await launchServer(config, { dir, port, bin: compiledBin() });
  return {
    url: srv.url,
    async stop() {
      srv.proc.kill("SIGTERM");
      await srv.exited;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
