// Shared helpers of the engine tests: real stores (SQLite file; PostgreSQL when HEIMDALL_TEST_DATABASE_URL is
// set), a small configuration, a controllable test plugin and polling helpers.
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { HeimdallConfig } from "../../src/config/types.ts";
import type { Cluster, Command, Job, JobStatus, JsonObject, SubmitInput } from "../../src/core/index.ts";
import { finalTags } from "../../src/core/index.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import type { EngineDeps } from "../../src/engine/engine.ts";
import { engineOptions } from "../../src/cli/engine-options.ts";
import type { Handler, PluginModule, PluginRegistry } from "../../src/plugins/index.ts";
import { pingPlugin, pluginRegistry, shellPlugin } from "../../src/plugins/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import type { StoreKind } from "../helpers/db.ts";
import { freshDatabaseUrl, postgresBaseUrl } from "../helpers/db.ts";

export const silentLog = pino({ level: process.env.HEIMDALL_TEST_LOG ?? "silent" });

export interface Backend {
  name: "sqlite" | "postgres";
  /** A fresh, empty store (a new SQLite file or a new PostgreSQL database). */
  open(): Promise<{ store: Store; url: string; dispose(): Promise<void> }>;
}

/** SQLite always; PostgreSQL when HEIMDALL_TEST_DATABASE_URL is set (a fresh database per open()). */
export function backends(): Backend[] {
  const kinds: StoreKind[] = postgresBaseUrl() ? ["sqlite", "postgres"] : ["sqlite"];
  return kinds.map((name) => ({
    name,
    async open() {
      const url = await freshDatabaseUrl(name); // removed / dropped when the test process exits
      const store = await openStore({ connectionString: url, maxConnections: 10 });
      return { store, url, dispose: () => store.close().catch(() => undefined) };
    },
  }));
}

export function testConfig(jobsDir: string, over: Partial<HeimdallConfig> = {}): HeimdallConfig {
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
    database: { connection_string: "unused", max_connections: 10 },
    pool: { size: 4, sleepMs: 250 },
    jobs_directory: jobsDir,
    job_files: { max_bytes: 1024 * 1024 },
    janitor: { keepalive: 1, stale_job: 2, clean_interval: 1, finished_job_retention_days: 0, cleanup_timeout: 5 },
    health_check: { timeout_seconds: 2 },
    commands: [],
    clusters: [],
    local_ecs: { enabled: false, port: 0, host: "127.0.0.1" },
    log_level: "silent",
    ...over,
  };
}

/** Test plugin events, shared by every handler of one plugin module. */
export interface TestEvents {
  started: string[];
  resumed: string[];
  aborted: { id: string; kind: string }[];
  cleanups: string[];
  waiters: Map<string, () => void>;
}

/**
 * A controllable plugin. Job context `mode`:
 *  - "ok" (default): writes context.stdout / context.stderr, sets context.result, succeeds;
 *  - "fail": rejects with context.error;
 *  - "block": waits until aborted (then rejects), or until `release(jobId)`;
 *  - "deaf": never settles, ignoring its signal.
 */
export function testPlugin(
  name = "test",
  resumable = false,
): { module: PluginModule; events: TestEvents; release(id: string): void; startedPromise(id: string): Promise<void> } {
  const events: TestEvents = { started: [], resumed: [], aborted: [], cleanups: [], waiters: new Map() };
  const startWaiters = new Map<string, () => void>();
  const handler: Handler = {
    async execute(signal, rt, job) {
      const ctx = (job.context ?? {}) as JsonObject;
      events.started.push(job.id);
      if (rt.resumed) events.resumed.push(job.id);
      startWaiters.get(job.id)?.();
      if (typeof ctx["stdout"] === "string") rt.stdout.write(ctx["stdout"]);
      if (typeof ctx["stderr"] === "string") rt.stderr.write(ctx["stderr"]);
      if (typeof ctx["output"] === "string") rt.setOutput("out", ctx["output"]);
      const mode = ctx["mode"] ?? "ok";
      if (mode === "fail") throw new Error(String(ctx["error"] ?? "boom"));
      if (mode === "deaf") await new Promise(() => {}); // ignores its signal and never settles
      if (mode === "block") {
        await new Promise<void>((resolve, reject) => {
          events.waiters.set(job.id, resolve);
          const onAbort = () => {
            events.aborted.push({ id: job.id, kind: (signal.reason as { kind: string }).kind });
            reject(new Error("aborted"));
          };
          if (signal.aborted) onAbort();
          else signal.addEventListener("abort", onAbort, { once: true });
        });
      }
      if (ctx["result"] !== undefined) rt.setResult(ctx["result"] as never);
    },
    async cleanup(jobId) {
      events.cleanups.push(jobId);
    },
  };
  return {
    module: { name, resumable, create: () => handler },
    events,
    release(id) {
      events.waiters.get(id)?.();
    },
    startedPromise(id) {
      if (events.started.includes(id)) return Promise.resolve();
      return new Promise((resolve) => startWaiters.set(id, resolve));
    },
  };
}

