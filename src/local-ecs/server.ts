// HTTP front: AWS JSON 1.1 on POST / (X-Amz-Target) plus the /_local/* admin API.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { handleEcs } from "./ecs/ops.ts";
import type { TaskDeps } from "./ecs/tasks.ts";
import { type FaultEngine, FaultRuleError, parseFaultRule } from "./faults.ts";
import { handleLogs } from "./logs/ops.ts";
import type { LogStore } from "./logs/store.ts";
import { AwsError, type Json, regionFromAuthorization } from "./protocol.ts";
import { type LocalEcsSettings, SettingsError, parsePacing, parseThrottling } from "./settings.ts";
import type { Throttler } from "./throttle.ts";

const ECS_PREFIX = "AmazonEC2ContainerServiceV20141113.";
const LOGS_PREFIX = "Logs_20140328.";
const MAX_BODY = 8 * 1_048_576;

export interface Stats {
  calls: Record<string, number>;
  throttled: Record<string, number>;
  errors: Record<string, number>;
}

export interface ServerDeps {
  settings: LocalEcsSettings;
  tasks: TaskDeps;
  logs: LogStore;
  faults: FaultEngine;
  throttler: Throttler;
  stats: Stats;
  extraStats: () => Json;
  /** Task metadata / credentials routes (metadata.ts); true when it answered. */
  metadata?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** A call that may have changed clusters, task definitions, tags or log groups succeeded. */
  onMutation?: (action: string) => void;
}

const READ_OR_TASK = /^(Describe|List|Get|Filter|RunTask$|StopTask$|PutLogEvents$)/;

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new AwsError("SerializationException", "Request body too large.", 413));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks, n)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/x-amz-json-1.1"): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(data), "x-amzn-requestid": randomUUID() });
  res.end(data);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(deps, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { __type: "InternalFailure", message: (e as Error).message });
    });
  };
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  if (url.startsWith("/_local/")) return admin(deps, req, res, url);
  if (req.method === "GET" && /^\/v[234]\//.test(url) && deps.metadata?.(req, res)) return;
  if (req.method !== "POST") return send(res, 404, { __type: "UnknownOperationException", message: "Use POST with X-Amz-Target." });
  let raw: Buffer;
  try {
    raw = await readBody(req);
  } catch (e) {
    const err = e as AwsError;
    return send(res, err.status ?? 400, { __type: err.code ?? "SerializationException", message: err.message });
  }
  const target = String(req.headers["x-amz-target"] ?? "");
  const service = target.startsWith(ECS_PREFIX) ? "ecs" : target.startsWith(LOGS_PREFIX) ? "logs" : undefined;
  const action =
    service === "ecs" ? target.slice(ECS_PREFIX.length) : service === "logs" ? target.slice(LOGS_PREFIX.length) : target || "(none)";
  bump(deps.stats.calls, action);
  const region = regionFromAuthorization(req.headers.authorization, deps.settings.region);
  try {
    if (!service) throw new AwsError("UnknownOperationException", "");
    let body: Json;
    try {
      const parsed: unknown = raw.length ? JSON.parse(raw.toString("utf8")) : {};
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      body = parsed as Json;
    } catch {
      throw new AwsError("SerializationException", "Start of structure or map found where not expected.");
    }
    const fctx = {
      action,
      startedBy: typeof body.startedBy === "string" ? body.startedBy : undefined,
      cluster: typeof body.cluster === "string" ? body.cluster : undefined,
    };
    const lat = deps.faults.take("latency", fctx);
    if (lat) await sleep(lat.latencyMs);
    if (deps.faults.take("throttle", fctx) || !deps.throttler.allow(action)) {
      bump(deps.stats.throttled, action);
      throw new AwsError("ThrottlingException", "Rate exceeded");
    }
    const se = deps.faults.take("serverError", fctx);
    if (se)
      throw service === "ecs"
        ? new AwsError("ServerException", se.reason ?? "Service Unavailable. Please try again later.", 500)
        : new AwsError("ServiceUnavailableException", se.reason ?? "The service cannot complete the request.", 500);
    const out =
      service === "ecs"
        ? handleEcs(deps.tasks, action, body, { region, accountId: deps.settings.accountId, now: Date.now() })
        : handleLogs(deps.logs, action, body, { region, accountId: deps.settings.accountId });
    send(res, 200, out);
    if (!READ_OR_TASK.test(action)) deps.onMutation?.(action);
  } catch (e) {
    if (e instanceof AwsError) {
      bump(deps.stats.errors, e.code);
      return send(res, e.status, { __type: e.code, message: e.message, ...(e.extra ?? {}) });
    }
    bump(deps.stats.errors, "ServerException");
    send(res, 500, { __type: service === "logs" ? "ServiceUnavailableException" : "ServerException", message: (e as Error).message });
  }
}

async function admin(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
  const path = url.split("?")[0]!;
  const json = async (): Promise<unknown> => {
    const raw = (await readBody(req)).toString("utf8");
    return raw.trim() ? JSON.parse(raw) : {};
  };
  const ok = (b: unknown): void => send(res, 200, b, "application/json");
  const bad = (m: string, status = 400): void => send(res, status, { error: m }, "application/json");
  try {
    const m = req.method ?? "GET";
    if (path === "/_local/health" && m === "GET") return ok({ status: "ok" });
    if (path === "/_local/stats" && m === "GET") return ok({ ...deps.stats, ...deps.extraStats() });
    if (path === "/_local/stats/reset" && m === "POST") {
      for (const k of ["calls", "throttled", "errors"] as const) deps.stats[k] = {};
      return ok({});
    }
    if (path === "/_local/faults" && m === "GET") return ok({ faults: deps.faults.rules });
    if (path === "/_local/faults" && m === "POST") {
      const body = await json();
      const raws = Array.isArray(body) ? body : Array.isArray((body as Json).faults) ? ((body as Json).faults as unknown[]) : [body];
      const rules = raws.map((r, i) => parseFaultRule(r, raws.length > 1 ? `faults[${i}]` : "fault"));
      return ok({ faults: rules.map((r) => deps.faults.add(r)) });
    }
    if (path === "/_local/faults" && m === "DELETE") {
      deps.faults.clear();
      return ok({});
    }
    if (path.startsWith("/_local/faults/") && m === "DELETE") {
      const id = decodeURIComponent(path.slice("/_local/faults/".length));
      return deps.faults.remove(id) ? ok({}) : bad(`no fault rule with id ${id}`, 404);
    }
    if (path === "/_local/throttle" && m === "GET") return ok({ enabled: deps.throttler.enabled, buckets: deps.throttler.specs() });
    if (path === "/_local/throttle" && m === "POST") {
      const next = parseThrottling(await json(), { enabled: deps.throttler.enabled, buckets: deps.throttler.specs() });
      deps.throttler.enabled = next.enabled;
      deps.throttler.configure(next.buckets);
      deps.settings.throttling = next;
      return ok({ enabled: next.enabled, buckets: deps.throttler.specs() });
    }
    if (path === "/_local/pacing" && m === "POST") {
      const body = (await json()) as Json;
      deps.settings.pacing = parsePacing(body.pacing ?? body, deps.settings.pacing);
      return ok({ pacing: deps.settings.pacing });
    }
    return bad(`no admin route ${m} ${path}`, 404);
  } catch (e) {
    if (e instanceof FaultRuleError || e instanceof SettingsError || e instanceof SyntaxError) return bad(e.message);
    throw e;
  }
}
