// Prometheus metrics of spec D11 (prom-client). Implements the engine's EngineMetrics hooks plus HTTP metrics.
import { createRequire } from "node:module";
import type * as PromClient from "prom-client";
import type { EngineMetrics } from "../engine/index.ts";
import { ecsStatsSnapshot } from "../plugins/index.ts";

// prom-client's index also loads what Heimdall never uses (Summary with tdigest, Pushgateway with http/https/zlib,
// cluster aggregation), and its default process CPU counters load @opentelemetry/api (for exemplars, which are
// off): together about 0.1 s of `serve`'s start-up CPU. The classes and the other default metrics come from their
// own files instead (the modules the index re-exports); the three CPU counters are registered here with the same
// names, help and values. test/api/default-metrics.test.ts checks the set against prom-client's own.
const requirePromClient = createRequire(import.meta.url);
const Registry = requirePromClient("prom-client/lib/registry") as typeof PromClient.Registry;
const Counter = requirePromClient("prom-client/lib/counter") as typeof PromClient.Counter;
const Gauge = requirePromClient("prom-client/lib/gauge") as typeof PromClient.Gauge;
const Histogram = requirePromClient("prom-client/lib/histogram") as typeof PromClient.Histogram;
type Registry = PromClient.Registry;

/** prom-client's default metrics after process_cpu_*, in its order (lib/defaultMetrics.js). */
const DEFAULT_METRIC_FILES = [
  "processStartTime",
  "osMemoryHeap",
  "processOpenFileDescriptors",
  "processMaxFileDescriptors",
  "eventLoopLag",
  ...(typeof process.getActiveResourcesInfo === "function" ? ["processResources"] : []),
  "processHandles",
  "processRequests",
  "heapSizeAndUsed",
  "heapSpacesSizeAndUsed",
  "version",
  "gc",
];

