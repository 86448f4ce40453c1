// PostgreSQL T3/T5 as ONE statement: lock up to $2 claimable claim rows (unowned; job NEW, or RUNNING and handed
// back), oldest first, skipping rows other instances are claiming (FOR UPDATE SKIP LOCKED); take them for $1;
// NEW jobs become ACCEPTED. A job that turned CANCELING meanwhile keeps its status (the worker's T4 fails and it
// takes the cancel path). Returns the claimed jobs (as the claim left them) with their tag sets and the registry
// revision: the runner reads nothing more.
import type { Db } from "../../shared/db.ts";
import type { ClaimedRow } from "../../shared/hot-ops.ts";
import { claimedJobColumns, claimedRow } from "../../shared/hot-ops.ts";
import { postgresDialect } from "../db.ts";

const NOW = postgresDialect.now;

const CLAIM = `WITH picked AS (
    SELECT c.job_seq, j.status FROM claims c JOIN jobs j ON j.seq = c.job_seq
    WHERE c.owner IS NULL AND (j.status = 'NEW' OR (j.status = 'RUNNING' AND c.handed_back))
    ORDER BY c.job_seq LIMIT $2
    FOR UPDATE OF c SKIP LOCKED
  ), taken AS (
    UPDATE claims c SET owner = $1, heartbeat = ${NOW}, handed_back = FALSE
    FROM picked p WHERE c.job_seq = p.job_seq AND c.owner IS NULL
    RETURNING c.job_seq
  ), accepted AS (
    UPDATE jobs j SET status = 'ACCEPTED', updated_at = ${NOW}
    FROM taken t WHERE j.seq = t.job_seq AND j.status = 'NEW'
    RETURNING j.seq, j.status, j.updated_at
  )
  SELECT p.status AS claimed_status, ${claimedJobColumns("postgres", { status: "coalesce(a.status, j.status)", updated_at: "coalesce(a.updated_at, j.updated_at)" })}
  FROM taken t JOIN picked p ON p.job_seq = t.job_seq JOIN jobs j ON j.seq = t.job_seq
  LEFT JOIN accepted a ON a.seq = t.job_seq
  ORDER BY t.job_seq`; // the main query sees the jobs before the CTEs' updates: status and updated_at come from accepted

export async function claimJobs(db: Db, owner: string, limit: number): Promise<ClaimedRow[]> {
  if (limit <= 0) return [];
  const rows = await db.query("claimJobs", CLAIM, [owner, limit]);
  return rows.map((r) => claimedRow(r, r.claimed_status === "RUNNING"));
}
