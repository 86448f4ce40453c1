// GET /api/v1/stats (issue 9 item 4) on both engines: every part is an index range scan over the jobs of the
// window (jobs_status_created for the counts, jobs_finished for the hours, the slowest and the failures), then
// one lookup of the few rows it names.
import { JOB_STATUSES } from "../../core/index.ts";
import type { JobProgress, JobStats, JobStatus } from "../../core/index.ts";
import type { Db } from "./db.ts";
import { num, numOrNull } from "./db.ts";

const HOUR = 3600;
const TOP = 5;
const BUCKETED = { SUCCEEDED: "succeeded", FAILED: "failed", CANCELED: "canceled" } as const;

// One index range per status (status, created_at): a single scan over created_at would read the table rows.
const COUNTS = JOB_STATUSES.map(
  (s) => `SELECT '${s}' AS status, count(*) AS n FROM jobs WHERE status = '${s}' AND created_at >= $1`,
).join(" UNION ALL ");
const PER_HOUR = `SELECT (finished_at / ${HOUR}) * ${HOUR} AS hour, status, count(*) AS n FROM jobs
  WHERE finished_at >= $1 AND status IN ('SUCCEEDED', 'FAILED', 'CANCELED') GROUP BY 1, 2`;
const SLOWEST = `SELECT seq, finished_at - started_at AS duration FROM jobs
  WHERE finished_at >= $1 AND started_at IS NOT NULL ORDER BY 2 DESC, seq DESC LIMIT ${TOP}`;
const FAILURES = `SELECT seq FROM jobs WHERE finished_at >= $1 AND status = 'FAILED'
  ORDER BY finished_at DESC, seq DESC LIMIT ${TOP}`;
const RUNNING_PROGRESS = `SELECT progress FROM jobs WHERE status = 'RUNNING' AND progress IS NOT NULL`;

/** The stats since `since` (epoch seconds; default: 24 hours before the database clock). */
export async function jobStats(db: Db, since?: number): Promise<JobStats> {
  const op = "jobStats";
  const until = num((await db.query(op, `SELECT ${db.dialect.now} AS now`))[0]?.now);
  const from = since ?? until - 24 * HOUR;
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const r of await db.query(op, COUNTS, [from])) counts[String(r.status) as JobStatus] = num(r.n);

  const hours = new Map<number, JobStats["finished_per_hour"][number]>();
  for (let h = Math.floor(from / HOUR) * HOUR; h <= until; h += HOUR) {
    hours.set(h, { hour: h, succeeded: 0, failed: 0, canceled: 0 });
  }
  for (const r of await db.query(op, PER_HOUR, [from])) {
    const bucket = hours.get(num(r.hour));
    const key = BUCKETED[String(r.status) as keyof typeof BUCKETED];
    if (bucket && key) bucket[key] += num(r.n);
  }

  let runningTasks = 0;
  for (const r of await db.query(op, RUNNING_PROGRESS)) {
    const running = (JSON.parse(String(r.progress)) as Partial<JobProgress>).running;
    if (typeof running === "number" && Number.isFinite(running)) runningTasks += running;
  }

  const slow = await db.query(op, SLOWEST, [from]);
  const failed = await db.query(op, FAILURES, [from]);
  const seqs = [...new Set([...slow, ...failed].map((r) => num(r.seq)))];
  const rows = new Map<number, Record<string, unknown>>();
  if (seqs.length > 0) {
    const d = db.dialect;
    const found = await db.query(op, `SELECT seq, id, name, status, error, started_at, finished_at FROM jobs
      WHERE ${d.inArray("seq", "$1", "bigint")}`, [d.arrayValue(seqs)]);
    for (const r of found) rows.set(num(r.seq), r);
  }
  const slowest: JobStats["slowest"] = [];
  for (const s of slow) {
    const r = rows.get(num(s.seq));
    const started = numOrNull(r?.started_at);
    const finished = numOrNull(r?.finished_at);
    if (!r || started === null || finished === null) continue;
    slowest.push({ id: String(r.id), name: String(r.name), status: String(r.status) as JobStatus, started_at: started,
      finished_at: finished, duration: finished - started });
  }
  const recent: JobStats["recent_failures"] = [];
  for (const f of failed) {
    const r = rows.get(num(f.seq));
    if (r) recent.push({ id: String(r.id), name: String(r.name), error: String(r.error), finished_at: num(r.finished_at) });
  }
  return { since: from, until, counts, finished_per_hour: [...hours.values()], running_ecs_tasks: runningTasks,
    slowest, recent_failures: recent };
}
