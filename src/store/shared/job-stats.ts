// GET /api/v1/stats (issue 9 item 4) on both engines: every part is an exact index range per status over the
// jobs of the window (jobs_status_created for the counts; jobs_status_finished for the hours, the slowest and the
// failures), with no sort of the window; the slowest and the failures then read the few rows they name by seq.
import { FINAL_JOB_STATUSES, JOB_STATUSES } from "../../core/index.ts";
import type { JobProgress, JobStats, JobStatus } from "../../core/index.ts";
import type { Db } from "./db.ts";
import { num } from "./db.ts";

const HOUR = 3600;
const TOP = 5;

// One index range per status (status, created_at): a single scan over created_at would read the table rows.
const COUNTS = JOB_STATUSES.map(
  (s) => `SELECT '${s}' AS status, count(*) AS n FROM jobs WHERE status = '${s}' AND created_at >= $1`,
).join(" UNION ALL ");
/** A count of one status finished in the hour `h` (the first hour starts at $1, the window's start). */
const inHour = (status: string) => `(SELECT count(*) FROM jobs WHERE status = '${status}'
    AND finished_at >= CASE WHEN h < $1 THEN $1 ELSE h END AND finished_at < h + ${HOUR})`;
// One exact index range per hour and status (no GROUP BY sort): hours from $2 (the hour of $1) to $3 (now).
const PER_HOUR = `WITH RECURSIVE hours(h) AS (
    SELECT CAST($2 AS BIGINT) UNION ALL SELECT h + ${HOUR} FROM hours WHERE h + ${HOUR} <= $3)
  SELECT h AS hour, ${inHour("SUCCEEDED")} AS succeeded, ${inHour("FAILED")} AS failed, ${inHour("CANCELED")} AS canceled
  FROM hours ORDER BY h`;
/** The 5 longest of each final status (index range on status, finished_at), then the 5 longest of those. */
const SLOWEST_SEQS = FINAL_JOB_STATUSES.map((s, i) => `SELECT * FROM (SELECT seq, finished_at - started_at AS d FROM jobs
    WHERE status = '${s}' AND finished_at >= $1 AND started_at IS NOT NULL ORDER BY d DESC, seq DESC LIMIT ${TOP}) AS s${i}`)
  .join(" UNION ALL ");
const SLOWEST = `SELECT seq, id, name, status, started_at, finished_at, finished_at - started_at AS duration FROM jobs
  WHERE seq IN (SELECT seq FROM (${SLOWEST_SEQS}) AS u ORDER BY d DESC, seq DESC LIMIT ${TOP})
  ORDER BY duration DESC, seq DESC`;
const FAILURES = `SELECT seq, id, name, error, finished_at FROM jobs
  WHERE seq IN (SELECT seq FROM jobs WHERE status = 'FAILED' AND finished_at >= $1
    ORDER BY finished_at DESC, seq DESC LIMIT ${TOP})
  ORDER BY finished_at DESC, seq DESC`;
const RUNNING_PROGRESS = `SELECT progress FROM jobs WHERE status = 'RUNNING' AND progress IS NOT NULL`;

/** The stats since `since` (epoch seconds; default: 24 hours before the database clock). */
export async function jobStats(db: Db, since?: number): Promise<JobStats> {
  const op = "jobStats";
  const clock = async () => num((await db.query(op, `SELECT ${db.dialect.now} AS now`))[0]?.now);
  const until = await clock();
  const from = since ?? until - 24 * HOUR;
  // Independent reads: on PostgreSQL they run at once on several pooled connections (one round trip of waiting).
  const [countRows, hourRows, progressRows, slow, failed] = await Promise.all([
    db.query(op, COUNTS, [from]),
    db.query(op, PER_HOUR, [from, Math.floor(from / HOUR) * HOUR, until]),
    db.query(op, RUNNING_PROGRESS),
    db.query(op, SLOWEST, [from]),
    db.query(op, FAILURES, [from]),
  ]);
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const r of countRows) counts[String(r.status) as JobStatus] = num(r.n);

  const hours = hourRows.map((r) => ({ hour: num(r.hour), succeeded: num(r.succeeded), failed: num(r.failed),
    canceled: num(r.canceled) }));

  let runningTasks = 0;
  for (const r of progressRows) {
    const running = (JSON.parse(String(r.progress)) as Partial<JobProgress>).running;
    if (typeof running === "number" && Number.isFinite(running)) runningTasks += running;
  }

  const slowest = slow.map((r) => ({ id: String(r.id), name: String(r.name), status: String(r.status) as JobStatus,
    started_at: num(r.started_at), finished_at: num(r.finished_at), duration: num(r.duration) }));
  const recent = failed.map((r) => ({ id: String(r.id), name: String(r.name), error: String(r.error),
    finished_at: num(r.finished_at) }));
  return { since: from, until, counts, finished_per_hour: hours, running_ecs_tasks: runningTasks,
    slowest, recent_failures: recent };
}
