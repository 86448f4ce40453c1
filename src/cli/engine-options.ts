// The configuration compiled into what the engine is told (EngineOptions): durations in milliseconds, paths
// absolute, the file's registry entries as definitions. The engine itself knows nothing of src/config.
import { resolve } from "node:path";
import type { ClusterEntry, CommandEntry, HeimdallConfig } from "../config/index.ts";
import { finalTags, sortTagSet } from "../core/index.ts";
import type { ClusterDefinition, CommandDefinition, EngineOptions } from "../engine/index.ts";

const SECOND_MS = 1000;
const DAY_MS = 86_400 * SECOND_MS;
/** Spec 9.3: pool.size ≤ 0 means 10 workers. */
const DEFAULT_POOL_SIZE = 10;

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

export function commandFromEntry(e: CommandEntry): CommandDefinition {
  return {
    ...baseFromEntry(e),
    plugin: e.plugin,
    is_sync: e.is_sync,
    cluster_tags: sortTagSet(e.cluster_tags),
    allowed_callers: [...new Set(e.allowed_callers)],
  };
}

export function clusterFromEntry(e: ClusterEntry): ClusterDefinition {
  return { ...baseFromEntry(e), health_check: e.health_check, attributes: e.attributes };
}

/** EngineOptions of a configuration; `over` sets what the configuration has no key for (abortWaitMs, dbRetryMs). */
export function engineOptions(
  config: HeimdallConfig,
  over: Pick<EngineOptions, "abortWaitMs" | "dbRetryMs" | "drainProgressMs" | "poolGatherMs"> = {},
): EngineOptions {
  const { janitor } = config;
  return {
    poolSize: config.pool.size > 0 ? config.pool.size : DEFAULT_POOL_SIZE,
    poolSleepMs: config.pool.sleepMs,
    jobsDirectory: resolve(config.jobs_directory),
    maxFileBytes: config.job_files.max_bytes,
    keepaliveMs: janitor.keepalive * SECOND_MS,
    staleJobMs: janitor.stale_job * SECOND_MS,
    cleanIntervalMs: janitor.clean_interval * SECOND_MS,
    retentionMs: Math.max(0, janitor.finished_job_retention_days * DAY_MS),
    cleanupTimeoutMs: janitor.cleanup_timeout * SECOND_MS,
    shutdownTimeoutMs: config.server.shutdown_timeout * SECOND_MS,
    healthCheckTimeoutMs: config.health_check.timeout_seconds * SECOND_MS,
    commands: config.commands.map(commandFromEntry),
    clusters: config.clusters.map(clusterFromEntry),
    templateRoots: config.template_roots ?? [],
    ...over,
  };
}
