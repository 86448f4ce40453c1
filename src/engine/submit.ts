// Submit (spec 4.1, 9.6) and cancel (4.4, 9.7).
import type { Job, SubmitInput } from "../core/index.ts";
import { HeimdallError, errorMessage, finalTags, newJobId, routeJob } from "../core/index.ts";
import type { NewJob } from "../store/index.ts";
import type { SubmitOutcome } from "./contract.ts";
import { abortExecution, newExecution, type EngineCore } from "./core.ts";
import { runJob, type RunOutcome } from "./runner.ts";

export interface SubmitHooks {
  draining(): boolean;
  /** Local wake-up of the worker pool after an async insert. */
  wakePool(): void;
}

export async function submitJob(
  core: EngineCore,
  hooks: SubmitHooks,
  input: SubmitInput,
  caller: string,
  clientGone: AbortSignal,
  groups: readonly string[] = [],
): Promise<SubmitOutcome> {
  const id = newJobId();
  let snap;
  try {
    snap = await core.registry.snapshot();
  } catch (err) {
    core.metrics?.databaseError("registry");
    throw new HeimdallError("INTERNAL", `internal error: ${errorMessage(err)}`, { jobId: id, cause: err });
  }
  let route;
  try {
    route = routeJob(snap, input.command_criteria, input.cluster_criteria, caller, Math.random, groups);
  } catch (err) {
    if (err instanceof HeimdallError) {
      core.metrics?.routingFailure(err.code === "FORBIDDEN" ? "not_allowed" : "no_pair");
      throw err.withJobId(id);
    }
    throw err;
  }
  const { command, cluster } = route;
  const handler = await core.handlers.get(command).catch(() => undefined);
  if (handler?.validateJobContext) {
    try {
      handler.validateJobContext(input.context, cluster);
    } catch (err) {
      core.metrics?.routingFailure("invalid_context");
      throw new HeimdallError("BAD_REQUEST", errorMessage(err), { jobId: id });
    }
  }
  const sync = command.is_sync;
  if (sync && hooks.draining()) throw new HeimdallError("UNAVAILABLE", "server is shutting down", { jobId: id });
  const job: NewJob = {
    id,
    name: input.name,
    version: input.version,
    user: caller,
    description: input.description,
    tags: finalTags(input.tags, id, input.name, input.version),
    ...(input.context === undefined ? {} : { context: input.context }),
    status: sync ? "RUNNING" : "NEW",
    is_sync: sync,
    store_result_sync: input.store_result_sync,
    error: "",
    command_criteria: input.command_criteria ?? [],
    cluster_criteria: input.cluster_criteria ?? [],
    command_id: command.id,
    command_name: command.name,
    cluster_id: cluster.id,
    cluster_name: cluster.name,
    canceled_by: "",
    job_attributes: {},
  };
  if (!sync) {
    const stored = await insert(core, job);
    core.metrics?.jobSubmitted(command.id, cluster.id, "async");
    hooks.wakePool();
    core.store.notifyJobsAvailable().catch((err: unknown) => core.log.warn({ err }, "jobs-available notification failed"));
    return { job: stored };
  }
  // Sync (T2): registered before the insert, so a cancel on this instance always finds the execution.
  job.owner = core.name;
  const placeholder = { ...job, created_at: 0, updated_at: 0 } as Job;
  const exec = newExecution(placeholder, true, false, "pending");
  core.executions.set(id, exec);
  let stored: Job;
  try {
    stored = await insert(core, job);
  } catch (err) {
    core.executions.delete(id);
    throw err;
  }
  exec.job = stored;
  exec.since = performance.now();
  exec.phase = "claimed";
  core.metrics?.jobSubmitted(command.id, cluster.id, "sync");
  const onGone = () => {
    // T9 without canceled_by, then abort the plugin.
    core.store
      .cancelJob(id, undefined)
      .then((o) => {
        if (o.kind === "canceling") abortExecution(exec, "cancel");
      })
      .catch((err: unknown) => core.log.error({ err, job: id }, "cancel after client disconnect failed"));
  };
  if (clientGone.aborted) onGone();
  else clientGone.addEventListener("abort", onGone, { once: true });
  let outcome: RunOutcome;
  try {
    outcome = await runJob(core, exec);
  } finally {
    clientGone.removeEventListener("abort", onGone);
  }
  return syncResponse(core, id, outcome);
}

async function insert(core: EngineCore, job: NewJob): Promise<Job> {
  try {
    return await core.store.insertJob(job);
  } catch (err) {
    core.metrics?.databaseError("insert_job");
    throw new HeimdallError("INTERNAL", `internal error: ${errorMessage(err)}`, { jobId: job.id, cause: err });
  }
}

/** Maps a sync job's final status to the response of 9.6. */
async function syncResponse(core: EngineCore, id: string, outcome: RunOutcome): Promise<SubmitOutcome> {
  const job = await core.store.getJob(id);
  if (!job) throw new HeimdallError("INTERNAL", "internal error: job disappeared", { jobId: id });
  switch (job.status) {
    case "SUCCEEDED":
      return outcome.status === "SUCCEEDED" && outcome.result !== undefined ? { job, result: outcome.result } : { job };
    case "FAILED": {
      const setup = outcome.status === "FAILED" ? outcome.setup : true;
      throw new HeimdallError(setup ? "INTERNAL" : "JOB_FAILED", job.error, { jobId: id });
    }
    case "CANCELED":
      throw new HeimdallError("CONFLICT", job.canceled_by ? `job was canceled by ${job.canceled_by}` : "job was canceled", { jobId: id });
    case "KILLED":
      throw new HeimdallError("UNAVAILABLE", "server is shutting down", { jobId: id });
    default:
      throw new HeimdallError("INTERNAL", `internal error: job ended in status ${job.status}`, { jobId: id });
  }
}

/** T9 and owner signalling (9.7). */
export async function cancelJob(core: EngineCore, jobId: string, caller: string): Promise<void> {
  const o = await core.store.cancelJob(jobId, caller);
  if (o.kind === "unknown") throw new HeimdallError("NOT_FOUND", "unknown job_id");
  if (o.kind === "final") throw new HeimdallError("CONFLICT", `job is already in a final state: ${o.status}`);
  const exec = core.executions.get(jobId);
  if (o.owner === core.name && exec) abortExecution(exec, "cancel", caller);
  else if (o.owner === null) core.wakeJanitor();
}
