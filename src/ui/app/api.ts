// REST client for the browser: relative /api/v1 URLs only, no credentials of its own (a fronting proxy or the
// demo default user supplies the identity). The JSON types are core's (src/core/api-types.ts, the one file of src/core
// the UI imports): empty fields are omitted as in spec section 2.

export const API = "/api/v1";

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
