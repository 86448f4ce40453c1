// Janitor (spec 9.8, 9.9): recovers stale claims and unowned CANCELING jobs, applies retention.
// Extension (issue 2/4): a stale job whose plugin is resumable is handed back for a worker to resume
// instead of being failed.
import { dbErrorClass, type StaleCandidate } from "../store/index.ts";
import { runCleanup } from "./cleanup.ts";
import type { EngineState } from "./engine-state.ts";
import { resolveJob, type ResolvedJob } from "./lifecycle/index.ts";
import { Waker } from "./waits.ts";

const CANDIDATES = 3;
const RETENTION_BATCH = 100;

export class Janitor {
  private readonly state: EngineState;
  private readonly waker = new Waker();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastRetention = 0;
  /** Called after a resumable job was handed back (the pool should claim it). */
  onHandedBack: () => void = () => undefined;

  constructor(state: EngineState) {
    this.state = state;
  }

  start(): void {
    this.stopped = false;
    this.loop ??= this.run();
  }

  wake(): void {
    this.waker.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waker.wake();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    const interval = this.state.options.cleanIntervalMs;
    while (!this.stopped) {
      let handled = 0;
      try {
        await this.retentionIfDue();
        handled = await this.recoveryPass();
      } catch (err) {
        this.state.dbTrouble.note();
        this.state.log.error({ err }, "janitor pass failed");
      }
      if (handled > 0 || this.stopped) continue;
      await this.waker.wait(interval);
    }
  }

  private async retentionIfDue(): Promise<void> {
    const keepMs = this.state.options.retentionMs;
    if (keepMs <= 0) return;
    const now = Date.now();
    if (now - this.lastRetention < this.state.options.cleanIntervalMs) return;
    this.lastRetention = now;
    await this.retentionPass(keepMs);
  }

  /** Deletes final jobs older than `keepMs`, in batches of 100 until none remain. Returns the count. */
  async retentionPass(keepMs: number): Promise<number> {
    const cutoff = Math.floor((await this.state.store.now()) - keepMs / 1000);
    let total = 0;
    for (;;) {
      const n = await this.state.store.deleteFinishedJobs(cutoff, RETENTION_BATCH);
      total += n;
      if (n > 0) this.state.metrics?.retentionDeleted(n);
      if (n < RETENTION_BATCH || this.stopped) break;
    }
    return total;
  }

  /** One recovery pass; returns how many jobs it handled. */
  async recoveryPass(): Promise<number> {
    const { store, name } = this.state;
    const staleMs = this.state.options.staleJobMs;
    const candidates = await store.staleCandidates(staleMs / 1000, CANDIDATES);
    const taken: StaleCandidate[] = [];
    for (const c of candidates) {
      // Our own running executions are finalized by their runner.
      if ((c.owner === name && this.state.executions.has(c.job.id)) || this.state.recovering.has(c.job.id)) continue;
      // After a database failure nobody could refresh claims: a heartbeat-stale claim counts only once this
      // instance has seen the database working for stale_job (docs/engine.md "Database outages").
      if (c.heartbeat !== null && !this.state.dbTrouble.quietFor(staleMs)) continue;
      if (await store.takeOverClaim(c.job.id, { owner: c.owner, heartbeat: c.heartbeat }, name)) {
        this.state.recovering.add(c.job.id);
        taken.push(c);
      }
    }
    await Promise.all(taken.map((c) => this.recover(c).finally(() => this.state.recovering.delete(c.job.id))));
    return taken.length;
  }

  /** resolveJob; a job whose registry read fails for another reason than the database is judged without its plugin. */
  private async resolve(c: StaleCandidate): Promise<ResolvedJob> {
    try {
      return await resolveJob(this.state, c.job);
    } catch (err) {
      // The database failing again: do not judge the job without its plugin (a resumable job would be failed).
      // The taken-over claim is no longer refreshed once recover() returns, so a later pass takes it again.
      if (dbErrorClass(err) !== undefined) throw err;
      return { resumable: false };
    }
  }

  private async recover(c: StaleCandidate): Promise<void> {
    const { lifecycle, log, metrics } = this.state;
    const id = c.job.id;
    try {
      const r = await this.resolve(c);
      const status = c.job.status;
      // Sync jobs are never resumed: their request is gone with the instance.
      if (status !== "CANCELING" && r.resumable && !c.job.is_sync) {
        // Extension: the plugin can re-attach to its external work, so hand the job back instead of failing it.
        if (await lifecycle.handBackStale(c.job)) this.onHandedBack();
        return;
      }
      await runCleanup(this.state, r.command?.plugin ?? "", r.handler, id, r.cluster);
      if (status === "CANCELING") {
        if (await lifecycle.confirmCancelStale(c.job)) metrics?.janitorRecovered("canceled");
        return;
      }
      if (await lifecycle.failStale(c.job, status, c.owner)) {
        metrics?.janitorRecovered("failed_stale");
        return;
      }
      // Canceled meanwhile: cleanup already ran, finish the cancel.
      if (await lifecycle.confirmCancelStale(c.job)) metrics?.janitorRecovered("canceled");
    } catch (err) {
      if (dbErrorClass(err) !== undefined) this.state.dbTrouble.note();
      log.error({ err, job_id: id }, "janitor recovery failed");
    }
  }
}
