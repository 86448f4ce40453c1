// Worker pool and feeder (spec 9.3): claims only for idle workers, woken at once by local submissions and by
// the store's jobs-available notifications; polling every pool.sleep ms is only a safety net.
import { dbErrorClass } from "../store/index.ts";
import type { EngineState } from "./engine-state.ts";
import type { Execution } from "./lifecycle/index.ts";
import { runJob } from "./runner.ts";
import { Waker } from "./waits.ts";

export class WorkerPool {
  private readonly state: EngineState;
  readonly size: number;
  private busy = 0;
  private readonly waker = new Waker();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly workers = new Set<Promise<void>>();
  /** A claim call failed: it may have committed without its answer (see requeueOrphanedClaims). */
  private claimUncertain = false;

  constructor(state: EngineState) {
    this.state = state;
    this.size = state.options.poolSize > 0 ? state.options.poolSize : 10;
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
    const sleepMs = Math.max(this.state.options.poolSleepMs, 1);
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
      let claimed: Execution[] = [];
      try {
        // claim / resumeClaim: the executions are registered before anything else runs (a cancel finds them).
        claimed = await this.state.lifecycle.claim(idle);
      } catch (err) {
        this.claimUncertain = true;
        if (dbErrorClass(err) !== undefined) this.state.dbTrouble.note();
        this.state.metrics?.databaseError("claim");
        this.state.log.error({ err }, "claiming jobs failed");
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
   * ACCEPTED jobs owned by this instance that nothing here runs. Nothing was started for them (the runner's `start`
   * comes before execute), so they go back to NEW (`unclaim`) before anything is claimed again; no claim of this instance is in
   * flight meanwhile (the feeder claims one call at a time). Returns false when the database still fails.
   */
  private async requeueOrphanedClaims(): Promise<boolean> {
    const { store, name, log } = this.state;
    try {
      const ids = await store.acceptedClaims(name, 1000);
      for (const id of ids) {
        // Our own claims being started, and the janitor's takeovers, are not orphans.
        if (this.state.executions.has(id) || this.state.recovering.has(id)) continue;
        const ok = await this.state.lifecycle.unclaimOrphan(id);
        log.warn({ job_id: id, requeued: ok }, "claim whose answer was lost: job back to NEW");
      }
      this.claimUncertain = false;
      return true;
    } catch (err) {
      if (dbErrorClass(err) !== undefined) this.state.dbTrouble.note();
      this.state.metrics?.databaseError("claim");
      this.state.log.error({ err }, "looking for claims whose answer was lost failed");
      return false;
    }
  }

  private startWorker(exec: Execution): void {
    this.busy++;
    this.report();
    const w = runJob(this.state, exec)
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
    this.state.metrics?.workers(this.busy, this.idle);
  }
}
