// Job routes (spec 4.1–4.4, 4.6, 4.7): submit, details, status, cancel, list, statuses.
import type { FastifyInstance } from "fastify";
import {
  JOB_STATUS_NAMES,
  jobToJson,
  parseBooleanParam,
  parseEpochSecondsParam,
  parseJobStatusList,
  parsePageQuery,
  parseTagsFilter,
  statusToJson,
  validateSubmit,
} from "../core/index.ts";
import type { JobFilter } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, bodyOf, callerOf, param, queryRecord, queryString } from "./http.ts";
import { loadJob, pageEnvelope } from "./route-helpers.ts";
import { checkCancel } from "./auth/index.ts";
import { JOB_ROUTES } from "./route-schemas.ts";

const P = API_PREFIX;

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
  const tags = parseTagsFilter(queryString(req, "tags"));
  if (tags !== undefined) f.tags = tags;
  const startedAfter = parseEpochSecondsParam("started_after", queryString(req, "started_after"));
  if (startedAfter !== undefined) f.started_after = startedAfter;
  const finishedBefore = parseEpochSecondsParam("finished_before", queryString(req, "finished_before"));
  if (finishedBefore !== undefined) f.finished_before = finishedBefore;
  if (parseBooleanParam("ignore_case", queryString(req, "ignore_case"))) f.ignore_case = true;
  return f;
}

export function registerJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(`${P}/job/statuses`, { schema: JOB_ROUTES.statuses }, async () => JOB_STATUS_NAMES);

  app.post(`${P}/job`, { schema: JOB_ROUTES.submit, config: { identity: true, longRunning: true } }, async (req, reply) => {
    const caller = callerOf(req);
    const input = validateSubmit(bodyOf(req));
    // Made only for a sync job (an async submit has nothing to cancel when its client goes).
    let gone: AbortController | undefined;
    const onClose = () => {
      if (!reply.raw.writableFinished) gone?.abort();
    };
    const clientGone = () => {
      if (gone) return gone.signal;
      gone = new AbortController();
      // A client gone before the signal was asked for: aborted at once.
      if (reply.raw.destroyed && !reply.raw.writableFinished) gone.abort();
      else reply.raw.once("close", onClose);
      return gone.signal;
    };
    try {
      const outcome = await deps.engine.submit(input, caller, clientGone, req.identity.groups);
      return jobToJson(outcome.job, outcome.result);
    } finally {
      if (gone) reply.raw.off("close", onClose);
    }
  });

  app.get(`${P}/job/:id`, { schema: JOB_ROUTES.get }, async (req) => {
    return jobToJson(await loadJob(deps, param(req, "id")));
  });

  app.get(`${P}/job/:id/status`, { schema: JOB_ROUTES.status }, async (req) => statusToJson(await loadJob(deps, param(req, "id"))));

  app.post(`${P}/job/:id/cancel`, { schema: JOB_ROUTES.cancel, config: { identity: true } }, async (req) => {
    const caller = callerOf(req);
    const id = param(req, "id");
    if ((deps.config.auth?.job_cancel ?? "anyone") === "owner") {
      // A job's user never changes, so checking before the cancel is not racy.
      checkCancel(deps.config.auth, req.identity, (await loadJob(deps, id)).user, id);
    }
    await deps.engine.cancel(id, caller);
    return { status: "CANCELING" };
  });

  app.get(`${P}/jobs`, { schema: JOB_ROUTES.list }, async (req) => {
    const filter = jobFilter(req);
    const page = parsePageQuery(queryRecord(req));
    return pageEnvelope(await deps.store.listJobs(filter, page), (j) => jobToJson(j));
  });
}
