// The engine: routing, execution and recovery of one instance (spec 1, 9).
import { hostname } from "node:os";
import type pino from "pino";
import type { Cluster, Command, Job, SubmitInput } from "../core/index.ts";
import { instanceName } from "../core/index.ts";
import type { Handler, JobLogsQuery, PluginRegistry, TaskLogsQuery } from "../plugins/index.ts";
import type { Store } from "../store/index.ts";
import type { ClientGone, EngineApi, EngineMetrics, EngineOptions, HealthReport, SubmitOutcome } from "./contract.ts";
import { createEngineState, type EngineState } from "./engine-state.ts";
import { clusterHealth, clustersHealth } from "./health.ts";
import { Janitor } from "./janitor.ts";
import { Keepalive } from "./keepalive.ts";
import { resolveJob } from "./lifecycle/index.ts";
import { WorkerPool } from "./pool.ts";
import { removeLeftoverWorkdirs, upsertConfigured, validateCluster, validateCommand } from "./startup.ts";
import { cancelJob, submitJob } from "./submit.ts";
import { sleep } from "./waits.ts";

export interface EngineDeps {
  /** Compiled from the configuration by `heimdall serve` (src/cli/engine-options.ts); durations in ms. */
  options: EngineOptions;
  store: Store;
  plugins: PluginRegistry;
  log: pino.Logger;
  version: string;
  metrics?: EngineMetrics;
  /** Instance name; default `<hostname>-<start micros>` (spec 9.2). */
  instanceName?: string;
}

export interface Engine extends EngineApi {
  /** Register the instance, upsert the configured registry, clean working dirs, start keepalive/janitor/pool. */
  start(): Promise<void>;
  /** Graceful shutdown (9.10). Idempotent. */
  drain(): Promise<void>;
  /** Immediate stop without touching job states (tests; a crash as far as the database is concerned). */
  stop(): Promise<void>;
  /** Wakes the worker pool (jobs may be available). */
  wake(): void;
  /** Jobs executing on this instance right now. */
  readonly runningJobs: number;
  /** Handler of the job's command (resolveJob), undefined when none can be created (the task views use it). */
  handlerFor(job: Job): Promise<{ handler: Handler; cluster: Cluster | undefined } | undefined>;
}

let lastMicros = 0n;

/** `<hostname>-<start micros>`; strictly increasing within the process, so two engines never share a name. */
function defaultInstanceName(): string {
  let micros = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  if (micros <= lastMicros) micros = lastMicros + 1n;
  lastMicros = micros;
  return instanceName(hostname(), micros);
}

