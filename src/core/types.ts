// Domain types shared by every layer. Wire shapes (snake_case) are the API objects of the spec, section 2.
// Import-free and DOM-safe: the web UI reaches these through api-types.ts (which also declares the JSON as sent).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const JOB_STATUSES = ["NEW", "ACCEPTED", "RUNNING", "FAILED", "KILLED", "SUCCEEDED", "CANCELING", "CANCELED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ["FAILED", "KILLED", "SUCCEEDED", "CANCELED"];

export const REGISTRY_STATUSES = ["ACTIVE", "INACTIVE", "DELETED"] as const;
export type RegistryStatus = (typeof REGISTRY_STATUSES)[number];

export interface Attribute {
  kind: "link" | "text";
  value: string;
}

/** Fields common to commands, clusters and jobs (spec 2.1). */
export interface BaseObject {
  id: string;
  name: string;
  version: string;
  user: string;
  description: string;
  /** Full tag set including the three system tags, sorted by code point, no duplicates. */
  tags: string[];
  /** undefined = absent/null on the wire. */
  context?: JsonObject;
  created_at: number;
  updated_at: number;
}

export interface Command extends BaseObject {
  status: RegistryStatus;
  plugin: string;
  is_sync: boolean;
  cluster_tags: string[];
  allowed_callers: string[];
}

export interface Cluster extends BaseObject {
  status: RegistryStatus;
  health_check: boolean;
  attributes: Record<string, Attribute>;
}

export interface Result {
  columns: { name: string; type: string }[];
  data: Json[][];
}

export interface Job extends BaseObject {
  status: JobStatus;
  is_sync: boolean;
  store_result_sync: boolean;
  error: string;
  command_criteria: string[];
  cluster_criteria: string[];
  command_id: string;
  command_name: string;
  cluster_id: string;
  cluster_name: string;
  canceled_by: string;
  job_attributes: Record<string, Attribute>;
  /**
   * Epoch seconds of the first transition to RUNNING; null until then. Set by the store's insert/transition SQL,
   * never by callers; the store always fills it (optional only so hand-built jobs in tests stay valid).
   */
  started_at?: number | null;
  /** Epoch seconds of the transition to a final status; null until then (set by the store like started_at). */
  finished_at?: number | null;
  /** Short summary of a job's tasks (ECS), written by Store.setJobProgress; undefined when none. */
  progress?: JobProgress;
}

/** Task counts of a running or finished multi-task job (issue 9 item 2). */
export interface JobProgress {
  tasks: number;
  succeeded: number;
  running: number;
  retrying: number;
  failed: number;
  pending: number;
}

/** Validated submit body (spec 4.1, D7): criteria are undefined when missing (matches nothing). */
export interface SubmitInput {
  name: string;
  version: string;
  description: string;
  tags: string[];
  context?: JsonObject;
  command_criteria?: string[];
  cluster_criteria?: string[];
  store_result_sync: boolean;
}

export type JobFile = "stdout" | "stderr";

/** List pagination (spec 3.5). */
export type OrderBy = "id" | "created_at" | "updated_at" | "seq";
export interface Cursor {
  v: string | number;
  i: number;
}
export interface PageQuery {
  limit: number; // 1..101
  order_by: OrderBy;
  direction: "asc" | "desc";
  cursor?: Cursor;
}
export interface Page<T> {
  data: T[];
  /** Present only when another page exists. */
  next_cursor?: Cursor;
}

/** Pattern filters use the spec's `%`/`_` wildcard syntax; undefined = no filter. */
export interface RegistryFilter {
  /** Patterns (username, id, name, version, plugin) match ignoring case (`ignore_case=true`). */
  ignore_case?: boolean;
  username?: string;
  id?: string;
  name?: string;
  version?: string;
  status?: RegistryStatus[];
}
export interface CommandFilter extends RegistryFilter {
  plugin?: string;
}
export interface JobFilter {
  /** Patterns (username, id, name, version, command, cluster) match ignoring case (`ignore_case=true`). */
  ignore_case?: boolean;
  username?: string;
  id?: string;
  name?: string;
  version?: string;
  command?: string;
  cluster?: string;
  status?: JobStatus[];
  tags?: string[];
  /** started_at >= value (epoch seconds). */
  started_after?: number;
  /** finished_at < value (epoch seconds). */
  finished_before?: number;
}

/** GET /api/v1/stats (issue 9 item 4): one overview of the jobs since `since`. */
export interface JobStats {
  since: number;
  until: number;
  /** Jobs created since `since`, by status; every status present (0 when none). */
  counts: Record<JobStatus, number>;
  /** Every hour from the hour of `since` to the current one, oldest first, zeros included. */
  finished_per_hour: { hour: number; succeeded: number; failed: number; canceled: number }[];
  /** Sum of progress.running over RUNNING jobs. */
  running_ecs_tasks: number;
  /** Top 5 by finished_at - started_at among the jobs finished since `since`. */
  slowest: { id: string; name: string; status: JobStatus; started_at: number; finished_at: number; duration: number }[];
  /** The 5 latest FAILED jobs finished since `since`. */
  recent_failures: { id: string; name: string; error: string; finished_at: number }[];
}
