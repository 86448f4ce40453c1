// Executes one job (spec 9.4): resolve, start, prepare, execute, wait, outcome, flush, finalize — one function
// per step. The same procedure serves async jobs (pool workers) and sync jobs (inside the submit request). Every
// status change goes through the job lifecycle (state.lifecycle), by name.
import { chmod, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Cluster, Command, Job, Result } from "../core/index.ts";
import { jobTemplateData, renderAttributes } from "../core/index.ts";
import type { AbortReason, Handler, PluginModule, Runtime } from "../plugins/index.ts";
import { dbErrorClass } from "../store/index.ts";
import { runCleanup } from "./cleanup.ts";
import type { EngineState } from "./engine-state.ts";
import { GaveUp, isLost, jobError, type Execution, type ResolvedJob } from "./lifecycle/index.ts";
import { JobOutputStream } from "./output.ts";
import { sleep, whenAborted } from "./waits.ts";

export type RunOutcome =
  | { status: "SUCCEEDED"; result: Result | undefined }
  | { status: "FAILED"; error: string; setup: boolean }
  | { status: "CANCELED" }
  | { status: "KILLED" }
  /** Nothing written to the job by this runner: handed back, lost, or the claim was taken. */
  | { status: "DROPPED"; reason: string };

/** A job whose command, cluster, plugin and handler are all known. */
interface Runnable {
  exec: Execution;
  command: Command;
  cluster: Cluster;
  plugin: PluginModule | undefined;
  handler: Handler;
}

/** A prepared runtime: working directory ("" when the plugin needs none) and output streams. */
interface Prepared {
  dir: string;
  stdout: JobOutputStream;
  stderr: JobOutputStream;
}

type Settled = { ok: true } | { ok: false; err: unknown };

/** What execute left behind: how it settled (undefined: did not settle after an abort), the abort, its result. */
interface Executed {
  settled: Settled | undefined;
  abort: AbortReason | undefined;
  result: Result | undefined;
  outputs: Record<string, string>;
}

export function workingDirectory(state: EngineState, jobId: string): string {
  return join(state.options.jobsDirectory, jobId);
}

/** Runs the job of `exec`; never throws (a worker never dies with its job). */
export async function runJob(state: EngineState, exec: Execution): Promise<RunOutcome> {
  try {
    const outcome = await run(state, exec);
    if (outcome.status === "DROPPED" && exec.counted) state.metrics?.jobLeft(exec.job.command_id, exec.job.cluster_id);
    return outcome;
  } catch (err) {
    if (exec.counted) state.metrics?.jobLeft(exec.job.command_id, exec.job.cluster_id);
    if (err instanceof GaveUp) {
      // The execution is released below: the heartbeat stops refreshing its claim, so the claim goes stale and a
      // janitor (another instance's, or ours) recovers the job.
      state.log.error({ err: err.cause, job_id: exec.job.id }, "database unreachable; job given up for a janitor to recover");
      return { status: "DROPPED", reason: "database" };
    }
    state.log.error({ err, job_id: exec.job.id }, "job runner failed unexpectedly");
    return { status: "DROPPED", reason: `internal error: ${jobError(err)}` };
  } finally {
    state.lifecycle.release(exec);
  }
}

async function run(state: EngineState, exec: Execution): Promise<RunOutcome> {
  const resolved = await resolveStep(state, exec);
  if ("status" in resolved) return resolved;
  const job: Runnable = resolved;
  // The working directory is made while `start` is on its way to the database (off the job's critical path).
  const dir = job.plugin?.workingDirectory === false ? undefined : workingDirectory(state, exec.job.id);
  const made = dir === undefined ? undefined : makeDir(dir);
  if (!(await state.lifecycle.start(exec))) {
    if (dir !== undefined) await made?.then(() => removeDir(state, dir));
    return afterCasFailure(state, exec, resolved, false);
  }
  const prepared = await prepareRuntime(state, job, dir, made);
  if ("status" in prepared) return prepared;
  state.lifecycle.executing(exec, job.command, job.cluster, job.plugin);
  const executed = await executeAndWait(state, job, prepared);
  const outcome = await decideOutcome(state, job, executed);
  const final = await flushAndCleanUp(state, job, prepared, outcome.outcome);
  try {
    return await finalize(state, job, final, outcome.attributes, outcome.result);
  } finally {
    // After the final status: nothing reads the directory any more (a leftover goes at the next start).
    if (prepared.dir !== "") await removeDir(state, prepared.dir);
  }
}

