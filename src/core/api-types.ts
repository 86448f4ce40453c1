// The REST API's JSON as its clients read it: jobs, commands and clusters with the spec's omission rules (2.1–2.4),
// list pages, the overview stats, a cluster's health report, and the ECS task timeline and job log items of GET
// …/tasks and …/logs. One declaration for the server (core's index re-exports this file) and the web UI.
// DOM-safe on purpose: src/ui/app imports this file directly (not core's index, which pulls Node types), so it
// holds types and tiny pure helpers only and imports nothing but ./types.ts, itself import-free. The UI's tsconfig
// (no Node types) checks both; eslint forbids the UI any other import from src/ (docs/decisions.md).
import { FINAL_JOB_STATUSES, type Cluster, type Command, type Job, type Result } from "./types.ts";

export {
  FINAL_JOB_STATUSES,
  JOB_STATUSES,
  REGISTRY_STATUSES,
  type Attribute,
  type JobProgress,
  type JobStats,
  type JobStatus,
  type Json,
  type JsonObject,
  type RegistryStatus,
  type Result,
} from "./types.ts";

/** `T` with the keys `K` optional: what a serializer omits when empty (spec 2.1–2.4). */
type Omitted<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** Omitted on the wire when empty: "" strings, null context (serialize.ts `base`). */
type OmittedBase = "name" | "version" | "description" | "context";

/** A job as GET /api/v1/job/{id} and the jobs list send it (core `jobToJson`); `result` only with ?result. */
export type JobJson = Omitted<
  Job,
  | OmittedBase
  | "is_sync"
  | "store_result_sync"
  | "error"
  | "command_id"
  | "command_name"
  | "cluster_id"
  | "cluster_name"
  | "canceled_by"
  | "job_attributes"
  | "progress"
> & { result?: Result };

/** A command as the API sends it (core `commandToJson`). */
export type CommandJson = Omitted<Command, OmittedBase | "is_sync" | "allowed_callers">;

/** A cluster as the API sends it (core `clusterToJson`). */
export type ClusterJson = Omitted<Cluster, OmittedBase | "health_check" | "attributes">;

/** A list page (spec 3.5): `next_cursor` is opaque, passed back as `?cursor=`. */
export interface PageJson<T> {
  data: T[];
  has_more?: boolean;
  next_cursor?: string;
}

/** Whether a job status is final (FAILED, KILLED, SUCCEEDED, CANCELED); false for anything else, unknown names included. */
export const isFinalStatus = (status: string | null | undefined): boolean =>
  (FINAL_JOB_STATUSES as readonly string[]).includes(status ?? "");

/** One cluster's entry in GET /api/v1/cluster/{id}/health and /health/clusters (spec 7.1). */
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

/** How a job with tasks ended, as decided by its plugin (null while it runs). */
export type TaskOutcome =
  | { kind: "succeeded" }
  | { kind: "failed"; slot: number; error: string }
  | { kind: "timeout"; error: string }
  | { kind: "canceled"; error: string }
  | { kind: "error"; error: string };

/** One attempt of a task slot as GET …/tasks shows it (timestamps ISO 8601). The UI and the CLI read these keys. */
export interface TaskAttempt {
  slot: number;
  /** 1-based within the slot. */
  attempt: number;
  task_name: string;
  client_token: string;
  task_arn: string | null;
  /** LAUNCHING, ACTIVE, SUCCEEDED, FAILED, STOPPED or INTERRUPTED (a Spot interruption that is retried). */
  status: string;
  /** The task's lastStatus as last observed. */
  last_status: string | null;
  exit_code: number | null;
  containers: { name: string; exit_code: number | null; reason: string | null }[];
  stop_code: string | null;
  stopped_reason: string | null;
  /** Why the attempt counts as failed. */
  failure: string | null;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
  /** RunTask capacity / API failures before the task existed (not task failures). */
  launch_errors: number;
  last_launch_error: string | null;
  /** When RunTask answered with the task (ISO), and until when a never-seen task answered MISSING is tolerated. */
  run_task_at?: string | null;
  visible_by?: string | null;
  /** Where the task was placed (FARGATE, FARGATE_SPOT); null for a launch type. */
  capacity_provider: string | null;
  spot_interruption: boolean;
  /** RunTask found no Spot capacity for this attempt (with spot_fallback the slot moves to FARGATE). */
  spot_unavailable?: boolean;
}

/** GET /api/v1/job/{id}/tasks: a job's task slots and every attempt of each (the ECS plugin's). */
export interface TaskTimeline {
  job_id: string;
  cluster_name: string | null;
  task_definition_arn: string | null;
  task_count: number;
  max_fail_count: number;
  max_spot_interruptions: number | null;
  spot_fallback: boolean | null;
  /** Attempts stopped by a Spot interruption. */
  spot_interruptions: number;
  first_launch_at: string | null;
  outcome: TaskOutcome | null;
  /** The attempt whose logs became the job's stdout/stderr. */
  representative: { slot: number; attempt: number } | null;
  /** Container names and awslogs group/prefix/region (console links are built from them). */
  containers: { name: string; log: { group: string; region: string | null; prefix: string } | null }[];
  slots: { slot: number; task_name: string; attempts: TaskAttempt[] }[];
}

/** A log line of GET …/logs: `timestamp` in epoch ms, `cursor` resumes right after it. */
export interface JobLogLine {
  slot: number;
  attempt: number;
  container: string;
  timestamp: number;
  message: string;
  cursor: string;
}

/** One item of a job log stream (NDJSON): a line, a heartbeat, or the last item (`end`). */
export type JobLogItem = JobLogLine | { heartbeat: true } | { end: boolean; status: string; cursor?: string };
