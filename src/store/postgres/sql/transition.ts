// PostgreSQL compare-and-set transition (spec 9.1) as ONE statement: the guarded UPDATE of the job and, for final
// states / hand-back, the claim change in a data-modifying CTE (atomic with the update).
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
  const text = claimChange ? `WITH moved AS (${sql}), claim AS (${claimChange}) SELECT seq FROM moved` : sql;
  return (await db.query("transition", text, params)).length > 0;
}
