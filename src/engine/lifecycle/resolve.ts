// resolveJob: a job's registry snapshot → command → cluster → plugin → handler, with one set of failure rules
// for the runner, the janitor and the API's task views.
import type { Cluster, Command, Job } from "../../core/index.ts";
import { errorMessage } from "../../core/index.ts";
import type { Handler, PluginModule } from "../../plugins/index.ts";
import type { HandlerCache, RegistryCache, RegistrySnapshot } from "../registry.ts";

export interface ResolvedJob {
  /** The current definitions by the job's command_id / cluster_id (their status does not matter once routed). */
  command?: Command;
  cluster?: Cluster;
  plugin?: PluginModule;
  handler?: Handler;
  /** The command's plugin is registered here and resumable. */
  resumable: boolean;
  /**
   * Why the job cannot run here, in spec 9.4 step 1 order: `unknown command: <id>`, `unknown cluster: <id>`,
   * `unknown plugin: <name>`, or the handler factory's message. Absent when everything resolved.
   */
  problem?: string;
}

export interface ResolveDeps {
  registry: RegistryCache;
  handlers: HandlerCache;
}

/**
 * Resolves everything that can be: a missing piece never throws, it is named by `problem` (the pieces found are
 * still returned: the janitor cleans up with whatever handler and cluster exist). Only reading the registry can
 * throw (the database failing); `readSnapshot` lets the runner retry that read.
 */
export async function resolveJob(
  deps: ResolveDeps,
  job: Pick<Job, "command_id" | "cluster_id">,
  readSnapshot: () => Promise<RegistrySnapshot> = () => deps.registry.snapshot(),
): Promise<ResolvedJob> {
  const snap = await readSnapshot();
  const r: ResolvedJob = { resumable: false };
  const command = snap.commandById.get(job.command_id);
  const cluster = snap.clusterById.get(job.cluster_id);
  if (cluster) r.cluster = cluster;
  if (!command) return { ...r, problem: `unknown command: ${job.command_id}` };
  r.command = command;
  const plugin = deps.handlers.plugin(command.plugin);
  if (plugin) {
    r.plugin = plugin;
    r.resumable = plugin.resumable === true;
  }
  let handlerError: string | undefined;
  if (plugin) {
    try {
      r.handler = await deps.handlers.get(command);
    } catch (err) {
      handlerError = errorMessage(err);
    }
  }
  const problem = !cluster ? `unknown cluster: ${job.cluster_id}` : !plugin ? `unknown plugin: ${command.plugin}` : handlerError;
  if (problem !== undefined) r.problem = problem;
  return r;
}
