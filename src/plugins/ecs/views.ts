// Cleanup by job id, the attempt timeline (GET …/tasks) and per-attempt logs (GET …/tasks/{slot}/logs).
import { setMaxListeners } from "node:events";
import { Problems, isFinalStatus, notFound } from "../../core/index.ts";
import type { Cluster } from "../../core/index.ts";
import type { PluginLogger, TaskAttempt, TaskLogsQuery, TaskTimeline } from "../contract.ts";
import { awsMessage, endpointFor } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { readClusterContext } from "./cluster.ts";
import { listTasksStartedBy, stopTask } from "./launch.ts";
import { taskLogChunks } from "./logs.ts";
import { taskName } from "./overrides.ts";
import { abortableSleep } from "./sleep.ts";
import { isFinalAttempt } from "./state.ts";
import type { AttemptRecord, JobMeta, JobState } from "./state.ts";
import { recordFinalStates } from "./stop.ts";

const FINAL_STATE_MS = 5_000;

export function endpointOfMeta(meta: JobMeta): Endpoint {
  return endpointFor({ endpoint: meta.endpoint ?? undefined, region: meta.region, rateLimitScale: meta.rate_limit_scale });
}

/**
 * Stops every task of the job: stored ARNs first; ListTasks by startedBy for slots whose ARN was never stored,
 * or for slots 0..max_task_count-1 when nothing is stored. Idempotent; tolerates an undefined cluster.
 */
