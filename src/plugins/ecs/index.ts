// ECS Fargate plugin (spec ecs-plugin.md, issue 4): N parallel tasks per job, retries, fail-fast, timeout,
// durable attempt state and resume, shared batched polling, awslogs output.
import type { PluginModule } from "../contract.ts";
import { EcsHandler } from "./handler.ts";
import { validateClusterContext } from "./cluster.ts";
import { loadCommandContext } from "./settings.ts";

export const ecsPlugin: PluginModule = {
  name: "ecs",
  resumable: true,
  validateClusterContext,
  async create(commandContext, _command, services) {
    // Commands created through the API get templateRoots: their template file must lie under one of them.
    return new EcsHandler(await loadCommandContext(commandContext, { roots: services.templateRoots }), services);
  },
};

export { ecsStatsSnapshot } from "./stats.ts";
