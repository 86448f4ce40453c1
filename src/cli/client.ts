// REST client used by the CLI subcommands (global fetch).

export const DEFAULT_SERVER = "http://127.0.0.1:9090";
const USER_HEADER = "X-Heimdall-User";

export interface ClientOptions {
  server?: string;
  user?: string;
  json?: boolean;
}

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
  constructor(opts: ClientOptions) {
    this.base = (opts.server || process.env["HEIMDALL_URL"] || DEFAULT_SERVER).replace(/\/+$/, "");
    this.user = opts.user || process.env["HEIMDALL_USER"] || undefined;
  }

  url(path: string, query?: Record<string, string | number | undefined>): string {
    const u = new URL(`${this.base}/api/v1${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Raw request; throws CliError when the server cannot be reached. */
  async raw(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.user) h[USER_HEADER] = this.user;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h["Content-Type"] = "application/json";
    }
    try {
      return await fetch(url, { method, headers: h, body: payload });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, 2);
    }
  }

  /** JSON request; a non-2xx answer becomes a CliError with the server's `error` message. */
  async request<T = unknown>(method: string, path: string, opts: { query?: Record<string, string | number | undefined>; body?: unknown } = {}): Promise<T> {
    const res = await this.raw(method, this.url(path, opts.query), opts.body);
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
      throw new CliError(`${msg}${id} [HTTP ${res.status}]`);
    }
    return parsed as T;
  }
}
