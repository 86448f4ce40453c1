// PostgreSQL schema migrations: ordered, forward-only, applied at startup under pg_advisory_xact_lock
// (shared/migrate.ts). Timestamps: BIGINT epoch seconds. JSON: TEXT (the store (de)serialises). Every text
// column that is sorted, compared or pattern-matched is COLLATE "C": binary, code point order, case-sensitive,
// identical to SQLite's BINARY collation.
import type { Migration } from "../shared/migrate.ts";
import {
  durationIndexStatements,
  jobCriteriaColumnStatements,
  jobSystemTagStatements,
  jobTimingStatements,
} from "../shared/migration-job-timing.ts";

const T = `TEXT COLLATE "C"`;

export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: "initial schema",
    statements: [
      `CREATE TABLE registry_revision (id INT PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL)`,
      `INSERT INTO registry_revision (id, revision) VALUES (1, 0)`,
      `CREATE TABLE commands (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id ${T} NOT NULL UNIQUE, name ${T} NOT NULL, version ${T} NOT NULL, user_name ${T} NOT NULL,
        description TEXT NOT NULL, status ${T} NOT NULL, plugin ${T} NOT NULL, is_sync BOOLEAN NOT NULL,
        context TEXT, allowed_callers TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX commands_created ON commands (created_at, seq)`,
      `CREATE INDEX commands_updated ON commands (updated_at, seq)`,
      `CREATE TABLE command_tags (command_seq BIGINT NOT NULL REFERENCES commands (seq), tag ${T} NOT NULL,
        PRIMARY KEY (command_seq, tag))`,
      `CREATE TABLE command_cluster_tags (command_seq BIGINT NOT NULL REFERENCES commands (seq), tag ${T} NOT NULL,
        PRIMARY KEY (command_seq, tag))`,
      `CREATE TABLE clusters (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id ${T} NOT NULL UNIQUE, name ${T} NOT NULL, version ${T} NOT NULL, user_name ${T} NOT NULL,
        description TEXT NOT NULL, status ${T} NOT NULL, health_check BOOLEAN NOT NULL, attributes TEXT NOT NULL,
        context TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX clusters_created ON clusters (created_at, seq)`,
      `CREATE INDEX clusters_updated ON clusters (updated_at, seq)`,
      `CREATE TABLE cluster_tags (cluster_seq BIGINT NOT NULL REFERENCES clusters (seq), tag ${T} NOT NULL,
        PRIMARY KEY (cluster_seq, tag))`,
      `CREATE TABLE jobs (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id ${T} NOT NULL UNIQUE, status ${T} NOT NULL, name ${T} NOT NULL, version ${T} NOT NULL,
        description TEXT NOT NULL, context TEXT, error TEXT NOT NULL, user_name ${T} NOT NULL,
        is_sync BOOLEAN NOT NULL, store_result_sync BOOLEAN NOT NULL, canceled_by TEXT NOT NULL,
        job_attributes TEXT NOT NULL, started BOOLEAN NOT NULL DEFAULT FALSE,
        command_id ${T} NOT NULL, command_name ${T} NOT NULL, cluster_id ${T} NOT NULL, cluster_name ${T} NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX jobs_status ON jobs (status, seq)`,
      `CREATE INDEX jobs_created ON jobs (created_at, seq)`,
      `CREATE INDEX jobs_updated ON jobs (updated_at, seq)`,
      `CREATE TABLE job_tags (job_seq BIGINT NOT NULL REFERENCES jobs (seq), tag ${T} NOT NULL,
        PRIMARY KEY (job_seq, tag))`,
      `CREATE INDEX job_tags_tag ON job_tags (tag, job_seq)`,
      `CREATE TABLE job_command_criteria (job_seq BIGINT NOT NULL REFERENCES jobs (seq), tag ${T} NOT NULL,
        PRIMARY KEY (job_seq, tag))`,
      `CREATE TABLE job_cluster_criteria (job_seq BIGINT NOT NULL REFERENCES jobs (seq), tag ${T} NOT NULL,
        PRIMARY KEY (job_seq, tag))`,
      `CREATE TABLE claims (job_seq BIGINT PRIMARY KEY REFERENCES jobs (seq), owner ${T}, heartbeat BIGINT,
        handed_back BOOLEAN NOT NULL DEFAULT FALSE)`,
      `CREATE INDEX claims_owner ON claims (owner)`,
      `CREATE INDEX claims_heartbeat ON claims (heartbeat)`,
      `CREATE TABLE job_file_chunks (job_seq BIGINT NOT NULL REFERENCES jobs (seq), file ${T} NOT NULL,
        chunk_no INT NOT NULL, start_offset BIGINT NOT NULL, data BYTEA NOT NULL,
        PRIMARY KEY (job_seq, file, chunk_no))`,
      `CREATE INDEX job_file_chunks_offset ON job_file_chunks (job_seq, file, start_offset)`,
      `CREATE TABLE job_results (job_seq BIGINT PRIMARY KEY REFERENCES jobs (seq), result TEXT NOT NULL)`,
      `CREATE TABLE instances (name ${T} PRIMARY KEY, started_at BIGINT NOT NULL, heartbeat BIGINT NOT NULL)`,
      `CREATE TABLE plugin_state (job_seq BIGINT NOT NULL REFERENCES jobs (seq), key ${T} NOT NULL,
        value TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (job_seq, key))`,
    ],
  },
  {
    version: 2,
    name: "job timing, progress, list-filter and stats indexes",
    statements: jobTimingStatements("BIGINT", "TEXT", ", seq"),
  },
  { version: 3, name: "duration index for the stats' slowest jobs", statements: durationIndexStatements(", seq") },
  {
    // An UPDATE that changes an indexed column (every status change does) adds an entry to EVERY index of the row
    // whose predicate it matches: a job's four row versions (NEW, ACCEPTED, RUNNING, final) wrote 48 entries to
    // the 12 indexes of jobs. The time indexes are only ever read in ranges (started_after=, finished_before=, the
    // stats), which never match NULL: partial, they take 5 entries per job instead of 16. The same for the owner
    // and heartbeat of a claim, NULL while the job waits (src/store/README.md "PostgreSQL plans").
    version: 4,
    name: "time and claim indexes without their NULL rows",
    statements: [
      ...partial("jobs_started", "jobs (started_at, seq)", "started_at IS NOT NULL"),
      ...partial("jobs_finished", "jobs (finished_at, seq)", "finished_at IS NOT NULL"),
      ...partial("jobs_status_finished", "jobs (status, finished_at, started_at, seq)", "finished_at IS NOT NULL"),
      // The predicate is the stats' own condition (job-stats.ts SLOWEST), so the planner matches it as written.
      ...partial("jobs_duration", "jobs ((finished_at - started_at), seq)", "finished_at - started_at IS NOT NULL"),
      ...partial("claims_owner", "claims (owner)", "owner IS NOT NULL"),
      ...partial("claims_heartbeat", "claims (heartbeat)", "heartbeat IS NOT NULL"),
    ],
  },
  { version: 5, name: "job system tags are their columns", statements: jobSystemTagStatements(", seq") },
  { version: 6, name: "job criteria are columns", statements: jobCriteriaColumnStatements("postgres") },
];

/** Replaces index `name` by one on `on` (table and columns) for the rows matching `where`. */
function partial(name: string, on: string, where: string): string[] {
  return [`DROP INDEX ${name}`, `CREATE INDEX ${name} ON ${on} WHERE ${where}`];
}
