// Domain types shared by every layer. Wire shapes (snake_case) are the API objects of the spec, section 2.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const JOB_STATUSES = ["NEW", "ACCEPTED", "RUNNING", "FAILED", "KILLED", "SUCCEEDED", "CANCELING", "CANCELED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ["FAILED", "KILLED", "SUCCEEDED", "CANCELED"];
export const isFinalStatus = (s: JobStatus): boolean => FINAL_JOB_STATUSES.includes(s);

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
  username?: string;
  id?: string;
  name?: string;
  version?: string;
  command?: string;
  cluster?: string;
  status?: JobStatus[];
  tags?: string[];
}
