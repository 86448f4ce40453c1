// The engine: routing, execution and recovery of one instance (spec 1, 9).
import { hostname } from "node:os";
import type pino from "pino";
import type { HeimdallConfig } from "../config/index.ts";
import type { Cluster, Command, Job, SubmitInput } from "../core/index.ts";
import { instanceName } from "../core/index.ts";
import type { PluginRegistry } from "../plugins/index.ts";
import type { Store } from "../store/index.ts";
import type { EngineApi, EngineMetrics, HealthReport, SubmitOutcome } from "./contract.ts";
import { abortExecution, createCore, type EngineCore } from "./core.ts";
import { clusterHealth, clustersHealth } from "./health.ts";
import { Janitor } from "./janitor.ts";
import { Keepalive } from "./keepalive.ts";
import { WorkerPool } from "./pool.ts";
import { removeLeftoverWorkdirs, upsertConfigured, validateCluster, validateCommand } from "./startup.ts";
import { cancelJob, submitJob } from "./submit.ts";
import { sleep } from "./util.ts";

export interface EngineDeps {
  config: HeimdallConfig;
  store: Store;
  plugins: PluginRegistry;
  log: pino.Logger;
  version: string;
  metrics?: EngineMetrics;
  /** Instance name; default `<hostname>-<start micros>` (spec 9.2). */
  instanceName?: string;
  /** Wait after an abort before giving up on execute (default 30 s, spec 9.4 step 5). */
  abortWaitMs?: number;
  /** How long job-path writes are retried while the database is unreachable (default max(5 min, stale_job)). */
  dbRetryMs?: number;
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
  const core: EngineCore = createCore({
    ...deps,
    name: deps.instanceName ?? defaultInstanceName(),
    wakeJanitor: () => janitorRef.current?.wake(),
  });
  const janitor = new Janitor(core);
  janitorRef.current = janitor;
  const pool = new WorkerPool(core);
  const keepalive = new Keepalive(core);
  janitor.onHandedBack = () => pool.wake();
  let draining = false;
  let started = false;
  let drainPromise: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;

  /** Resolves when no execution is left, or after maxMs. */
  const executionsDone = async (maxMs = Number.POSITIVE_INFINITY) => {
    const end = Date.now() + maxMs;
    while (core.executions.size > 0 && Date.now() < end) {
      await sleep(Math.min(20, Math.max(end - Date.now(), 1)));
    }
  };

  async function drainNow(): Promise<void> {
    const { log, store, config, name } = core;
    draining = true;
    log.info({ instance: name }, "draining");
    // 1. Stop claiming.
    await pool.stopClaiming();
    unsubscribe?.();
    await janitor.stop();
    // 2. Claimed but not started: T6.
    for (const exec of [...core.executions.values()]) {
      if (exec.sync || exec.phase !== "claimed") continue;
      exec.returned = true;
      const ok = await store
        .transition({ id: exec.job.id, from: ["ACCEPTED"], to: "NEW", owner: name, clearOwner: true })
        .catch(() => false);
      if (ok) abortExecution(exec, "lost");
      else exec.returned = false;
    }
    // 3. Wait for running jobs.
    const deadline = config.server.shutdown_timeout * 1000;
    if (deadline > 0) await executionsDone(deadline);
    // 4. Hand back resumable async jobs; abort the rest with `shutdown` (KILLED, or CANCELED when canceling).
    for (const exec of core.executions.values()) {
      const handBack = !exec.sync && exec.resumable && exec.phase === "started";
      abortExecution(exec, handBack ? "handback" : "shutdown");
    }
    await executionsDone();
    await pool.idleAll();
    await keepalive.stop();
    // 5. Remove the instance record.
    await store.removeInstance(name).catch((err: unknown) => log.warn({ err }, "cannot remove instance record"));
    log.info({ instance: name }, "drained");
  }

  const engine: Engine = {
    get instanceName() {
      return core.name;
    },
    get draining() {
      return draining;
    },
    get runningJobs() {
      return core.executions.size;
    },

    async start() {
      if (started) return;
      started = true;
      await core.store.registerInstance(core.name);
      try {
        await upsertConfigured(core);
        await removeLeftoverWorkdirs(core);
      } catch (err) {
        await core.store.removeInstance(core.name).catch(() => undefined);
        throw err;
      }
      keepalive.start();
      janitor.start();
      unsubscribe = core.store.onJobsAvailable(() => pool.wake());
      pool.start();
      core.log.info({ instance: core.name, workers: pool.size }, "engine started");
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
      for (const exec of core.executions.values()) abortExecution(exec, "lost");
      await Promise.all([claiming, cleaning]);
      await executionsDone(core.abortWaitMs + 1000);
    },

    wake() {
      pool.wake();
    },

    submit(input: SubmitInput, caller: string, clientGone: AbortSignal, groups: readonly string[] = []): Promise<SubmitOutcome> {
      return submitJob(core, { draining: () => draining, wakePool: () => pool.wake() }, input, caller, clientGone, groups);
    },

    cancel(jobId: string, caller: string) {
      return cancelJob(core, jobId, caller);
    },

    async putCommand(cmd: Omit<Command, "created_at" | "updated_at">): Promise<Command> {
      const handler = await validateCommand(core, cmd);
      const stored = await core.store.putCommand(cmd);
      core.handlers.seed(stored, handler);
      return stored;
    },

    async putCluster(cl: Omit<Cluster, "created_at" | "updated_at">): Promise<Cluster> {
      validateCluster(core, cl);
      return core.store.putCluster(cl);
    },

    clustersHealth(): Promise<HealthReport> {
      return clustersHealth(core);
    },

    clusterHealth(clusterId: string): Promise<HealthReport> {
      return clusterHealth(core, clusterId);
    },

    async handlerFor(job: Job) {
      const snap = await core.registry.snapshot();
      const command = snap.commandById.get(job.command_id);
      if (!command) return undefined;
      const handler = await core.handlers.get(command).catch(() => undefined);
      if (!handler) return undefined;
      return { handler, cluster: snap.clusterById.get(job.cluster_id) };
    },
  };
  return engine;
}
