// Janitor (spec 9.8, 9.9): recovers stale claims and unowned CANCELING jobs, applies retention.
// Extension (issue 2/4): a stale job whose plugin is resumable is handed back for a worker to resume
// instead of being failed.
import type { Cluster, Command } from "../core/index.ts";
import type { Handler } from "../plugins/index.ts";
import { dbErrorClass, type StaleCandidate } from "../store/index.ts";
import { runCleanup } from "./cleanup.ts";
import type { EngineCore } from "./core.ts";
import { Waker } from "./util.ts";

export const AWOL_ERROR = "awol: job is stale, marking failed";
const CANDIDATES = 3;
const RETENTION_BATCH = 100;

export class Janitor {
  private readonly core: EngineCore;
  private readonly waker = new Waker();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastRetention = 0;
  /** Called after a resumable job was handed back (the pool should claim it). */
  onHandedBack: () => void = () => undefined;

  constructor(core: EngineCore) {
    this.core = core;
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
    const interval = this.core.config.janitor.clean_interval * 1000;
    while (!this.stopped) {
      let handled = 0;
      try {
        await this.retentionIfDue();
        handled = await this.recoveryPass();
      } catch (err) {
        this.core.dbTrouble.note();
        this.core.log.error({ err }, "janitor pass failed");
      }
      if (handled > 0 || this.stopped) continue;
      await this.waker.wait(interval);
    }
  }

  private async retentionIfDue(): Promise<void> {
    const days = this.core.config.janitor.finished_job_retention_days;
    if (days <= 0) return;
    const now = Date.now();
    if (now - this.lastRetention < this.core.config.janitor.clean_interval * 1000) return;
    this.lastRetention = now;
    await this.retentionPass(days);
  }

  /** Deletes final jobs older than `days`, in batches of 100 until none remain. Returns the count. */
  async retentionPass(days: number): Promise<number> {
    const cutoff = Math.floor((await this.core.store.now()) - days * 86_400);
    let total = 0;
    for (;;) {
      const n = await this.core.store.deleteFinishedJobs(cutoff, RETENTION_BATCH);
      total += n;
      if (n > 0) this.core.metrics?.retentionDeleted(n);
      if (n < RETENTION_BATCH || this.stopped) break;
    }
    return total;
  }

  /** One recovery pass; returns how many jobs it handled. */
  async recoveryPass(): Promise<number> {
    const { store, name } = this.core;
    const staleMs = this.core.config.janitor.stale_job * 1000;
    const candidates = await store.staleCandidates(this.core.config.janitor.stale_job, CANDIDATES);
    const taken: StaleCandidate[] = [];
    for (const c of candidates) {
      // Our own running executions are finalized by their runner.
      if ((c.owner === name && this.core.executions.has(c.job.id)) || this.core.recovering.has(c.job.id)) continue;
      // After a database failure nobody could refresh claims: a heartbeat-stale claim counts only once this
      // instance has seen the database working for stale_job (docs/engine.md "Database outages").
      if (c.heartbeat !== null && !this.core.dbTrouble.quietFor(staleMs)) continue;
      if (await store.takeOverClaim(c.job.id, { owner: c.owner, heartbeat: c.heartbeat }, name)) {
        this.core.recovering.add(c.job.id);
        taken.push(c);
      }
    }
    await Promise.all(taken.map((c) => this.recover(c).finally(() => this.core.recovering.delete(c.job.id))));
    return taken.length;
  }

  private async resolve(c: StaleCandidate): Promise<{ command?: Command; cluster?: Cluster; handler?: Handler; resumable: boolean }> {
    try {
      const snap = await this.core.registry.snapshot();
      const command = snap.commandById.get(c.job.command_id);
      const cluster = snap.clusterById.get(c.job.cluster_id);
      if (!command) return { ...(cluster ? { cluster } : {}), resumable: false };
      const resumable = this.core.handlers.plugin(command.plugin)?.resumable === true;
      const handler = await this.core.handlers.get(command).catch(() => undefined);
      return { command, ...(cluster ? { cluster } : {}), ...(handler ? { handler } : {}), resumable };
    } catch (err) {
      // The database failing again: do not judge the job without its plugin (a resumable job would be failed).
      // The taken-over claim is no longer refreshed once recover() returns, so a later pass takes it again.
      if (dbErrorClass(err) !== undefined) throw err;
      return { resumable: false };
    }
  }

  private async recover(c: StaleCandidate): Promise<void> {
    const { store, name, log, metrics } = this.core;
    const id = c.job.id;
    try {
      const r = await this.resolve(c);
      const status = c.job.status;
      // Sync jobs are never resumed: their request is gone with the instance.
      if (status !== "CANCELING" && r.resumable && !c.job.is_sync) {
        // Extension: the plugin can re-attach to its external work, so hand the job back instead of failing it.
        const ok =
          status === "ACCEPTED"
            ? await store.transition({ id, from: ["ACCEPTED"], to: "NEW", owner: name, clearOwner: true })
            : await store.handBack(id, name);
        log.info({ job: id, status, ok }, "stale job of a resumable plugin handed back for resumption");
        if (ok) this.onHandedBack();
        return;
      }
      await runCleanup(this.core, r.command?.plugin ?? "", r.handler, id, r.cluster);
      if (status === "CANCELING") {
        if (await store.transition({ id, from: ["CANCELING"], to: "CANCELED", owner: name, removeClaim: true })) {
          metrics?.janitorRecovered("canceled");
          metrics?.jobFinished(c.job.command_id, c.job.cluster_id, "CANCELED", 0);
        }
        return;
      }
      if (await store.transition({ id, from: [status], to: "FAILED", owner: name, error: AWOL_ERROR, removeClaim: true })) {
        metrics?.janitorRecovered("failed_stale");
        metrics?.jobFinished(c.job.command_id, c.job.cluster_id, "FAILED", 0);
        log.warn({ job: id, owner: c.owner }, AWOL_ERROR);
        return;
      }
      // Canceled meanwhile: cleanup already ran, finish the cancel.
      if (await store.transition({ id, from: ["CANCELING"], to: "CANCELED", owner: name, removeClaim: true })) {
        metrics?.janitorRecovered("canceled");
      }
    } catch (err) {
      if (dbErrorClass(err) !== undefined) this.core.dbTrouble.note();
      log.error({ err, job: id }, "janitor recovery failed");
    }
  }
}
