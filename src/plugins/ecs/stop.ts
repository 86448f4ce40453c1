// Stopping one attempt's task for sure, and recording a stopped task's final state (issue 8 items 4 and 7).
import type { Task } from "@aws-sdk/client-ecs";
import { setMaxListeners } from "node:events";
import type { PluginLogger } from "../contract.ts";
import { awsMessage, isRetryable } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { iso, judgeStoppedTask, observeTask } from "./classify.ts";
import { stopTask } from "./launch.ts";
import { DESCRIBE_BATCH } from "./poller.ts";
import type { TaskPoller } from "./poller.ts";
import { ecsSdk } from "./sdk.ts";
import { abortableSleep, backoffMs, linkedSignal } from "./sleep.ts";
import type { AttemptRecord, JobState } from "./state.ts";
import type { ContainerInfo } from "./template.ts";

/** StopTask's answer for a task ECS does not know (never created, expired, or not visible yet). */
export function isTaskNotFound(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  return e !== null && typeof e === "object" && e.name === "InvalidParameterException" && /task was not found/i.test(e.message ?? "");
}

export type StopResult = { kind: "stopped"; task: Task | undefined } | { kind: "not-found" };

/**
 * StopTask until ECS accepts it. Transient errors (after the endpoint's own retries) are retried with backoff
 * until `signal` aborts. "Task not found" is retried for `notFoundMs` (a task RunTask created that DescribeTasks
 * never showed may be running invisibly; the last try is at the end of that window), then accepted.
 * Throws on a permanent error or when `signal` aborts.
 */
export async function stopForSure(
  ep: Endpoint,
  cluster: string,
  arn: string,
  reason: string,
  notFoundMs: number,
  signal: AbortSignal,
): Promise<StopResult> {
  const notFoundUntil = Date.now() + notFoundMs;
  for (let n = 1; ; n++) {
    try {
      return { kind: "stopped", task: await stopTask(ep, cluster, arn, reason, signal) };
    } catch (err) {
      if (signal.aborted) throw err;
      const notFound = isTaskNotFound(err);
      if (!notFound && !isRetryable(err)) throw err;
      const pause = backoffMs(n, 500, 5_000, 250);
      if (notFound) {
        const left = notFoundUntil - Date.now();
        if (left <= 0) return { kind: "not-found" };
        await abortableSleep(Math.min(pause, left), signal).catch(() => undefined);
        if (signal.aborted) return { kind: "not-found" };
      } else {
        await abortableSleep(pause, signal);
      }
    }
  }
}

/** Copies a task's state into its attempt, with the essential container's exit code once it is STOPPED. */
export function recordTask(a: AttemptRecord, task: Task, containers: ContainerInfo[]): void {
  observeTask(a, task);
  if (task.lastStatus === "STOPPED") a.exit_code = judgeStoppedTask(task, containers).exitCode ?? a.exit_code;
}

/**
 * The final state of stopped tasks: DescribeTasks (directly, up to 100 ARNs a call) every `everyMs` until each
 * task is STOPPED, `budgetMs` has passed or `parent` aborts; every answer is recorded into its attempt. Never throws.
 */
export async function recordFinalStates(
  ep: Endpoint,
  cluster: string,
  attempts: AttemptRecord[],
  containers: ContainerInfo[],
  budgetMs: number,
  everyMs: number,
  parent?: AbortSignal,
): Promise<void> {
  const budget = AbortSignal.timeout(Math.max(1, budgetMs));
  const signal = parent === undefined ? budget : AbortSignal.any([parent, budget]);
  let left = attempts.filter((a) => a.task_arn !== null && a.last_status !== "STOPPED");
  while (left.length > 0) {
    const byArn = new Map(left.map((a) => [a.task_arn!, a]));
    const arns = [...byArn.keys()];
    try {
      for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
        const tasks = arns.slice(i, i + DESCRIBE_BATCH);
        const res = await ep.call("task-read", "DescribeTasks", signal, (abortSignal) =>
          ep.ecs.send(new (ecsSdk().DescribeTasksCommand)({ cluster, tasks }), { abortSignal }),
        );
        for (const t of res.tasks ?? []) {
          const a = t.taskArn === undefined ? undefined : byArn.get(t.taskArn);
          if (a !== undefined) recordTask(a, t, containers);
        }
      }
      left = left.filter((a) => a.last_status !== "STOPPED");
      if (left.length > 0) await abortableSleep(everyMs, signal);
    } catch {
      return; // out of budget, or DescribeTasks failed after its retries: keep what was recorded
    }
  }
}

export interface StopWhere {
  ep: Endpoint;
  cluster: string;
  containers: ContainerInfo[];
  log: PluginLogger;
  put: (a: AttemptRecord) => Promise<void>;
}

/**
 * StopTask for each attempt (all within `budgetMs`, whatever the job's signal), each marked STOPPED; then their
 * final state (DescribeTasks until STOPPED, at most `finalMs`), stored. A StopTask that fails is logged.
 */
export async function stopAttempts(
  w: StopWhere,
  attempts: AttemptRecord[],
  reason: string,
  notFoundMs: (a: AttemptRecord) => number,
  budgetMs: number,
  finalMs: number,
): Promise<void> {
  const signal = AbortSignal.timeout(budgetMs);
  setMaxListeners(0, signal);
  await Promise.all(
    attempts.map(async (a) => {
      try {
        const r = await stopForSure(w.ep, w.cluster, a.task_arn!, reason, notFoundMs(a), signal);
        if (r.kind === "stopped" && r.task !== undefined) recordTask(a, r.task, w.containers);
        a.stop_code ??= "UserInitiated";
      } catch (err) {
        w.log.warn({ err: awsMessage(err), arn: a.task_arn }, "ecs: StopTask failed");
      }
      a.status = "STOPPED";
    }),
  );
  if (finalMs > 0) await recordFinalStates(w.ep, w.cluster, attempts, w.containers, finalMs, 500);
  await Promise.all(
    attempts.map(async (a) => {
      a.stopped_at ??= iso(new Date());
      await w.put(a);
    }),
  );
}

/** Waits (bounded by `maxMs`) until the given attempts are STOPPED at ECS, storing each observed change. */
export async function settleAttempts(
  poller: TaskPoller,
  state: JobState,
  attempts: AttemptRecord[],
  intervalMs: number,
  maxMs: number,
  signal: AbortSignal,
): Promise<void> {
  const end = Date.now() + maxMs;
  let left = attempts.filter((a) => a.task_arn !== null && a.last_status !== "STOPPED");
  while (left.length > 0 && Date.now() < end) {
    const w = linkedSignal(signal, end - Date.now());
    try {
      const obs = await poller.poll(
        left.map((a) => a.task_arn!),
        intervalMs,
        w.signal,
      );
      for (const a of left) {
        const o = obs.get(a.task_arn!);
        if (o?.kind === "task" && observeTask(a, o.task)) await state.putAttempt(a);
      }
    } catch {
      break;
    } finally {
      w.dispose();
    }
    left = left.filter((a) => a.last_status !== "STOPPED");
  }
}
