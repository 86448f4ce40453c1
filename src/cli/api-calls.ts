// Typed REST calls of the CLI: paths, parameters, bodies and answers come from the types generated from the
// server's OpenAPI document (api-types.gen.ts, `npm run gen:client`), so a route or schema change that breaks the
// CLI fails the typecheck. The transport stays ApiClient.request (node:http, no fetch at start-up).
import type { ApiClient } from "./client.ts";
import type { components, paths } from "./api-types.gen.ts";

type Schemas = components["schemas"];
export type Job = Schemas["Job"];
export type JobList = Schemas["JobList"];
export type JobStatus = Schemas["Status"];
export type SubmitJob = Schemas["SubmitJob"];
export type TaskTimeline = Schemas["TaskTimeline"];

type Method = "get" | "post" | "put";
/** Paths of the document below /api/v1 that answer `method`. */
type PathWith<M extends Method> = { [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never }[keyof paths];
type Operation<P extends keyof paths, M extends Method> = paths[P][M];
type JsonOk<O> = O extends { responses: { 200: { content: { "application/json": infer T } } } } ? T : never;
type PathParams<O> = O extends { parameters: { path: infer X } } ? X : Record<string, never>;
type QueryParams<O> = O extends { parameters: { query?: infer X } }
  ? [X] extends [never]
    ? Record<string, never>
    : X
  : Record<string, never>;
type JsonBody<O> = O extends { requestBody?: { content: { "application/json": infer X } } } ? X : never;

export interface CallInit<O> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: JsonBody<O>;
  timeoutMs?: number;
}

const PREFIX = "/api/v1";

/** `/api/v1/job/{id}` with `{id}` filled in (URL-encoded), relative to the API prefix as ApiClient.request wants it. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  const filled = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`path parameter ${name} missing for ${template}`);
    return encodeURIComponent(String(v));
  });
  return filled.startsWith(PREFIX) ? filled.slice(PREFIX.length) : filled;
}

/** One JSON call of the document: `call(api, "get", "/api/v1/job/{id}", { path: { id } })` answers a Job. */
export async function call<M extends Method, P extends PathWith<M>>(
  api: ApiClient,
  method: M,
  template: P,
  init: CallInit<Operation<P, M>> = {},
): Promise<JsonOk<Operation<P, M>>> {
  const query = init.query as Record<string, string | number | undefined> | undefined;
  return api.request<JsonOk<Operation<P, M>>>(method.toUpperCase(), fillPath(template, init.path as Record<string, string> | undefined), {
    ...(query ? { query } : {}),
    ...(init.body !== undefined ? { body: init.body } : {}),
    ...(init.timeoutMs !== undefined ? { timeoutMs: init.timeoutMs } : {}),
  });
}

/** The job calls of the CLI. */
export const jobApi = {
  submit: (api: ApiClient, body: SubmitJob, timeoutMs?: number): Promise<Job> =>
    call(api, "post", "/api/v1/job", { body, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }),
  get: (api: ApiClient, id: string): Promise<Job> => call(api, "get", "/api/v1/job/{id}", { path: { id } }),
  status: (api: ApiClient, id: string): Promise<JobStatus> => call(api, "get", "/api/v1/job/{id}/status", { path: { id } }),
  cancel: (api: ApiClient, id: string): Promise<{ status: string }> => call(api, "post", "/api/v1/job/{id}/cancel", { path: { id } }),
  list: (api: ApiClient, query: QueryParams<Operation<"/api/v1/jobs", "get">>): Promise<JobList> =>
    call(api, "get", "/api/v1/jobs", { query }),
  tasks: (api: ApiClient, id: string): Promise<TaskTimeline> => call(api, "get", "/api/v1/job/{id}/tasks", { path: { id } }),
};
