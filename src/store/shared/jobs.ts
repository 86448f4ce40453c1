// Job reads, lists, cancel, compare-and-set transitions, hand-back and retention (spec 9.1, 9.9).
import { FINAL_JOB_STATUSES, HeimdallError, isFinalStatus } from "../../core/index.ts";
import type { Job, JobProgress } from "../../core/index.ts";
import type { CancelOutcome, Transition } from "../contract.ts";
import type { Db, Row } from "./db.ts";
import { num } from "./db.ts";
import { JOB_COLUMNS, jobFromRow } from "./rows.ts";
import type { SetTable } from "./tag-sets.ts";
import { fetchSets, setOf } from "./tag-sets.ts";

/** A job's client tags are rows (its system tags and criteria are columns: job-system-tags.ts, rows.ts). */
export const JOB_SETS: SetTable[] = [{ kind: "tags", table: "job_tags", seqColumn: "job_seq" }];

/** Every table holding rows of a job, children first (retention deletes them in this order). */
const JOB_CHILD_TABLES = ["job_file_chunks", "job_results", "plugin_state", "job_tags", "claims"];

/** Maps job rows to jobs; the client tags of the whole page come from one query. */
export async function jobsFromRows(db: Db, op: string, rows: Row[]): Promise<Job[]> {
  const sets = await fetchSets(
    db,
    op,
    JOB_SETS,
    rows.map((r) => num(r.seq)),
  );
  return rows.map((r) => {
    const seq = num(r.seq);
    return jobFromRow(r, setOf(sets, "tags", seq));
  });
}

export async function getJob(db: Db, id: string): Promise<Job | undefined> {
  const rows = await db.query("getJob", `SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
  return (await jobsFromRows(db, "getJob", rows))[0];
}

/** Jobs by sequence, in the order of `seqs`. */
export async function getJobsBySeq(db: Db, op: string, seqs: readonly number[]): Promise<Map<number, Job>> {
  const out = new Map<number, Job>();
  if (seqs.length === 0) return out;
  const d = db.dialect;
  const rows = await db.query(op, `SELECT ${JOB_COLUMNS} FROM jobs WHERE ${d.inArray("seq", "$1", "bigint")}`, [d.arrayValue(seqs)]);
  const jobs = await jobsFromRows(db, op, rows);
  rows.forEach((r, i) => out.set(num(r.seq), jobs[i] as Job));
  return out;
}

/** Stores (or clears, with null) a job's progress summary; updated_at is not touched (it is not a status change). */
export async function setJobProgress(db: Db, id: string, progress: JobProgress | null): Promise<void> {
  const n = await db.exec("setJobProgress", `UPDATE jobs SET progress = $2 WHERE id = $1`, [
    id,
    progress === null ? null : JSON.stringify(progress),
  ]);
  if (n === 0) throw new HeimdallError("STORE", `store setJobProgress: unknown job ${id}`);
}

export async function cancelJob(db: Db, id: string, by: string | undefined): Promise<CancelOutcome> {
  return db.tx("cancelJob", async (tx) => {
    const rows = await tx.query(
      "cancelJob",
      `UPDATE jobs SET status = 'CANCELING', canceled_by = coalesce($2, canceled_by), updated_at = ${tx.dialect.now}
       WHERE id = $1 AND status IN ('NEW', 'ACCEPTED', 'RUNNING', 'CANCELING') RETURNING seq`,
      [id, by ?? null],
    );
    const seq = rows[0]?.seq;
    if (seq !== undefined) {
      const claim = await tx.query("cancelJob", `SELECT owner FROM claims WHERE job_seq = $1`, [num(seq)]);
      const owner = claim[0]?.owner;
      return { kind: "canceling", owner: owner === null || owner === undefined ? null : String(owner) };
    }
    const cur = await tx.query("cancelJob", `SELECT status FROM jobs WHERE id = $1`, [id]);
    if (cur.length === 0) return { kind: "unknown" };
    return { kind: "final", status: String(cur[0]?.status) as Job["status"] };
  });
}

/**
 * The compare-and-set UPDATE of a transition (spec 9.1): status guard, optional owner guard, and the fields it
 * writes; `RETURNING seq` unless `returning` is false. Engines wrap it with the claim change (sqlite/sql/transition.ts, postgres/sql/…).
 */
export function transitionUpdate(db: Db, t: Transition, returning = true): { sql: string; params: unknown[] } {
  const params: unknown[] = [t.id, t.to];
  const add = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const now = db.dialect.now;
  const sets = ["status = $2", `updated_at = ${now}`];
  // Timing (issue 9 item 2): the first RUNNING stamps started_at, a final status stamps finished_at.
  if (t.to === "RUNNING") sets.push(`started_at = coalesce(started_at, ${now})`);
  if (isFinalStatus(t.to)) sets.push(`finished_at = ${now}`);
  if (t.error !== undefined) sets.push(`error = ${add(t.error)}`);
  if (t.canceledBy !== undefined) sets.push(`canceled_by = ${add(t.canceledBy)}`);
  if (t.jobAttributes !== undefined) sets.push(`job_attributes = ${add(JSON.stringify(t.jobAttributes))}`);
  if (t.markStarted) sets.push("started = TRUE");
  const where = [`id = $1`, `status IN (${t.from.map((s) => add(s)).join(", ")})`];
  if (t.owner !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM claims c WHERE c.job_seq = jobs.seq AND c.owner = ${add(t.owner)})`);
  }
  const sql = `UPDATE jobs SET ${sets.join(", ")} WHERE ${where.join(" AND ")}`;
  return { sql: returning ? `${sql} RETURNING seq` : sql, params };
}

