// Executes one job (spec 9.4): resolve, start, prepare, execute, wait, outcome, flush, finalize.
// The same procedure serves async jobs (pool workers) and sync jobs (inside the submit request).
import { chmod, mkdir, rm } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import type { Cluster, Command, Job, Result } from "../core/index.ts";
import { jobTemplateData, renderAttributes } from "../core/index.ts";
import type { AbortReason, Handler, Runtime } from "../plugins/index.ts";
import { dbErrorClass, type Transition } from "../store/index.ts";
import { runCleanup } from "./cleanup.ts";
import type { EngineCore, Execution } from "./core.ts";
import { retryDb } from "./db-retry.ts";
import { JobOutputStream } from "./output.ts";
import { jobError, sleep, whenAborted } from "./util.ts";

export const KILLED_ERROR = "killed: server shutting down";

export type RunOutcome =
  | { status: "SUCCEEDED"; result: Result | undefined }
  | { status: "FAILED"; error: string; setup: boolean }
  | { status: "CANCELED" }
  | { status: "KILLED" }
  /** Nothing written to the job by this runner: handed back, lost, or the claim was taken. */
  | { status: "DROPPED"; reason: string };

interface Resolved {
  command: Command | undefined;
  cluster: Cluster | undefined;
  handler: Handler | undefined;
}

class SetupError extends Error {}

/** A job-path write failed for longer than the retry window (or for good): the runner gives the job up. */
class GaveUp extends Error {}

export function workingDirectory(core: EngineCore, jobId: string): string {
  return join(resolvePath(core.config.jobs_directory), jobId);
}

/** Runs the job of `exec`; never throws (a worker never dies with its job). */
export async function runJob(core: EngineCore, exec: Execution): Promise<RunOutcome> {
  try {
    const outcome = await run(core, exec);
    if (outcome.status === "DROPPED" && exec.counted) core.metrics?.jobLeft(exec.job.command_id, exec.job.cluster_id);
    return outcome;
  } catch (err) {
    if (exec.counted) core.metrics?.jobLeft(exec.job.command_id, exec.job.cluster_id);
    if (err instanceof GaveUp) {
      // The execution leaves core.executions below: the heartbeat stops refreshing its claim, so the claim goes
      // stale and a janitor (another instance's, or ours) recovers the job.
      core.log.error({ err: err.cause, job: exec.job.id }, "database unreachable; job given up for a janitor to recover");
      return { status: "DROPPED", reason: "database" };
    }
    core.log.error({ err, job: exec.job.id }, "job runner failed unexpectedly");
    return { status: "DROPPED", reason: `internal error: ${jobError(err)}` };
  } finally {
    if (core.executions.get(exec.job.id) === exec) core.executions.delete(exec.job.id);
  }
}

