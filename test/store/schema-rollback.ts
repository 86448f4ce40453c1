// Puts a test database back to the schema before a migration, so that the migration runs again on data stored the
// old way. Later migrations are undone first, newest first (schema_migrations holds the highest version applied).
import { postgresMigrations } from "../../src/store/postgres/migrations.ts";
import { sqliteMigrations } from "../../src/store/sqlite/migrations.ts";
import { rawQuery, type StoreKind } from "../helpers/db.ts";

const CRITERIA_TABLES = { command_criteria: "job_command_criteria", cluster_criteria: "job_cluster_criteria" };

function migrations(kind: StoreKind) {
  return kind === "sqlite" ? sqliteMigrations : postgresMigrations;
}

export function migrationVersion(kind: StoreKind, name: string): number {
  const v = migrations(kind).find((m) => m.name === name)?.version;
  if (v === undefined) throw new Error(`no ${kind} migration named "${name}"`);
  return v;
}

/** Undoes "job criteria are columns": the criteria tables again (as the first migration made them), filled from the columns. */
async function undoCriteriaColumns(kind: StoreKind, url: string): Promise<void> {
  const initial = migrations(kind).find((m) => m.version === 1)?.statements ?? [];
  for (const [column, table] of Object.entries(CRITERIA_TABLES)) {
    for (const sql of initial.filter((s) => s.includes(` ${table} `) || s.includes(` ${table}(`))) await rawQuery(url, sql);
    const each =
      kind === "sqlite"
        ? `SELECT seq, value FROM jobs, json_each(jobs.${column})`
        : `SELECT seq, json_array_elements_text(${column}::json) FROM jobs`;
    await rawQuery(url, `INSERT INTO ${table} (job_seq, tag) ${each}`);
    await rawQuery(url, `ALTER TABLE jobs DROP COLUMN ${column}`);
  }
}

/** The database at `url` as the migration `name` found it (its later migrations undone, none of its own applied). */
export async function rollBackTo(kind: StoreKind, url: string, name: string): Promise<void> {
  const version = migrationVersion(kind, name);
  if (version <= migrationVersion(kind, "job criteria are columns")) await undoCriteriaColumns(kind, url);
  await rawQuery(url, `DELETE FROM schema_migrations WHERE version >= ${version}`);
}