export function registry(...modules: PluginModule[]): PluginRegistry {
  return pluginRegistry([pingPlugin, shellPlugin, ...modules]);
}

export function command(id: string, plugin: string, over: Partial<Command> = {}): Omit<Command, "created_at" | "updated_at"> {
  const base = {
    id,
    name: id,
    version: "1",
    user: "test",
    description: "",
    status: "ACTIVE" as const,
    plugin,
    is_sync: false,
    cluster_tags: ["type:local"],
    allowed_callers: [],
    ...over,
  };
  return { ...base, tags: finalTags([...(over.tags ?? []), `type:${id}`], id, base.name, base.version) };
}

export function cluster(id: string, over: Partial<Cluster> = {}): Omit<Cluster, "created_at" | "updated_at"> {
  const base = {
    id,
    name: id,
    version: "1",
    user: "test",
    description: "",
    status: "ACTIVE" as const,
    health_check: false,
    attributes: {},
    ...over,
  };
  return { ...base, tags: finalTags([...(over.tags ?? []), "type:local"], id, base.name, base.version) };
}

export function input(commandType: string, context?: JsonObject, over: Partial<SubmitInput> = {}): SubmitInput {
  return {
    name: "job",
    version: "1",
    description: "",
    tags: [],
    ...(context === undefined ? {} : { context }),
    command_criteria: [`type:${commandType}`],
    cluster_criteria: ["type:local"],
    store_result_sync: false,
    ...over,
  };
}

/** Engine dependencies a test may replace, and the engine options the configuration has no key for. */
export type EngineTestDeps = Partial<Omit<EngineDeps, "options">> & {
  abortWaitMs?: number;
  dbRetryMs?: number;
  drainProgressMs?: number;
  poolGatherMs?: number;
};

/** An engine on `store` configured by testConfig(jobsDir, over); abortWaitMs 2 s unless given. */
export function testEngine(
  jobsDir: string,
  store: Store,
  plugins: PluginRegistry,
  over: Partial<HeimdallConfig> = {},
  deps: EngineTestDeps = {},
): Engine {
  const { abortWaitMs = 2000, dbRetryMs, drainProgressMs, poolGatherMs, ...rest } = deps;
  const options = engineOptions(testConfig(jobsDir, over), {
    abortWaitMs,
    ...(dbRetryMs ? { dbRetryMs } : {}),
    ...(drainProgressMs ? { drainProgressMs } : {}),
    ...(poolGatherMs !== undefined ? { poolGatherMs } : {}),
  });
  return createEngine({ options, store, plugins, log: silentLog, version: "9.9.9", ...rest });
}

export interface Harness {
  store: Store;
  url: string;
  jobsDir: string;
  engines: Engine[];
  engine(over?: Partial<HeimdallConfig>, deps?: EngineTestDeps, plugins?: PluginRegistry): Engine;
  dispose(): Promise<void>;
}

/** A store plus engines on it; dispose() stops every engine and removes the data. */
export async function harness(backend: Backend, plugins: PluginRegistry): Promise<Harness> {
  const { store, url, dispose } = await backend.open();
  const jobsDir = mkdtempSync(join(tmpdir(), "heimdall-jobs-"));
  const h: Harness = {
    store,
    url,
    jobsDir,
    engines: [],
    engine(over = {}, deps = {}, p = plugins) {
      const e = testEngine(jobsDir, store, p, over, deps);
      h.engines.push(e);
      return e;
    },
    async dispose() {
      for (const e of h.engines) await e.stop().catch(() => undefined);
      await dispose();
      await rm(jobsDir, { recursive: true, force: true });
    },
  };
  return h;
}

export const FINAL: readonly JobStatus[] = ["FAILED", "KILLED", "SUCCEEDED", "CANCELED"];

/** Polls until the predicate holds (or throws after timeoutMs). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function untilStatus(store: Store, id: string, statuses: readonly JobStatus[], timeoutMs = 10_000): Promise<Job> {
  return until(
    `job ${id} in ${statuses.join("|")}`,
    async () => {
      const j = await store.getJob(id);
      return j && statuses.includes(j.status) ? j : undefined;
    },
    timeoutMs,
  );
}

export function untilFinal(store: Store, id: string, timeoutMs = 10_000): Promise<Job> {
  return untilStatus(store, id, FINAL, timeoutMs);
}

export async function readAll(store: Store, id: string, file: "stdout" | "stderr"): Promise<string> {
  const size = await store.fileSize(id, file);
  const parts: Buffer[] = [];
  for await (const b of store.readFile(id, file, 0, size)) parts.push(b);
  return Buffer.concat(parts).toString("utf8");
}

export const never = new AbortController().signal;
