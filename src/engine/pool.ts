// Worker pool and feeder (spec 9.3): claims only for idle workers, woken at once by local submissions and by
// the store's jobs-available notifications; polling every pool.sleep ms is only a safety net.
import { dbErrorClass, type ClaimedJob } from "../store/index.ts";
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
  /** A claim call failed: it may have committed without its answer (see requeueOrphanedClaims). */
  private claimUncertain = false;

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
      if (this.claimUncertain && !(await this.requeueOrphanedClaims())) {
        await this.waker.wait(sleepMs);
        continue;
      }
      const idle = this.idle;
      if (idle <= 0) {
        await this.waker.wait(sleepMs);
        continue;
      }
      let claimed: ClaimedJob[] = [];
      try {
        claimed = await this.core.store.claimJobs(this.core.name, idle);
      } catch (err) {
        this.claimUncertain = true;
        if (dbErrorClass(err) !== undefined) this.core.dbTrouble.note();
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
    // Stopping: claims whose answer was lost go back to NEW now rather than going stale (one try).
    if (this.claimUncertain) await this.requeueOrphanedClaims();
  }

  /**
   * After a failed claim call: a claim may have committed while its answer was lost (connection dropped), leaving
   * ACCEPTED jobs owned by this instance that nothing here runs. Nothing was started for them (T4 comes first in
   * the runner), so they go back to NEW (T6) before anything is claimed again; no claim of this instance is in
   * flight meanwhile (the feeder claims one call at a time). Returns false when the database still fails.
   */
  private async requeueOrphanedClaims(): Promise<boolean> {
    const { store, name, log } = this.core;
    try {
      const ids = await store.acceptedClaims(name, 1000);
      for (const id of ids) {
        // Our own claims being started, and the janitor's takeovers, are not orphans.
        if (this.core.executions.has(id) || this.core.recovering.has(id)) continue;
        const ok = await store.transition({ id, from: ["ACCEPTED"], to: "NEW", owner: name, clearOwner: true });
        log.warn({ job: id, requeued: ok }, "claim whose answer was lost: job back to NEW");
      }
      this.claimUncertain = false;
      return true;
    } catch (err) {
      if (dbErrorClass(err) !== undefined) this.core.dbTrouble.note();
      this.core.metrics?.databaseError("claim");
      this.core.log.error({ err }, "looking for claims whose answer was lost failed");
      return false;
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
