// Test harness for the API suites: a real store (SQLite temp file or a fresh PostgreSQL database), the real
// engine with the built-in plugins, and the Fastify app driven through inject().
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { FastifyInstance } from "fastify";
import { buildApp, createMetrics } from "../../src/api/index.ts";
import type { Metrics } from "../../src/api/index.ts";
import type { HeimdallConfig } from "../../src/config/types.ts";
import { createEngine } from "../../src/engine/index.ts";
import { engineOptions } from "../../src/cli/engine-options.ts";
import type { Engine } from "../../src/engine/index.ts";
import { builtinPlugins, pluginRegistry } from "../../src/plugins/index.ts";
import type { PluginModule } from "../../src/plugins/index.ts";
import { openStore } from "../../src/store/index.ts";
import type { Store } from "../../src/store/contract.ts";
import { freshDatabaseUrl } from "../helpers/db.ts";

export type StoreKind = "sqlite" | "postgres";
export const USER_HEADER = "X-Heimdall-User";

/** A complete configuration for tests: ping (async and sync), shell, a restricted command, one cluster. */
export function testConfig(connectionString: string, dir: string): HeimdallConfig {
  const cmd = {
    status: "ACTIVE" as const,
    version: "0.0.1",
    description: "",
    is_sync: false,
    user: "heimdall",
    cluster_tags: ["type:localhost"],
    allowed_callers: [] as string[],
  };
  return {
    source: "<test>",
    server: {
      host: "127.0.0.1",
      port: 0,
      read_timeout: 15,
      write_timeout: 15,
      idle_timeout: 30,
      read_header_timeout: 2,
      shutdown_timeout: 5,
    },
    database: { connection_string: connectionString, max_connections: 5 },
    pool: { size: 4, sleepMs: 250 },
    jobs_directory: join(dir, "jobs"),
    job_files: { max_bytes: 1_073_741_824 },
    janitor: { keepalive: 5, stale_job: 45, clean_interval: 60, finished_job_retention_days: 0, cleanup_timeout: 10 },
    health_check: { timeout_seconds: 5 },
    auth: { plugin: "auth_header", header: USER_HEADER },
    commands: [
      { ...cmd, id: "ping-0.0.1", name: "ping-0.0.1", plugin: "ping", tags: ["type:ping"] },
      { ...cmd, id: "ping-sync-0.0.1", name: "ping-sync-0.0.1", plugin: "ping", is_sync: true, tags: ["type:ping-sync"] },
      {
        ...cmd,
        id: "shell-0.0.1",
        name: "shell-0.0.1",
        plugin: "shell",
        tags: ["type:shell"],
        context: { command: ["/bin/sh", "-c", 'for a in "$@"; do printf "%s\\n" "$a"; done; printf "err\\n" >&2', "sh"] },
      },
      { ...cmd, id: "restricted-0.0.1", name: "restricted-0.0.1", plugin: "ping", tags: ["type:restricted"], allowed_callers: ["alice"] },
    ],
    clusters: [
      {
        id: "localhost-0.0.1",
        name: "localhost-0.0.1",
        status: "ACTIVE",
        version: "0.0.1",
        description: "Just a localhost",
        user: "heimdall",
        tags: ["type:localhost", "data:local"],
        health_check: true,
        attributes: { "Test Link Label": { kind: "link", value: "{{ .Cluster.test_url }}/path" } },
        context: { test_url: "http://localhost:8080" },
      },
    ],
    local_ecs: { enabled: false, port: 0, host: "127.0.0.1" },
    log_level: "silent",
  };
}

export interface Harness {
  kind: StoreKind;
  app: FastifyInstance;
  store: Store;
  engine: Engine;
  metrics: Metrics;
  config: HeimdallConfig;
  dir: string;
  close(): Promise<void>;
}

export async function connectionStringFor(kind: StoreKind, dir: string): Promise<string | undefined> {
  if (kind === "sqlite") return `sqlite:${join(dir, "heimdall.db")}`;
  if (!process.env["HEIMDALL_TEST_DATABASE_URL"]) return undefined;
  return freshDatabaseUrl();
}

/**
 * Starts store + engine + app; `configure` may adjust the config first. undefined when PostgreSQL is unavailable.
 * `extra.connectionString` uses that database instead of a fresh one (the latency benchmark).
 */
export async function startHarness(
  kind: StoreKind,
  configure?: (c: HeimdallConfig) => void,
  extra: { uiRoot?: string; plugins?: PluginModule[]; connectionString?: string } = {},
): Promise<Harness | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-api-"));
  const url = extra.connectionString ?? (await connectionStringFor(kind, dir));
  if (!url) return undefined;
  const config = testConfig(url, dir);
  configure?.(config);
  const log = pino({ level: "silent" });
  const store = await openStore({ connectionString: url, maxConnections: config.database.max_connections });
  const metrics = createMetrics("9.9.9-test");
  const plugins = pluginRegistry([...builtinPlugins().values(), ...(extra.plugins ?? [])]);
  const engine = createEngine({
    options: engineOptions(config, { abortWaitMs: 5000 }),
    store,
    plugins,
    log,
    version: "9.9.9-test",
    metrics,
  });
  await engine.start();
  const app = await buildApp({
    config,
    store,
    engine,
    log,
    version: "9.9.9-test",
    metrics,
    ...(extra.uiRoot ? { uiRoot: extra.uiRoot } : {}),
  });
  return {
    kind,
    app,
    store,
    engine,
    metrics,
    config,
    dir,
    async close() {
      await app.close();
      await engine.drain();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json: any;
}

/** One request through inject(); `user` sets the identity header. */
export async function call(
  app: FastifyInstance,
  method: string,
  url: string,
  opts: { user?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.user !== undefined) headers[USER_HEADER] = opts.user;
  let payload: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await app.inject({ method: method as "GET", url, headers, ...(payload === undefined ? {} : { payload }) });
  let json: unknown;
  try {
    json = res.body === "" ? undefined : JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: res.body, json };
}

/** Polls GET P/job/{id}/status until the job is final (or the timeout). */
export async function waitFinal(app: FastifyInstance, id: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(app, "GET", `/api/v1/job/${id}/status`);
    const s = String(r.json?.status);
    if (["SUCCEEDED", "FAILED", "KILLED", "CANCELED"].includes(s)) return s;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${s}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