async function run(core: EngineCore, exec: Execution): Promise<RunOutcome> {
  const { job } = exec;
  const r: Resolved = { command: undefined, cluster: undefined, handler: undefined };
  // 1. Resolve.
  try {
    // A registry read failing because the database is unreachable is retried like a job-path write.
    const snap = await write(core, exec, () => core.registry.snapshot(), "registry");
    r.command = snap.commandById.get(job.command_id);
    r.cluster = snap.clusterById.get(job.cluster_id);
    if (!r.command) throw new SetupError(`unknown command: ${job.command_id}`);
    if (!r.cluster) throw new SetupError(`unknown cluster: ${job.cluster_id}`);
    const plugin = core.handlers.plugin(r.command.plugin);
    if (!plugin) throw new SetupError(`unknown plugin: ${r.command.plugin}`);
    exec.resumable = plugin.resumable === true;
    if (exec.resumed && !exec.resumable) {
      throw new SetupError(`cannot resume job: plugin ${plugin.name} is not resumable`);
    }
    r.handler = await core.handlers.get(r.command);
  } catch (err) {
    return setupFailure(core, exec, r, jobError(err));
  }
  const command = r.command;
  const cluster = r.cluster;
  // 2. Start (T4) — async jobs that are not resumed.
  const startedAt = Date.now();
  if (!exec.sync && !exec.resumed) {
    const ok = await tx(core, exec, { id: job.id, from: ["ACCEPTED"], to: "RUNNING", owner: core.name, error: "", markStarted: true });
    if (!ok) return afterCasFailure(core, exec, r, false);
  }
  exec.phase = "started";
  // 3. Prepare the runtime.
  const dir = workingDirectory(core, job.id);
  let stdout: JobOutputStream | undefined;
  let stderr: JobOutputStream | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const base = {
      store: core.store,
      jobId: job.id,
      maxBytes: core.config.job_files.max_bytes,
      log: core.log,
      metrics: core.metrics,
      retryWindowMs: core.dbRetryMs,
      stop: () => isLost(exec),
      onFailure: (err: unknown) => {
        if (dbErrorClass(err) !== undefined) core.dbTrouble.note();
      },
    };
    stdout = await JobOutputStream.open({ ...base, file: "stdout" }, exec.resumed);
    stderr = await JobOutputStream.open({ ...base, file: "stderr" }, exec.resumed);
  } catch (err) {
    await removeDir(core, dir);
    return setupFailure(core, exec, r, `cannot prepare job runtime: ${jobError(err)}`);
  }
  if (exec.sync) {
    const ok = await tx(core, exec, { id: job.id, from: ["RUNNING"], to: "RUNNING", owner: core.name, markStarted: true }).catch(
      async (err: unknown) => {
        await closeStreams(stdout, stderr);
        await removeDir(core, dir);
        throw err;
      },
    );
    if (!ok) {
      await closeStreams(stdout, stderr);
      await removeDir(core, dir);
      return afterCasFailure(core, exec, r, false);
    }
  }
  exec.counted = true;
  core.metrics?.jobStarted(command.id, cluster.id, exec.sync || exec.resumed ? undefined : Math.max(0, Date.now() / 1000 - job.created_at));
  // 4. Execute.
  let result: Result | undefined;
  const outputs: Record<string, string> = {};
  const rt: Runtime = {
    workingDirectory: dir,
    version: core.version,
    userAgent: `heimdall/${core.version}`,
    resumed: exec.resumed,
    stdout,
    stderr,
    storedOutput: { stdout: stdout.storedAtOpen, stderr: stderr.storedAtOpen },
    setResult(res) {
      result = res;
    },
    setOutput(key, value) {
      outputs[key] = String(value);
    },
  };
  const signal = exec.controller.signal;
  type Settled = { ok: true } | { ok: false; err: unknown };
  const handler = r.handler!;
  const execution: Promise<Settled> = signal.aborted
    ? Promise.resolve({ ok: false, err: new Error("aborted before execute") })
    : Promise.resolve()
        .then(() => handler.execute(signal, rt, job, cluster))
        .then(
          (): Settled => ({ ok: true }),
          (err: unknown): Settled => ({ ok: false, err }),
        )
        .then((s) => {
          exec.phase = "settled";
          return s;
        });
  // 5. Wait.
  let settled: Settled | undefined = await Promise.race([execution, whenAborted(signal).then(() => undefined)]);
  const abort = signal.aborted ? (signal.reason as AbortReason) : undefined;
  exec.phase = "settled";
  if (abort && settled === undefined) {
    const stopWaiting = new AbortController();
    settled = await Promise.race([execution, sleep(core.abortWaitMs, stopWaiting.signal).then(() => undefined)]);
    stopWaiting.abort();
    if (settled === undefined) core.log.warn({ job: job.id, reason: abort.kind }, "plugin did not settle after abort; continuing");
  }
  // 6. Outcome.
  let outcome: RunOutcome;
  let attributes: Job["job_attributes"] = {};
  if (!abort) {
    const rendered = renderAttributes(cluster.attributes, jobTemplateData(job, command, cluster, outputs));
    for (const e of rendered.errors) core.log.info({ job: job.id, label: e.label, err: e.message }, "job attribute not rendered");
    attributes = rendered.rendered;
    outcome = settled?.ok ? { status: "SUCCEEDED", result } : { status: "FAILED", error: jobError(settled?.err), setup: false };
    // A result set by a plugin that then failed is stored too (the ECS attempt table of a failed job, issue 8).
    if (result !== undefined) {
      try {
        const json = JSON.stringify(result);
        await write(core, exec, () => core.store.putResult(job.id, json));
      } catch (err) {
        if (outcome.status === "SUCCEEDED") outcome = { status: "FAILED", error: jobError(`cannot store result: ${jobError(err)}`), setup: true };
        else core.log.warn({ err, job: job.id }, "cannot store the result of a failed job");
      }
    }
  } else if (abort.kind === "cancel") {
    await runCleanup(core, command.plugin, handler, job.id, cluster);
    outcome = { status: "CANCELED" };
  } else if (abort.kind === "shutdown") {
    await runCleanup(core, command.plugin, handler, job.id, cluster);
    outcome = { status: "KILLED" };
  } else {
    outcome = { status: "DROPPED", reason: abort.kind };
  }
  // 7. Flush and clean up.
  // The working directory goes while the output is stored (independent; a leftover is removed at the next start).
  await Promise.all([closeStreams(stdout, stderr), removeDir(core, dir)]);
  // Output the database could not take (retries given up): the job must not claim to have succeeded with it.
  const lost = [stdout, stderr].filter((s) => s.droppedBytes > 0);
  if (outcome.status === "SUCCEEDED" && lost.length > 0) {
    const what = lost.map((s) => `${s.droppedBytes} bytes of ${s === stdout ? "stdout" : "stderr"}`).join(", ");
    outcome = { status: "FAILED", error: jobError(`cannot store job output (${what} lost): ${lost[0]?.lastError ?? ""}`), setup: false };
  }
  // 8. Finalize.
  const runSeconds = (Date.now() - startedAt) / 1000;
  const finished = (status: string) => core.metrics?.jobFinished(command.id, cluster.id, status, runSeconds);
  switch (outcome.status) {
    case "SUCCEEDED":
    case "FAILED": {
      const t: Transition = { id: job.id, from: ["RUNNING"], to: outcome.status, owner: core.name, removeClaim: true, jobAttributes: attributes };
      if (outcome.status === "FAILED") t.error = outcome.error;
      if (await tx(core, exec, t)) {
        finished(outcome.status);
        return outcome;
      }
      return afterCasFailure(core, exec, r, false, runSeconds);
    }
    case "KILLED":
      if (await tx(core, exec, { id: job.id, from: ["RUNNING"], to: "KILLED", owner: core.name, error: KILLED_ERROR, removeClaim: true })) {
        finished("KILLED");
        return outcome;
      }
      return afterCasFailure(core, exec, r, true, runSeconds);
    case "CANCELED":
      return finishCancel(core, exec, r, runSeconds);
    case "DROPPED":
      if (outcome.reason === "handback") {
        const ok = await write(core, exec, () => core.store.handBack(job.id, core.name)).catch((err: unknown) => {
          core.log.error({ err, job: job.id }, "hand-back failed");
          return false;
        });
        core.log.info({ job: job.id, ok }, "job handed back");
      }
      return outcome;
  }
}

