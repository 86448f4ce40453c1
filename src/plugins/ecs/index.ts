// ECS Fargate plugin (spec ecs-plugin.md, issue 4). Minimal placeholder; full implementation follows.
import type { PluginModule } from "../contract.ts";

export const ecsPlugin: PluginModule = {
  name: "ecs",
  resumable: true,
  create() {
    return {
      async execute() {
        throw new Error("ecs: plugin not implemented yet");
      },
      async cleanup() {},
    };
  },
};
