// The Fastify `schema` of every route: operationId, tag, summary, parameters and responses. Declared once on each
// route; @fastify/swagger builds the OpenAPI document from them and response schemas drive serialization. Request
// parts are documentation only: validation stays in core's validators (exact messages of the spec), see app.ts.
import { Type } from "./json-schema.ts";
import type { Schema as TSchema } from "./json-schema.ts";
import type { FastifySchema } from "fastify";
import { ref } from "./wire-schemas.ts";

type Tag = "jobs" | "job files" | "ecs tasks" | "commands" | "clusters" | "health" | "meta";

interface Operation {
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  /** Path parameters, in order. */
  params?: Record<string, string>;
  query?: Record<string, TSchema>;
  headers?: Record<string, TSchema>;
  body?: TSchema;
  /** 2xx answers: a schema (JSON) or a non-JSON content description. */
  ok: Record<string, unknown>;
  /** Error status → description (body: Error). */
  errors?: Record<string, string>;
}

const json = (schema: TSchema, description = "OK") => ({ ...schema, description });
const text = (description: string, type = "text/plain") => ({ description, content: { [type]: { schema: { type: "string" } } } });
const statusNames = (example: string[]) => Type.Array(Type.String(), { description: "Status names, sorted", example });

function operation(o: Operation): FastifySchema {
  const s: Record<string, unknown> = { operationId: o.operationId, tags: [o.tag], summary: o.summary };
  if (o.description) s["description"] = o.description;
  if (o.params) {
    s["params"] = Type.Object(Object.fromEntries(Object.entries(o.params).map(([k, d]) => [k, Type.String({ description: d })])));
  }
  if (o.query) s["querystring"] = Type.Object(o.query);
  if (o.headers) s["headers"] = Type.Object(o.headers);
  if (o.body) s["body"] = o.body;
  const response: Record<string, unknown> = { ...o.ok };
  for (const [code, description] of Object.entries(o.errors ?? {})) response[code] = { ...ref("Error"), description };
  s["response"] = response;
  return s as FastifySchema;
}

const q = (description: string) => Type.Optional(Type.String({ description }));
const qInt = (description: string) => Type.Optional(Type.Integer({ description }));
const qBool = (description: string) => Type.Optional(Type.Boolean({ description }));
const patterns = (...names: string[]) => ({
  ...Object.fromEntries(names.map((n) => [n, q(`Pattern on ${n} (% any sequence, _ one character)`)])),
  ignore_case: qBool("true: the patterns match ignoring case (no index; default false)"),
});
const page = {
  limit: qInt("Page size (1–101, default 101)"),
  order_by: Type.Optional(
    Type.Unsafe({ type: "string", enum: ["id", "created_at", "updated_at"], description: "Default: insertion order" }),
  ),
  direction: Type.Optional(Type.Unsafe({ type: "string", enum: ["asc", "desc"], description: "Default desc" })),
  cursor: q("next_cursor of the previous page"),
};
const ID = { id: "Object id" };
const WRITE_ERRORS = { "400": "Validation error", "401": "No identity, or invalid credentials", "413": "Body too large" };
const REGISTRY_FORBIDDEN = { "403": "Not allowed (auth.registry_write: admins)" };
const statusBody = Type.Object({ status: Type.Optional(Type.Unsafe({ type: "string", enum: ["ACTIVE", "INACTIVE", "DELETED"] })) });