/** The claim was taken from this instance (or the engine stopped): writes for the job stop retrying. */
function isLost(exec: Execution): boolean {
  return exec.controller.signal.aborted && (exec.controller.signal.reason as AbortReason | undefined)?.kind === "lost";
}

/** A job-path write, retried while the database is unreachable (db-retry.ts); throws the last error. */
function write<T>(core: EngineCore, exec: Execution, fn: () => Promise<T>, op = "write"): Promise<T> {
  let warned = false;
  return retryDb(fn, {
    windowMs: core.dbRetryMs,
    stop: () => isLost(exec),
    onFailure(err, cls) {
      if (cls !== undefined) core.dbTrouble.note();
      core.metrics?.databaseError(op);
      if (!warned && cls !== undefined) core.log.warn({ err, job: exec.job.id, op }, "database write failed; retrying");
      warned = true;
    },
  });
}

/**
 * A compare-and-set transition, retried while the database is unreachable. When a try may have committed (the
 * connection was lost), a later "no match" is checked against the job: already in the target state (with our
 * error) counts as done. Throws GaveUp when the database stays unreachable; other errors count as "no match".
 */
async function tx(core: EngineCore, exec: Execution, t: Transition): Promise<boolean> {
  let uncertain = false;
  try {
    const ok = await write(core, exec, async () => {
      try {
        return await core.store.transition(t);
      } catch (err) {
        if (dbErrorClass(err) === "unavailable") uncertain = true;
        throw err;
      }
    }, "transition");
    if (ok || !uncertain) return ok;
    const current = await write(core, exec, () => core.store.getJob(t.id), "getJob");
    return current?.status === t.to && (t.error === undefined || current.error === t.error);
  } catch (err) {
    if (dbErrorClass(err) !== undefined) throw new GaveUp(`store transition to ${t.to}: ${jobError(err)}`, { cause: err });
    core.log.error({ err, job: t.id, to: t.to }, "job transition failed");
    return false;
  }
}

