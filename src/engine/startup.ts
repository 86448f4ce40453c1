// Startup work (spec 1, 11.3): validate and upsert configured commands and clusters; delete leftover
// working directories of earlier runs, killing the process groups their shell jobs left running (issue 8 item 5).
import { mkdir, readdir, rm } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import type { ClusterEntry, CommandEntry } from "../config/index.ts";
import type { Cluster, Command, JobStatus } from "../core/index.ts";
import { HeimdallError, compileCallers, errorMessage, finalTags, sortTagSet } from "../core/index.ts";
import { KILL_GRACE_MS, killRecordedGroup, readProcessRecord, recordOwner, type ProcessRecord } from "../plugins/index.ts";
import type { EngineCore } from "./core.ts";
import { HandlerError, clusterFingerprint, commandFingerprint } from "./registry.ts";

/** The fields commands and clusters share, with the final tag set (system tags added). */
function baseFromEntry(e: CommandEntry | ClusterEntry) {
  return {
    id: e.id,
    name: e.name,
    version: e.version,
    user: e.user,
    description: e.description,
    tags: finalTags(e.tags, e.id, e.name, e.version),
    ...(e.context === undefined ? {} : { context: e.context }),
    status: e.status,
  };
}

export function commandFromEntry(e: CommandEntry): Omit<Command, "created_at" | "updated_at"> {
  return {
    ...baseFromEntry(e),
    plugin: e.plugin,
    is_sync: e.is_sync,
    cluster_tags: sortTagSet(e.cluster_tags),
    allowed_callers: [...new Set(e.allowed_callers)],
  };
}

export function clusterFromEntry(e: ClusterEntry): Omit<Cluster, "created_at" | "updated_at"> {
  return { ...baseFromEntry(e), health_check: e.health_check, attributes: e.attributes };
}

/**
 * Validates a command for the registry: plugin registered, allowed_callers compile, create accepts the context.
 * Returns the created handler. Throws BAD_REQUEST with the messages of D1.
 */
export async function validateCommand(core: EngineCore, cmd: Omit<Command, "created_at" | "updated_at">) {
  if (!core.plugins.has(cmd.plugin)) throw new HeimdallError("BAD_REQUEST", `unknown plugin: ${cmd.plugin}`);
  compileCallers(cmd.id, cmd.allowed_callers);
  try {
    return await core.handlers.create({ ...cmd, created_at: 0, updated_at: 0 });
  } catch (err) {
    if (err instanceof HandlerError) throw new HeimdallError("BAD_REQUEST", err.message);
    throw new HeimdallError("BAD_REQUEST", `context: ${errorMessage(err)}`);
  }
}

/** Every plugin's check of a cluster context (e.g. ecs: launch_type with capacity_provider_strategy). Throws 400. */
export function validateCluster(core: EngineCore, cl: Pick<Cluster, "context">): void {
  for (const plugin of core.plugins.values()) {
    try {
      plugin.validateClusterContext?.(cl.context ?? {});
    } catch (err) {
      throw new HeimdallError("BAD_REQUEST", `context: ${errorMessage(err)}`);
    }
  }
}

/** Upserts the configured registry entries whose stored definition differs. Throws CONFIG errors. */
export async function upsertConfigured(core: EngineCore): Promise<void> {
  const { store, config } = core;
  for (const entry of config.commands) {
    const cmd = commandFromEntry(entry);
    try {
      await validateCommand(core, cmd);
    } catch (err) {
      throw new HeimdallError("CONFIG", `command ${cmd.id}: ${errorMessage(err)}`, { cause: err });
    }
    const stored = await store.getCommand(cmd.id);
    if (!stored || commandFingerprint(stored) !== commandFingerprint(cmd)) await store.putCommand(cmd);
  }
  for (const entry of config.clusters) {
    const cl = clusterFromEntry(entry);
    try {
      validateCluster(core, cl);
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
export async function removeLeftoverWorkdirs(core: EngineCore): Promise<void> {
  const dir = resolvePath(core.config.jobs_directory);
  await mkdir(dir, { recursive: true });
  const names = (await readdir(dir)).filter((name) => !core.executions.has(name));
  for (let i = 0; i < names.length; i += PARALLEL) {
    await Promise.all(names.slice(i, i + PARALLEL).map((name) => removeLeftover(core, join(dir, name), name)));
  }
}

/** Whether another instance may still be running the job of this directory. */
async function maybeRunElsewhere(core: EngineCore, name: string, record: ProcessRecord | undefined): Promise<boolean> {
  if (record?.instance === core.name) return false; // this instance runs nothing yet
  const owner = record ? await recordOwner(record) : "unknown";
  if (owner !== "unknown") return owner === "alive";
  if (!core.store.capabilities.multiInstance) return false;
  try {
    const job = await core.store.getJob(name);
    return job !== undefined && ACTIVE.has(job.status);
  } catch (err) {
    core.log.warn({ err, job: name }, "cannot read the job of a leftover working directory; kept");
    return true;
  }
}

async function removeLeftover(core: EngineCore, path: string, name: string): Promise<void> {
  const record = await readProcessRecord(path);
  if (await maybeRunElsewhere(core, name, record)) {
    core.log.info({ job: name, instance: record?.instance }, "working directory of a job another instance may run; kept");
    return;
  }
  if (record) {
    const { outcome } = await killRecordedGroup(path, { graceMs: KILL_GRACE_MS });
    const fields = { job: name, pid: record.pid, instance: record.instance, host: record.hostname, outcome };
    if (outcome === "alive") {
      core.log.error(fields, "leftover process group still alive after SIGKILL; working directory kept");
      return;
    }
    if (outcome === "killed") core.log.warn(fields, "killed the leftover process group of a job");
    else if (outcome === "unverifiable") core.log.warn(fields, "cannot verify a leftover process group without /proc; not killed");
    else if (outcome === "elsewhere") core.log.info(fields, "leftover process group recorded on another host or before a reboot; not killed");
  }
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    core.log.warn({ err, dir: path }, "cannot delete leftover working directory");
  }
}