/** Creates a job's working directory with mode 0700; resolves with the failure (never rejects). */
async function makeDir(dir: string): Promise<unknown> {
  try {
    try {
      await mkdir(dir, { mode: 0o700 }); // fresh: private (the umask can only take bits away)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST")
        await chmod(dir, 0o700); // a leftover of this job (resumed): make it private again
      else if (code === "ENOENT") {
        await mkdir(dir, { recursive: true, mode: 0o700 }); // jobs_directory itself is missing
        await chmod(dir, 0o700);
      } else throw err;
    }
    return undefined;
  } catch (err) {
    return err ?? new Error("mkdir failed");
  }
}

/** 1. Resolve command, cluster, plugin and handler (a failure is a setup failure). */
async function resolveStep(state: EngineState, exec: Execution): Promise<Runnable | RunOutcome> {
  let r: ResolvedJob;
  try {
    r = await state.lifecycle.resolve(exec);
  } catch (err) {
    return setupFailure(state, exec, {}, jobError(err));
  }
  // Spec 9.4 step 1 order; a resumed job needs a resumable plugin (checked once the plugin is known).
  if (exec.resumed && r.cluster && r.plugin && !r.resumable)
    return setupFailure(state, exec, r, `cannot resume job: plugin ${r.plugin.name} is not resumable`);
  if (r.problem !== undefined) return setupFailure(state, exec, r, jobError(r.problem));
  return { exec, command: r.command!, cluster: r.cluster!, plugin: r.plugin, handler: r.handler! };
}

/**
 * 3. Working directory (`made`: its creation, started before `start`; `dir` undefined: the plugin needs none) and
 * output streams; a sync job then records that it has started.
 */
async function prepareRuntime(
  state: EngineState,
  job: Runnable,
  dir: string | undefined,
  made: Promise<unknown> | undefined,
): Promise<Prepared | RunOutcome> {
  const { exec } = job;
  let stdout: JobOutputStream | undefined;
  let stderr: JobOutputStream | undefined;
  try {
    const failed = await made;
    if (failed !== undefined) throw failed;
    const base = {
      store: state.store,
      jobId: exec.job.id,
      maxBytes: state.options.maxFileBytes,
      log: state.log,
      metrics: state.metrics,
      retryWindowMs: state.options.dbRetryMs,
      stop: () => isLost(exec),
      onFailure: (err: unknown) => {
        if (dbErrorClass(err) !== undefined) state.dbTrouble.note();
      },
    };
    stdout = await JobOutputStream.open({ ...base, file: "stdout" }, exec.resumed);
    stderr = await JobOutputStream.open({ ...base, file: "stderr" }, exec.resumed);
  } catch (err) {
    if (dir !== undefined) await removeDir(state, dir);
    return setupFailure(state, exec, job, `cannot prepare job runtime: ${jobError(err)}`);
  }
  if (exec.sync) {
    const ok = await state.lifecycle.recordSyncStart(exec).catch(async (err: unknown) => {
      await closeStreams(stdout, stderr);
      if (dir !== undefined) await removeDir(state, dir);
      throw err;
    });
    if (!ok) {
      await closeStreams(stdout, stderr);
      if (dir !== undefined) await removeDir(state, dir);
      return afterCasFailure(state, exec, job, false);
    }
  }
  return { dir: dir ?? "", stdout, stderr };
}

