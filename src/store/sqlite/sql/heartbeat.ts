// SQLite keepalive (9.5): heartbeat every claim of the owner and its instance record, return the jobs' statuses.
import type { OwnedJobState } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import type { JobStatus } from "../../../core/index.ts";

const TOUCH_CLAIMS = `UPDATE claims SET heartbeat = unixepoch() WHERE owner = $1`;
const TOUCH_INSTANCE = `UPDATE instances SET heartbeat = unixepoch() WHERE name = $1`;
const OWNED = `SELECT j.id, j.status FROM claims c JOIN jobs j ON j.seq = c.job_seq WHERE c.owner = $1 ORDER BY c.job_seq`;

export function heartbeat(db: Db, owner: string): Promise<OwnedJobState[]> {
  return db.tx("heartbeat", async (tx) => {
    await tx.exec("heartbeat", TOUCH_CLAIMS, [owner]);
    await tx.exec("heartbeat", TOUCH_INSTANCE, [owner]);
    const rows = await tx.query("heartbeat", OWNED, [owner]);
    return rows.map((r) => ({ id: String(r.id), status: String(r.status) as JobStatus }));
  });
}
