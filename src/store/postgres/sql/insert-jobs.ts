// PostgreSQL enqueue/submitSync for SEVERAL jobs as ONE statement (the insert coalescer, ../coalesced.ts): one array
// parameter per column, unnested into rows; the client tags come flattened as (job id, tag) pairs. Each row has its
// own registry-revision guard: a row whose revision differs is not inserted (its caller gets undefined). The jobs
// get their sequence numbers in call order. Same rows as insert-job.ts, one round trip for the whole batch.
import { FINAL_JOB_STATUSES } from "../../../core/index.ts";
import type { NewJob } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import type { InsertedJob } from "../../shared/hot-ops.ts";
import { JOB_INSERT_COLUMNS, insertedJob, jobInsertValues } from "../../shared/hot-ops.ts";
import { storedJobTags } from "../../shared/job-system-tags.ts";
import { postgresDialect } from "../db.ts";

const NOW = postgresDialect.now;
const FINAL = FINAL_JOB_STATUSES.map((s) => `'${s}'`).join(", ");
/** Types of the 18 values of jobInsertValues, then owner and registry revision. */
const TYPES = [
  ...["text", "text", "text", "text", "text", "text", "text", "text", "boolean", "boolean", "text", "text"],
  ...["text", "text", "text", "text", "text", "text", "text", "bigint"],
];
const NAMES = `id, status, name, version, description, context, error, user_name, is_sync, store_result_sync, canceled_by,
  job_attributes, command_id, command_name, cluster_id, cluster_name, command_criteria, cluster_criteria, owner, revision`;
const COLUMNS = TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(", ");
const TAG_PARAMS = TYPES.length; // then the (ids, tags) pair of the client tags

const INSERT_JOBS = `WITH v AS (
    SELECT * FROM unnest(${COLUMNS}) WITH ORDINALITY AS v(${NAMES}, ord)
  ), j AS (
    INSERT INTO jobs (${JOB_INSERT_COLUMNS})
    SELECT id, status, name, version, description, context, error, user_name, is_sync, store_result_sync, canceled_by,
      job_attributes, command_id, command_name, cluster_id, cluster_name, command_criteria, cluster_criteria, ${NOW}, ${NOW},
      CASE WHEN status = 'RUNNING' THEN ${NOW} END, CASE WHEN status IN (${FINAL}) THEN ${NOW} END
    FROM v WHERE revision IS NULL OR revision = (SELECT revision FROM registry_revision WHERE id = 1)
    ORDER BY ord
    RETURNING seq, id, created_at, started_at, finished_at
  ), t AS (
    INSERT INTO job_tags (job_seq, tag)
    SELECT j.seq, x.tag FROM unnest($${TAG_PARAMS + 1}::text[], $${TAG_PARAMS + 2}::text[]) AS x(id, tag) JOIN j ON j.id = x.id
    ON CONFLICT DO NOTHING
  ), c AS (
    INSERT INTO claims (job_seq, owner, heartbeat, handed_back)
    SELECT j.seq, v.owner, CASE WHEN v.owner IS NULL THEN NULL ELSE ${NOW} END, FALSE FROM j JOIN v ON v.id = j.id
  )
  SELECT seq, id, created_at, started_at, finished_at FROM j`;

/** Inserts `jobs` (distinct ids); per job its InsertedJob, or undefined when its registry guard failed. */
export async function insertJobs(db: Db, jobs: readonly NewJob[]): Promise<(InsertedJob | undefined)[]> {
  const columns: unknown[][] = TYPES.map(() => []);
  const tagIds: string[] = [];
  const tags: string[] = [];
  for (const job of jobs) {
    const values = [...jobInsertValues(job), job.owner ?? null, job.registryRevision ?? null];
    values.forEach((v, i) => columns[i]?.push(v));
    for (const tag of storedJobTags(job.tags)) {
      tagIds.push(job.id);
      tags.push(tag);
    }
  }
  const rows = await db.query("insertJob", INSERT_JOBS, [...columns, tagIds, tags]);
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  return jobs.map((job) => insertedJob(byId.get(job.id)));
}
