// PostgreSQL claim/resumeClaim (docs/engine.md) as ONE statement: lock up to $2 claimable claim rows (unowned; job NEW,
// or RUNNING and handed
// back), oldest first, skipping rows other instances are claiming (FOR UPDATE SKIP LOCKED); take them for $1;
// NEW jobs become ACCEPTED. A job that turned CANCELING meanwhile keeps its status (the worker's start fails and it
// takes the cancel path). Returns the claimed jobs (as the claim left them) with their tag sets and the registry
// revision: the runner reads nothing more.
import type { Db } from "../../shared/db.ts";
import type { ClaimedRow } from "../../shared/hot-ops.ts";
import { claimedJobColumns, claimedRow } from "../../shared/hot-ops.ts";
import { postgresDialect } from "../db.ts";

// Plan shape (issue 11): the claimable rows are read in claims_pkey order and the walk stops after $2; each row's job
// is looked up by primary key in a LATERAL subquery that `OFFSET 0` keeps from being flattened into a join (as a
// join, the planner hashed every queued job and sorted the whole queue per claim once the tables had statistics:
// 8-30 ms at 3,000 queued jobs against 1-3 ms now, test/store/claim-plan.test.ts). The updates find their rows by
// primary key (`= ANY(ARRAY(…))`), and the claimed rows are read the LATERAL way too: the hot pool runs the
// generic plan, which cannot know the limit and joined a sequential scan of jobs otherwise. `(x) IS TRUE` keeps
// claims_owner / jobs_status out of the plan on purpose: `owner IS NULL` matches every queued job.

const NOW = postgresDialect.now;

const CLAIM = `WITH picked AS (
    SELECT c.job_seq, s.status FROM claims c
    CROSS JOIN LATERAL (SELECT j.status FROM jobs j WHERE j.seq = c.job_seq
      AND (j.status = 'NEW' OR (j.status = 'RUNNING' AND c.handed_back)) OFFSET 0) s
    WHERE (c.owner IS NULL) IS TRUE
    ORDER BY c.job_seq LIMIT $2
    FOR UPDATE OF c SKIP LOCKED
  ), taken AS (
    UPDATE claims c SET owner = $1, heartbeat = ${NOW}, handed_back = FALSE
    WHERE c.job_seq = ANY(ARRAY(SELECT job_seq FROM picked)) AND (c.owner IS NULL) IS TRUE
    RETURNING c.job_seq
  ), accepted AS (
    UPDATE jobs j SET status = 'ACCEPTED', updated_at = ${NOW}
    WHERE j.seq = ANY(ARRAY(SELECT job_seq FROM taken)) AND (j.status = 'NEW') IS TRUE
    RETURNING j.seq, j.status, j.updated_at
  )
  SELECT p.status AS claimed_status, ${claimedJobColumns("postgres", { status: "coalesce(a.status, j.status)", updated_at: "coalesce(a.updated_at, j.updated_at)" })}
  FROM taken t JOIN picked p ON p.job_seq = t.job_seq
  CROSS JOIN LATERAL (SELECT * FROM jobs WHERE jobs.seq = t.job_seq OFFSET 0) j
  LEFT JOIN accepted a ON a.seq = t.job_seq
  ORDER BY t.job_seq`; // the main query sees the jobs before the CTEs' updates: status and updated_at come from accepted

export async function claimJobs(db: Db, owner: string, limit: number): Promise<ClaimedRow[]> {
  if (limit <= 0) return [];
  const rows = await db.query("claimJobs", CLAIM, [owner, limit]);
  return rows.map((r) => claimedRow(r, r.claimed_status === "RUNNING"));
}
