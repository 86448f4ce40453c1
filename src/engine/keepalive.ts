// Keepalive (spec 9.5): ONE heartbeat timer per process for all claims of this instance. The heartbeat
// returns the owned jobs' statuses: CANCELING → abort `cancel`; no longer owned → abort `lost`.
// Only the claims of jobs this instance really works on are refreshed (its executions and the janitor's
// recoveries): a job a runner gave up goes stale at once, so another instance's janitor recovers it.
import type { EngineState } from "./engine-state.ts";

export class Keepalive {
  private readonly state: EngineState;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(state: EngineState) {
    this.state = state;
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
    }, this.state.options.keepaliveMs);
  }

  /** One heartbeat; errors are logged and retried at the next tick. */
  async beat(): Promise<void> {
    const t0 = performance.now();
    let owned;
    try {
      owned = await this.state.store.heartbeat(this.state.name, [...this.state.executions.keys(), ...this.state.recovering]);
    } catch (err) {
      this.state.dbTrouble.note();
      this.state.metrics?.databaseError("heartbeat");
      this.state.log.error({ err }, "heartbeat failed");
      return;
    }
    const status = new Map(owned.map((o) => [o.id, o.status]));
    for (const exec of this.state.executions.values()) {
      // Executions registered after the heartbeat started may not be in its answer yet.
      if (exec.since >= t0 || exec.phase === "settled" || exec.returned) continue;
      const s = status.get(exec.job.id);
      if (s === undefined) {
        this.state.log.warn({ job_id: exec.job.id }, "claim lost; aborting execution");
        this.state.lifecycle.abort(exec, "lost");
      } else if (s === "CANCELING") {
        this.state.lifecycle.abort(exec, "cancel");
      }
    }
  }
}
