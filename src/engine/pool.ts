// Worker pool and feeder (spec 9.3): claims only for idle workers, woken at once by local submissions and by
// the store's jobs-available notifications; polling every pool.sleep ms is only a safety net.
import type { ClaimedJob } from "../store/index.ts";
import { newExecution, type EngineCore } from "./core.ts";
import { runJob } from "./runner.ts";
import { Waker } from "./util.ts";

export class WorkerPool {
  private readonly core: EngineCore;
  readonly size: number;
  private busy = 0;
  private readonly waker = new Waker();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly workers = new Set<Promise<void>>();

  constructor(core: EngineCore) {
    this.core = core;
    this.size = core.config.pool.size > 0 ? core.config.pool.size : 10;
  }

  get idle(): number {
    return this.size - this.busy;
  }

  start(): void {
    this.report();
    this.loop ??= this.feed();
  }

  wake(): void {
    this.waker.wake();
  }

  /** Stops claiming; running workers go on. Resolves when the feeder loop has ended. */
  async stopClaiming(): Promise<void> {
    this.stopped = true;
    this.waker.wake();
    await this.loop;
  }

  /** Resolves when every worker has finished its job. */
  async idleAll(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers]);
  }

  private async feed(): Promise<void> {
    const sleepMs = Math.max(this.core.config.pool.sleepMs, 1);
    while (!this.stopped) {
      const idle = this.idle;
      if (idle <= 0) {
        await this.waker.wait(sleepMs);
        continue;
      }
      let claimed: ClaimedJob[] = [];
      try {
        claimed = await this.core.store.claimJobs(this.core.name, idle);
      } catch (err) {
        this.core.metrics?.databaseError("claim");
        this.core.log.error({ err }, "claiming jobs failed");
      }
      if (claimed.length === 0) {
        await this.waker.wait(sleepMs);
        continue;
      }
      for (const c of claimed) this.startWorker(c);
      if (this.stopped) break;
    }
  }

  private startWorker(c: ClaimedJob): void {
    // Registered synchronously, before any await, so a cancel on this instance finds the execution.
    const exec = newExecution(c.job, false, c.resumed, "claimed");
    this.core.executions.set(c.job.id, exec);
    this.busy++;
    this.report();
    const w = runJob(this.core, exec)
      .then(() => undefined)
      .finally(() => {
        this.busy--;
        this.workers.delete(w);
        this.report();
        this.waker.wake();
      });
    this.workers.add(w);
  }

  private report(): void {
    this.core.metrics?.workers(this.busy, this.idle);
  }
}
