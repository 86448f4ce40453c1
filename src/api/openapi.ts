// OpenAPI 3 description of the REST API (served at /api/v1/openapi.json). Hand-written operation table;
// openApiDocument() checks it against the routes actually registered, so a new route without docs is visible.

import { REGISTRY_STATUSES } from "../core/index.ts";

type Obj = Record<string, unknown>;
const ref = (name: string): Obj => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Obj, description = "OK"): Obj => ({ description, content: { "application/json": { schema } } });
const err = (description: string): Obj => json(ref("Error"), description);
const text = (description: string): Obj => ({ description, content: { "text/plain": { schema: { type: "string" } } } });
const pathParam = (name: string, description: string): Obj => ({ name, in: "path", required: true, schema: { type: "string" }, description });
const query = (name: string, description: string, type = "string"): Obj => ({ name, in: "query", required: false, schema: { type }, description });
const identity: Obj = { name: "X-Heimdall-User", in: "header", required: true, schema: { type: "string", maxLength: 64 }, description: "Caller identity (header name is configurable)" };
const page = [
  query("limit", "Page size (1–101, default 101)", "integer"),
  query("order_by", "id | created_at | updated_at (default: insertion order)"),
  query("direction", "asc | desc (default desc)"),
  query("cursor", "next_cursor of the previous page"),
];
const patterns = (...names: string[]) => [
  ...names.map((n) => query(n, `Pattern on ${n} (% any sequence, _ one character)`)),
  query("ignore_case", "true: the patterns match ignoring case (no index; default false)", "boolean"),
];
const statusBody: Obj = { type: "object", properties: { status: { type: "string", enum: [...REGISTRY_STATUSES] } } };
const statusOut = json({ type: "object", properties: { updated_at: { type: "integer" }, status: { type: "string" }, error: { type: "string" } } });
const writeErrors = { "400": err("Validation error"), "401": err("No identity, or invalid credentials"), "413": err("Body too large") };
const forbidden = { "403": err("Not allowed (auth.registry_write: admins)") };
const id = pathParam("id", "Object id");