/** What prom-client's collectDefaultMetrics({ register }) registers, without loading @opentelemetry/api. */
export function registerDefaultMetrics(registry: Registry): void {
  // process_cpu_*: CPU used since registration, added at each scrape (prom-client's processCpuTotal).
  let last = process.cpuUsage();
  const registers = [registry];
  const user = new Counter({
    name: "process_cpu_user_seconds_total",
    help: "Total user CPU time spent in seconds.",
    registers,
    collect() {
      const now = process.cpuUsage();
      const userMicros = now.user - last.user;
      const systemMicros = now.system - last.system;
      last = now;
      user.inc(userMicros / 1e6);
      system.inc(systemMicros / 1e6);
      total.inc((userMicros + systemMicros) / 1e6);
    },
  });
  const system = new Counter({ name: "process_cpu_system_seconds_total", help: "Total system CPU time spent in seconds.", registers });
  const total = new Counter({ name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", registers });
  const config = { register: registry, eventLoopMonitoringPrecision: 10 };
  for (const file of DEFAULT_METRIC_FILES) {
    (requirePromClient(`prom-client/lib/metrics/${file}`) as (r: Registry, c: typeof config) => void)(registry, config);
  }
}

export interface Metrics extends EngineMetrics {
  readonly registry: Registry;
  /** Records one HTTP request; `route` is the route template (never the raw path). */
  httpRequest(method: string, route: string, code: number, seconds: number): void;
}

const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(version: string): Metrics {
  const registry = new Registry();
  registerDefaultMetrics(registry);
  const r = [registry];

  const buildInfo = new Gauge({
    name: "heimdall_build_info",
    help: "Build information (always 1).",
    labelNames: ["version"],
    registers: r,
  });
  buildInfo.set({ version }, 1);
  const httpTotal = new Counter({
    name: "heimdall_http_requests_total",
    help: "HTTP requests served.",
    labelNames: ["method", "route", "code"],
    registers: r,
  });
  const httpDuration = new Histogram({
    name: "heimdall_http_request_duration_seconds",
    help: "HTTP request duration.",
    labelNames: ["method", "route"],
    buckets: HTTP_BUCKETS,
    registers: r,
  });
  const submitted = new Counter({
    name: "heimdall_jobs_submitted_total",
    help: "Jobs accepted at submit.",
    labelNames: ["command", "cluster", "mode"],
    registers: r,
  });
  const routingFailures = new Counter({
    name: "heimdall_job_routing_failures_total",
    help: "Submissions rejected by routing.",
    labelNames: ["reason"],
    registers: r,
  });
  const finished = new Counter({
    name: "heimdall_jobs_finished_total",
    help: "Jobs that reached a final state.",
    labelNames: ["command", "cluster", "status"],
    registers: r,
  });
  const runDuration = new Histogram({
    name: "heimdall_job_run_duration_seconds",
    help: "Job run time from RUNNING to a final state.",
    labelNames: ["command", "cluster", "status"],
    buckets: RUN_BUCKETS,
    registers: r,
  });
  const queueDuration = new Histogram({
    name: "heimdall_job_queue_duration_seconds",
    help: "Time from creation to RUNNING of asynchronous jobs.",
    labelNames: ["command", "cluster"],
    buckets: RUN_BUCKETS,
    registers: r,
  });
  const running = new Gauge({
    name: "heimdall_jobs_running",
    help: "Jobs executing on this instance.",
    labelNames: ["command", "cluster"],
    registers: r,
  });
  const workers = new Gauge({
    name: "heimdall_pool_workers",
    help: "Async workers of this instance.",
    labelNames: ["state"],
    registers: r,
  });
  const janitor = new Counter({
    name: "heimdall_janitor_recovered_total",
    help: "Jobs recovered by the janitor.",
    labelNames: ["action"],
    registers: r,
  });
  const retention = new Counter({
    name: "heimdall_janitor_retention_deleted_total",
    help: "Final jobs deleted by retention.",
    registers: r,
  });
  const cleanup = new Counter({
    name: "heimdall_plugin_cleanup_total",
    help: "Plugin cleanup calls by outcome.",
    labelNames: ["plugin", "outcome"],
    registers: r,
  });
  const health = new Counter({
    name: "heimdall_cluster_health_checks_total",
    help: "Cluster health probes by outcome.",
    labelNames: ["cluster", "status"],
    registers: r,
  });
  const flushFailures = new Counter({
    name: "heimdall_job_file_flush_failures_total",
    help: "Job output flushes dropped after retries.",
    registers: r,
  });
  const dbErrors = new Counter({
    name: "heimdall_database_errors_total",
    help: "Database operation failures.",
    labelNames: ["operation"],
    registers: r,
  });
  registerEcsMetrics(r);
  workers.set({ state: "busy" }, 0);
  workers.set({ state: "idle" }, 0);
  retention.inc(0);
  flushFailures.inc(0);

  // Running jobs per (command, cluster): jobFinished may be called for jobs that never started.
  const runningCounts = new Map<string, number>();
  const key = (command: string, cluster: string) => `${command}\u0000${cluster}`;
  const left = (command: string, cluster: string) => {
    const k = key(command, cluster);
    const n = runningCounts.get(k) ?? 0;
    if (n > 0) {
      runningCounts.set(k, n - 1);
      running.dec({ command, cluster });
    }
  };

  return {
    registry,
    httpRequest(method, route, code, seconds) {
      httpTotal.inc({ method, route, code: String(code) });
      httpDuration.observe({ method, route }, seconds);
    },
    jobSubmitted(command, cluster, mode) {
      submitted.inc({ command, cluster, mode });
    },
    routingFailure(reason) {
      routingFailures.inc({ reason });
    },
    jobStarted(command, cluster, queueSeconds) {
      const k = key(command, cluster);
      runningCounts.set(k, (runningCounts.get(k) ?? 0) + 1);
      running.inc({ command, cluster });
      if (queueSeconds !== undefined) queueDuration.observe({ command, cluster }, Math.max(0, queueSeconds));
    },
    jobFinished(command, cluster, status, runSeconds) {
      finished.inc({ command, cluster, status });
      runDuration.observe({ command, cluster, status }, Math.max(0, runSeconds));
      left(command, cluster);
    },
    jobLeft: left,
    workers(busy, idle) {
      workers.set({ state: "busy" }, busy);
      workers.set({ state: "idle" }, idle);
    },
    janitorRecovered(action) {
      janitor.inc({ action });
    },
    retentionDeleted(n) {
      retention.inc(n);
    },
    pluginCleanup(plugin, outcome) {
      cleanup.inc({ plugin, outcome });
    },
    clusterHealthCheck(cluster, status) {
      health.inc({ cluster, status });
    },
    fileFlushFailure() {
      flushFailures.inc();
    },
    databaseError(operation) {
      dbErrors.inc({ operation });
    },
  };
}

/**
 * ECS plugin counters (issue 9 item 7), read from the plugin's process-wide counters at every scrape: attempts by
 * outcome and stop code, retries, AWS calls by operation and result, log bytes copied into job output and read
 * by live log streams.
 */
function registerEcsMetrics(r: Registry[]): void {
  new Counter({
    name: "heimdall_ecs_task_attempts_total",
    help: "ECS task attempts that reached a final status, by outcome (succeeded, failed, stopped, interrupted) and ECS stop code.",
    labelNames: ["outcome", "stop_code"],
    registers: r,
    collect() {
      this.reset();
      for (const a of ecsStatsSnapshot().attempts) this.inc({ outcome: a.outcome, stop_code: a.stop_code }, a.count);
    },
  });
  new Counter({
    name: "heimdall_ecs_task_retries_total",
    help: "ECS task slots relaunched, by the previous attempt's status.",
    labelNames: ["reason"],
    registers: r,
    collect() {
      this.reset();
      for (const x of ecsStatsSnapshot().retries) this.inc({ reason: x.reason }, x.count);
    },
  });
  new Counter({
    name: "heimdall_ecs_aws_calls_total",
    help: "AWS API calls of the ECS plugin (every attempt), by operation and result (ok, throttled, error).",
    labelNames: ["operation", "result"],
    registers: r,
    collect() {
      this.reset();
      for (const c of ecsStatsSnapshot().awsCalls) this.inc({ operation: c.operation, result: c.result }, c.count);
    },
  });
  new Counter({
    name: "heimdall_ecs_log_bytes_copied_total",
    help: "Bytes of task logs copied into job stdout/stderr.",
    registers: r,
    collect() {
      this.reset();
      this.inc(ecsStatsSnapshot().logBytesCopied);
    },
  });
  new Counter({
    name: "heimdall_ecs_log_bytes_read_total",
    help: "Bytes of task logs read for live log streams (GET /api/v1/job/{id}/logs).",
    registers: r,
    collect() {
      this.reset();
      this.inc(ecsStatsSnapshot().logBytesRead);
    },
  });
}
