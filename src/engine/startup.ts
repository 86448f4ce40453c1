// Startup work (spec 1, 11.3): validate and upsert configured commands and clusters; delete leftover
// working directories of earlier runs, killing the process groups their shell jobs left running (issue 8 item 5).
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Cluster, Command, JobStatus } from "../core/index.ts";
import { HeimdallError, compileCallers, errorMessage } from "../core/index.ts";
import { KILL_GRACE_MS, killRecordedGroup, readProcessRecord, recordOwner, type ProcessRecord } from "../plugins/index.ts";
import type { EngineState } from "./engine-state.ts";
import { HandlerError, clusterFingerprint, commandFingerprint } from "./registry.ts";

/**
 * Validates a command for the registry: plugin registered, allowed_callers compile, create accepts the context.
 * Returns the created handler. Throws BAD_REQUEST with the messages of D1.
 */
export async function validateCommand(state: EngineState, cmd: Omit<Command, "created_at" | "updated_at">) {
  if (!state.plugins.has(cmd.plugin)) throw new HeimdallError("BAD_REQUEST", `unknown plugin: ${cmd.plugin}`);
  compileCallers(cmd.id, cmd.allowed_callers);
  try {
    return await state.handlers.create({ ...cmd, created_at: 0, updated_at: 0 });
  } catch (err) {
    if (err instanceof HandlerError) throw new HeimdallError("BAD_REQUEST", err.message);
    throw new HeimdallError("BAD_REQUEST", `context: ${errorMessage(err)}`);
  }
}

/** Every plugin's check of a cluster context (e.g. ecs: launch_type with capacity_provider_strategy). Throws 400. */
export function validateCluster(state: EngineState, cl: Pick<Cluster, "context">): void {
  for (const plugin of state.plugins.values()) {
    try {
      plugin.validateClusterContext?.(cl.context ?? {});
    } catch (err) {
      throw new HeimdallError("BAD_REQUEST", `context: ${errorMessage(err)}`);
    }
  }
}

/** Upserts the configured registry entries whose stored definition differs. Throws CONFIG errors. */
export async function upsertConfigured(state: EngineState): Promise<void> {
  const { store, options } = state;
  for (const cmd of options.commands) {
    try {
      await validateCommand(state, cmd);
    } catch (err) {
      throw new HeimdallError("CONFIG", `command ${cmd.id}: ${errorMessage(err)}`, { cause: err });
    }
    const stored = await store.getCommand(cmd.id);
    if (!stored || commandFingerprint(stored) !== commandFingerprint(cmd)) await store.putCommand(cmd);
  }
  for (const cl of options.clusters) {
    try {
      validateCluster(state, cl);
    } catch (err) {
      throw new HeimdallError("CONFIG", `cluster ${cl.id}: ${errorMessage(err)}`, { cause: err });
    }
    const stored = await store.getCluster(cl.id);
    if (!stored || clusterFingerprint(stored) !== clusterFingerprint(cl)) await store.putCluster(cl);
  }
}

const ACTIVE: ReadonlySet<JobStatus> = new Set<JobStatus>(["ACCEPTED", "RUNNING", "CANCELING"]);
const PARALLEL = 8;

/**
 * Deletes what earlier runs left in jobs_directory (D14). A directory holding a shell job's process record first
 * has that process group killed (only when verifiably the same group on this host). Kept: this instance's own
 * executions, a directory whose record names a server process of this host that still runs (another instance
 * sharing the directory), and — on a database several instances share — the directory of a job still ACCEPTED,
 * RUNNING or CANCELING whose owner cannot be told from here: that instance may be alive; if it is dead, a
 * janitor's cleanup kills the group before marking the job FAILED. An SQLite database is held by this process
 * alone, so there every other leftover is an orphan.
 */
export async function removeLeftoverWorkdirs(state: EngineState): Promise<void> {
  const dir = state.options.jobsDirectory;
  await mkdir(dir, { recursive: true });
  const names = (await readdir(dir)).filter((name) => !state.executions.has(name));
  for (let i = 0; i < names.length; i += PARALLEL) {
    await Promise.all(names.slice(i, i + PARALLEL).map((name) => removeLeftover(state, join(dir, name), name)));
  }
}

/** Whether another instance may still be running the job of this directory. */
async function maybeRunElsewhere(state: EngineState, name: string, record: ProcessRecord | undefined): Promise<boolean> {
  if (record?.instance === state.name) return false; // this instance runs nothing yet
  const owner = record ? await recordOwner(record) : "unknown";
  if (owner !== "unknown") return owner === "alive";
  if (!state.store.capabilities.multiInstance) return false;
  try {
    const job = await state.store.getJob(name);
    return job !== undefined && ACTIVE.has(job.status);
  } catch (err) {
    state.log.warn({ err, job_id: name }, "cannot read the job of a leftover working directory; kept");
    return true;
  }
}

async function removeLeftover(state: EngineState, path: string, name: string): Promise<void> {
  const record = await readProcessRecord(path);
  if (await maybeRunElsewhere(state, name, record)) {
    state.log.info({ job_id: name, instance: record?.instance }, "working directory of a job another instance may run; kept");
    return;
  }
  if (record) {
    const { outcome } = await killRecordedGroup(path, { graceMs: KILL_GRACE_MS });
    const fields = { job_id: name, pid: record.pid, instance: record.instance, host: record.hostname, outcome };
    if (outcome === "alive") {
      state.log.error(fields, "leftover process group still alive after SIGKILL; working directory kept");
      return;
    }
    if (outcome === "killed") state.log.warn(fields, "killed the leftover process group of a job");
    else if (outcome === "unverifiable") state.log.warn(fields, "cannot verify a leftover process group without /proc; not killed");
    else if (outcome === "elsewhere")
      state.log.info(fields, "leftover process group recorded on another host or before a reboot; not killed");
  }
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    state.log.warn({ err, dir: path }, "cannot delete leftover working directory");
  }
}
