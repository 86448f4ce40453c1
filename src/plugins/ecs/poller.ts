// One poller per (endpoint, region, cluster), shared by every job of the process. Requests are due on a grid
// aligned to their polling interval (the first grid point at least half an interval away), so all jobs with
// the same interval share a tick. A job's first look at just-launched tasks is instead due one interval after
// the launch, rounded up to a fine grid (1/20 of the interval, at most 250 ms) so that launches close together
// still share a call; the coarse grid would make it wait anywhere from half to one and a half intervals.
// Each tick sends DescribeTasks with up to 100 ARNs per call for every due task of every job.
import type { Task } from "@aws-sdk/client-ecs";
import { awsMessage } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { ecsSdk } from "./sdk.ts";
import { abortError } from "./sleep.ts";

export type Observation = { kind: "task"; task: Task } | { kind: "missing"; reason: string } | { kind: "error"; message: string };

interface Pending {
  arns: string[];
  due: number;
  resolve: (m: Map<string, Observation>) => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

export const DESCRIBE_BATCH = 100;

export interface PollerStats {
  ticks: number;
  describeCalls: number;
  /** ARNs described in the last tick, and its CPU time (µs, user+system of the whole process). */
  lastTickArns: number;
  lastTickCpuMicros: number;
}

export class TaskPoller {
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  readonly stats: PollerStats = { ticks: 0, describeCalls: 0, lastTickArns: 0, lastTickCpuMicros: 0 };

  constructor(
    readonly endpoint: Endpoint,
    readonly cluster: string,
  ) {}

  /**
   * Describes `arns` at this job's next aligned tick; aborts (removing the request) when `signal` aborts.
   * `launchedAt` (epoch ms): some of the tasks were launched then and never described — the request is due one
   * interval after it (on the fine grid) rather than on the interval grid.
   */
  poll(arns: string[], intervalMs: number, signal: AbortSignal, launchedAt?: number): Promise<Map<string, Observation>> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const due = dueAt(Date.now(), intervalMs, launchedAt);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(p);
        reject(abortError(signal));
      };
      const p: Pending = { arns, due, resolve, reject, cleanup: () => signal.removeEventListener("abort", onAbort) };
      signal.addEventListener("abort", onAbort, { once: true });
      this.pending.add(p);
      this.schedule(due);
    });
  }

  private schedule(due: number): void {
    if (due >= this.timerDue && this.timer !== undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, due - Date.now()));
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = Date.now();
    const due: Pending[] = [];
    let next = Infinity;
    for (const p of this.pending) {
      if (p.due <= now + 2) due.push(p);
      else next = Math.min(next, p.due);
    }
    for (const p of due) this.pending.delete(p);
    if (next !== Infinity) this.schedule(next);
    if (due.length === 0) return;

    const cpu0 = process.cpuUsage();
    const unique = [...new Set(due.flatMap((p) => p.arns))];
    const results = new Map<string, Observation>();
    const batches: string[][] = [];
    for (let i = 0; i < unique.length; i += DESCRIBE_BATCH) batches.push(unique.slice(i, i + DESCRIBE_BATCH));
    this.stats.ticks++;
    await Promise.all(batches.map((b) => this.describe(b, results)));
    for (const p of due) {
      p.cleanup();
      const mine = new Map<string, Observation>();
      for (const a of p.arns) mine.set(a, results.get(a) ?? { kind: "error", message: "no answer" });
      p.resolve(mine);
    }
    const cpu = process.cpuUsage(cpu0);
    this.stats.lastTickArns = unique.length;
    this.stats.lastTickCpuMicros = cpu.user + cpu.system;
  }

  private async describe(arns: string[], out: Map<string, Observation>): Promise<void> {
    this.stats.describeCalls++;
    try {
      const res = await this.endpoint.call("task-read", "DescribeTasks", AbortSignal.timeout(60_000), (abortSignal) =>
        this.endpoint.ecs.send(new (ecsSdk().DescribeTasksCommand)({ cluster: this.cluster, tasks: arns }), { abortSignal }),
      );
      for (const t of res.tasks ?? []) if (t.taskArn !== undefined) out.set(t.taskArn, { kind: "task", task: t });
      for (const f of res.failures ?? []) {
        if (f.arn !== undefined) out.set(f.arn, { kind: "missing", reason: [f.reason, f.detail].filter(Boolean).join(": ") || "MISSING" });
      }
      for (const a of arns) {
        if (!out.has(a)) out.set(a, { kind: "missing", reason: "MISSING" });
      }
    } catch (err) {
      for (const a of arns) out.set(a, { kind: "error", message: awsMessage(err) });
    }
  }

  get activeRequests(): number {
    return this.pending.size;
  }
}

/** Fine grid step for first looks: 1/20 of the interval, at most 250 ms (a whole fraction of the interval). */
export function fineStep(iv: number): number {
  return iv / Math.max(20, Math.ceil(iv / 250));
}

/** When a request made at `now` is due (epoch ms). */
export function dueAt(now: number, intervalMs: number, launchedAt?: number): number {
  const iv = Math.max(1, Math.round(intervalMs));
  if (launchedAt !== undefined) {
    // One interval after the launch, like a client that sleeps one interval; launches a fine step apart share it.
    const g = fineStep(iv);
    return Math.max(now, Math.ceil((launchedAt + iv) / g) * g);
  }
  // The first grid tick at least half an interval away: shared by every job with this interval, and never so
  // close to the request that a task is described again before it could have done anything.
  return Math.ceil((now + iv / 2) / iv) * iv;
}

const pollers = new Map<string, TaskPoller>();

export function pollerFor(endpoint: Endpoint, cluster: string): TaskPoller {
  const key = `${endpoint.key}|${cluster}`;
  let p = pollers.get(key);
  if (p === undefined) {
    p = new TaskPoller(endpoint, cluster);
    pollers.set(key, p);
  }
  return p;
}
