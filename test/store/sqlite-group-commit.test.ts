// The SQLite connection's group commit: writes arriving together share one transaction, without savepoints while
// none fails; when one throws, the batch runs again with each write isolated in a savepoint (the failing write is
// rolled back alone and fails alone); reads see committed state.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { SqliteDb } from "../../src/store/sqlite/db.ts";

const dir = mkdtempSync(join(tmpdir(), "heimdall-gc-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string, pumpBudgetMs?: number): { db: SqliteDb; begins: () => number; savepoints: () => number } {
  const conn = new Database(join(dir, name));
  conn.pragma("journal_mode = WAL");
  conn.exec("CREATE TABLE t (a INTEGER PRIMARY KEY)");
  let begins = 0;
  let savepoints = 0;
  const exec = conn.exec.bind(conn);
  conn.exec = (sql: string) => {
    if (sql.startsWith("BEGIN")) begins++;
    if (sql.startsWith("SAVEPOINT")) savepoints++;
    return exec(sql);
  };
  return { db: new SqliteDb(conn, pumpBudgetMs), begins: () => begins, savepoints: () => savepoints };
}

const values = async (db: SqliteDb) => (await db.query("t", "SELECT a FROM t ORDER BY a")).map((r) => r.a);

void test("concurrent writes share one transaction; a failing one is rolled back alone", async () => {
  const { db, begins } = open("a.db");
  const results = await Promise.allSettled([
    db.tx("one", async (tx) => {
      await tx.exec("one", "INSERT INTO t (a) VALUES ($1)", [1]);
      await tx.exec("one", "INSERT INTO t (a) VALUES ($1)", [2]);
      return "one";
    }),
    db.tx("two", async (tx) => {
      await tx.exec("two", "INSERT INTO t (a) VALUES ($1)", [3]);
      await tx.exec("two", "INSERT INTO t (a) VALUES ($1)", [1]); // duplicate: the whole write fails
      return "two";
    }),
    db.exec("three", "INSERT INTO t (a) VALUES ($1)", [4]),
    db.tx("four", async (tx) => (await tx.query("four", "SELECT count(*) AS n FROM t"))[0]?.n),
  ]);
  assert.equal(begins(), 2, "the burst's transaction, rolled back when a write threw, then the burst with savepoints");
  assert.deepEqual(
    results.map((r) => r.status),
    ["fulfilled", "rejected", "fulfilled", "fulfilled"],
  );
  assert.equal((results[0] as PromiseFulfilledResult<string>).value, "one");
  const err = (results[1] as PromiseRejectedResult).reason as Error & { code?: string };
  assert.equal(err.code, "STORE");
  assert.match(err.message, /^store two: .*UNIQUE/);
  assert.equal((results[2] as PromiseFulfilledResult<number>).value, 1);
  assert.equal((results[3] as PromiseFulfilledResult<number>).value, 3, "later writes see earlier ones (serial order)");
  assert.deepEqual(await values(db), [1, 2, 4]);
  await db.close();
});

void test("a burst whose writes all succeed is one transaction without savepoints", async () => {
  const { db, begins, savepoints } = open("e.db");
  const results = await Promise.all([
    db.tx("one", async (tx) => {
      await tx.exec("one", "INSERT INTO t (a) VALUES ($1)", [1]);
      return (await tx.query("one", "SELECT count(*) AS n FROM t"))[0]?.n;
    }),
    db.exec("two", "INSERT INTO t (a) VALUES ($1)", [2]),
    db.exec("three", "UPDATE t SET a = 30 WHERE a = $1", [3]), // matches nothing: not a failure
    db.tx("four", async (tx) => (await tx.query("four", "SELECT count(*) AS n FROM t"))[0]?.n),
  ]);
  assert.deepEqual(results, [1, 1, 0, 2]);
  assert.equal(begins(), 1);
  assert.equal(savepoints(), 0);
  assert.deepEqual(await values(db), [1, 2]);
  await db.close();
});

void test("a lone write commits on its own; a failing lone transaction leaves nothing behind", async () => {
  const { db, begins } = open("b.db");
  await db.exec("x", "INSERT INTO t (a) VALUES (1)");
  await assert.rejects(
    db.tx("y", async (tx) => {
      await tx.exec("y", "INSERT INTO t (a) VALUES (2)");
      throw new Error("boom");
    }),
    /store y: boom/,
  );
  assert.deepEqual(await values(db), [1]);
  assert.equal(begins(), 2);
  await db.close();
  await assert.rejects(db.exec("z", "INSERT INTO t (a) VALUES (3)"), /store z: database is closed/);
});

void test("close waits for queued writes", async () => {
  const { db } = open("c.db");
  const writes = Array.from({ length: 50 }, (_, i) => db.exec("w", "INSERT INTO t (a) VALUES ($1)", [i]));
  await db.close();
  assert.equal((await Promise.all(writes)).length, 50);
  const check = new Database(join(dir, "c.db"));
  assert.equal((check.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n, 50);
  check.close();
});

void test("a write that ends its own savepoint fails with its batch rolled back; the writes after it still run", async () => {
  const { db } = open("d.db");
  const results = await Promise.allSettled([
    db.exec("before", "INSERT INTO t (a) VALUES (1)"),
    db.tx("rogue", async (tx) => {
      await tx.exec("rogue", "INSERT INTO t (a) VALUES (2)");
      await tx.exec("rogue", "RELEASE work"); // the group commit's own savepoint: it cannot be undone alone now
    }),
    db.exec("after", "INSERT INTO t (a) VALUES (3)"),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["rejected", "rejected", "fulfilled"],
  );
  assert.match(((results[1] as PromiseRejectedResult).reason as Error).message, /^store rogue: .*savepoint/);
  assert.deepEqual(await values(db), [3]);
  await db.close();
});

void test("a write its caller issues a few microtasks after the previous one resolved runs in the same turn, before I/O", async () => {
  const { db, begins } = open("settle.db", 60_000); // a slow commit on a busy machine must not end the turn here
  let immediateRan = false;
  const order: string[] = [];
  await db.exec("first", "INSERT INTO t (a) VALUES ($1)", [1]).then(async () => {
    // Scheduled when the first write is answered: it runs in the next turn of the event loop.
    setImmediate(() => (immediateRan = true));
    for (let i = 0; i < 20; i++) await null; // a runner's way from one write to its next
    const second = db.exec("second", "INSERT INTO t (a) VALUES ($1)", [2]).then(() => order.push(`second (turn passed: ${immediateRan})`));
    await second;
  });
  assert.deepEqual(order, ["second (turn passed: false)"], "the pump waited for the follow-up write instead of ending its turn");
  assert.equal(begins(), 2, "each write in its own transaction (they did not arrive together)");
  assert.deepEqual(await values(db), [1, 2]);
  await db.close();
});

void test("a chain of writes that never ends lets the event loop run between transactions (no starved I/O)", async () => {
  const { db } = open("budget.db");
  let written = 0;
  let turnAt: number | undefined;
  // Every answer issues the next write at once, so the pump always has work; after the 10th, something waits for
  // the next turn of the event loop (as a socket's data would). Without a time budget the chain runs to its end.
  while (turnAt === undefined && written < 20_000) {
    await db.exec("chain", "INSERT INTO t (a) VALUES ($1)", [++written]);
    if (written === 10) setImmediate(() => (turnAt = written));
  }
  assert.ok(turnAt !== undefined, `the event loop had no turn during ${written} chained writes`);
  assert.ok(turnAt > 10, "the writes went on in the same turn first (settled follow-up writes)");
  await db.close();
});
