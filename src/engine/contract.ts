// What the API (and the CLI's serve) needs from the engine. The engine owns routing, execution and recovery.
import type { Cluster, Command, Job, Result, SubmitInput } from "../core/index.ts";
import type { Handler } from "../plugins/index.ts";

export interface SubmitOutcome {
  job: Job;
  /** Sync jobs only: the result produced (SUCCEEDED). */
  result?: Result;
}

export interface HealthCheckItem {
  cluster_id: string;
  cluster_name: string;
  plugin: string;
  status: "ok" | "error" | "unchecked";
  latency_ms: number;
  error?: string;
}
export interface HealthReport {
  healthy: boolean;
  checks: HealthCheckItem[];
}

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
   * `clientGone` aborts when the HTTP client disconnects (sync jobs: cancel without canceled_by).
   * `groups`: the caller's verified groups, matched by `group:<name>` entries of allowed_callers.
   */
  submit(input: SubmitInput, caller: string, clientGone: AbortSignal, groups?: readonly string[]): Promise<SubmitOutcome>;
  /** T9 and owner signalling. Throws 404 unknown job_id / 409 final. */
  cancel(jobId: string, caller: string): Promise<void>;
  /** Validates (plugin registered and its create accepts the context) then stores. Throws 400. */
  /** `tags` is the final set, system tags included (core builds it). */
  putCommand(cmd: Omit<Command, "created_at" | "updated_at">): Promise<Command>;
  putCluster(cl: Omit<Cluster, "created_at" | "updated_at">): Promise<Cluster>;
  /** Spec 7.1 (all opted-in clusters) or 7.2 (one cluster; throws 404 as specified). */
  clustersHealth(): Promise<HealthReport>;
  clusterHealth(clusterId: string): Promise<HealthReport>;
  /** Handler of the job's command (for plugin task views), undefined when none. */
  handlerFor(job: Job): Promise<{ handler: Handler; cluster: Cluster | undefined } | undefined>;
}
