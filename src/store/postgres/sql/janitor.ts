// PostgreSQL janitor selection (9.8): stale claims and unowned CANCELING jobs, oldest first, skipping claim rows
// another instance has locked (e.g. a concurrent claim or takeover); and the takeover compare-and-set.
import type { Db } from "../../shared/db.ts";
import type { StaleRow } from "../../shared/hot-ops.ts";
import { staleRows } from "../../shared/hot-ops.ts";
import { postgresDialect } from "../db.ts";

const NOW = postgresDialect.now;

const STALE = `SELECT c.job_seq AS seq, c.owner, c.heartbeat FROM claims c JOIN jobs j ON j.seq = c.job_seq
  WHERE (c.heartbeat IS NOT NULL AND c.heartbeat < ${NOW} - $1::bigint)
     OR (c.owner IS NULL AND j.status = 'CANCELING')
  ORDER BY c.job_seq LIMIT $2
  FOR UPDATE OF c SKIP LOCKED`;
const TAKE_OVER = `UPDATE claims SET owner = $2, heartbeat = ${NOW}, handed_back = FALSE
  WHERE job_seq = (SELECT seq FROM jobs WHERE id = $1)
    AND owner IS NOT DISTINCT FROM $3::text AND heartbeat IS NOT DISTINCT FROM $4::bigint`;

export async function staleCandidates(db: Db, staleSeconds: number, limit: number): Promise<StaleRow[]> {
  return staleRows(await db.query("staleCandidates", STALE, [Math.floor(staleSeconds), limit]));
}

export async function takeOverClaim(
  db: Db,
  id: string,
  observed: { owner: string | null; heartbeat: number | null },
  owner: string,
): Promise<boolean> {
  return (await db.exec("takeOverClaim", TAKE_OVER, [id, owner, observed.owner, observed.heartbeat])) > 0;
}