export function createEngine(deps: EngineDeps): Engine {
  const janitorRef: { current?: Janitor } = {};
  const state: EngineState = createEngineState({
    ...deps,
    name: deps.instanceName ?? defaultInstanceName(),
    wakeJanitor: () => janitorRef.current?.wake(),
  });
  const janitor = new Janitor(state);
  janitorRef.current = janitor;
  const pool = new WorkerPool(state);
  const keepalive = new Keepalive(state);
  janitor.onHandedBack = () => pool.wake();
  let draining = false;
  let started = false;
  let drainPromise: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;

  /** Resolves when the last execution has ended, or after maxMs; logs progress every few seconds when asked. */
  const executionsDone = async (maxMs: number, progress?: string) => {
    const every = state.options.drainProgressMs;
    const end = Date.now() + maxMs;
    while (state.executions.size > 0) {
      const left = end - Date.now();
      if (left <= 0) return;
      const stop = new AbortController();
      await Promise.race([state.executions.whenEmpty(), sleep(Math.min(left, progress ? every : left), stop.signal)]);
      stop.abort();
      const n = state.executions.size;
      if (progress && n > 0 && end - Date.now() > 0) {
        state.log.info(
          { instance: state.name, running: n },
          `${progress}: ${n} job${n === 1 ? "" : "s"} running, ${Math.ceil((end - Date.now()) / 1000)} s left`,
        );
      }
    }
  };

  async function drainNow(): Promise<void> {
    const { log, lifecycle, name, options } = state;
    draining = true;
    log.info({ instance: name, running: state.executions.size, timeout_ms: options.shutdownTimeoutMs }, "draining");
    // 1. Stop claiming.
    await pool.stopClaiming();
    unsubscribe?.();
    await janitor.stop();
    // 2. Claimed but not started: unclaim (back to NEW).
    for (const exec of [...state.executions.values()]) {
      if (exec.sync || exec.phase !== "claimed") continue;
      await lifecycle.unclaimForShutdown(exec);
    }
    // 3. Wait for running jobs (an event: the last execution ending), logging progress.
    if (options.shutdownTimeoutMs > 0) await executionsDone(options.shutdownTimeoutMs, "draining");
    // 4. Hand back resumable async jobs; abort the rest with `shutdown` (KILLED, or CANCELED when canceling).
    for (const exec of state.executions.values()) {
      const handBack = !exec.sync && exec.resumable && exec.phase === "started";
      if (exec.phase !== "settled" && !exec.controller.signal.aborted)
        log.info({ job_id: exec.job.id }, handBack ? "draining: handing the job back" : "draining: killing the job");
      lifecycle.abort(exec, handBack ? "handback" : "shutdown");
    }
    await state.executions.whenEmpty();
    await pool.idleAll();
    await keepalive.stop();
    // 5. Remove the instance record.
    await state.store.removeInstance(name).catch((err: unknown) => log.warn({ err }, "cannot remove instance record"));
    log.info({ instance: name }, "drained");
  }

  const engine: Engine = {
    get instanceName() {
      return state.name;
    },
    get draining() {
      return draining;
    },
    get runningJobs() {
      return state.executions.size;
    },

    async start() {
      if (started) return;
      started = true;
      await state.store.registerInstance(state.name);
      try {
        await upsertConfigured(state);
        await removeLeftoverWorkdirs(state);
      } catch (err) {
        await state.store.removeInstance(state.name).catch(() => undefined);
        throw err;
      }
      keepalive.start();
      janitor.start();
      unsubscribe = state.store.onJobsAvailable(() => pool.wake());
      pool.start();
      state.log.info({ instance: state.name, workers: pool.size }, "engine started");
    },

    drain() {
      drainPromise ??= drainNow();
      return drainPromise;
    },

    async stop() {
      draining = true;
      unsubscribe?.();
      const claiming = pool.stopClaiming();
      const cleaning = janitor.stop();
      await keepalive.stop();
      for (const exec of state.executions.values()) state.lifecycle.abort(exec, "lost");
      await Promise.all([claiming, cleaning]);
      await executionsDone(state.options.abortWaitMs + 1000);
    },

    wake() {
      pool.wake();
    },

    submit(input: SubmitInput, caller: string, clientGone: ClientGone, groups: readonly string[] = []): Promise<SubmitOutcome> {
      return submitJob(state, { draining: () => draining, wakePool: () => pool.wake() }, input, caller, clientGone, groups);
    },

    cancel(jobId: string, caller: string) {
      return cancelJob(state, jobId, caller);
    },

    async putCommand(cmd: Omit<Command, "created_at" | "updated_at">): Promise<Command> {
      const handler = await validateCommand(state, cmd);
      const stored = await state.store.putCommand(cmd);
      state.handlers.seed(stored, handler);
      return stored;
    },

    async putCluster(cl: Omit<Cluster, "created_at" | "updated_at">): Promise<Cluster> {
      validateCluster(state, cl);
      return state.store.putCluster(cl);
    },

    clustersHealth(): Promise<HealthReport> {
      return clustersHealth(state);
    },

    clusterHealth(clusterId: string): Promise<HealthReport> {
      return clusterHealth(state, clusterId);
    },

    async handlerFor(job: Job) {
      const r = await resolveJob(state, job);
      if (!r.handler) return undefined;
      return { handler: r.handler, cluster: r.cluster };
    },

    async jobTasks(job: Job) {
      const h = await engine.handlerFor(job);
      return h?.handler.tasks?.(job);
    },

    async taskLogs(job: Job, q: TaskLogsQuery, signal: AbortSignal) {
      const h = await engine.handlerFor(job);
      return h?.handler.taskLogs?.(job, h.cluster, q, signal);
    },

    async jobLogs(job: Job, q: JobLogsQuery, signal: AbortSignal) {
      const h = await engine.handlerFor(job);
      return h?.handler.jobLogs?.(job, q, signal);
    },
  };
  return engine;
}
