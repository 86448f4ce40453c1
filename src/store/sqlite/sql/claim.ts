// SQLite claim/resumeClaim (docs/engine.md): one IMMEDIATE transaction (SQLite serialises writers, so no row can be claimed twice).
// Unowned claims whose job is NEW, or RUNNING and handed back; oldest first. CANCELING jobs are never claimed.
// Returns the claimed jobs with their tag sets and the registry revision.
import type { Db } from "../../shared/db.ts";
import { num } from "../../shared/db.ts";
import type { ClaimedRow } from "../../shared/hot-ops.ts";
import { claimedJobColumns, claimedRow } from "../../shared/hot-ops.ts";

const SELECT_CLAIMABLE = `SELECT c.job_seq AS seq, j.status FROM claims c JOIN jobs j ON j.seq = c.job_seq
  WHERE c.owner IS NULL AND (j.status = 'NEW' OR (j.status = 'RUNNING' AND c.handed_back = 1))
  ORDER BY c.job_seq LIMIT $1`;
const TAKE_CLAIMS = `UPDATE claims SET owner = $1, heartbeat = unixepoch(), handed_back = 0
  WHERE job_seq IN (SELECT value FROM json_each($2))`;
const ACCEPT_JOBS = `UPDATE jobs SET status = 'ACCEPTED', updated_at = unixepoch()
  WHERE seq IN (SELECT value FROM json_each($1)) AND status = 'NEW'`;
/** What the runner needs, read in the claim's transaction: no second read of the jobs after the claim. */
const CLAIMED = `SELECT ${claimedJobColumns("sqlite")} FROM jobs j WHERE j.seq IN (SELECT value FROM json_each($1))
  ORDER BY j.seq`;

export function claimJobs(db: Db, owner: string, limit: number): Promise<ClaimedRow[]> {
  if (limit <= 0) return Promise.resolve([]);
  return db.tx("claimJobs", async (tx) => {
    const rows = await tx.query("claimJobs", SELECT_CLAIMABLE, [limit]);
    if (rows.length === 0) return [];
    const seqs = JSON.stringify(rows.map((r) => num(r.seq)));
    await tx.exec("claimJobs", TAKE_CLAIMS, [owner, seqs]);
    await tx.exec("claimJobs", ACCEPT_JOBS, [seqs]);
    const resumed = new Set(rows.filter((r) => r.status === "RUNNING").map((r) => num(r.seq)));
    return (await tx.query("claimJobs", CLAIMED, [seqs])).map((r) => claimedRow(r, resumed.has(num(r.seq))));
  });
}
