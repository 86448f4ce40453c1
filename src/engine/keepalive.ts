// Keepalive (spec 9.5): ONE heartbeat timer per process for all claims of this instance. The heartbeat
// returns the owned jobs' statuses: CANCELING → abort `cancel`; no longer owned → abort `lost`.
// Only the claims of jobs this instance really works on are refreshed (its executions and the janitor's
// recoveries): a job a runner gave up goes stale at once, so another instance's janitor recovers it.
import { abortExecution, type EngineCore } from "./core.ts";

export class Keepalive {
  private readonly core: EngineCore;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(core: EngineCore) {
    this.core = core;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.beat().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.core.config.janitor.keepalive * 1000);
  }

  /** One heartbeat; errors are logged and retried at the next tick. */
  async beat(): Promise<void> {
    const t0 = performance.now();
    let owned;
    try {
      owned = await this.core.store.heartbeat(this.core.name, [...this.core.executions.keys(), ...this.core.recovering]);
    } catch (err) {
      this.core.dbTrouble.note();
      this.core.metrics?.databaseError("heartbeat");
      this.core.log.error({ err }, "heartbeat failed");
      return;
    }
    const status = new Map(owned.map((o) => [o.id, o.status]));
    for (const exec of this.core.executions.values()) {
      // Executions registered after the heartbeat started may not be in its answer yet.
      if (exec.since >= t0 || exec.phase === "settled" || exec.returned) continue;
      const s = status.get(exec.job.id);
      if (s === undefined) {
        this.core.log.warn({ job: exec.job.id }, "claim lost; aborting execution");
        abortExecution(exec, "lost");
      } else if (s === "CANCELING") {
        abortExecution(exec, "cancel");
      }
    }
  }
}
