// Job routes (spec 4.1–4.4, 4.6, 4.7): submit, details, status, cancel, list, statuses.
import type { FastifyInstance } from "fastify";
import {
  HeimdallError,
  JOB_STATUSES,
  encodeCursor,
  jobToJson,
  parseEpochSecondsParam,
  parseJobStatusList,
  parsePageQuery,
  validateSubmit,
} from "../core/index.ts";
import type { Job, JobFilter, Page } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, bodyOf, callerOf, param, queryRecord, queryString } from "./http.ts";
import { checkCancel } from "./auth/index.ts";

const P = API_PREFIX;
const SORTED_JOB_STATUSES = [...JOB_STATUSES].sort();

export async function loadJob(deps: ApiDeps, id: string): Promise<Job> {
  const job = await deps.store.getJob(id);
  if (!job) throw new HeimdallError("NOT_FOUND", "unknown job_id");
  return job;
}

export function pageEnvelope<T>(page: Page<T>, toJson: (x: T) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { data: page.data.map(toJson) };
  if (page.next_cursor) {
    out["has_more"] = true;
    out["next_cursor"] = encodeCursor(page.next_cursor);
  }
  return out;
}

function jobFilter(req: Parameters<typeof queryString>[0]): JobFilter {
  const f: JobFilter = {};
  for (const k of ["username", "id", "name", "version", "command", "cluster"] as const) {
    const v = queryString(req, k);
    if (v !== undefined && v !== "") f[k] = v;
  }
  const status = queryString(req, "status");
  if (status !== undefined) {
    const list = parseJobStatusList(status);
    if (list && list.length > 0) f.status = list;
  }
  const tags = queryString(req, "tags");
  if (tags !== undefined) {
    const list = tags
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== "");
    if (list.length > 0) f.tags = list;
  }
  const startedAfter = parseEpochSecondsParam("started_after", queryString(req, "started_after"));
  if (startedAfter !== undefined) f.started_after = startedAfter;
  const finishedBefore = parseEpochSecondsParam("finished_before", queryString(req, "finished_before"));
  if (finishedBefore !== undefined) f.finished_before = finishedBefore;
  return f;
}

export function registerJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(`${P}/job/statuses`, async () => SORTED_JOB_STATUSES);

  app.post(`${P}/job`, { config: { identity: true, longRunning: true } }, async (req, reply) => {
    const caller = callerOf(req);
    const input = validateSubmit(bodyOf(req));
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) gone.abort();
    };
    reply.raw.once("close", onClose);
    try {
      const outcome = await deps.engine.submit(input, caller, gone.signal, req.identity.groups);
      return jobToJson(outcome.job, outcome.result);
    } finally {
      reply.raw.off("close", onClose);
    }
  });

  app.get(`${P}/job/:id`, async (req) => {
    return jobToJson(await loadJob(deps, param(req, "id")));
  });

  app.get(`${P}/job/:id/status`, async (req) => {
    const job = await loadJob(deps, param(req, "id"));
    const out: Record<string, unknown> = { updated_at: job.updated_at, status: job.status };
    if (job.error !== "") out["error"] = job.error;
    return out;
  });

  app.post(`${P}/job/:id/cancel`, { config: { identity: true } }, async (req) => {
    const caller = callerOf(req);
    const id = param(req, "id");
    if ((deps.config.auth?.job_cancel ?? "anyone") === "owner") {
      // A job's user never changes, so checking before the cancel is not racy.
      checkCancel(deps.config.auth, req.identity, (await loadJob(deps, id)).user, id);
    }
    await deps.engine.cancel(id, caller);
    return { status: "CANCELING" };
  });

  app.get(`${P}/jobs`, async (req) => {
    const filter = jobFilter(req);
    const page = parsePageQuery(queryRecord(req));
    return pageEnvelope(await deps.store.listJobs(filter, page), (j) => jobToJson(j));
  });
}
