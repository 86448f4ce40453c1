// The shared state of one engine: its options, dependencies, caches, the job lifecycle (which owns the
// executions this instance runs) and its view of database trouble.
import { resolve as resolvePath } from "node:path";
import type pino from "pino";
import type { PluginRegistry } from "../plugins/index.ts";
import type { Store } from "../store/index.ts";
import type { EngineMetrics, EngineOptions } from "./contract.ts";
import { DbTrouble, defaultDbRetryMs } from "./db-retry.ts";
import { JobLifecycle, type ExecutionsView } from "./lifecycle/index.ts";
import { HandlerCache, RegistryCache } from "./registry.ts";

/** How long the engine waits for execute to settle after an abort (spec 9.4 step 5). */
export const ABORT_WAIT_MS = 30_000;
/** How often a drain logs how many jobs are still running. */
export const DRAIN_PROGRESS_MS = 5000;
/** Longest wait of a small claim for the workers in mid-job (WorkerPool.gather): a PostgreSQL round trip or two. */
export const POOL_GATHER_MS = 2;

export type ResolvedEngineOptions = Required<EngineOptions>;

export interface EngineState {
  options: ResolvedEngineOptions;
  store: Store;
  plugins: PluginRegistry;
  log: pino.Logger;
  version: string;
  metrics: EngineMetrics | undefined;
  /** This instance's name (owner of its claims). */
  name: string;
  registry: RegistryCache;
  handlers: HandlerCache;
  /** Every status change and every execution record goes through it. */
  lifecycle: JobLifecycle;
  /** The jobs this instance executes now (read-only; the lifecycle writes them). */
  executions: ExecutionsView;
  wakeJanitor(): void;
  /** When this instance last found the database failing (the janitor waits stale_job after it). */
  dbTrouble: DbTrouble;
  /** Jobs whose claim the janitor took over and is recovering now (the heartbeat keeps them fresh). */
  recovering: Set<string>;
}

export function createEngineState(deps: {
  options: EngineOptions;
  store: Store;
  plugins: PluginRegistry;
  log: pino.Logger;
  version: string;
  metrics?: EngineMetrics | undefined;
  name: string;
  wakeJanitor: () => void;
}): EngineState {
  const dbTrouble = new DbTrouble();
  const options: ResolvedEngineOptions = {
    ...deps.options,
    jobsDirectory: resolvePath(deps.options.jobsDirectory),
    abortWaitMs: deps.options.abortWaitMs ?? ABORT_WAIT_MS,
    dbRetryMs: deps.options.dbRetryMs ?? defaultDbRetryMs(deps.options.staleJobMs),
    drainProgressMs: deps.options.drainProgressMs ?? DRAIN_PROGRESS_MS,
    poolGatherMs: deps.options.poolGatherMs ?? POOL_GATHER_MS,
  };
  const registry = new RegistryCache(deps.store);
  const handlers = new HandlerCache(deps.plugins, deps.store, deps.log, deps.version, {
    instanceName: deps.name,
    jobsDirectory: options.jobsDirectory,
    templateRoots: options.templateRoots,
    configuredCommands: options.commands,
    stateRetryMs: options.dbRetryMs,
    onDbFailure: () => dbTrouble.note(),
  });
  const lifecycle = new JobLifecycle({
    store: deps.store,
    log: deps.log,
    metrics: deps.metrics,
    name: deps.name,
    dbRetryMs: options.dbRetryMs,
    dbTrouble,
    registry,
    handlers,
  });
  return {
    options,
    store: deps.store,
    plugins: deps.plugins,
    log: deps.log,
    version: deps.version,
    metrics: deps.metrics,
    name: deps.name,
    registry,
    handlers,
    lifecycle,
    executions: lifecycle.executions,
    wakeJanitor: deps.wakeJanitor,
    dbTrouble,
    recovering: new Set(),
  };
}
