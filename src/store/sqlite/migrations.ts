// SQLite schema migrations: ordered, forward-only, applied at startup (shared/migrate.ts).
// Timestamps: INTEGER epoch seconds (64-bit). JSON: TEXT. Booleans: INTEGER 0/1. Text compares with BINARY
// collation (code point order, case-sensitive), which is SQLite's default.
import type { Migration } from "../shared/migrate.ts";
import {
  durationIndexStatements,
  jobCriteriaColumnStatements,
  jobSystemTagStatements,
  jobTimingStatements,
} from "../shared/migration-job-timing.ts";

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: "initial schema",
    statements: [
      `CREATE TABLE registry_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL)`,
      `INSERT INTO registry_revision (id, revision) VALUES (1, 0)`,
      `CREATE TABLE commands (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, version TEXT NOT NULL, user_name TEXT NOT NULL,
        description TEXT NOT NULL, status TEXT NOT NULL, plugin TEXT NOT NULL, is_sync INTEGER NOT NULL,
        context TEXT, allowed_callers TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      `CREATE INDEX commands_created ON commands (created_at, seq)`,
      `CREATE INDEX commands_updated ON commands (updated_at, seq)`,
      `CREATE TABLE command_tags (command_seq INTEGER NOT NULL REFERENCES commands (seq), tag TEXT NOT NULL,
        PRIMARY KEY (command_seq, tag)) WITHOUT ROWID`,
      `CREATE TABLE command_cluster_tags (command_seq INTEGER NOT NULL REFERENCES commands (seq), tag TEXT NOT NULL,
        PRIMARY KEY (command_seq, tag)) WITHOUT ROWID`,
      `CREATE TABLE clusters (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, version TEXT NOT NULL, user_name TEXT NOT NULL,
        description TEXT NOT NULL, status TEXT NOT NULL, health_check INTEGER NOT NULL, attributes TEXT NOT NULL,
        context TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      `CREATE INDEX clusters_created ON clusters (created_at, seq)`,
      `CREATE INDEX clusters_updated ON clusters (updated_at, seq)`,
      `CREATE TABLE cluster_tags (cluster_seq INTEGER NOT NULL REFERENCES clusters (seq), tag TEXT NOT NULL,
        PRIMARY KEY (cluster_seq, tag)) WITHOUT ROWID`,
      `CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
        description TEXT NOT NULL, context TEXT, error TEXT NOT NULL, user_name TEXT NOT NULL,
        is_sync INTEGER NOT NULL, store_result_sync INTEGER NOT NULL, canceled_by TEXT NOT NULL,
        job_attributes TEXT NOT NULL, started INTEGER NOT NULL DEFAULT 0,
        command_id TEXT NOT NULL, command_name TEXT NOT NULL, cluster_id TEXT NOT NULL, cluster_name TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      `CREATE INDEX jobs_status ON jobs (status, seq)`,
      `CREATE INDEX jobs_created ON jobs (created_at, seq)`,
      `CREATE INDEX jobs_updated ON jobs (updated_at, seq)`,
      `CREATE TABLE job_tags (job_seq INTEGER NOT NULL REFERENCES jobs (seq), tag TEXT NOT NULL,
        PRIMARY KEY (job_seq, tag)) WITHOUT ROWID`,
      `CREATE INDEX job_tags_tag ON job_tags (tag, job_seq)`,
      `CREATE TABLE job_command_criteria (job_seq INTEGER NOT NULL REFERENCES jobs (seq), tag TEXT NOT NULL,
        PRIMARY KEY (job_seq, tag)) WITHOUT ROWID`,
      `CREATE TABLE job_cluster_criteria (job_seq INTEGER NOT NULL REFERENCES jobs (seq), tag TEXT NOT NULL,
        PRIMARY KEY (job_seq, tag)) WITHOUT ROWID`,
      `CREATE TABLE claims (job_seq INTEGER PRIMARY KEY REFERENCES jobs (seq), owner TEXT, heartbeat INTEGER,
        handed_back INTEGER NOT NULL DEFAULT 0)`,
      `CREATE INDEX claims_owner ON claims (owner)`,
      `CREATE INDEX claims_heartbeat ON claims (heartbeat)`,
      `CREATE TABLE job_file_chunks (job_seq INTEGER NOT NULL REFERENCES jobs (seq), file TEXT NOT NULL,
        chunk_no INTEGER NOT NULL, start_offset INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (job_seq, file, chunk_no))`,
      `CREATE INDEX job_file_chunks_offset ON job_file_chunks (job_seq, file, start_offset)`,
      `CREATE TABLE job_results (job_seq INTEGER PRIMARY KEY REFERENCES jobs (seq), result TEXT NOT NULL)`,
      `CREATE TABLE instances (name TEXT PRIMARY KEY, started_at INTEGER NOT NULL, heartbeat INTEGER NOT NULL)`,
      `CREATE TABLE plugin_state (job_seq INTEGER NOT NULL REFERENCES jobs (seq), key TEXT NOT NULL,
        value TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (job_seq, key)) WITHOUT ROWID`,
    ],
  },
  {
    version: 2,
    name: "job timing, progress, list-filter and stats indexes",
    statements: jobTimingStatements("INTEGER", "TEXT", ""),
  },
  { version: 3, name: "duration index for the stats' slowest jobs", statements: durationIndexStatements(", seq") },
  { version: 4, name: "job system tags are their columns", statements: jobSystemTagStatements("") },
  { version: 5, name: "job criteria are columns", statements: jobCriteriaColumnStatements("sqlite") },
];
