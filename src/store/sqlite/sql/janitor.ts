// SQLite janitor selection (9.8) and claim takeover (compare-and-set on the observed owner and heartbeat).
import type { Db } from "../../shared/db.ts";
import type { StaleRow } from "../../shared/hot-ops.ts";
import { staleRows } from "../../shared/hot-ops.ts";

const STALE = `SELECT c.job_seq AS seq, c.owner, c.heartbeat FROM claims c JOIN jobs j ON j.seq = c.job_seq
  WHERE (c.heartbeat IS NOT NULL AND c.heartbeat < unixepoch() - $1)
     OR (c.owner IS NULL AND j.status = 'CANCELING')
  ORDER BY c.job_seq LIMIT $2`;
const TAKE_OVER = `UPDATE claims SET owner = $2, heartbeat = unixepoch(), handed_back = 0
  WHERE job_seq = (SELECT seq FROM jobs WHERE id = $1)
    AND owner IS NOT DISTINCT FROM $3 AND heartbeat IS NOT DISTINCT FROM $4`;

export async function staleCandidates(db: Db, staleSeconds: number, limit: number): Promise<StaleRow[]> {
  return staleRows(await db.query("staleCandidates", STALE, [staleSeconds, limit]));
}

export async function takeOverClaim(
  db: Db,
  id: string,
  observed: { owner: string | null; heartbeat: number | null },
  owner: string,
): Promise<boolean> {
  return (await db.exec("takeOverClaim", TAKE_OVER, [id, owner, observed.owner, observed.heartbeat])) > 0;
}