/** 4–5. Call execute with the abort signal; wait until it settles (after an abort, at most abortWaitMs). */
async function executeAndWait(state: EngineState, job: Runnable, p: Prepared): Promise<Executed> {
  const { exec, handler, cluster } = job;
  const done: Executed = { settled: undefined, abort: undefined, result: undefined, outputs: {} };
  const rt: Runtime = {
    workingDirectory: p.dir,
    version: state.version,
    userAgent: `heimdall/${state.version}`,
    resumed: exec.resumed,
    stdout: p.stdout,
    stderr: p.stderr,
    storedOutput: { stdout: p.stdout.storedAtOpen, stderr: p.stderr.storedAtOpen },
    setResult(res) {
      done.result = res;
    },
    setOutput(key, value) {
      done.outputs[key] = String(value);
    },
    setProgress: (progress) => state.lifecycle.storeProgress(exec, progress),
  };
  const signal = exec.controller.signal;
  const execution: Promise<Settled> = signal.aborted
    ? Promise.resolve({ ok: false, err: new Error("aborted before execute") })
    : Promise.resolve()
        .then(() => handler.execute(signal, rt, exec.job, cluster))
        .then(
          (): Settled => ({ ok: true }),
          (err: unknown): Settled => ({ ok: false, err }),
        )
        .then((s) => {
          state.lifecycle.settle(exec);
          return s;
        });
  done.settled = await Promise.race([execution, whenAborted(signal).then(() => undefined)]);
  done.abort = signal.aborted ? (signal.reason as AbortReason) : undefined;
  state.lifecycle.settle(exec);
  if (done.abort && done.settled === undefined) {
    const stopWaiting = new AbortController();
    done.settled = await Promise.race([execution, sleep(state.options.abortWaitMs, stopWaiting.signal).then(() => undefined)]);
    stopWaiting.abort();
    if (done.settled === undefined)
      state.log.warn({ job_id: exec.job.id, reason: done.abort.kind }, "plugin did not settle after abort; continuing");
  }
  return done;
}

/** 6. The outcome: attributes and result of a job that ran to its end; cleanup after a cancel or shutdown. */
async function decideOutcome(
  state: EngineState,
  job: Runnable,
  x: Executed,
): Promise<{ outcome: RunOutcome; attributes: Job["job_attributes"]; result?: string }> {
  const { exec, command, cluster, handler } = job;
  if (x.abort?.kind === "cancel" || x.abort?.kind === "shutdown") {
    await runCleanup(state, command.plugin, handler, exec.job.id, cluster);
    return { outcome: { status: x.abort.kind === "cancel" ? "CANCELED" : "KILLED" }, attributes: {} };
  }
  if (x.abort) return { outcome: { status: "DROPPED", reason: x.abort.kind }, attributes: {} };
  const rendered = renderAttributes(cluster.attributes, jobTemplateData(exec.job, command, cluster, x.outputs));
  for (const e of rendered.errors) state.log.info({ job_id: exec.job.id, label: e.label, err: e.message }, "job attribute not rendered");
  let outcome: RunOutcome = x.settled?.ok
    ? { status: "SUCCEEDED", result: x.result }
    : { status: "FAILED", error: jobError(x.settled?.err), setup: false };
  // A result set by a plugin that then failed is stored too (the ECS attempt table of a failed job, issue 8); it
  // is written by `finish` itself, in the same store call as the final status.
  let result: string | undefined;
  if (x.result !== undefined) {
    try {
      result = JSON.stringify(x.result);
    } catch (err) {
      if (outcome.status === "SUCCEEDED")
        outcome = { status: "FAILED", error: jobError(`cannot store result: ${jobError(err)}`), setup: true };
      else state.log.warn({ err, job_id: exec.job.id }, "cannot store the result of a failed job");
    }
  }
  return { outcome, attributes: rendered.rendered, ...(result === undefined ? {} : { result }) };
}

