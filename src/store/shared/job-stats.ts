// GET /api/v1/stats (issue 9 item 4) on both engines: the counts and the hours are index ranges per status over the
// jobs of the window (jobs_status_created, jobs_status_finished), the slowest a walk down jobs_duration, the
// failures a backward range of jobs_status_finished; the slowest and the failures then read their few rows by seq.
import { JOB_STATUSES } from "../../core/index.ts";
import type { JobProgress, JobStats, JobStatus } from "../../core/index.ts";
import type { Db } from "./db.ts";
import { num } from "./db.ts";

const HOUR = 3600;
const TOP = 5;

// One index range per status (status, created_at): a single scan over created_at would read the table rows.
const COUNTS = JOB_STATUSES.map((s) => `SELECT '${s}' AS status, count(*) AS n FROM jobs WHERE status = '${s}' AND created_at >= $1`).join(
  " UNION ALL ",
);
/** A count of one status finished in the hour `h` (the first hour starts at $1, the window's start). */
const inHour = (status: string) => `(SELECT count(*) FROM jobs WHERE status = '${status}'
    AND finished_at >= CASE WHEN h < $1 THEN $1 ELSE h END AND finished_at < h + ${HOUR})`;
/**
 * SQLite: one exact index range per hour and status (no GROUP BY sort, which costs SQLite a temporary b-tree):
 * hours from $2 (the hour of $1) to $3 (now).
 */
const PER_HOUR_SQLITE = `WITH RECURSIVE hours(h) AS (
    SELECT CAST($2 AS BIGINT) UNION ALL SELECT h + ${HOUR} FROM hours WHERE h + ${HOUR} <= $3)
  SELECT h AS hour, ${inHour("SUCCEEDED")} AS succeeded, ${inHour("FAILED")} AS failed, ${inHour("CANCELED")} AS canceled
  FROM hours ORDER BY h`;
/**
 * PostgreSQL: the counts and the hours in ONE pass over the window's rows (a hash aggregate; index ranges per hour
 * cost a heap visit per row for rows not yet all-visible): per status, the jobs created since $1 and, for the
 * final statuses the chart shows, the jobs finished since $1 per hour.
 */
const COUNTS_AND_HOURS_PG = `SELECT status,
    CASE WHEN finished_at >= $1 AND status IN ('SUCCEEDED', 'FAILED', 'CANCELED') THEN (finished_at / ${HOUR}) * ${HOUR} END AS hour,
    count(*) FILTER (WHERE created_at >= $1) AS created, count(*) AS n
  FROM jobs WHERE created_at >= $1 OR finished_at >= $1 GROUP BY 1, 2`;
/**
 * The 5 longest jobs finished since $1: a walk down jobs_duration (the expression must match the index's) that
 * stops at the fifth job of the window. `+finished_at` keeps SQLite from reading the window's range of
 * jobs_finished instead and sorting it.
 */
const SLOWEST = `SELECT seq, id, name, status, started_at, finished_at, finished_at - started_at AS duration FROM jobs
  WHERE seq IN (SELECT seq FROM jobs WHERE finished_at - started_at IS NOT NULL AND +finished_at >= $1
    ORDER BY finished_at - started_at DESC, seq DESC LIMIT ${TOP})
  ORDER BY duration DESC, seq DESC`;
const FAILURES = `SELECT seq, id, name, error, finished_at FROM jobs
  WHERE seq IN (SELECT seq FROM jobs WHERE status = 'FAILED' AND finished_at >= $1
    ORDER BY finished_at DESC, seq DESC LIMIT ${TOP})
  ORDER BY finished_at DESC, seq DESC`;
/** The statements that read the time indexes by range, for plan tests (test/store/postgres-partial-indexes.test.ts). */
export const STATS_RANGE_QUERIES = { slowest: SLOWEST, failures: FAILURES } as const;
const RUNNING_PROGRESS = `SELECT progress FROM jobs WHERE status = 'RUNNING' AND progress IS NOT NULL`;

/** The stats since `since` (epoch seconds; default: 24 hours before the database clock). */
export async function jobStats(db: Db, since?: number): Promise<JobStats> {
  const op = "jobStats";
  const clock = async () => num((await db.query(op, `SELECT ${db.dialect.now} AS now`))[0]?.now);
  const until = await clock();
  const from = since ?? until - 24 * HOUR;
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  const hours: JobStats["finished_per_hour"] = [];
  const byHour = new Map<number, JobStats["finished_per_hour"][number]>();
  for (let h = Math.floor(from / HOUR) * HOUR; h <= until; h += HOUR) {
    const row = { hour: h, succeeded: 0, failed: 0, canceled: 0 };
    hours.push(row);
    byHour.set(h, row);
  }
  const addFinished = (status: string, hour: number, n: number): void => {
    const row = byHour.get(hour);
    if (!row) return; // finished after the clock read (a job finishing during the query)
    if (status === "SUCCEEDED") row.succeeded += n;
    else if (status === "FAILED") row.failed += n;
    else if (status === "CANCELED") row.canceled += n;
  };
  const windowed = async (): Promise<void> => {
    if (db.dialect.name === "postgres") {
      for (const r of await db.query(op, COUNTS_AND_HOURS_PG, [from])) {
        counts[String(r.status) as JobStatus] += num(r.created);
        if (r.hour !== null && r.hour !== undefined) addFinished(String(r.status), num(r.hour), num(r.n));
      }
      return;
    }
    const [countRows, hourRows] = await Promise.all([
      db.query(op, COUNTS, [from]),
      db.query(op, PER_HOUR_SQLITE, [from, Math.floor(from / HOUR) * HOUR, until]),
    ]);
    for (const r of countRows) counts[String(r.status) as JobStatus] = num(r.n);
    for (const r of hourRows) {
      for (const st of ["SUCCEEDED", "FAILED", "CANCELED"]) addFinished(st, num(r.hour), num(r[st.toLowerCase()]));
    }
  };
  // Independent reads: on PostgreSQL they run at once on several pooled connections (one round trip of waiting).
  const [, progressRows, slow, failed] = await Promise.all([
    windowed(),
    db.query(op, RUNNING_PROGRESS),
    db.query(op, SLOWEST, [from]),
    db.query(op, FAILURES, [from]),
  ]);

  let runningTasks = 0;
  for (const r of progressRows) {
    const running = (JSON.parse(String(r.progress)) as Partial<JobProgress>).running;
    if (typeof running === "number" && Number.isFinite(running)) runningTasks += running;
  }

  const slowest = slow.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    status: String(r.status) as JobStatus,
    started_at: num(r.started_at),
    finished_at: num(r.finished_at),
    duration: num(r.duration),
  }));
  const recent = failed.map((r) => ({ id: String(r.id), name: String(r.name), error: String(r.error), finished_at: num(r.finished_at) }));
  return { since: from, until, counts, finished_per_hour: hours, running_ecs_tasks: runningTasks, slowest, recent_failures: recent };
}
