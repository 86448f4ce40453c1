// Forward-only schema migrations, applied at startup in one transaction and recorded in schema_migrations.
// PostgreSQL takes a transaction-scoped advisory lock first, so instances starting together migrate once.
import { HeimdallError } from "../../core/index.ts";
import type { Db } from "./db.ts";
import { num } from "./db.ts";

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Arbitrary constant key for pg_advisory_xact_lock ("heimdall" in ASCII, truncated to int8). */
const ADVISORY_LOCK_KEY = "4847696d64616c6c";

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((m, x) => Math.max(m, x.version), 0);
}

/** Applies missing migrations; returns the schema version afterwards. */
export async function migrate(db: Db, migrations: readonly Migration[]): Promise<number> {
  const known = latestVersion(migrations);
  return db.tx("migrate", async (tx) => {
    if (tx.dialect.name === "postgres") {
      await tx.exec("migrate", `SELECT pg_advisory_xact_lock(x'${ADVISORY_LOCK_KEY}'::bigint)`);
    }
    await tx.exec(
      "migrate",
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
        applied_at BIGINT NOT NULL)`,
    );
    const rows = await tx.query("migrate", `SELECT coalesce(max(version), 0) AS v FROM schema_migrations`);
    const current = num(rows[0]?.v ?? 0);
    if (current > known) {
      throw new HeimdallError("STORE", `database schema version ${current} is newer than this server (${known}); upgrade the server`);
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      for (const sql of m.statements) await tx.exec(`migrate to version ${m.version}`, sql);
      await tx.exec("migrate", `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, ${tx.dialect.now})`, [
        m.version,
        m.name,
      ]);
    }
    return Math.max(current, known);
  });
}
