// PostgreSQL enqueue/submitSync (docs/engine.md) as ONE statement (implicitly one transaction): job row (criteria
// included), client tags from an array, and the claim
// (unowned for async jobs; owned, with a heartbeat, for sync jobs). No NOTIFY here: the submit path calls
// notifyJobsAvailable() after an async insert has committed.
import type { NewJob } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import type { InsertedJob } from "../../shared/hot-ops.ts";
import { JOB_INSERT_COLUMNS, insertedJob, jobInsertTimes, jobInsertValues } from "../../shared/hot-ops.ts";
import { storedJobTags } from "../../shared/job-system-tags.ts";
import { postgresDialect } from "../db.ts";

const NOW = postgresDialect.now;

// $21: the registry revision guard (NULL: none); nothing is inserted when the revision differs.
const INSERT_JOB = `WITH j AS (
    INSERT INTO jobs (${JOB_INSERT_COLUMNS})
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::boolean, $10::boolean, $11, $12, $13, $14, $15, $16, $17, $18,
      ${jobInsertTimes(NOW)}
    WHERE $21::bigint IS NULL OR $21::bigint = (SELECT revision FROM registry_revision WHERE id = 1)
    RETURNING seq, created_at, started_at, finished_at
  ), t AS (
    INSERT INTO job_tags (job_seq, tag) SELECT j.seq, x FROM j, unnest($19::text[]) AS x ON CONFLICT DO NOTHING
  ), c AS (
    INSERT INTO claims (job_seq, owner, heartbeat, handed_back)
    SELECT j.seq, $20::text, CASE WHEN $20::text IS NULL THEN NULL ELSE ${NOW} END, FALSE FROM j
  )
  SELECT seq, created_at, started_at, finished_at FROM j`;

export async function insertJob(db: Db, job: NewJob): Promise<InsertedJob | undefined> {
  const rows = await db.query("insertJob", INSERT_JOB, [
    ...jobInsertValues(job),
    storedJobTags(job.tags),
    job.owner ?? null,
    job.registryRevision ?? null,
  ]);
  return insertedJob(rows[0]);
}
