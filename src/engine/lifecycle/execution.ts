// The execution record: one job this instance is executing (pool worker or sync request), and the registry of
// them. Only the lifecycle module writes it; everything else sees the read-only `Execution`.
import type { Job } from "../../core/index.ts";
import type { AbortKind, AbortReason } from "../../plugins/index.ts";

/** pending: sync job not stored yet; claimed: stored/claimed, not started; started: runtime prepared; settled: execute ended. */
export type Phase = "pending" | "claimed" | "started" | "settled";

export interface Execution {
  readonly job: Job;
  readonly sync: boolean;
  readonly resumed: boolean;
  readonly controller: AbortController;
  readonly phase: Phase;
  /** performance.now() when the claim was known to be stored; keepalive checks only older executions. */
  readonly since: number;
  /** Plugin of the command is resumable (known after resolve). */
  readonly resumable: boolean;
  /** Put back to NEW during drain (unclaim): the runner drops the job. */
  readonly returned: boolean;
  /** jobStarted was reported to the metrics (a DROPPED outcome then reports jobLeft). */
  readonly counted: boolean;
  /** Date.now() when the runner started the job (duration of its log line and metrics); 0 before. */
  readonly startedAt: number;
  /** The registry revision the claim read (resolveJob then needs no read of its own); undefined: read it. */
  readonly registryRevision: number | undefined;
}

/** The writable record; lifecycle files only (not exported by lifecycle/index.ts). */
export type MutableExecution = { -readonly [K in keyof Execution]: Execution[K] };

export function newExecution(job: Job, sync: boolean, resumed: boolean, phase: Phase): MutableExecution {
  return {
    job,
    sync,
    resumed,
    controller: new AbortController(),
    phase,
    since: phase === "pending" ? Number.POSITIVE_INFINITY : performance.now(),
    resumable: false,
    returned: false,
    counted: false,
    startedAt: 0,
    registryRevision: undefined,
  };
}

/** Aborts an execution unless execute already settled; the first reason wins. */
export function abortExecution(e: Execution, kind: AbortKind, by?: string): void {
  if (e.phase === "settled" || e.controller.signal.aborted) return;
  const reason: AbortReason = by === undefined ? { kind } : { kind, by };
  e.controller.abort(reason);
}

/** The claim was taken from this instance (or the engine stopped): writes for the job stop retrying. */
export function isLost(e: Execution): boolean {
  return e.controller.signal.aborted && (e.controller.signal.reason as AbortReason | undefined)?.kind === "lost";
}

/** The executions of this instance by job id, read-only outside the lifecycle module. */
export interface ExecutionsView {
  readonly size: number;
  get(id: string): Execution | undefined;
  has(id: string): boolean;
  values(): IterableIterator<Execution>;
  keys(): IterableIterator<string>;
  /** Resolves when no execution is left (at once when none is). */
  whenEmpty(): Promise<void>;
}

export class Executions implements ExecutionsView {
  private readonly map = new Map<string, MutableExecution>();
  private emptied: { promise: Promise<void>; resolve: () => void } | undefined;

  get size(): number {
    return this.map.size;
  }
  get(id: string): MutableExecution | undefined {
    return this.map.get(id);
  }
  has(id: string): boolean {
    return this.map.has(id);
  }
  values(): IterableIterator<MutableExecution> {
    return this.map.values();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  add(e: MutableExecution): void {
    this.map.set(e.job.id, e);
  }

  /** Removes `e` (only when it is still the registered execution of its job). */
  remove(e: Execution): void {
    if (this.map.get(e.job.id) !== e) return;
    this.map.delete(e.job.id);
    if (this.map.size === 0 && this.emptied) {
      this.emptied.resolve();
      this.emptied = undefined;
    }
  }

  whenEmpty(): Promise<void> {
    if (this.map.size === 0) return Promise.resolve();
    if (!this.emptied) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.emptied = { promise, resolve };
    }
    return this.emptied.promise;
  }
}
