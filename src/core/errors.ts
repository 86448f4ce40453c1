// Typed errors with stable codes. The API maps `status` and `message` onto {"error", "id"} bodies (spec 3.4).
import type { Problem } from "./problems.ts";

export type ErrorCode =
  | "BAD_REQUEST" // 400
  | "UNAUTHENTICATED" // 401
  | "FORBIDDEN" // 403
  | "NOT_FOUND" // 404
  | "CONFLICT" // 409
  | "PAYLOAD_TOO_LARGE" // 413
  | "RANGE_NOT_SATISFIABLE" // 416
  | "INTERNAL" // 500
  | "JOB_FAILED" // 502 (sync job failed by its plugin)
  | "UNAVAILABLE" // 503
  | "CONFIG" // startup configuration error
  | "STORE" // database error
  | "PLUGIN"; // plugin failure

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  INTERNAL: 500,
  JOB_FAILED: 502,
  UNAVAILABLE: 503,
  CONFIG: 500,
  STORE: 500,
  PLUGIN: 500,
};

export class HeimdallError extends Error {
  readonly code: ErrorCode;
  /** Job id to echo in the error body, when the failure concerns a job that already has an id. */
  readonly jobId: string | undefined;
  /** A validation failure's problems, one per field (the message joins their texts); empty otherwise. */
  readonly problems: readonly Problem[];
  constructor(code: ErrorCode, message: string, opts: { jobId?: string; cause?: unknown; problems?: readonly Problem[] } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "HeimdallError";
    this.code = code;
    this.jobId = opts.jobId;
    this.problems = opts.problems ?? [];
  }
  get status(): number {
    return STATUS[this.code];
  }
  withJobId(jobId: string): HeimdallError {
    return new HeimdallError(this.code, this.message, { jobId, cause: this.cause, problems: this.problems });
  }
}

export const badRequest = (message: string, jobId?: string) => new HeimdallError("BAD_REQUEST", message, { jobId });
export const notFound = (message: string, jobId?: string) => new HeimdallError("NOT_FOUND", message, { jobId });

/** Turns anything thrown into a message string (an Error's message, otherwise String(value)). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
