// AWS JSON 1.1 wire helpers: typed errors, timestamps, region parsing.

/** An error answered as `{"__type": code, "message": ...}` with the given HTTP status. */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extra: Record<string, unknown> | undefined;
  constructor(code: string, message: string, status = 400, extra?: Record<string, unknown>) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}

export const clientError = (m: string): AwsError => new AwsError("ClientException", m);
export const invalidParam = (m: string): AwsError => new AwsError("InvalidParameterException", m);

/** Region from `Authorization: AWS4-HMAC-SHA256 Credential=AK/20260101/<region>/<service>/aws4_request, ...`. */
export function regionFromAuthorization(header: string | undefined, fallback: string): string {
  if (!header) return fallback;
  const m = /Credential=[^/,\s]*\/\d{8}\/([a-z0-9-]+)\//.exec(header);
  return m?.[1] ?? fallback;
}

export type Json = Record<string, unknown>;

/** Helpers that read request members with type checks, failing with the AWS error for bad input. */
export function str(body: Json, key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (opts.required) throw invalidParam(`${key} is required.`);
    return undefined;
  }
  if (typeof v !== "string") throw new AwsError("SerializationException", `${key} must be a string.`);
  if (opts.max !== undefined && v.length > opts.max) throw invalidParam(`${key} longer than ${opts.max}.`);
  return v;
}

export function num(body: Json, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new AwsError("SerializationException", `${key} must be a number.`);
  return v;
}

export function bool(body: Json, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new AwsError("SerializationException", `${key} must be a boolean.`);
  return v;
}

export function list<T = unknown>(body: Json, key: string): T[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new AwsError("SerializationException", `${key} must be a list.`);
  return v as T[];
}

export function obj(body: Json, key: string): Json | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw new AwsError("SerializationException", `${key} must be a structure.`);
  return v as Json;
}

/** Opaque pagination token for an offset. */
export const encodeToken = (offset: number): string => Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
export function decodeToken(token: string | undefined, code = "InvalidParameterException"): number {
  if (token === undefined) return 0;
  try {
    const v = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o?: unknown };
    if (typeof v.o === "number" && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    /* fall through */
  }
  throw new AwsError(code, "The specified nextToken is invalid.");
}

/** One page of `all` from the request's offset token: its items, and `{ nextToken }` when more remain (else `{}`). */
export function pageOf<T>(all: readonly T[], token: string | undefined, size: number): [T[], { nextToken?: string }] {
  const from = decodeToken(token);
  return [all.slice(from, from + size), from + size < all.length ? { nextToken: encodeToken(from + size) } : {}];
}

/** Stable JSON (sorted keys) for request fingerprints. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Json;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
