// PostgreSQL compare-and-set transition (spec 9.1) as ONE statement: the guarded UPDATE of the job and, for final
// states / hand-back, the claim change, and the result (`finish`) in data-modifying CTEs (atomic with the update).
import type { Transition } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import { transitionUpdate } from "../../shared/jobs.ts";

export async function transition(db: Db, t: Transition): Promise<boolean> {
  if (t.from.length === 0) return false;
  const { sql, params } = transitionUpdate(db, t);
  const claimChange = t.removeClaim
    ? `DELETE FROM claims WHERE job_seq IN (SELECT seq FROM moved)`
    : t.clearOwner
      ? `UPDATE claims SET owner = NULL, heartbeat = NULL WHERE job_seq IN (SELECT seq FROM moved)`
      : undefined;
  const ctes = [`moved AS (${sql})`];
  if (claimChange) ctes.push(`claim AS (${claimChange})`);
  if (t.result !== undefined) {
    params.push(t.result);
    ctes.push(`result AS (INSERT INTO job_results (job_seq, result) SELECT seq, $${params.length} FROM moved
      ON CONFLICT (job_seq) DO UPDATE SET result = excluded.result)`);
  }
  const text = ctes.length > 1 ? `WITH ${ctes.join(", ")} SELECT seq FROM moved` : sql;
  return (await db.query("transition", text, params)).length > 0;
}