export async function cleanupJob(
  state: JobState,
  cluster: Readonly<Cluster> | undefined,
  signal: AbortSignal,
  log: PluginLogger,
): Promise<void> {
  const { meta, attempts } = await state.load();
  let ep: Endpoint;
  let clusterName: string;
  let slotsToList: number[];
  if (meta !== undefined) {
    ep = endpointOfMeta(meta);
    clusterName = meta.cluster_name;
    slotsToList = [...new Set(attempts.filter((a) => a.task_arn === null && !isFinalAttempt(a)).map((a) => a.slot))];
  } else {
    if (cluster === undefined) return; // never ran here and nothing to find it with
    const problems = new Problems();
    const cl = readClusterContext(cluster.context, problems);
    if (!problems.empty) return;
    ep = endpointFor(cl);
    clusterName = cl.clusterName;
    slotsToList = Array.from({ length: cl.maxTaskCount }, (_, i) => i);
  }
  setMaxListeners(0, signal);
  const reason = `heimdall: job ${state.jobId} cleanup (canceled, stale or stopped)`;
  const stopped = new Set<string>();
  const stop = async (arn: string) => {
    if (stopped.has(arn)) return;
    stopped.add(arn);
    try {
      await stopTask(ep, clusterName, arn, reason, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      log.warn({ err: awsMessage(err), arn }, "ecs cleanup: StopTask failed");
    }
  };
  const running = attempts.filter((a) => a.task_arn !== null && a.status === "ACTIVE");
  await Promise.all(
    running.map(async (a) => {
      await stop(a.task_arn!);
      a.status = "STOPPED";
      a.stop_code ??= "UserInitiated";
    }),
  );
  // The stopped tasks' final state (STOPPED, exit codes) for the timeline, waited for a few seconds at most.
  if (meta !== undefined && running.length > 0)
    await recordFinalStates(ep, clusterName, running, meta.containers, FINAL_STATE_MS, 500, signal);
  await Promise.all(
    running.map(async (a) => {
      a.stopped_at ??= new Date().toISOString();
      await state.putAttempt(a);
    }),
  );
  for (const slot of slotsToList) {
    try {
      const arns = await listTasksStartedBy(ep, clusterName, taskName(state.jobId, slot), signal);
      await Promise.all(arns.map(stop));
    } catch (err) {
      if (signal.aborted) throw err;
      log.warn({ err: awsMessage(err), slot }, "ecs cleanup: ListTasks failed");
    }
  }
}

function publicAttempt(a: AttemptRecord): TaskAttempt {
  const { request: _request, seen: _seen, ...rest } = a;
  return { ...rest, capacity_provider: a.capacity_provider ?? null, spot_interruption: a.spot_interruption ?? false };
}

export async function taskTimeline(state: JobState): Promise<TaskTimeline> {
  const { meta, attempts } = await state.load();
  const slots = new Map<number, AttemptRecord[]>();
  for (const a of attempts) slots.set(a.slot, [...(slots.get(a.slot) ?? []), a]);
  return {
    job_id: state.jobId,
    cluster_name: meta?.cluster_name ?? null,
    task_definition_arn: meta?.task_definition_arn ?? null,
    task_count: meta?.task_count ?? 0,
    max_fail_count: meta?.max_fail_count ?? 0,
    max_spot_interruptions: meta?.max_spot_interruptions ?? null,
    spot_fallback: meta?.spot_fallback ?? null,
    spot_interruptions: attempts.filter((a) => a.spot_interruption === true).length,
    first_launch_at: meta?.first_launch_at == null ? null : new Date(meta.first_launch_at).toISOString(),
    outcome: meta?.outcome ?? null,
    representative: meta?.representative ?? null,
    // Container names and awslogs group/prefix/region: the UI builds CloudWatch log stream links from them.
    containers: (meta?.containers ?? []).map((c) => ({
      name: c.name,
      log: c.log ? { group: c.log.group, region: c.log.region ?? null, prefix: c.log.prefix } : null,
    })),
    slots: [...slots.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([slot, list]) => ({ slot, task_name: taskName(state.jobId, slot), attempts: list.map(publicAttempt) })),
  };
}

/** Streams one attempt's logs (latest attempt of the slot by default); follows while it runs when asked. */
export async function* taskLogs(state: JobState, q: TaskLogsQuery, signal: AbortSignal): AsyncGenerator<string> {
  const task = await launchedTask(state, q, signal);
  if (task === undefined) return;
  const { meta, a, arn } = task;
  const follow = q.follow
    ? async () => {
        const now = (await state.load()).attempts.find((x) => x.slot === a.slot && x.attempt === a.attempt);
        return now !== undefined && !isFinalAttempt(now);
      }
    : undefined;
  yield* taskLogChunks(endpointOfMeta(meta), meta.containers, arn, signal, { follow });
}

/** How often a follower polls for a task that is not recorded or not launched yet. */
const WAIT_FOR_TASK_MS = 500;

/**
 * The attempt asked for and its task ARN; undefined when there are no logs to stream (never launched, or the client
 * left). Without `follow`: as stored now, an unknown task being NOT_FOUND. With `follow`, a client that came early
 * waits: for a recorded attempt until it has an ARN or is final, for one not recorded yet (no meta yet, a slot within
 * the task count, a later attempt) while the job is not final. A job that ends without it ends the stream empty: the
 * answer may have started by then (the route answers after 300 ms).
 */
async function launchedTask(
  state: JobState,
  q: TaskLogsQuery,
  signal: AbortSignal,
): Promise<{ meta: JobMeta; a: AttemptRecord; arn: string } | undefined> {
  // The common case first: the task is recorded and launched, no need for the job's status.
  const first = await findAttempt(state, q);
  if (!("missing" in first) && first.a.task_arn !== null) return { meta: first.meta, a: first.a, arn: first.a.task_arn };
  // Following a job whose status can be read: each look reads that status, then the plugin's state again (a job
  // final by then has recorded every task it launched). Otherwise the first read stands until a wait.
  const watchJob = q.follow === true && q.jobStatus !== undefined;
  for (let waited = false; !signal.aborted; waited = true) {
    const jobFinal = watchJob ? isFinalStatus(await q.jobStatus!()) : true;
    const found = watchJob || waited ? await findAttempt(state, q) : first;
    if ("missing" in found) {
      if (jobFinal || !found.waitable) {
        if (waited) return undefined;
        throw notFound(found.missing);
      }
    } else {
      const { meta, a } = found;
      if (a.task_arn !== null) return { meta, a, arn: a.task_arn };
      if (!q.follow || isFinalAttempt(a)) return undefined;
    }
    await abortableSleep(WAIT_FOR_TASK_MS, signal).catch(() => undefined);
  }
  return undefined;
}

type Found =
  | { meta: JobMeta; a: AttemptRecord }
  /** `waitable`: the task may still come (no meta yet, or a slot within the task count / a later attempt). */
  | { missing: string; waitable: boolean };

async function findAttempt(state: JobState, q: TaskLogsQuery): Promise<Found> {
  const { meta, attempts } = await state.load();
  if (meta === undefined) return { missing: "no ECS tasks for this job", waitable: true };
  const ofSlot = attempts.filter((x) => x.slot === q.slot);
  const a = q.attempt === undefined ? ofSlot.at(-1) : ofSlot.find((x) => x.attempt === q.attempt);
  if (a !== undefined) return { meta, a };
  const latest = ofSlot.at(-1)?.attempt ?? 0;
  const waitable = q.slot < meta.task_count && (q.attempt === undefined || q.attempt > latest);
  return { missing: `unknown task: slot ${q.slot}${q.attempt === undefined ? "" : ` attempt ${q.attempt}`}`, waitable };
}
