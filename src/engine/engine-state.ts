// Shared state of one engine: dependencies, caches and the executions this instance runs.
import { resolve as resolvePath } from "node:path";
import type pino from "pino";
import type { HeimdallConfig } from "../config/index.ts";
import type { Job } from "../core/index.ts";
import type { AbortKind, AbortReason, PluginRegistry } from "../plugins/index.ts";
import type { Store } from "../store/index.ts";
import type { EngineMetrics } from "./contract.ts";
import { DbTrouble, defaultDbRetryMs } from "./db-retry.ts";
import { HandlerCache, RegistryCache } from "./registry.ts";
import { commandFromEntry } from "./startup.ts";

/** How long the engine waits for execute to settle after an abort (spec 9.4 step 5). */
export const ABORT_WAIT_MS = 30_000;

export type Phase = "pending" | "claimed" | "started" | "settled";

/** One job this instance is executing (async worker or sync request). */
export interface Execution {
  job: Job;
  sync: boolean;
  resumed: boolean;
  controller: AbortController;
  phase: Phase;
  /** performance.now() when the claim was known to be stored; keepalive checks only older executions. */
  since: number;
  /** Plugin of the command, known after resolve. */
  resumable: boolean;
  /** T6 succeeded during drain: the runner drops the job. */
  returned: boolean;
  /** jobStarted was reported to the metrics (a DROPPED outcome then reports jobLeft). */
  counted?: boolean;
}

export interface EngineCore {
  config: HeimdallConfig;
  store: Store;
  plugins: PluginRegistry;
  log: pino.Logger;
  version: string;
  metrics: EngineMetrics | undefined;
  name: string;
  registry: RegistryCache;
  handlers: HandlerCache;
  executions: Map<string, Execution>;
  wakeJanitor(): void;
  /** Milliseconds to wait for execute after an abort (30 s; tests may lower it). */
  abortWaitMs: number;
  /** How long a job-path write is retried while the database is unreachable (docs/engine.md "Database outages"). */
  dbRetryMs: number;
  /** When this instance last found the database failing (the janitor waits stale_job after it). */
  dbTrouble: DbTrouble;
  /** Jobs whose claim the janitor took over and is recovering now (the heartbeat keeps them fresh). */
  recovering: Set<string>;
}

export function newExecution(job: Job, sync: boolean, resumed: boolean, phase: Phase): Execution {
  return {
    job,
    sync,
    resumed,
    controller: new AbortController(),
    phase,
    since: phase === "pending" ? Number.POSITIVE_INFINITY : performance.now(),
    resumable: false,
    returned: false,
  };
}

/** Aborts an execution unless execute already settled; the first reason wins. */
export function abortExecution(e: Execution, kind: AbortKind, by?: string): void {
  if (e.phase === "settled" || e.controller.signal.aborted) return;
  const reason: AbortReason = by === undefined ? { kind } : { kind, by };
  e.controller.abort(reason);
}

export function createCore(deps: {
  config: HeimdallConfig;
  store: Store;
  plugins: PluginRegistry;
  log: pino.Logger;
  version: string;
  metrics?: EngineMetrics | undefined;
  name: string;
  wakeJanitor: () => void;
  abortWaitMs?: number;
  dbRetryMs?: number;
}): EngineCore {
  const dbTrouble = new DbTrouble();
  const dbRetryMs = deps.dbRetryMs ?? defaultDbRetryMs(deps.config.janitor.stale_job);
  return {
    config: deps.config,
    store: deps.store,
    plugins: deps.plugins,
    log: deps.log,
    version: deps.version,
    metrics: deps.metrics,
    name: deps.name,
    registry: new RegistryCache(deps.store),
    handlers: new HandlerCache(deps.plugins, deps.store, deps.log, deps.version, {
      instanceName: deps.name,
      jobsDirectory: resolvePath(deps.config.jobs_directory),
      templateRoots: deps.config.template_roots ?? [],
      configuredCommands: deps.config.commands.map(commandFromEntry),
      stateRetryMs: dbRetryMs,
      onDbFailure: () => dbTrouble.note(),
    }),
    executions: new Map(),
    wakeJanitor: deps.wakeJanitor,
    abortWaitMs: deps.abortWaitMs ?? ABORT_WAIT_MS,
    dbRetryMs,
    dbTrouble,
    recovering: new Set(),
  };
}
