// REST client used by the CLI subcommands: JSON calls over node:http(s) (transport.ts), streamed answers over global
// fetch (node:https when --ca-file names an extra CA).
import { readFileSync } from "node:fs";
import { fetchWithCa, httpRequest } from "./transport.ts";
import type { TransportInit } from "./transport.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:9090";
const USER_HEADER = "X-Heimdall-User";

export interface ClientOptions {
  server?: string;
  user?: string;
  json?: boolean;
  /** Seconds to wait for the server's response headers (default 30; 0 = no limit). */
  requestTimeout?: string;
  /** Bearer token for servers with auth.plugin jwt (env HEIMDALL_TOKEN). */
  token?: string;
  /** PEM file with CA certificates to trust for an https:// server (env HEIMDALL_CA_FILE). */
  caFile?: string;
  /** false with --no-color. */
  color?: boolean;
}

/** Default bound on waiting for a response (headers); bodies (log downloads) stream without a bound. */
export const DEFAULT_REQUEST_TIMEOUT_S = 30;

/** A failure the CLI reports as one line and a non-zero exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export class ApiClient {
  readonly base: string;
  readonly user: string | undefined;
  readonly timeoutMs: number;
  readonly token: string | undefined;
  readonly ca: Buffer | undefined;
  constructor(opts: ClientOptions) {
    this.base = (opts.server || process.env["HEIMDALL_URL"] || DEFAULT_SERVER).replace(/\/+$/, "");
    this.user = opts.user || process.env["HEIMDALL_USER"] || undefined;
    const t = Number(opts.requestTimeout ?? process.env["HEIMDALL_REQUEST_TIMEOUT"] ?? DEFAULT_REQUEST_TIMEOUT_S);
    if (!Number.isFinite(t) || t < 0)
      throw new CliError(`--request-timeout: must be a number of seconds >= 0, got ${String(opts.requestTimeout)}`);
    this.timeoutMs = t * 1000;
    let base: URL;
    try {
      base = new URL(this.base);
    } catch {
      throw new CliError(`--server: not a URL: ${this.base}`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:")
      throw new CliError(`--server: must be an http:// or https:// URL, got ${this.base}`);
    this.token = (opts.token || process.env["HEIMDALL_TOKEN"] || "").trim() || undefined;
    const caFile = opts.caFile || process.env["HEIMDALL_CA_FILE"] || undefined;
    if (caFile !== undefined) {
      try {
        this.ca = readFileSync(caFile);
      } catch (err) {
        throw new CliError(`--ca-file: cannot read ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }

  url(path: string, query?: Record<string, string | number | undefined>): string {
    const u = new URL(`${this.base}/api/v1${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") u.searchParams.set(k, String(v));
    return u.toString();
  }

  /**
   * Raw request; throws CliError (exit 2) when the server cannot be reached or sends no response headers within
   * `timeoutMs` (0 = wait as long as it takes, e.g. a synchronous job running inside the submit request).
   */
  async raw(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = this.timeoutMs,
  ): Promise<Response> {
    return this.send(method, url, body, headers, timeoutMs, (u, init) =>
      this.ca !== undefined && u.startsWith("https:") ? fetchWithCa(u, init, this.ca) : fetch(u, init),
    );
  }

  /** raw() over any transport (the JSON calls use node:http, see transport.ts). */
  private async send<R>(
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
    transport: (url: string, init: TransportInit) => Promise<R>,
  ): Promise<R> {
    const h: Record<string, string> = { ...headers };
    if (this.user) h[USER_HEADER] = this.user;
    if (this.token) h["Authorization"] = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h["Content-Type"] = "application/json";
    }
    const ac = new AbortController();
    const timer = timeoutMs > 0 ? setTimeout(() => ac.abort(), timeoutMs) : undefined;
    try {
      return await transport(url, { method, headers: h, body: payload, signal: ac.signal });
    } catch (err) {
      if (ac.signal.aborted) throw new CliError(`no response from ${this.base} within ${timeoutMs / 1000}s (--request-timeout)`, 2);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const code = cause?.code ?? (err as { code?: string }).code;
      const hint =
        code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) ? " (untrusted server certificate: pass --ca-file)" : "";
      throw new CliError(`cannot reach ${this.base}: ${code ?? cause?.message ?? (err as Error).message}${hint}`, 2);
    } finally {
      clearTimeout(timer);
    }
  }

  /** JSON request; a non-2xx answer becomes a CliError with the server's `error` message. */
  async request<T = unknown>(
    method: string,
    path: string,
    opts: { query?: Record<string, string | number | undefined>; body?: unknown; timeoutMs?: number } = {},
  ): Promise<T> {
    const res = await this.send(method, this.url(path, opts.query), opts.body, {}, opts.timeoutMs ?? this.timeoutMs, (u, init) =>
      httpRequest(u, init, this.ca),
    );
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const e = parsed as { error?: unknown; id?: unknown } | undefined;
      const msg = typeof e?.error === "string" ? e.error : `HTTP ${res.status}`;
      const id = typeof e?.id === "string" ? ` (job ${e.id})` : "";
      const hint = res.status === 401 && this.token ? " (the token was refused: expired or not for this server?)" : "";
      throw new CliError(`${msg}${id} [HTTP ${res.status}]${hint}`);
    }
    return parsed as T;
  }
}