/**
 * 7. Close the streams (final flush); lost output fails a job that succeeded. The working directory is deleted
 * after step 8 (run), so the final status does not wait for it.
 */
async function flushAndCleanUp(state: EngineState, job: Runnable, p: Prepared, outcome: RunOutcome): Promise<RunOutcome> {
  await closeStreams(p.stdout, p.stderr);
  // Output the database could not take (retries given up): the job must not claim to have succeeded with it.
  const lost = [p.stdout, p.stderr].filter((s) => s.droppedBytes > 0);
  if (outcome.status !== "SUCCEEDED" || lost.length === 0) return outcome;
  const what = lost.map((s) => `${s.droppedBytes} bytes of ${s === p.stdout ? "stdout" : "stderr"}`).join(", ");
  state.log.warn({ job_id: job.exec.job.id, lost: what }, "job output lost; the job fails");
  return { status: "FAILED", error: jobError(`cannot store job output (${what} lost): ${lost[0]?.lastError ?? ""}`), setup: false };
}

/** 8. The final transition: finish, kill, confirmCancel, or handBack (a dropped job gets nothing else). */
async function finalize(
  state: EngineState,
  job: Runnable,
  outcome: RunOutcome,
  attributes: Job["job_attributes"],
  result: string | undefined,
): Promise<RunOutcome> {
  const { exec } = job;
  switch (outcome.status) {
    case "SUCCEEDED":
    case "FAILED": {
      const error = outcome.status === "FAILED" ? outcome.error : undefined;
      if (await state.lifecycle.finish(exec, outcome.status, error, attributes, result)) return outcome;
      return afterCasFailure(state, exec, job, false);
    }
    case "KILLED":
      if (await state.lifecycle.kill(exec)) return outcome;
      return afterCasFailure(state, exec, job, true);
    case "CANCELED":
      return finishCancel(state, exec);
    case "DROPPED":
      if (outcome.reason === "handback") await state.lifecycle.handBack(exec);
      return outcome;
  }
}

/** failSetup, or the cancel path when the job was canceled meanwhile. */
async function setupFailure(state: EngineState, exec: Execution, r: Partial<Runnable> | ResolvedJob, error: string): Promise<RunOutcome> {
  if (await state.lifecycle.failSetup(exec, error)) return { status: "FAILED", error, setup: true };
  return afterCasFailure(state, exec, r, false);
}

/** A compare-and-set failed: CANCELING → the cancel path (cleanup, confirmCancel); otherwise the job is no longer ours. */
async function afterCasFailure(
  state: EngineState,
  exec: Execution,
  r: Partial<Runnable> | ResolvedJob,
  cleanedUp: boolean,
): Promise<RunOutcome> {
  state.lifecycle.settle(exec);
  const current = await state.lifecycle.reread(exec);
  if (current?.status === "CANCELING") {
    if (!cleanedUp) await runCleanup(state, r.command?.plugin ?? "", r.handler, exec.job.id, r.cluster);
    return finishCancel(state, exec);
  }
  state.log.info({ job_id: exec.job.id, status: current?.status }, "job no longer ours; dropped");
  return { status: "DROPPED", reason: "taken" };
}

/** confirmCancel (a disconnected sync client's cancel was requested by the submit request). */
async function finishCancel(state: EngineState, exec: Execution): Promise<RunOutcome> {
  if (await state.lifecycle.confirmCancel(exec)) return { status: "CANCELED" };
  state.log.info({ job_id: exec.job.id }, "cancel finalization did not match; dropped");
  return { status: "DROPPED", reason: "taken" };
}

async function closeStreams(...streams: (JobOutputStream | undefined)[]): Promise<void> {
  await Promise.all(streams.map((s) => s?.close()));
}

async function removeDir(state: EngineState, dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch (err) {
    state.log.warn({ err, dir }, "cannot delete working directory; it is deleted at the next start");
  }
}
