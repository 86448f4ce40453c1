// ECS dispatcher (AmazonEC2ContainerServiceV20141113.*).
import { AwsError, type Json } from "../protocol.ts";
import { handleClusters } from "./clusters.ts";
import type { EcsContext } from "./common.ts";
import { handleTags } from "./tags.ts";
import { handleTaskDefinitions } from "./task-definitions.ts";
import { type TaskDeps, handleTasks } from "./tasks.ts";

export function handleEcs(deps: TaskDeps, action: string, body: Json, ctx: EcsContext): Json {
  const r =
    handleClusters(deps.state, action, body, ctx) ??
    handleTaskDefinitions(deps.state, action, body, ctx) ??
    handleTasks(deps, action, body, ctx) ??
    handleTags(deps.state, action, body);
  if (r === undefined) throw new AwsError("UnknownOperationException", "");
  return r;
}
