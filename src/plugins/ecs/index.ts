// ECS Fargate plugin (spec ecs-plugin.md, issue 4): N parallel tasks per job, retries, fail-fast, timeout,
// durable attempt state and resume, shared batched polling, awslogs output.
import type { PluginModule } from "../contract.ts";
import { EcsHandler } from "./handler.ts";
import { readCommandContext } from "./settings.ts";

export const ecsPlugin: PluginModule = {
  name: "ecs",
  resumable: true,
  create(commandContext, _command, services) {
    return new EcsHandler(readCommandContext(commandContext), services);
  },
};

export { allEndpoints } from "./aws.ts";
export { allPollers } from "./poller.ts";
