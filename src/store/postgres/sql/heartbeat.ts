// PostgreSQL keepalive (9.5) as ONE statement: heartbeat the claims of $1 (all, or those of the jobs in $2) and
// its instance record; return the current status of those jobs. (A data-modifying CTE always runs, even when its
// output is unused.)
import type { JobStatus } from "../../../core/index.ts";
import type { OwnedJobState } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import { postgresDialect } from "../db.ts";

const NOW = postgresDialect.now;

const HEARTBEAT = `WITH touched AS (
    UPDATE claims SET heartbeat = ${NOW} WHERE owner = $1
      AND ($2::text[] IS NULL OR job_seq IN (SELECT seq FROM jobs WHERE id = ANY($2::text[])))
    RETURNING job_seq
  ), inst AS (
    UPDATE instances SET heartbeat = ${NOW} WHERE name = $1 RETURNING name
  )
  SELECT j.id, j.status FROM touched t JOIN jobs j ON j.seq = t.job_seq
  ORDER BY t.job_seq`;

export async function heartbeat(db: Db, owner: string, jobIds?: readonly string[]): Promise<OwnedJobState[]> {
  const rows = await db.query("heartbeat", HEARTBEAT, [owner, jobIds === undefined ? null : [...jobIds]]);
  return rows.map((r) => ({ id: String(r.id), status: String(r.status) as JobStatus }));
}
