// The job's task summary (issue 9 item 2): `progressOf` (pure) and a reporter that hands it to the runtime when the
// counts change, at most once a second, and once more at the end.
import type { JobProgress } from "../../core/index.ts";
import type { Runtime } from "../contract.ts";
import type { AttemptRecord } from "./state.ts";

export type { JobProgress };

export interface ProgressPlan {
  taskCount: number;
  maxFailCount: number;
  /** The job's outcome is known: slots left unfinished count as failed. */
  done: boolean;
}

/**
 * Every slot in exactly one bucket, by its latest attempt: `succeeded`; `running` (first attempt ACTIVE);
 * `retrying` (a later attempt not yet final, or a stopped/failed/interrupted attempt that will be relaunched);
 * `failed` (failures beyond max_fail_count, or not succeeded when the job is done); `pending` (not launched yet).
 */
export function progressOf(attempts: readonly AttemptRecord[], plan: ProgressPlan): JobProgress {
  const p: JobProgress = { tasks: plan.taskCount, succeeded: 0, running: 0, retrying: 0, failed: 0, pending: 0 };
  const bySlot = new Map<number, AttemptRecord[]>();
  for (const a of attempts) bySlot.set(a.slot, [...(bySlot.get(a.slot) ?? []), a]);
  for (let slot = 0; slot < plan.taskCount; slot++) {
    const list = (bySlot.get(slot) ?? []).sort((x, y) => x.attempt - y.attempt);
    const last = list.at(-1);
    if (last === undefined) {
      p.pending++;
      continue;
    }
    const failures = list.filter((a) => a.status === "FAILED").length;
    switch (last.status) {
      case "SUCCEEDED":
        p.succeeded++;
        break;
      case "LAUNCHING":
      case "ACTIVE":
        if (last.attempt > 1) p.retrying++;
        else if (last.status === "ACTIVE") p.running++;
        else p.pending++;
        break;
      default:
        // FAILED / STOPPED / INTERRUPTED: relaunched unless the slot is exhausted or the job is over.
        if (plan.done || (last.status === "FAILED" && failures > plan.maxFailCount)) p.failed++;
        else p.retrying++;
    }
  }
  return p;
}

const same = (a: JobProgress | undefined, b: JobProgress): boolean =>
  a !== undefined &&
  a.tasks === b.tasks &&
  a.succeeded === b.succeeded &&
  a.running === b.running &&
  a.retrying === b.retrying &&
  a.failed === b.failed &&
  a.pending === b.pending;

/** Calls `rt.setProgress` when the counts change: at once if the last call was a second ago or more, else then. */
export class ProgressReporter {
  private last: JobProgress | undefined;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly rt: Runtime,
    private readonly compute: () => JobProgress,
    private readonly minIntervalMs = 1_000,
  ) {}

  changed(): void {
    if (this.timer !== undefined) return;
    const wait = this.lastAt + this.minIntervalMs - Date.now();
    if (wait <= 0) this.flush();
    else {
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref();
    }
  }

  /** The final summary (always sent when it differs from the last one). */
  finish(): void {
    this.flush();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const p = this.compute();
    if (same(this.last, p)) return;
    this.last = p;
    this.lastAt = Date.now();
    void this.rt.setProgress?.(p); // never rejects (the engine logs a progress it cannot store)
  }
}
