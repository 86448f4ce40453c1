// PostgreSQL compare-and-set transitions of SEVERAL jobs as ONE statement (the transition coalescer,
// ../coalesced.ts): each row carries its own guard (from-statuses, optional owner) and its own changes (error,
// canceled_by, job_attributes, started; NULL = unchanged), the claim change per row (remove / clear owner) and the
// result (`finish`) in
// data-modifying CTEs, atomic with the update. RETURNING tells each caller whether its guard matched. The rows
// must have distinct job ids (the coalescer keys by id). Same effects as transition.ts, one round trip. The owner
// guard reads the job's claim by its key (a generic plan of `EXISTS … c.owner = v.owner` walked claims_owner).
import { FINAL_JOB_STATUSES } from "../../../core/index.ts";
import type { Transition } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import { postgresDialect } from "../db.ts";

const NOW = postgresDialect.now;
const FINAL = FINAL_JOB_STATUSES.map((s) => `'${s}'`).join(", ");

const TRANSITIONS = `WITH v AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::boolean[], $9::text[], $10::text[])
      AS v(id, from_list, to_status, owner, error, canceled_by, job_attributes, mark_started, claim, result)
  ), moved AS (
    UPDATE jobs SET status = v.to_status, updated_at = ${NOW},
      started_at = CASE WHEN v.to_status = 'RUNNING' THEN coalesce(jobs.started_at, ${NOW}) ELSE jobs.started_at END,
      finished_at = CASE WHEN v.to_status IN (${FINAL}) THEN ${NOW} ELSE jobs.finished_at END,
      error = coalesce(v.error, jobs.error), canceled_by = coalesce(v.canceled_by, jobs.canceled_by),
      job_attributes = coalesce(v.job_attributes, jobs.job_attributes), started = jobs.started OR v.mark_started
    FROM v
    WHERE jobs.id = v.id AND jobs.status = ANY(string_to_array(v.from_list, ','))
      AND (v.owner IS NULL OR (SELECT c.owner FROM claims c WHERE c.job_seq = jobs.seq) = v.owner)
    RETURNING jobs.seq, jobs.id, v.claim, v.result
  ), results AS (
    INSERT INTO job_results (job_seq, result) SELECT seq, result FROM moved WHERE result IS NOT NULL
    ON CONFLICT (job_seq) DO UPDATE SET result = excluded.result
  ), removed AS (
    DELETE FROM claims WHERE job_seq IN (SELECT seq FROM moved WHERE claim = 'remove')
  ), cleared AS (
    UPDATE claims SET owner = NULL, heartbeat = NULL WHERE job_seq IN (SELECT seq FROM moved WHERE claim = 'clear')
  )
  SELECT id FROM moved`;

/** Runs `ts` (distinct ids, each with a non-empty `from`); per transition whether its guard matched. */
export async function transitions(db: Db, ts: readonly Transition[]): Promise<boolean[]> {
  const cols: unknown[][] = Array.from({ length: 10 }, () => []);
  for (const t of ts) {
    const claim = t.removeClaim ? "remove" : t.clearOwner ? "clear" : null;
    const row = [
      t.id,
      t.from.join(","),
      t.to,
      t.owner ?? null,
      t.error ?? null,
      t.canceledBy ?? null,
      t.jobAttributes === undefined ? null : JSON.stringify(t.jobAttributes),
      t.markStarted === true,
      claim,
      t.result ?? null,
    ];
    row.forEach((v, i) => cols[i]?.push(v));
  }
  const rows = await db.query("transition", TRANSITIONS, cols);
  const moved = new Set(rows.map((r) => String(r.id)));
  return ts.map((t) => moved.has(t.id));
}
