// Startup work (spec 1, 11.3): validate and upsert configured commands and clusters; delete leftover
// working directories of earlier runs.
import { mkdir, readdir, rm } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import type { ClusterEntry, CommandEntry } from "../config/index.ts";
import type { Cluster, Command } from "../core/index.ts";
import { HeimdallError, compileCallers, errorMessage, finalTags, sortTagSet } from "../core/index.ts";
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
    const stored = await store.getCluster(cl.id);
    if (!stored || clusterFingerprint(stored) !== clusterFingerprint(cl)) await store.putCluster(cl);
  }
}

/** Deletes everything left in jobs_directory by an earlier run (D14). */
export async function removeLeftoverWorkdirs(core: EngineCore): Promise<void> {
  const dir = resolvePath(core.config.jobs_directory);
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    if (core.executions.has(name)) continue;
    try {
      await rm(join(dir, name), { recursive: true, force: true });
    } catch (err) {
      core.log.warn({ err, dir: join(dir, name) }, "cannot delete leftover working directory");
    }
  }
}
