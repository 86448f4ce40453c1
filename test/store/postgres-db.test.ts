// The PostgreSQL Db adapter's transactions survive a connection lost between two statements.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import pg from "pg";
import { PostgresDb } from "../../src/store/postgres/db.ts";
import { freshDatabaseUrl, postgresBaseUrl, POSTGRES_SKIP_REASON } from "../helpers/db.ts";

const skip = postgresBaseUrl() ? false : POSTGRES_SKIP_REASON;

void test("a transaction whose connection is killed between statements fails with a STORE error", { skip }, async () => {
  const url = await freshDatabaseUrl("postgres");
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  after(() => pool.end());
  const db = new PostgresDb(pool);
  const admin = new pg.Client(url);
  await admin.connect();
  after(() => admin.end());
  await assert.rejects(
    db.tx("killed", async (tx) => {
      const pid = (await tx.query("killed", "SELECT pg_backend_pid() AS pid"))[0]?.pid;
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await new Promise((r) => setTimeout(r, 200)); // the error event arrives while no statement runs
      await tx.query("killed", "SELECT 1 AS one");
    }),
    (e: Error & { code?: string }) => e.code === "STORE" && /^store killed: /.test(e.message),
  );
  // The broken client was discarded: the pool still works.
  assert.deepEqual(await db.query("after", "SELECT 1 AS one"), [{ one: 1 }]);
});
