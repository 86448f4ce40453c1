// AWS access: SDK clients created once per (endpoint, region), a shared rate limiter, per-call timeout, and
// retries with jittered exponential backoff for throttling / 5xx / network errors, honouring cancellation.
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { ClusterSettings } from "./cluster.ts";
import { RateLimiter } from "./ratelimit.ts";
import type { ApiCategory } from "./ratelimit.ts";
import { abortableSleep, abortError, backoffMs, linkedSignal } from "./sleep.ts";
import { awsSdkLoaded, ecsSdk, loadAwsSdk, logsSdk } from "./sdk.ts";
import { ecsStats } from "./stats.ts";

export const CALL_TIMEOUT_MS = 20_000;
/** Requests in flight per endpoint (all jobs together); more wait their turn, keeping sockets and memory bounded. */
export const MAX_IN_FLIGHT = 64;
const MAX_ATTEMPTS = 6;

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "LimitExceededException",
  "SlowDown",
]);
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
]);

interface AwsErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

/** Throttling: a throttling error name, HTTP 429, or "Rate exceeded" wrapped in another error (e.g. InvalidParameterException). */
export function isThrottling(err: unknown): boolean {
  const e = err as AwsErrorLike;
  if (e === null || typeof e !== "object") return false;
  if (e.name !== undefined && THROTTLING.has(e.name)) return true;
  if (e.$metadata?.httpStatusCode === 429) return true;
  return /rate exceeded/i.test(e.message ?? "");
}

/** Retryable: throttling, 5xx / server faults, timeouts and network errors. */
export function isRetryable(err: unknown): boolean {
  if (isThrottling(err)) return true;
  const e = err as AwsErrorLike;
  if (e === null || typeof e !== "object") return false;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (e.$fault === "server") return true;
  if (["ServerException", "ServiceUnavailableException", "InternalFailure", "TimeoutError", "RequestTimeout"].includes(e.name ?? ""))
    return true;
  return e.code !== undefined && TRANSIENT_CODES.has(e.code);
}

function envEndpoint(service: "ECS" | "CLOUDWATCH_LOGS"): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL;
}

function isLoopback(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    const h = new URL(url).hostname;
    return h === "localhost" || h === "127.0.0.1" || h === "[::1]" || h === "::1";
  } catch {
    return false;
  }
}

export class Endpoint {
  private ecsClient: ECSClient | undefined;
  readonly limiter: RateLimiter;
  /** Calls sent per action (attempts included), for tests and benchmarks. */
  readonly calls = new Map<string, number>();
  private readonly logsClients = new Map<string, CloudWatchLogsClient>();
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    readonly key: string,
    readonly region: string,
    private readonly explicitEndpoint: string | undefined,
    rateLimitScale: number,
  ) {
    this.limiter = new RateLimiter(rateLimitScale);
  }

  /** The ECS client, created on first use (the SDK is loaded by `call` before its callback runs). */
  get ecs(): ECSClient {
    this.ecsClient ??= new (ecsSdk().ECSClient)(
      this.clientConfig(this.region, this.explicitEndpoint, this.explicitEndpoint ?? envEndpoint("ECS")),
    );
    return this.ecsClient;
  }

  private clientConfig(region: string, explicit: string | undefined, effective: string | undefined) {
    const hasEnvCreds = process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined;
    return {
      region,
      ...(explicit !== undefined ? { endpoint: explicit } : {}),
      // A loopback endpoint is the local ECS: any credentials work, and the default chain would probe IMDS.
      ...(isLoopback(effective) && !hasEnvCreds ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
      maxAttempts: 1, // retries are ours: rate-limited, jittered, abortable
      requestHandler: { requestTimeout: CALL_TIMEOUT_MS, connectionTimeout: 5_000 },
    };
  }

  /** CloudWatch Logs client for a region (awslogs-region of a container, default the cluster's); inside `call` only. */
  logs(region: string | undefined): CloudWatchLogsClient {
    const r = region ?? this.region;
    let c = this.logsClients.get(r);
    if (c === undefined) {
      const url = this.explicitEndpoint ?? envEndpoint("CLOUDWATCH_LOGS");
      c = new (logsSdk().CloudWatchLogsClient)(this.clientConfig(r, this.explicitEndpoint, url));
      this.logsClients.set(r, c);
    }
    return c;
  }

  /**
   * One API call with limiter, per-attempt timeout and retries. `fn` receives the abort signal to pass to
   * `client.send`; the AWS SDK is loaded before it first runs. Rejects with the last error, or with the abort
   * reason when `signal` aborts.
   */
  async call<T>(
    category: ApiCategory,
    action: string,
    signal: AbortSignal,
    fn: (abortSignal: AbortSignal) => Promise<T>,
    opts: { attempts?: number; timeoutMs?: number } = {},
  ): Promise<T> {
    const attempts = opts.attempts ?? MAX_ATTEMPTS;
    const timeoutMs = opts.timeoutMs ?? CALL_TIMEOUT_MS;
    if (!awsSdkLoaded()) await loadAwsSdk();
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw abortError(signal);
      await this.limiter.take(category, signal);
      this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
      await this.acquire(signal);
      const linked = linkedSignal(signal, timeoutMs);
      let released = false;
      try {
        const res = await fn(linked.signal);
        ecsStats.awsCall(action, "ok");
        return res;
      } catch (err) {
        this.release();
        released = true;
        if (signal.aborted) throw abortError(signal);
        ecsStats.awsCall(action, isThrottling(err) ? "throttled" : "error");
        const timedOut = linked.timedOut();
        if (timedOut && attempt + 1 >= attempts) throw callTimeout(action, timeoutMs, attempts);
        if ((!timedOut && !isRetryable(err)) || attempt + 1 >= attempts) throw err;
        const throttled = isThrottling(err);
        await abortableSleep(backoffMs(attempt, throttled ? 500 : 100, throttled ? 10_000 : 5_000, throttled ? 100 : 0), signal);
      } finally {
        if (!released) this.release();
        linked.dispose();
      }
    }
  }

  private async acquire(signal: AbortSignal): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(signal));
      };
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  /** Hands the slot to the next waiter (inFlight unchanged) or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.inFlight--;
  }

  destroy(): void {
    this.ecsClient?.destroy();
    for (const c of this.logsClients.values()) c.destroy();
  }
}

/** The error of a call whose every attempt timed out: a retryable TimeoutError naming the action (the SDK's is an AbortError). */
function callTimeout(action: string, timeoutMs: number, attempts: number): Error {
  return Object.assign(new Error(`${action} timed out after ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? "" : "s"})`), {
    name: "TimeoutError",
  });
}

const endpoints = new Map<string, Endpoint>();

/** The shared endpoint for a cluster's (endpoint, region): created once, reused by every job. */
export function endpointFor(cluster: Pick<ClusterSettings, "endpoint" | "region" | "rateLimitScale">): Endpoint {
  const key = `${cluster.endpoint ?? `env:${envEndpoint("ECS") ?? "aws"}`}|${cluster.region}`;
  let ep = endpoints.get(key);
  if (ep === undefined) {
    ep = new Endpoint(key, cluster.region, cluster.endpoint, cluster.rateLimitScale);
    endpoints.set(key, ep);
  }
  return ep;
}

/** A short message for an AWS error: `Name: message`. */
export function awsMessage(err: unknown): string {
  const e = err as AwsErrorLike;
  if (e !== null && typeof e === "object" && typeof e.message === "string") {
    return e.name !== undefined && e.name !== "Error" && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
  }
  return String(err);
}
