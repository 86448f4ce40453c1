// SQLite enqueue/submitSync (docs/engine.md): job row (criteria included), client tags and claim in one transaction (statements prepared once, cached). Concurrent
// inserts share one commit through the connection's group commit (sqlite/db.ts), each in its own savepoint.
import type { NewJob } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import { num } from "../../shared/db.ts";
import type { InsertedJob } from "../../shared/hot-ops.ts";
import { JOB_INSERT_COLUMNS, insertedJob, jobInsertTimes, jobInsertValues } from "../../shared/hot-ops.ts";
import { storedJobTags } from "../../shared/job-system-tags.ts";

/** $19: the registry revision guard (NULL: none). */
const INSERT_JOB = `INSERT INTO jobs (${JOB_INSERT_COLUMNS})
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, ${jobInsertTimes("unixepoch()")}
  WHERE $19 IS NULL OR $19 = (SELECT revision FROM registry_revision WHERE id = 1)`;
/** The inserted row's generated values (no RETURNING on the insert: on SQLite it costs twice the plain statement). */
const INSERTED = `SELECT seq, created_at, started_at, finished_at FROM jobs WHERE seq = last_insert_rowid()`;
const insertSet = (table: string) =>
  `INSERT INTO ${table} (job_seq, tag) SELECT $1, value FROM json_each($2) WHERE true ON CONFLICT DO NOTHING`;
const INSERT_TAGS = insertSet("job_tags");
const INSERT_CLAIM = `INSERT INTO claims (job_seq, owner, heartbeat, handed_back)
  VALUES ($1, $2, CASE WHEN $2 IS NULL THEN NULL ELSE unixepoch() END, 0)`;

export function insertJob(db: Db, job: NewJob): Promise<InsertedJob | undefined> {
  return db.tx("insertJob", async (tx) => {
    const inserted = await tx.exec("insertJob", INSERT_JOB, [...jobInsertValues(job), job.registryRevision ?? null]);
    if (inserted === 0) return undefined; // the registry changed since the job was routed
    const row = (await tx.query("insertJob", INSERTED))[0];
    const seq = num(row?.seq);
    const tags = storedJobTags(job.tags);
    if (tags.length) await tx.exec("insertJob", INSERT_TAGS, [seq, JSON.stringify(tags)]);
    await tx.exec("insertJob", INSERT_CLAIM, [seq, job.owner ?? null]);
    return insertedJob(row);
  });
}
