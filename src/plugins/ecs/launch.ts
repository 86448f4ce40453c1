// RunTask / StopTask / ListTasks: request building and single calls.
import { createHash } from "node:crypto";
import type { RunTaskCommandInput, Task } from "@aws-sdk/client-ecs";
import type { JsonObject } from "../../core/index.ts";
import type { Endpoint } from "./aws.ts";
import { isFargate } from "./cluster.ts";
import type { CapacityProviderItem, ClusterSettings } from "./cluster.ts";
import { taskName, taskOverride } from "./overrides.ts";
import { ecsSdk } from "./sdk.ts";
import type { JobPlan } from "./settings.ts";
import type { Template } from "./template.ts";

export const STOP_REASON_LIMIT = 1024;

/** Deterministic RunTask idempotency token per (job, slot, attempt, launch try); ≤ 64 ASCII characters. */
export function clientToken(jobId: string, slot: number, attempt: number, launchTry: number): string {
  const plain = `${jobId}-${slot}-${attempt}-${launchTry}`;
  if (plain.length <= 64 && /^[\x21-\x7e]+$/.test(plain)) return plain;
  return `h-${createHash("sha256").update(plain).digest("hex").slice(0, 60)}`;
}

export function buildRunTask(
  jobId: string,
  slot: number,
  token: string,
  plan: JobPlan,
  cluster: ClusterSettings,
  definitionArn: string,
  template: Template,
  /** The attempt's strategy (Spot fallback); default the plan's, else the cluster's. */
  strategy: CapacityProviderItem[] | undefined = plan.capacityProviderStrategy ?? cluster.capacityProviderStrategy,
): JsonObject {
  const name = taskName(jobId, slot);
  const tags = Object.entries({ ...plan.tags, job_id: jobId }).map(([key, value]) => ({ key, value }));
  const input: JsonObject = {
    cluster: cluster.clusterName,
    taskDefinition: definitionArn,
    count: 1,
    startedBy: name,
    clientToken: token,
    overrides: taskOverride(plan, template, jobId, slot),
    tags,
  };
  if (strategy !== undefined) {
    input.capacityProviderStrategy = strategy.map((s) => ({ ...s }));
  } else if (cluster.launchType !== undefined) {
    input.launchType = cluster.launchType;
  }
  if (cluster.platformVersion !== undefined) input.platformVersion = cluster.platformVersion;
  const awsvpc = template.definition.networkMode === "awsvpc" || (template.definition.networkMode === undefined && isFargate(cluster));
  if (awsvpc || cluster.subnets.length > 0) {
    const vpc: JsonObject = { subnets: cluster.subnets };
    if (cluster.securityGroups.length > 0) vpc.securityGroups = cluster.securityGroups;
    if (cluster.assignPublicIp !== undefined) vpc.assignPublicIp = cluster.assignPublicIp;
    input.networkConfiguration = { awsvpcConfiguration: vpc };
  }
  return input;
}

export type RunOutcome = { kind: "task"; task: Task } | { kind: "failure"; reason: string };

export async function runTask(ep: Endpoint, input: JsonObject, signal: AbortSignal): Promise<RunOutcome> {
  const res = await ep.call("run-task", "RunTask", signal, (abortSignal) =>
    ep.ecs.send(new (ecsSdk().RunTaskCommand)(input as unknown as RunTaskCommandInput), { abortSignal }),
  );
  const task = res.tasks?.[0];
  if (task?.taskArn !== undefined) return { kind: "task", task };
  const reasons = (res.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(": "));
  return { kind: "failure", reason: reasons.join("; ") || "RunTask returned no task" };
}

/** RunTask found no Spot capacity (a `failures[]` reason, not an exception). */
export function isCapacityFailure(reason: string): boolean {
  return /capacity is unavailable/i.test(reason);
}

export function stopReason(text: string): string {
  return text.length <= STOP_REASON_LIMIT ? text : `${text.slice(0, STOP_REASON_LIMIT - 1)}…`;
}

export async function stopTask(ep: Endpoint, cluster: string, arn: string, reason: string, signal: AbortSignal): Promise<Task | undefined> {
  const res = await ep.call("task-modify", "StopTask", signal, (abortSignal) =>
    ep.ecs.send(new (ecsSdk().StopTaskCommand)({ cluster, task: arn, reason: stopReason(reason) }), { abortSignal }),
  );
  return res.task;
}

/** ARNs of RUNNING-desired tasks started by `startedBy` (all pages). */
export async function listTasksStartedBy(ep: Endpoint, cluster: string, startedBy: string, signal: AbortSignal): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const res = await ep.call("task-read", "ListTasks", signal, (abortSignal) =>
      ep.ecs.send(new (ecsSdk().ListTasksCommand)({ cluster, startedBy, desiredStatus: "RUNNING", nextToken: token }), { abortSignal }),
    );
    arns.push(...(res.taskArns ?? []));
    nextToken = res.nextToken;
  } while (nextToken !== undefined);
  return arns;
}