/** T12: setup failure, or the cancel path when the job was canceled meanwhile. */
async function setupFailure(core: EngineCore, exec: Execution, r: Resolved, error: string): Promise<RunOutcome> {
  exec.phase = "settled";
  const ok = await tx(core, exec, { id: exec.job.id, from: ["ACCEPTED", "RUNNING"], to: "FAILED", owner: core.name, error, removeClaim: true });
  if (ok) {
    core.metrics?.jobFinished(exec.job.command_id, exec.job.cluster_id, "FAILED", 0);
    return { status: "FAILED", error, setup: true };
  }
  return afterCasFailure(core, exec, r, false);
}

/** A compare-and-set failed: CANCELING → the cancel path (6b); otherwise the job is no longer ours. */
async function afterCasFailure(core: EngineCore, exec: Execution, r: Resolved, cleanedUp: boolean, runSeconds = 0): Promise<RunOutcome> {
  exec.phase = "settled";
  const current = await write(core, exec, () => core.store.getJob(exec.job.id), "getJob").catch((err: unknown) => {
    if (dbErrorClass(err) !== undefined) throw new GaveUp(`store getJob: ${jobError(err)}`, { cause: err });
    return undefined;
  });
  if (current?.status === "CANCELING") {
    if (!cleanedUp) await runCleanup(core, r.command?.plugin ?? "", r.handler, exec.job.id, r.cluster);
    return finishCancel(core, exec, r, runSeconds);
  }
  core.log.info({ job: exec.job.id, status: current?.status }, "job no longer ours; dropped");
  return { status: "DROPPED", reason: "taken" };
}

/** T9 for a disconnected sync client (no canceled_by), then T10. */
async function finishCancel(core: EngineCore, exec: Execution, r: Resolved, runSeconds: number): Promise<RunOutcome> {
  const ok = await tx(core, exec, { id: exec.job.id, from: ["CANCELING"], to: "CANCELED", owner: core.name, removeClaim: true });
  if (!ok) {
    core.log.info({ job: exec.job.id }, "cancel finalization did not match; dropped");
    return { status: "DROPPED", reason: "taken" };
  }
  core.metrics?.jobFinished(r.command?.id ?? exec.job.command_id, r.cluster?.id ?? exec.job.cluster_id, "CANCELED", runSeconds);
  return { status: "CANCELED" };
}

async function closeStreams(...streams: (JobOutputStream | undefined)[]): Promise<void> {
  await Promise.all(streams.map((s) => s?.close()));
}

async function removeDir(core: EngineCore, dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch (err) {
    core.log.warn({ err, dir }, "cannot delete working directory; it is deleted at the next start");
  }
}
