// Client-side token buckets (GCRA form) keeping all jobs of a process under ECS's published API rates (ecs-api.md §7).
import { abortableSleep } from "./sleep.ts";

export class TokenBucket {
  private tat = 0; // theoretical arrival time, ms
  private readonly interval: number;
  private readonly tolerance: number;
  constructor(
    readonly capacity: number,
    readonly perSecond: number,
  ) {
    this.interval = 1000 / perSecond;
    this.tolerance = (capacity - 1) * this.interval;
  }
  /** Waits for one token (FIFO by reservation). */
  async take(signal: AbortSignal): Promise<void> {
    const now = performance.now();
    const tat = Math.max(this.tat, now);
    const allowAt = tat - this.tolerance;
    this.tat = tat + this.interval;
    if (allowAt > now) await abortableSleep(allowAt - now, signal);
  }
}

export type ApiCategory = "task-read" | "task-modify" | "run-task" | "taskdef-read" | "taskdef-modify" | "cluster-read" | "logs-read";

/** [burst, per second] as published (ECS request throttling; Fargate RunTask; GetLogEvents 10 TPS). */
const PUBLISHED: Record<ApiCategory, [number, number]> = {
  "task-read": [100, 20],
  "task-modify": [100, 40],
  "run-task": [20, 20],
  "taskdef-read": [50, 20],
  "taskdef-modify": [20, 1],
  "cluster-read": [50, 20],
  "logs-read": [10, 10],
};

/** Buckets of one endpoint+region (one AWS account and Region in real life). */
export class RateLimiter {
  private readonly buckets = new Map<ApiCategory, TokenBucket>();
  constructor(readonly scale: number) {
    if (scale > 0) {
      for (const [k, [burst, rate]] of Object.entries(PUBLISHED) as [ApiCategory, [number, number]][]) {
        this.buckets.set(k, new TokenBucket(Math.max(1, Math.round(burst * scale)), rate * scale));
      }
    }
  }
  async take(category: ApiCategory, signal: AbortSignal): Promise<void> {
    const b = this.buckets.get(category);
    if (b === undefined) return;
    await b.take(signal);
    if (category === "run-task") await this.buckets.get("task-modify")?.take(signal);
  }
}