export const JOB_ROUTES = {
  statuses: operation({
    operationId: "listJobStatuses",
    tag: "jobs",
    summary: "Job status names",
    ok: { "200": json(statusNames(["ACCEPTED", "CANCELED"])) },
  }),
  submit: operation({
    operationId: "submitJob",
    tag: "jobs",
    summary: "Submit a job",
    description: "Async jobs are stored as NEW and answered at once; sync jobs run inside the request and answer with their result.",
    body: ref("SubmitJob"),
    ok: { "200": json(ref("Job"), "Stored job (async) or finished job with result (sync)") },
    errors: {
      ...WRITE_ERRORS,
      "403": "Caller not allowed",
      "404": "No command-cluster pair",
      "409": "Sync job canceled",
      "500": "Internal error",
      "502": "Sync job failed",
      "503": "Shutting down",
    },
  }),
  get: operation({
    operationId: "getJob",
    tag: "jobs",
    summary: "Job details",
    params: ID,
    ok: { "200": json(ref("Job")) },
    errors: { "404": "Unknown job" },
  }),
  status: operation({
    operationId: "getJobStatus",
    tag: "jobs",
    summary: "Job status",
    params: ID,
    ok: { "200": json(ref("Status")) },
    errors: { "404": "Unknown job" },
  }),
  cancel: operation({
    operationId: "cancelJob",
    tag: "jobs",
    summary: "Cancel a job",
    params: ID,
    ok: { "200": json(Type.Object({ status: Type.String({ example: "CANCELING" }) })) },
    errors: {
      "401": "No identity, or invalid credentials",
      "403": "Not the job's owner or an admin (auth.job_cancel: owner)",
      "404": "Unknown job",
      "409": "Already final",
    },
  }),
  list: operation({
    operationId: "listJobs",
    tag: "jobs",
    summary: "List jobs",
    query: {
      ...patterns("username", "id", "name", "version", "command", "cluster"),
      status: q("Comma list of statuses (e.g. RUNNING,FAILED)"),
      tags: q("Comma list of tags (AND)"),
      started_after: qInt("started_at >= value (epoch seconds)"),
      finished_before: qInt("finished_at < value (epoch seconds)"),
      ...page,
    },
    ok: { "200": json(ref("JobList")) },
    errors: { "400": "Bad cursor, status, started_after or finished_before" },
  }),
};

export const FILE_ROUTE = operation({
  operationId: "getJobFile",
  tag: "job files",
  summary: "Job stdout, stderr or result (streamed; ?offset= and Range)",
  params: { id: "Job id", file: "stdout | stderr | result" },
  query: { offset: qInt("Start byte; negative = from the end") },
  headers: { range: Type.Optional(Type.String({ description: "bytes=start-end" })) },
  ok: { "200": text("File content"), "206": text("Partial content") },
  errors: { "404": "Unknown job or file", "416": "Range not satisfiable" },
});

export const TASK_ROUTES = {
  timeline: operation({
    operationId: "getJobTasks",
    tag: "ecs tasks",
    summary: "Task timeline of a job (ECS)",
    params: ID,
    ok: { "200": json(ref("TaskTimeline")) },
    errors: { "404": "Unknown job or no timeline" },
  }),
  taskLogs: operation({
    operationId: "getTaskLogs",
    tag: "ecs tasks",
    summary: "Logs of one task attempt (ECS)",
    params: { id: "Job id", slot: "Task slot" },
    query: { attempt: qInt("Attempt number (default: the latest)"), follow: qBool("true = keep streaming") },
    ok: { "200": text("Log lines") },
    errors: { "400": "Bad slot/attempt", "404": "Unknown job or no timeline" },
  }),
  jobLogs: operation({
    operationId: "getJobLogs",
    tag: "ecs tasks",
    summary: "Log lines of every task attempt of an ECS job (newline-delimited JSON; follow until final)",
    description:
      'One JSON object per line: {"slot","attempt","container","timestamp" (ms),"message","cursor"}; while following {"heartbeat":true} ' +
      'every 15 s without output; last {"end":true,"status"} when the job is final and all logs are read, or without follow ' +
      '{"end":false,"status","cursor"}. A stream that ends without an end line (server shutdown) is resumed with the last cursor.',
    params: ID,
    query: {
      follow: qBool("true = keep streaming until the job is final"),
      cursor: q("Resume right after the line that carried it"),
      slot: qInt("Only this task slot"),
    },
    ok: { "200": text("NDJSON stream", "application/x-ndjson") },
    errors: { "400": "Not an ECS job, or bad follow/cursor/slot", "404": "Unknown job" },
  }),
};