/** Operation per "METHOD template". */
export const OPERATIONS: Record<string, Obj> = {
  "GET /api/v1/job/statuses": { summary: "Job status names", responses: { "200": json({ type: "array", items: { type: "string" } }) } },
  "POST /api/v1/job": {
    summary: "Submit a job",
    parameters: [identity],
    requestBody: { content: { "application/json": { schema: ref("SubmitJob") } } },
    responses: {
      "200": json(ref("Job"), "Stored job (async) or finished job with result (sync)"),
      ...writeErrors,
      "403": err("Caller not allowed"),
      "404": err("No command-cluster pair"),
      "409": err("Sync job canceled"),
      "500": err("Internal error"),
      "502": err("Sync job failed"),
      "503": err("Shutting down"),
    },
  },
  "GET /api/v1/job/{id}": { summary: "Job details", parameters: [id], responses: { "200": json(ref("Job")), "404": err("Unknown job") } },
  "GET /api/v1/job/{id}/status": { summary: "Job status", parameters: [id], responses: { "200": statusOut, "404": err("Unknown job") } },
  "POST /api/v1/job/{id}/cancel": {
    summary: "Cancel a job",
    parameters: [id, identity],
    responses: {
      "200": json({ type: "object", properties: { status: { type: "string" } } }),
      "401": err("No identity, or invalid credentials"),
      "403": err("Not the job's owner or an admin (auth.job_cancel: owner)"),
      "404": err("Unknown job"),
      "409": err("Already final"),
    },
  },
  "GET /api/v1/job/{id}/{file}": {
    summary: "Job stdout, stderr or result (streamed; ?offset= and Range)",
    parameters: [id, pathParam("file", "stdout | stderr | result"), query("offset", "Start byte; negative = from the end", "integer"), { name: "Range", in: "header", schema: { type: "string" } }],
    responses: { "200": text("File content"), "206": text("Partial content"), "404": err("Unknown job or file"), "416": err("Range not satisfiable") },
  },
  "GET /api/v1/job/{id}/tasks": { summary: "Task timeline of a job (ECS)", parameters: [id], responses: { "200": json({ type: "object" }), "404": err("Unknown job or no timeline") } },
  "GET /api/v1/job/{id}/tasks/{slot}/logs": {
    summary: "Logs of one task attempt (ECS)",
    parameters: [id, pathParam("slot", "Task slot"), query("attempt", "Attempt number", "integer"), query("follow", "true = keep streaming", "boolean")],
    responses: { "200": text("Log lines"), "400": err("Bad slot/attempt"), "404": err("Unknown job or no timeline") },
  },
  "GET /api/v1/job/{id}/logs": {
    summary: "Log lines of every task attempt of an ECS job (newline-delimited JSON; follow until final)",
    description:
      'One JSON object per line: {"slot","attempt","container","timestamp" (ms),"message","cursor"}; while following {"heartbeat":true} ' +
      'every 15 s without output; last {"end":true,"status"} when the job is final and all logs are read, or without follow ' +
      '{"end":false,"status","cursor"}. A stream that ends without an end line (server shutdown) is resumed with the last cursor.',
    parameters: [id, query("follow", "true = keep streaming until the job is final", "boolean"), query("cursor", "Resume right after the line that carried it"), query("slot", "Only this task slot", "integer")],
    responses: {
      "200": { description: "NDJSON stream", content: { "application/x-ndjson": { schema: { type: "string" } } } },
      "400": err("Not an ECS job, or bad follow/cursor/slot"),
      "404": err("Unknown job"),
    },
  },
  "GET /api/v1/jobs": {
    summary: "List jobs",
    parameters: [...patterns("username", "id", "name", "version", "command", "cluster"), query("status", "Comma list of statuses"), query("tags", "Comma list of tags (AND)"),
      query("started_after", "started_at >= value (epoch seconds)", "integer"), query("finished_before", "finished_at < value (epoch seconds)", "integer"), ...page],
    responses: { "200": json(ref("JobList")), "400": err("Bad cursor, status, started_after or finished_before") },
  },
  "GET /api/v1/stats": {
    summary: "Overview of the jobs since a time: counts by status, finished per hour, running ECS tasks, slowest and failed jobs",
    parameters: [query("since", "Epoch seconds (default now - 86400; at most 90 days ago)", "integer")],
    responses: { "200": json(ref("Stats")), "400": err("Bad since") },
  },
  "GET /api/v1/command/statuses": { summary: "Command status names", responses: { "200": json({ type: "array", items: { type: "string" } }) } },
  "GET /api/v1/commands": {
    summary: "List commands",
    parameters: [...patterns("username", "id", "name", "version", "plugin"), query("status", "Comma list of statuses"), ...page],
    responses: { "200": json(ref("CommandList")), "400": err("Bad cursor or status") },
  },
  "GET /api/v1/command/{id}": { summary: "Command details", parameters: [id], responses: { "200": json(ref("Command")), "404": err("Unknown command") } },
  "PUT /api/v1/command/{id}": {
    summary: "Create or replace a command",
    parameters: [id, identity],
    requestBody: { content: { "application/json": { schema: ref("Command") } } },
    responses: { "200": json(ref("Command")), ...writeErrors, ...forbidden },
  },
  "GET /api/v1/command/{id}/status": { summary: "Command status", parameters: [id], responses: { "200": statusOut, "404": err("Unknown command") } },
  "PUT /api/v1/command/{id}/status": {
    summary: "Change command status",
    parameters: [id, identity, query("status", "New status (wins over the body)")],
    requestBody: { content: { "application/json": { schema: statusBody } } },
    responses: { "200": statusOut, ...writeErrors, ...forbidden, "404": err("Unknown command") },
  },
  "GET /api/v1/cluster/statuses": { summary: "Cluster status names", responses: { "200": json({ type: "array", items: { type: "string" } }) } },
  "GET /api/v1/clusters": {
    summary: "List clusters",
    parameters: [...patterns("username", "id", "name", "version"), query("status", "Comma list of statuses"), ...page],
    responses: { "200": json(ref("ClusterList")), "400": err("Bad cursor or status") },
  },
  "GET /api/v1/cluster/{id}": { summary: "Cluster details", parameters: [id], responses: { "200": json(ref("Cluster")), "404": err("Unknown cluster") } },
  "PUT /api/v1/cluster/{id}": {
    summary: "Create or replace a cluster",
    parameters: [id, identity],
    requestBody: { content: { "application/json": { schema: ref("Cluster") } } },
    responses: { "200": json(ref("Cluster")), ...writeErrors, ...forbidden },
  },
  "GET /api/v1/cluster/{id}/status": { summary: "Cluster status", parameters: [id], responses: { "200": statusOut, "404": err("Unknown cluster") } },
  "PUT /api/v1/cluster/{id}/status": {
    summary: "Change cluster status",
    parameters: [id, identity, query("status", "New status (wins over the body)")],
    requestBody: { content: { "application/json": { schema: statusBody } } },
    responses: { "200": statusOut, ...writeErrors, ...forbidden, "404": err("Unknown cluster") },
  },
  "GET /api/v1/clusters/health": { summary: "Health of all opted-in clusters", responses: { "200": json(ref("HealthReport")), "503": json(ref("HealthReport"), "Unhealthy") } },
  "GET /api/v1/cluster/{id}/health": { summary: "Health of one cluster", parameters: [id], responses: { "200": json(ref("HealthReport")), "404": err("Unknown cluster or not probeable") } },
  "GET /api/v1/health": { summary: "Instance liveness", responses: { "200": json({ type: "object" }), "503": json({ type: "object" }, "Unhealthy or draining") } },
  "GET /api/v1/openapi.json": { summary: "This document", responses: { "200": json({ type: "object" }) } },
  "GET /metrics": { summary: "Prometheus metrics", responses: { "200": text("Prometheus text format") } },
};

