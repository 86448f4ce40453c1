// SQLite keepalive (9.5): heartbeat the claims of the owner (all, or those of the given jobs) and its instance
// record, return those jobs' statuses.
import type { OwnedJobState } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import type { JobStatus } from "../../../core/index.ts";

const ALL = `$2 IS NULL`;
const LISTED = `c.job_seq IN (SELECT seq FROM jobs WHERE id IN (SELECT value FROM json_each($2)))`;
const TOUCH_CLAIMS = `UPDATE claims AS c SET heartbeat = unixepoch() WHERE owner = $1 AND (${ALL} OR ${LISTED})`;
const TOUCH_INSTANCE = `UPDATE instances SET heartbeat = unixepoch() WHERE name = $1`;
const OWNED = `SELECT j.id, j.status FROM claims c JOIN jobs j ON j.seq = c.job_seq WHERE c.owner = $1 AND (${ALL} OR ${LISTED})
  ORDER BY c.job_seq`;

export function heartbeat(db: Db, owner: string, jobIds?: readonly string[]): Promise<OwnedJobState[]> {
  const ids = jobIds === undefined ? null : JSON.stringify(jobIds);
  return db.tx("heartbeat", async (tx) => {
    await tx.exec("heartbeat", TOUCH_CLAIMS, [owner, ids]);
    await tx.exec("heartbeat", TOUCH_INSTANCE, [owner]);
    const rows = await tx.query("heartbeat", OWNED, [owner, ids]);
    return rows.map((r) => ({ id: String(r.id), status: String(r.status) as JobStatus }));
  });
}
