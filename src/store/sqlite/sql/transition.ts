// SQLite compare-and-set transition (spec 9.1): the guarded UPDATE and, for final states / hand-back, the claim
// change in the same IMMEDIATE transaction.
import type { Transition } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import { num } from "../../shared/db.ts";
import { transitionUpdate } from "../../shared/jobs.ts";

const REMOVE_CLAIM = `DELETE FROM claims WHERE job_seq = $1`;
const CLEAR_OWNER = `UPDATE claims SET owner = NULL, heartbeat = NULL WHERE job_seq = $1`;

export async function transition(db: Db, t: Transition): Promise<boolean> {
  if (t.from.length === 0) return false;
  const { sql, params } = transitionUpdate(db, t);
  const claimChange = t.removeClaim ? REMOVE_CLAIM : t.clearOwner ? CLEAR_OWNER : undefined;
  if (!claimChange) return (await db.query("transition", sql, params)).length > 0;
  return db.tx("transition", async (tx) => {
    const rows = await tx.query("transition", sql, params);
    if (rows[0] === undefined) return false;
    await tx.exec("transition", claimChange, [num(rows[0].seq)]);
    return true;
  });
}
