// Migration 2 on both engines (issue 9 item 2, issue 11 item 2): job timing columns, the progress summary, and
// the indexes the list filters and the stats query need. SQLite appends the rowid (seq) to every index itself;
// PostgreSQL gets `seq` spelled out (`rowidTail`).
import { FINAL_JOB_STATUSES, RESERVED_TAG_PREFIXES } from "../../core/index.ts";

const FINAL = FINAL_JOB_STATUSES.map((s) => `'${s}'`).join(", ");

/**
 * Migration 3: the stats' slowest jobs walk an index on the duration (an expression both engines index and match
 * when the query spells it the same way: `finished_at - started_at`), newest seq first among equals.
 */
export function durationIndexStatements(rowidTail: string): string[] {
  return [`CREATE INDEX jobs_duration ON jobs ((finished_at - started_at)${rowidTail})`];
}

export function jobTimingStatements(intType: string, textType: string, rowidTail: string): string[] {
  return [
    `ALTER TABLE jobs ADD COLUMN started_at ${intType}`,
    `ALTER TABLE jobs ADD COLUMN finished_at ${intType}`,
    `ALTER TABLE jobs ADD COLUMN progress ${textType}`,
    // Backfill: a final job finished when it last changed. started_at stays NULL for old rows (not recorded).
    `UPDATE jobs SET finished_at = updated_at WHERE status IN (${FINAL})`,
    // List filters: exact values and prefix ranges of name and user, newest first by seq.
    `CREATE INDEX jobs_name ON jobs (name${rowidTail})`,
    `CREATE INDEX jobs_user ON jobs (user_name${rowidTail})`,
    // status= with order_by=created_at (the UI's default order), and the stats counts per status since S.
    `CREATE INDEX jobs_status_created ON jobs (status, created_at${rowidTail})`,
    // started_after=, finished_before=
    `CREATE INDEX jobs_started ON jobs (started_at${rowidTail})`,
    `CREATE INDEX jobs_finished ON jobs (finished_at${rowidTail})`,
    // The stats per hour, slowest and recent failures: exact ranges per status, read without the table.
    `CREATE INDEX jobs_status_finished ON jobs (status, finished_at, started_at${rowidTail})`,
  ];
}

/**
 * The job system tags become their columns (job-system-tags.ts): their job_tags rows go (each prefix an index range
 * of job_tags_tag; client tags with these prefixes were never stored), and `_version:` gets the index that `_id:`
 * (jobs_id_key) and `_name:` (jobs_name) already have.
 */
export function jobSystemTagStatements(rowidTail: string): string[] {
  return [
    ...RESERVED_TAG_PREFIXES.map((p) => `DELETE FROM job_tags WHERE tag >= '${p}' AND tag < '${p.slice(0, -1)};'`),
    `CREATE INDEX jobs_version ON jobs (version${rowidTail})`,
  ];
}

/**
 * A job's command and cluster criteria become columns of jobs (rows.ts criteriaText: a JSON array in code-point
 * order, the order their rows were read in): on the job path their rows were two inserts and two foreign-key
 * checks per job, and the claim read them back with two subqueries per job. Nothing filters on them. One UPDATE
 * fills both columns, so every job gets one new row version, not two.
 */
export function jobCriteriaColumnStatements(engine: "sqlite" | "postgres"): string[] {
  const tables = { command_criteria: "job_command_criteria", cluster_criteria: "job_cluster_criteria" };
  const agg = engine === "sqlite" ? "json_group_array(tag ORDER BY tag)" : "json_agg(tag ORDER BY tag)::text";
  const entries = Object.entries(tables);
  return [
    ...entries.map(([column]) => `ALTER TABLE jobs ADD COLUMN ${column} TEXT NOT NULL DEFAULT '[]'`),
    `UPDATE jobs SET ${entries
      .map(([column, table]) => `${column} = coalesce((SELECT ${agg} FROM ${table} WHERE job_seq = jobs.seq), '[]')`)
      .join(", ")}
    WHERE ${entries.map(([, table]) => `EXISTS (SELECT 1 FROM ${table} WHERE job_seq = jobs.seq)`).join(" OR ")}`,
    ...entries.map(([, table]) => `DROP TABLE ${table}`),
  ];
}
