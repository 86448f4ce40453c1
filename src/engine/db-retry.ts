// Retries of job-path database writes while the database is unreachable (issue 8 item 1; docs/engine.md
// "Database outages"). Classes come from the store (dbErrorClass): `unavailable` and `busy` are retried with
// capped exponential backoff for a bounded window, `io` (SQLite I/O error, full disk) a few times only, any
// other error not at all (or `otherRetries` times).
import { dbErrorClass, type DbErrorClass } from "../store/index.ts";
import { sleep } from "./waits.ts";

export const RETRY_BASE_MS = 100;
export const RETRY_MAX_MS = 2000;
/** Tries of a write failing with an SQLite I/O error or a full disk before it fails for good. */
export const IO_RETRIES = 3;
/** Default retry window: five minutes, at least stale_job. */
export function defaultDbRetryMs(staleJobMs: number): number {
  return Math.max(300_000, staleJobMs);
}

export interface RetryPolicy {
  /** Longest time spent retrying `unavailable` / `busy` failures, from the first failure. */
  windowMs: number;
  baseMs?: number;
  maxMs?: number;
  /** Retries of errors without a class (default 0). */
  otherRetries?: number;
  /** Checked before each retry: true ends the retries (the job is no longer ours). */
  stop?: () => boolean;
  /** Called for every failed try. */
  onFailure?: (err: unknown, cls: DbErrorClass | undefined, attempt: number) => void;
}

/** Calls `fn` until it succeeds or the policy gives up; then rethrows the last error. */
export async function retryDb<T>(fn: () => Promise<T>, p: RetryPolicy): Promise<T> {
  const base = p.baseMs ?? RETRY_BASE_MS;
  const max = p.maxMs ?? RETRY_MAX_MS;
  let first: number | undefined;
  let delay = base;
  let io = 0;
  let other = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const cls = dbErrorClass(err);
      p.onFailure?.(err, cls, attempt);
      first ??= Date.now();
      if (cls === undefined && ++other > (p.otherRetries ?? 0)) throw err;
      if (cls === "io" && ++io >= IO_RETRIES) throw err;
      if (Date.now() - first + delay > p.windowMs || p.stop?.()) throw err;
      await sleep(delay);
      if (p.stop?.()) throw err;
      delay = Math.min(delay * 2, max);
    }
  }
}

/**
 * When this instance last found the database failing (a heartbeat, a janitor pass or a job-path write). The
 * janitor takes over no heartbeat-stale claim within stale_job of it: nobody could refresh claims meanwhile.
 */
export class DbTrouble {
  /** Date.now() of the last failure; 0 = none seen. */
  last = 0;
  note(): void {
    this.last = Date.now();
  }
  /** True when the last failure is at least `ms` ago. */
  quietFor(ms: number): boolean {
    return Date.now() - this.last >= ms;
  }
}
