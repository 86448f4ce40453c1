// Store support for retried job-path writes (issue 8 item 1): appends with an expected offset are idempotent,
// the heartbeat refreshes only the claims it is given, and real driver failures get their retry class.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { HeimdallError } from "../../src/core/index.ts";
import { dbErrorClass, openStore, type Store } from "../../src/store/index.ts";
import { storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

async function readAll(s: Store, id: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of s.readFile(id, "stdout", 0, await s.fileSize(id, "stdout"))) parts.push(b);
  return Buffer.concat(parts).toString("utf8");
}

for (const backend of storeBackends()) {
  void describe(`job-path writes on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("an append with its expected offset is stored once, even when sent again", async () => {
      const s = await backend.open();
      const { id } = await s.insertJob(newJob());
      await s.appendFile(id, "stdout", [Buffer.from("abc")], 0);
      // The answer of the first try was lost; the retry sends the same bytes at the same offset.
      await s.appendFile(id, "stdout", [Buffer.from("abc")], 0);
      await s.appendFile(id, "stdout", [Buffer.from("de"), Buffer.from("f")], 3);
      await s.appendFile(id, "stdout", [Buffer.from("de"), Buffer.from("f")], 3);
      assert.equal(await readAll(s, id), "abcdef");
      await assert.rejects(s.appendFile(id, "stdout", [Buffer.from("x")], 2), (err: HeimdallError) => {
        assert.equal(err.code, "STORE");
        assert.match(err.message, /has 6 bytes, expected 2/);
        return true;
      });
      await s.appendFile(id, "stdout", [Buffer.from("g")]); // without an offset: appended after the end
      assert.equal(await readAll(s, id), "abcdefg");
    });

    void test("a heartbeat given job ids refreshes only those claims; the others go stale", async () => {
      const s = await backend.open();
      const a = (await s.insertJob(newJob({ name: "a" }))).id;
      const b = (await s.insertJob(newJob({ name: "b" }))).id;
      assert.equal((await s.claimJobs("inst-1", 10)).length, 2);
      // The database clock counts whole seconds. After 2.2 s, b's heartbeat is at least 2 seconds behind the clock;
      // a's, refreshed now, is at most 1 behind even if the clock ticks before the janitor's read: with a 1-second
      // threshold only b is stale (with 0, a tick between the two calls made a stale too).
      await new Promise((r) => setTimeout(r, 2200));
      assert.deepEqual(await s.heartbeat("inst-1", [a]), [{ id: a, status: "ACCEPTED" }]);
      assert.deepEqual(
        (await s.staleCandidates(1, 10)).map((c) => c.job.id),
        [b],
      );
      assert.deepEqual((await s.heartbeat("inst-1", [])).length, 0);
      assert.deepEqual((await s.heartbeat("inst-1")).map((h) => h.id).sort(), [a, b].sort(), "no ids: every claim");
    });
  });
}

void describe("retry classes of real driver failures", () => {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-classes-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test("SQLite: a locked file is busy, a full database is io, a constraint has no class", () => {
    const file = join(dir, "c.db");
    const one = new Database(file, { timeout: 10 });
    one.pragma("journal_mode = WAL");
    one.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)");
    const two = new Database(file, { timeout: 10 });
    one.exec("BEGIN EXCLUSIVE");
    const busy = (() => {
      try {
        two.exec("BEGIN IMMEDIATE");
      } catch (err) {
        return err;
      }
    })();
    one.exec("COMMIT");
    assert.equal(dbErrorClass(new HeimdallError("STORE", "store x: locked", { cause: busy })), "busy");
    one.pragma(`max_page_count = ${Number(one.pragma("page_count", { simple: true }))}`);
    assert.throws(
      () => one.prepare("INSERT INTO t (b) VALUES (?)").run(Buffer.alloc(1 << 20)),
      (err) => dbErrorClass(err) === "io",
    );
    one.prepare("INSERT INTO t (a) VALUES (1)").run();
    assert.throws(
      () => one.prepare("INSERT INTO t (a) VALUES (1)").run(),
      (err) => dbErrorClass(err) === undefined,
    );
    one.close();
    two.close();
  });

  void test("PostgreSQL: a refused connection is unavailable (store error and driver error)", async () => {
    const client = new pg.Client({ connectionString: "postgres://x:y@127.0.0.1:1/db", connectionTimeoutMillis: 2000 });
    const err = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(dbErrorClass(err), "unavailable");
    const store = await openStore({ connectionString: `sqlite:${join(dir, "s.db")}` });
    await store.close();
    await assert.rejects(store.getJob("x"), (e) => dbErrorClass(e) === undefined, "a closed store is not an outage");
  });
});
