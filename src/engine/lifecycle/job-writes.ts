// Writes on a job's path, retried while the database is unreachable (db-retry.ts, docs/engine.md "Database
// outages"), and the error text a job stores.
import type pino from "pino";
import { errorMessage, truncateChars } from "../../core/index.ts";
import { dbErrorClass, type Store, type Transition } from "../../store/index.ts";
import type { EngineMetrics } from "../contract.ts";
import { retryDb, type DbTrouble } from "../db-retry.ts";
import { isLost, type Execution } from "./execution.ts";

export const MAX_ERROR_CHARS = 1024;

/** An error message truncated to 1024 characters (spec 2.4). */
export function jobError(err: unknown): string {
  return truncateChars(errorMessage(err), MAX_ERROR_CHARS);
}

/** What the lifecycle needs of its engine. */
export interface LifecycleDeps {
  store: Store;
  log: pino.Logger;
  metrics: EngineMetrics | undefined;
  /** This instance's name: the owner of its claims. */
  name: string;
  /** How long a job-path write is retried while the database is unreachable. */
  dbRetryMs: number;
  /** When this instance last found the database failing (the janitor waits stale_job after it). */
  dbTrouble: DbTrouble;
}

/** A job-path write failed for longer than the retry window (or for good): the runner gives the job up. */
export class GaveUp extends Error {}

/** A job-path write, retried while the database is unreachable; throws the last error. */
export function retriedWrite<T>(d: LifecycleDeps, exec: Execution, fn: () => Promise<T>, op = "write"): Promise<T> {
  let warned = false;
  return retryDb(fn, {
    windowMs: d.dbRetryMs,
    stop: () => isLost(exec),
    onFailure(err, cls) {
      if (cls !== undefined) d.dbTrouble.note();
      d.metrics?.databaseError(op);
      if (!warned && cls !== undefined) d.log.warn({ err, job_id: exec.job.id, op }, "database write failed; retrying");
      warned = true;
    },
  });
}

/**
 * A compare-and-set, retried while the database is unreachable. When a try may have committed (the connection
 * was lost), a later "no match" is checked against the job: already in the target state (with our error) counts
 * as done. Throws GaveUp when the database stays unreachable; other errors count as "no match".
 */
export async function retriedCas(d: LifecycleDeps, exec: Execution, t: Transition): Promise<boolean> {
  let uncertain = false;
  try {
    const ok = await retriedWrite(
      d,
      exec,
      async () => {
        try {
          return await d.store.transition(t);
        } catch (err) {
          if (dbErrorClass(err) === "unavailable") uncertain = true;
          throw err;
        }
      },
      "transition",
    );
    if (ok || !uncertain) return ok;
    const current = await retriedWrite(d, exec, () => d.store.getJob(t.id), "getJob");
    return current?.status === t.to && (t.error === undefined || current.error === t.error);
  } catch (err) {
    if (dbErrorClass(err) !== undefined) throw new GaveUp(`store transition to ${t.to}: ${jobError(err)}`, { cause: err });
    d.log.error({ err, job_id: t.id, to: t.to }, "job transition failed");
    return false;
  }
}
