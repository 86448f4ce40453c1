// What the API (and the CLI's serve) needs from the engine. The engine owns routing, execution and recovery.
import type { Cluster, Command, HealthCheckItem, HealthReport, Job, Result, SubmitInput } from "../core/index.ts";
import type { JobLogItem, JobLogsQuery, TaskLogsQuery, TaskTimeline } from "../plugins/index.ts";

/** The HTTP client went away: a signal, or a function that makes one when a sync job needs it. */
export type ClientGone = AbortSignal | (() => AbortSignal);

/** A command or cluster as stored, without the timestamps the store sets. */
export type CommandDefinition = Omit<Command, "created_at" | "updated_at">;
export type ClusterDefinition = Omit<Cluster, "created_at" | "updated_at">;

/**
 * Everything the engine is told, compiled from the configuration by `heimdall serve` (src/cli/engine-options.ts).
 * All durations are milliseconds.
 */
export interface EngineOptions {
  /** Pool workers (spec 9.3; > 0). */
  poolSize: number;
  /** Longest wait of the feeder between claims when no wake-up comes (a safety net). */
  poolSleepMs: number;
  /** Absolute directory of the per-job working directories (`<jobsDirectory>/<job id>`). */
  jobsDirectory: string;
  /** Bytes kept of each stored stdout/stderr file. */
  maxFileBytes: number;
  /** Heartbeat period of the instance's claims. */
  keepaliveMs: number;
  /** A claim not refreshed for this long is stale (janitor). */
  staleJobMs: number;
  /** Janitor pass period (and least time between two retention passes). */
  cleanIntervalMs: number;
  /** Final jobs older than this are deleted by retention; 0 keeps them forever. */
  retentionMs: number;
  /** Bound of a plugin's cleanup call. */
  cleanupTimeoutMs: number;
  /** How long drain waits for running jobs before handing back / killing them. */
  shutdownTimeoutMs: number;
  /** Bound of a cluster health probe. */
  healthCheckTimeoutMs: number;
  /** The configuration file's registry: upserted at start; their definitions are trusted (template files not confined). */
  commands: readonly CommandDefinition[];
  clusters: readonly ClusterDefinition[];
  /** Absolute directories template files of commands created through the API must lie under. */
  templateRoots: readonly string[];
  /** Wait for execute after an abort before going on without it (default 30 s, spec 9.4 step 5). */
  abortWaitMs?: number;
  /** How long job-path writes are retried while the database is unreachable (default max(5 min, staleJobMs)). */
  dbRetryMs?: number;
  /** How often a drain logs how many jobs are still running (default 5 s). */
  drainProgressMs?: number;
  /** Longest wait of a small claim for the workers in mid-job (default 2 ms; docs/engine.md "Claim batching"). */
  poolGatherMs?: number;
}

export interface SubmitOutcome {
  job: Job;
  /** Sync jobs only: the result produced (SUCCEEDED). */
  result?: Result;
}

/** Health reports are core's (src/core/api-types.ts, shared with the web UI). */
export type { HealthCheckItem, HealthReport };

/** Metric hooks the engine calls; the API implements them with prom-client (spec D11). */
export interface EngineMetrics {
  jobSubmitted(command: string, cluster: string, mode: "sync" | "async"): void;
  routingFailure(reason: "no_pair" | "not_allowed" | "invalid_context"): void;
  jobStarted(command: string, cluster: string, queueSeconds: number | undefined): void;
  jobFinished(command: string, cluster: string, status: string, runSeconds: number): void;
  /** A job that started here stopped running here without a final status (handed back, lost, taken over). */
  jobLeft(command: string, cluster: string): void;
  workers(busy: number, idle: number): void;
  janitorRecovered(action: "failed_stale" | "canceled"): void;
  retentionDeleted(n: number): void;
  pluginCleanup(plugin: string, outcome: "ok" | "error" | "timeout"): void;
  clusterHealthCheck(cluster: string, status: "ok" | "error" | "unchecked"): void;
  fileFlushFailure(): void;
  databaseError(operation: string): void;
}

export interface EngineApi {
  readonly instanceName: string;
  readonly draining: boolean;
  /**
   * Route, validate against the plugin, store and (async) wake the pool or (sync) run the job in-request.
   * Throws HeimdallError (with jobId once assigned): 404 no pair, 403 not allowed, 400 invalid context,
   * 503 draining (sync), 502/500/409/503 for sync outcomes (spec 9.6).
   * `clientGone` aborts when the HTTP client disconnects (sync jobs: cancel without canceled_by). Only a sync job
   * reads it: given as a function, it is called then (an async submit then makes no AbortController at all).
   * `groups`: the caller's verified groups, matched by `group:<name>` entries of allowed_callers.
   */
  submit(input: SubmitInput, caller: string, clientGone: ClientGone, groups?: readonly string[]): Promise<SubmitOutcome>;
  /** requestCancel, then the owner's abort (here at once, elsewhere at its next heartbeat). Throws 404 unknown job_id / 409 final. */
  cancel(jobId: string, caller: string): Promise<void>;
  /** Validates (plugin registered and its create accepts the context) then stores. Throws 400. */
  /** `tags` is the final set, system tags included (core builds it). */
  putCommand(cmd: Omit<Command, "created_at" | "updated_at">): Promise<Command>;
  putCluster(cl: Omit<Cluster, "created_at" | "updated_at">): Promise<Cluster>;
  /** Spec 7.1 (all opted-in clusters) or 7.2 (one cluster; throws 404 as specified). */
  clustersHealth(): Promise<HealthReport>;
  clusterHealth(clusterId: string): Promise<HealthReport>;
  /** The job's task timeline (ECS jobs; GET …/tasks); undefined when its plugin has none or no handler resolves. */
  jobTasks(job: Job): Promise<TaskTimeline | undefined>;
  /** One task attempt's log text (GET …/tasks/{slot}/logs); undefined when the job's plugin has no task logs. */
  taskLogs(job: Job, q: TaskLogsQuery, signal: AbortSignal): Promise<AsyncIterable<string> | undefined>;
  /**
   * Every task attempt's log lines (GET …/logs); undefined when the job's plugin has none. Rejects with
   * BAD_REQUEST for an invalid cursor.
   */
  jobLogs(job: Job, q: JobLogsQuery, signal: AbortSignal): Promise<AsyncIterable<JobLogItem> | undefined>;
}
