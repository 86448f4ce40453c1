// Submit (spec 4.1, 9.6) and cancel (4.4, 9.7): routing and validation here; the status changes (enqueue,
// submitSync, requestCancel) are the job lifecycle's.
import type { Cluster, Command, SubmitInput } from "../core/index.ts";
import { HeimdallError, errorMessage, finalTags, newJobId, routeJob } from "../core/index.ts";
import type { NewJob } from "../store/index.ts";
import type { ClientGone, SubmitOutcome } from "./contract.ts";
import type { EngineState } from "./engine-state.ts";
import type { Execution } from "./lifecycle/index.ts";
import type { RegistrySnapshot } from "./registry.ts";
import { runJob, type RunOutcome } from "./runner.ts";

export interface SubmitHooks {
  draining(): boolean;
  /** Local wake-up of the worker pool after an async insert. */
  wakePool(): void;
}

export async function submitJob(
  state: EngineState,
  hooks: SubmitHooks,
  input: SubmitInput,
  caller: string,
  clientGone: ClientGone,
  groups: readonly string[] = [],
): Promise<SubmitOutcome> {
  const id = newJobId();
  // The cached registry serves without a read: the insert is guarded by its revision (a registry write anywhere
  // since makes the insert store nothing), and a routing failure is confirmed against the current registry.
  let snap = state.registry.cached() ?? (await readSnapshot(state, id));
  for (let attempt = 1; ; attempt++) {
    let routed: Routed;
    try {
      routed = await routeAndValidate(state, snap, input, caller, groups, id);
    } catch (err) {
      const fresh = await readSnapshot(state, id);
      if (fresh.revision === snap.revision || attempt >= MAX_ROUTE_ATTEMPTS) throw err;
      snap = fresh;
      continue;
    }
    const { command, cluster } = routed;
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
      registryRevision: snap.revision,
    };
    try {
      if (!sync) {
        const stored = await insert(state, id, () => state.lifecycle.enqueue(job));
        state.metrics?.jobSubmitted(command.id, cluster.id, "async");
        hooks.wakePool();
        state.store.notifyJobsAvailable().catch((err: unknown) => state.log.warn({ err }, "jobs-available notification failed"));
        return { job: stored };
      }
      return await runSync(
        state,
        id,
        command,
        cluster,
        typeof clientGone === "function" ? clientGone() : clientGone,
        await insert(state, id, () => state.lifecycle.submitSync({ ...job, owner: state.name })),
      );
    } catch (err) {
      if (!(err instanceof RegistryChanged) || attempt >= MAX_ROUTE_ATTEMPTS) throw unwrap(err);
      snap = await readSnapshot(state, id);
    }
  }
}

/** Routings tried when the registry changes under a submit (each retry reads the registry first). */
const MAX_ROUTE_ATTEMPTS = 5;

interface Routed {
  command: Command;
  cluster: Cluster;
}

/** The registry as stored now; a failure is a 500 naming the job id. */
async function readSnapshot(state: EngineState, id: string): Promise<RegistrySnapshot> {
  try {
    return await state.registry.snapshot();
  } catch (err) {
    state.metrics?.databaseError("registry");
    throw new HeimdallError("INTERNAL", `internal error: ${errorMessage(err)}`, { jobId: id, cause: err });
  }
}

/** routeJob, then the plugin's validateJobContext (400); the errors carry the job id. */
async function routeAndValidate(
  state: EngineState,
  snap: RegistrySnapshot,
  input: SubmitInput,
  caller: string,
  groups: readonly string[],
  id: string,
): Promise<Routed> {
  let route;
  try {
    route = routeJob(snap, input.command_criteria, input.cluster_criteria, caller, Math.random, groups);
  } catch (err) {
    if (err instanceof HeimdallError) {
      state.metrics?.routingFailure(err.code === "FORBIDDEN" ? "not_allowed" : "no_pair");
      throw err.withJobId(id);
    }
    throw err;
  }
  const { command, cluster } = route;
  const handler = await state.handlers.get(command).catch(() => undefined);
  if (handler?.validateJobContext) {
    try {
      handler.validateJobContext(input.context, cluster);
    } catch (err) {
      state.metrics?.routingFailure("invalid_context");
      throw new HeimdallError("BAD_REQUEST", errorMessage(err), { jobId: id });
    }
  }
  return { command, cluster };
}

/** The store refused the insert: the registry changed since the job was routed (the submit routes again). */
class RegistryChanged extends Error {}

function unwrap(err: unknown): unknown {
  return err instanceof RegistryChanged ? err.cause : err;
}

/** A sync job stored RUNNING and owned here: run it inside the request (a client that goes away cancels it). */
async function runSync(
  state: EngineState,
  id: string,
  command: Command,
  cluster: Cluster,
  clientGone: AbortSignal,
  exec: Execution,
): Promise<SubmitOutcome> {
  // submitSync (above): the execution was registered before the insert, so a cancel on this instance always finds it.
  state.metrics?.jobSubmitted(command.id, cluster.id, "sync");
  const onGone = () => {
    // requestCancel without canceled_by, then abort the plugin.
    state.lifecycle
      .requestCancel(id, undefined)
      .then((o) => {
        if (o.kind === "canceling") state.lifecycle.abort(exec, "cancel");
      })
      .catch((err: unknown) => state.log.error({ err, job_id: id }, "cancel after client disconnect failed"));
  };
  if (clientGone.aborted) onGone();
  else clientGone.addEventListener("abort", onGone, { once: true });
  let outcome: RunOutcome;
  try {
    outcome = await runJob(state, exec);
  } finally {
    clientGone.removeEventListener("abort", onGone);
  }
  return syncResponse(state, id, outcome);
}

/** The insert of a new job; a database failure is a 500 naming the job id. */
async function insert<T>(state: EngineState, jobId: string, insertJob: () => Promise<T>): Promise<T> {
  try {
    return await insertJob();
  } catch (err) {
    if (err instanceof HeimdallError && err.code === "CONFLICT") throw new RegistryChanged("registry changed", { cause: err });
    state.metrics?.databaseError("insert_job");
    throw new HeimdallError("INTERNAL", `internal error: ${errorMessage(err)}`, { jobId, cause: err });
  }
}

/** Maps a sync job's final status to the response of 9.6. */
async function syncResponse(state: EngineState, id: string, outcome: RunOutcome): Promise<SubmitOutcome> {
  const job = await state.store.getJob(id);
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

/** requestCancel and owner signalling (9.7). */
export async function cancelJob(state: EngineState, jobId: string, caller: string): Promise<void> {
  const o = await state.lifecycle.requestCancel(jobId, caller);
  if (o.kind === "unknown") throw new HeimdallError("NOT_FOUND", "unknown job_id");
  if (o.kind === "final") throw new HeimdallError("CONFLICT", `job is already in a final state: ${o.status}`);
  const exec = state.executions.get(jobId);
  if (o.owner === state.name && exec) state.lifecycle.abort(exec, "cancel", caller);
  else if (o.owner === null) state.wakeJanitor();
}