const str = { type: "string" };
const int = { type: "integer" };
const tagSet = { type: "array", items: str };
const attributes = { type: "object", additionalProperties: { type: "object", properties: { kind: { type: "string", enum: ["link", "text"] }, value: str } } };
const base = { id: str, name: str, version: str, user: str, description: str, tags: tagSet, context: { type: "object", nullable: true }, created_at: { type: "integer" }, updated_at: { type: "integer" } };
const listOf = (item: string): Obj => ({ type: "object", required: ["data"], properties: { data: { type: "array", items: ref(item) }, has_more: { type: "boolean" }, next_cursor: str } });

const SCHEMAS: Obj = {
  Error: { type: "object", required: ["error"], properties: { error: str, id: str } },
  SubmitJob: {
    type: "object",
    properties: { name: str, version: str, description: str, tags: tagSet, context: { type: "object", nullable: true }, command_criteria: tagSet, cluster_criteria: tagSet, store_result_sync: { type: "boolean" } },
  },
  Result: { type: "object", properties: { columns: { type: "array", items: { type: "object", properties: { name: str, type: str } } }, data: { type: "array", items: { type: "array", items: {} } } } },
  Job: {
    type: "object",
    properties: {
      ...base,
      status: str,
      is_sync: { type: "boolean" },
      store_result_sync: { type: "boolean" },
      error: str,
      command_criteria: tagSet,
      cluster_criteria: tagSet,
      command_id: str,
      command_name: str,
      cluster_id: str,
      cluster_name: str,
      canceled_by: str,
      job_attributes: attributes,
      started_at: { type: "integer", nullable: true, description: "Epoch seconds of the first transition to RUNNING; null until then" },
      finished_at: { type: "integer", nullable: true, description: "Epoch seconds of the transition to a final status; null until then" },
      progress: ref("JobProgress"),
      result: ref("Result"),
    },
  },
  Command: { type: "object", properties: { ...base, status: str, plugin: str, is_sync: { type: "boolean" }, cluster_tags: tagSet, allowed_callers: tagSet } },
  Cluster: { type: "object", properties: { ...base, status: str, health_check: { type: "boolean" }, attributes } },
  JobProgress: {
    type: "object",
    description: "Task summary of a multi-task (ECS) job; omitted when none",
    properties: { tasks: int, succeeded: int, running: int, retrying: int, failed: int, pending: int },
  },
  Stats: {
    type: "object",
    required: ["since", "until", "counts", "finished_per_hour", "running_ecs_tasks", "slowest", "recent_failures"],
    properties: {
      since: int,
      until: int,
      counts: { type: "object", description: "Jobs created since `since`, by status (every status, 0 when none)", additionalProperties: int },
      finished_per_hour: { type: "array", description: "Every hour from the hour of `since` to now, zeros included", items: { type: "object", properties: { hour: int, succeeded: int, failed: int, canceled: int } } },
      running_ecs_tasks: { ...int, description: "Sum of progress.running over RUNNING jobs" },
      slowest: { type: "array", description: "Top 5 by finished_at - started_at among jobs finished since `since`", items: { type: "object", properties: { id: str, name: str, status: str, started_at: int, finished_at: int, duration: int } } },
      recent_failures: { type: "array", description: "The 5 latest FAILED jobs finished since `since`", items: { type: "object", properties: { id: str, name: str, error: str, finished_at: int } } },
    },
  },
  JobList: listOf("Job"),
  CommandList: listOf("Command"),
  ClusterList: listOf("Cluster"),
  HealthReport: { type: "object", properties: { healthy: { type: "boolean" }, checks: { type: "array", items: { type: "object" } } } },
};

/** The identity providers as security schemes; the configured one is the document's `security`. */
const SECURITY_SCHEMES: Record<string, Obj> = {
  auth_header: { type: "apiKey", in: "header", name: "X-Heimdall-User", description: "Identity header set by an authenticating proxy (auth_header; the header name is configurable)" },
  jwt: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "OIDC/JWT access token verified against the configured JWKS (auth.plugin jwt)" },
  aws_alb: { type: "apiKey", in: "header", name: "x-amzn-oidc-data", description: "Set by an AWS Application Load Balancer with OIDC authentication (auth.plugin aws_alb)" },
};

export function openApiDocument(version: string, routes: { method: string; template: string }[], authPlugin?: string): Obj {
  const paths: Record<string, Obj> = {};
  for (const r of routes) {
    const op = OPERATIONS[`${r.method} ${r.template}`] ?? { summary: `${r.method} ${r.template}`, responses: { "200": { description: "OK" } } };
    const entry = (paths[r.template] ??= {});
    entry[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.0.3",
    info: { title: "Heimdall", version, description: "Job orchestration service: REST API (spec heimdall-api.md)." },
    paths,
    components: { schemas: SCHEMAS, securitySchemes: SECURITY_SCHEMES },
    // GETs also work anonymously (`{}`); POST/PUT need the configured scheme.
    ...(authPlugin !== undefined && SECURITY_SCHEMES[authPlugin] ? { security: [{ [authPlugin]: [] }, {}] } : {}),
  };
}