/** The six routes of commands and of clusters. */
export function registryRoutes(noun: "command" | "cluster") {
  const Noun = noun === "command" ? "Command" : "Cluster";
  const tag: Tag = noun === "command" ? "commands" : "clusters";
  const unknown = { "404": `Unknown ${noun}` };
  const filters =
    noun === "command" ? patterns("username", "id", "name", "version", "plugin") : patterns("username", "id", "name", "version");
  return {
    statuses: operation({
      operationId: `list${Noun}Statuses`,
      tag,
      summary: `${Noun} status names`,
      ok: { "200": json(statusNames(["ACTIVE", "DELETED", "INACTIVE"])) },
    }),
    list: operation({
      operationId: `list${Noun}s`,
      tag,
      summary: `List ${noun}s`,
      query: { ...filters, status: q("Comma list of statuses"), ...page },
      ok: { "200": json(ref(`${Noun}List`)) },
      errors: { "400": "Bad cursor or status" },
    }),
    get: operation({
      operationId: `get${Noun}`,
      tag,
      summary: `${Noun} details`,
      params: ID,
      ok: { "200": json(ref(Noun)) },
      errors: unknown,
    }),
    put: operation({
      operationId: `put${Noun}`,
      tag,
      summary: `Create or replace a ${noun}`,
      params: ID,
      body: ref(`${Noun}Body`),
      ok: { "200": json(ref(Noun)) },
      errors: { ...WRITE_ERRORS, ...REGISTRY_FORBIDDEN },
    }),
    status: operation({
      operationId: `get${Noun}Status`,
      tag,
      summary: `${Noun} status`,
      params: ID,
      ok: { "200": json(ref("Status")) },
      errors: unknown,
    }),
    setStatus: operation({
      operationId: `set${Noun}Status`,
      tag,
      summary: `Change ${noun} status`,
      params: ID,
      query: {
        status: Type.Optional(
          Type.Unsafe({ type: "string", enum: ["ACTIVE", "INACTIVE", "DELETED"], description: "New status (wins over the body)" }),
        ),
      },
      body: statusBody,
      ok: { "200": json(ref("Status")) },
      errors: { ...WRITE_ERRORS, ...REGISTRY_FORBIDDEN, ...unknown },
    }),
  };
}

export const STATS_ROUTE = operation({
  operationId: "getStats",
  tag: "jobs",
  summary: "Overview of the jobs since a time: counts by status, finished per hour, running ECS tasks, slowest and failed jobs",
  query: { since: qInt("Epoch seconds (default now - 86400; at most 90 days ago)") },
  ok: { "200": json(ref("Stats")) },
  errors: { "400": "Bad since" },
});

export const HEALTH_ROUTES = {
  clusters: operation({
    operationId: "getClustersHealth",
    tag: "health",
    summary: "Health of all opted-in clusters",
    ok: { "200": json(ref("HealthReport")), "503": json(ref("HealthReport"), "Unhealthy") },
  }),
  cluster: operation({
    operationId: "getClusterHealth",
    tag: "health",
    summary: "Health of one cluster",
    params: ID,
    ok: { "200": json(ref("HealthReport")) },
    errors: { "404": "Unknown cluster or not probeable" },
  }),
  instance: operation({
    operationId: "getHealth",
    tag: "health",
    summary: "Instance liveness",
    ok: { "200": json(ref("InstanceHealth")), "503": json(ref("InstanceHealth"), "Unhealthy or draining") },
  }),
  metrics: operation({
    operationId: "getMetrics",
    tag: "meta",
    summary: "Prometheus metrics",
    ok: { "200": text("Prometheus text format") },
  }),
  openapi: operation({
    operationId: "getOpenApiDocument",
    tag: "meta",
    summary: "This document (OpenAPI 3.0)",
    ok: { "200": { description: "OK", content: { "application/json": { schema: { type: "object", additionalProperties: true } } } } },
  }),
};
