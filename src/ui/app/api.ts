// REST client for the browser: relative /api/v1 URLs only, no credentials of its own (a fronting proxy or the
// demo default user supplies the identity). Wire types follow spec section 2: empty fields are omitted.

export const API = "/api/v1";

export interface Attribute {
  kind: "link" | "text" | string;
  value: string;
}

interface WireBase {
  id: string;
  name?: string;
  version?: string;
  user?: string;
  description?: string;
  tags?: string[];
  context?: Record<string, unknown> | null;
  created_at?: number;
  updated_at?: number;
}

export interface Job extends WireBase {
  status: string;
  is_sync?: boolean;
  store_result_sync?: boolean;
  error?: string;
  command_criteria?: string[];
  cluster_criteria?: string[];
  command_id?: string;
  command_name?: string;
  cluster_id?: string;
  cluster_name?: string;
  canceled_by?: string;
  job_attributes?: Record<string, Attribute>;
  result?: Result;
  /** Epoch seconds of the first RUNNING, null before (issue 9; absent on older servers). */
  started_at?: number | null;
  /** Epoch seconds of the final status, null before. */
  finished_at?: number | null;
  /** ECS jobs: task counts. */
  progress?: JobProgress | null;
}

export interface JobProgress {
  tasks?: number;
  succeeded?: number;
  running?: number;
  retrying?: number;
  failed?: number;
  pending?: number;
}

/** GET /api/v1/stats?since= */
export interface Stats {
  since: number;
  until: number;
  counts: Record<string, number>;
  finished_per_hour: { hour: number; succeeded: number; failed: number; canceled: number }[];
  running_ecs_tasks: number;
  slowest: {
    id: string;
    name?: string;
    status: string;
    started_at?: number | null;
    finished_at?: number | null;
    duration?: number | null;
  }[];
  recent_failures: { id: string; name?: string; error?: string; finished_at?: number | null }[];
}

export interface Command extends WireBase {
  status: string;
  plugin?: string;
  is_sync?: boolean;
  cluster_tags?: string[];
  allowed_callers?: string[];
}

export interface Cluster extends WireBase {
  status: string;
  health_check?: boolean;
  attributes?: Record<string, Attribute>;
}

export interface Result {
  columns?: { name: string; type?: string }[];
  data?: unknown[][];
}

export interface Page<T> {
  data: T[];
  has_more?: boolean;
  next_cursor?: string;
}

export interface HealthCheck {
  cluster_id?: string;
  cluster_name?: string;
  plugin?: string;
  status?: string;
  latency_ms?: number;
  error?: string;
}

export interface Health {
  healthy?: boolean;
  checks?: HealthCheck[];
}

export const FINAL_JOB_STATUSES = ["FAILED", "KILLED", "SUCCEEDED", "CANCELED"];
export const CANCELABLE_JOB_STATUSES = ["NEW", "ACCEPTED", "RUNNING"];
export const isFinal = (status: string | undefined | null): boolean => FINAL_JOB_STATUSES.includes(status ?? "");

/** An HTTP error answered by the API: `message` is the API's `error` string when there is one. */
export class ApiError extends Error {
  readonly status: number;
  readonly jobId: string | undefined;
  constructor(status: number, message: string, jobId?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.jobId = jobId;
  }
}

async function toError(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`.trim();
  let jobId: string | undefined;
  try {
    const body = (await res.json()) as { error?: unknown; id?: unknown };
    if (typeof body.error === "string" && body.error) message = body.error;
    if (typeof body.id === "string") jobId = body.id;
  } catch {
    // not JSON: keep the status line
  }
  // 401/403 say plainly what happened: not signed in (no or refused credentials) vs. signed in but not allowed.
  if (res.status === 401) message = `Not signed in (401): ${message} (sign in again, or ask whoever runs the proxy in front of Heimdall)`;
  if (res.status === 403) message = `Not allowed (403): ${message}`;
  return new ApiError(res.status, message, jobId);
}

export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(API + path, { headers: { Accept: "application/json" }, signal });
  if (!res.ok) throw await toError(res);
  return (await res.json()) as T;
}

export async function apiSend<T>(method: "POST" | "PUT", path: string, body?: unknown): Promise<T> {
  const res = await fetch(API + path, {
    method,
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: body === undefined ? "" : JSON.stringify(body),
  });
  if (!res.ok) throw await toError(res);
  return (await res.json()) as T;
}

/** Builds a query string from the non-empty entries, in the given order. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const enc = encodeURIComponent;

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export const isAbort = (err: unknown): boolean => err instanceof DOMException && err.name === "AbortError";
