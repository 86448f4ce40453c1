// SQLite compare-and-set transition (spec 9.1): the guarded UPDATE and, for final states / hand-back, the claim
// change and the result (`finish`) in the same IMMEDIATE transaction. No RETURNING: on SQLite an UPDATE … RETURNING of indexed columns costs
// about twice the plain statement (its statement journal), and the changes count says whether the guard matched.
import type { Transition } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import { transitionUpdate } from "../../shared/jobs.ts";

const JOB_SEQ = `(SELECT seq FROM jobs WHERE id = $1)`;
const REMOVE_CLAIM = `DELETE FROM claims WHERE job_seq = ${JOB_SEQ}`;
const CLEAR_OWNER = `UPDATE claims SET owner = NULL, heartbeat = NULL WHERE job_seq = ${JOB_SEQ}`;
const PUT_RESULT = `INSERT INTO job_results (job_seq, result) VALUES (${JOB_SEQ}, $2)
  ON CONFLICT (job_seq) DO UPDATE SET result = excluded.result`;

export async function transition(db: Db, t: Transition): Promise<boolean> {
  if (t.from.length === 0) return false;
  const { sql, params } = transitionUpdate(db, t, false);
  const claimChange = t.removeClaim ? REMOVE_CLAIM : t.clearOwner ? CLEAR_OWNER : undefined;
  if (!claimChange && t.result === undefined) return (await db.exec("transition", sql, params)) > 0;
  return db.tx("transition", async (tx) => {
    if ((await tx.exec("transition", sql, params)) === 0) return false;
    if (t.result !== undefined) await tx.exec("transition", PUT_RESULT, [t.id, t.result]);
    if (claimChange) await tx.exec("transition", claimChange, [t.id]);
    return true;
  });
}
