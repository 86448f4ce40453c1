// The PostgreSQL store's hot writes through coalescers (../shared/coalescer.ts): concurrent insertJob, transition
// and putResult calls run as one statement per batch (sql/insert-jobs.ts, sql/transitions.ts, sql/put-results.ts);
// a call alone runs the single-call statement. Round trips, not rows, are what a job costs on PostgreSQL.
import pg from "pg";
import { HeimdallError } from "../../core/index.ts";
import type { NewJob, Transition } from "../contract.ts";
import type { Db } from "../shared/db.ts";
import { Coalescer } from "../shared/coalescer.ts";
import { putResult } from "../shared/files.ts";
import type { InsertedJob } from "../shared/hot-ops.ts";
import { insertJob } from "./sql/insert-job.ts";
import { insertJobs } from "./sql/insert-jobs.ts";
import { putResults } from "./sql/put-results.ts";
import { transition } from "./sql/transition.ts";
import { transitions } from "./sql/transitions.ts";

/**
 * SQLSTATE classes of errors that the server reports for a statement it rolled back because of its data (a
 * row's duplicate key, a bad value, a serialization failure): the batch stored nothing and each call may run
 * alone. Others (no SQLSTATE: connection lost or client timeout; 57: canceled or timed out; 08, 53, XX, …)
 * fail the whole batch, as each call would have failed alone.
 */
const RUN_ALONE_CLASSES = new Set(["22", "23", "40", "42"]);
export function batchStoredNothing(err: unknown): boolean {
  // The store wraps the driver's error (HeimdallError STORE, cause: the pg.DatabaseError with the SQLSTATE).
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    if (e instanceof pg.DatabaseError) return typeof e.code === "string" && RUN_ALONE_CLASSES.has(e.code.slice(0, 2));
  }
  return false;
}

export interface CoalescedWrites {
  insertJob(job: NewJob): Promise<InsertedJob | undefined>;
  transition(t: Transition): Promise<boolean>;
  putResult(jobId: string, json: string): Promise<void>;
  /** The coalescers, for tests. */
  readonly coalescers: { insertJob: Coalescer<NewJob, InsertedJob | undefined>; transition: Coalescer<Transition, boolean> };
}

/**
 * `maxInFlight` (default 1): batches of one kind running at once. One gives the biggest batches: 1.4 statements
 * per ping job against 2.3 with two in flight (2,000 jobs, pool 10); more in flight lets a call that arrives
 * mid-batch start without waiting a round trip. Measured at load 11-13 on 2 cores: 1 → 103 and 94 jobs/s,
 * 3 → 111 and 126 jobs/s, within that load's noise; at low load a job's cost is CPU, which round trips drive.
 */
export function coalescedWrites(db: Db, opts: { maxInFlight?: number } = {}): CoalescedWrites {
  const maxInFlight = opts.maxInFlight ?? 1;
  const inserts = new Coalescer<NewJob, InsertedJob | undefined>({
    runBatch: (jobs) => insertJobs(db, jobs),
    runOne: (job) => insertJob(db, job),
    canRunAlone: batchStoredNothing,
    key: (job) => job.id,
    maxInFlight,
  });
  const moves = new Coalescer<Transition, boolean>({
    runBatch: (ts) => transitions(db, ts),
    runOne: (t) => transition(db, t),
    canRunAlone: batchStoredNothing,
    key: (t) => t.id,
    maxInFlight,
  });
  // An unknown job's call fails alone (its answer is the error), as files.putResult would fail it.
  const results = new Coalescer<{ jobId: string; json: string }, HeimdallError | undefined>({
    async runBatch(items) {
      const stored = await putResults(db, items);
      return items.map((r) => (stored.has(r.jobId) ? undefined : unknownJob(r.jobId)));
    },
    runOne: async (r) => {
      await putResult(db, r.jobId, r.json);
      return undefined;
    },
    canRunAlone: batchStoredNothing,
    key: (r) => r.jobId,
    maxInFlight,
  });
  return {
    insertJob: (job) => inserts.call(job),
    transition: (t) => (t.from.length === 0 ? Promise.resolve(false) : moves.call(t)),
    async putResult(jobId, json) {
      const err = await results.call({ jobId, json });
      if (err) throw err;
    },
    coalescers: { insertJob: inserts, transition: moves },
  };
}

function unknownJob(jobId: string): HeimdallError {
  return new HeimdallError("STORE", `store putResult: unknown job ${jobId}`);
}