/** D10 hand-back: owner and heartbeat cleared, handed-back flag set; the status is not touched. Guard: owner. */
export async function handBack(db: Db, id: string, owner: string): Promise<boolean> {
  const n = await db.exec(
    "handBack",
    `UPDATE claims SET owner = NULL, heartbeat = NULL, handed_back = TRUE
     WHERE owner = $2 AND job_seq = (SELECT seq FROM jobs WHERE id = $1)`,
    [id, owner],
  );
  return n > 0;
}

/** ACCEPTED jobs claimed by `owner`, oldest first. */
export async function acceptedClaims(db: Db, owner: string, limit: number): Promise<string[]> {
  const rows = await db.query(
    "acceptedClaims",
    `SELECT j.id FROM claims c JOIN jobs j ON j.seq = c.job_seq
     WHERE c.owner = $1 AND j.status = 'ACCEPTED' ORDER BY c.job_seq LIMIT $2`,
    [owner, limit],
  );
  return rows.map((r) => String(r.id));
}

const FINAL_LIST = FINAL_JOB_STATUSES.map((s) => `'${s}'`).join(", ");

/** Retention: up to `limit` final jobs older than `cutoff`, each deleted with all its rows in one transaction. */
export async function deleteFinishedJobs(db: Db, cutoff: number, limit: number): Promise<number> {
  const rows = await db.query(
    "deleteFinishedJobs",
    `SELECT seq FROM jobs WHERE status IN (${FINAL_LIST}) AND updated_at < $1 ORDER BY updated_at, seq LIMIT $2`,
    [cutoff, limit],
  );
  let deleted = 0;
  for (const r of rows) {
    const seq = num(r.seq);
    const ok = await db.tx("deleteFinishedJobs", async (tx) => {
      const still = await tx.query("deleteFinishedJobs", `SELECT seq FROM jobs WHERE seq = $1 AND status IN (${FINAL_LIST})`, [seq]);
      if (still.length === 0) return false;
      for (const table of JOB_CHILD_TABLES) {
        await tx.exec("deleteFinishedJobs", `DELETE FROM ${table} WHERE job_seq = $1`, [seq]);
      }
      return (await tx.exec("deleteFinishedJobs", `DELETE FROM jobs WHERE seq = $1`, [seq])) > 0;
    });
    if (ok) deleted++;
  }
  return deleted;
}

export async function registerInstance(db: Db, name: string): Promise<void> {
  const now = db.dialect.now;
  await db.exec(
    "registerInstance",
    `INSERT INTO instances (name, started_at, heartbeat) VALUES ($1, ${now}, ${now})
     ON CONFLICT (name) DO UPDATE SET heartbeat = excluded.heartbeat`,
    [name],
  );
}

export async function removeInstance(db: Db, name: string): Promise<void> {
  await db.exec("removeInstance", `DELETE FROM instances WHERE name = $1`, [name]);
}
