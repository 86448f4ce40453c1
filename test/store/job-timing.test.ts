// Job timing, progress and the filters on them, on both engines (issue 9 item 2): started_at is stamped by the
// first move to RUNNING (insert of a sync job, transition), finished_at by the move to a final status; migration 2
// backfills finished_at; setJobProgress stores the task summary; started_after / finished_before filter lists.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { JobProgress } from "../../src/core/index.ts";
import type { Store } from "../../src/store/index.ts";
import { migrate } from "../../src/store/shared/migrate.ts";
import { PostgresDb } from "../../src/store/postgres/db.ts";
import { postgresMigrations } from "../../src/store/postgres/migrations.ts";
import { SqliteDb } from "../../src/store/sqlite/db.ts";
import { sqliteMigrations } from "../../src/store/sqlite/migrations.ts";
import type { StoreBackend } from "../helpers/db.ts";
import { rawQuery, storeBackends } from "../helpers/db.ts";
import { newJob, page } from "./fixtures.ts";

const PROGRESS: JobProgress = { tasks: 5, succeeded: 3, running: 1, retrying: 1, failed: 0, pending: 0 };

/** Runs raw statements with the store closed (SQLite holds its file exclusively), then reopens it. */
async function withRaw(backend: StoreBackend, url: string, store: Store, statements: string[]): Promise<Store> {
  await store.close();
  for (const sql of statements) await rawQuery(url, sql);
  return backend.open(url);
}

/** A database at schema version 1 only (before this migration), with a few jobs written the old way. */
async function schemaV1(backend: StoreBackend, url: string): Promise<void> {
  if (backend.name === "sqlite") {
    const conn = new Database(url.slice("sqlite:".length));
    const db = new SqliteDb(conn);
    await migrate(
      db,
      sqliteMigrations.filter((m) => m.version === 1),
    );
    await db.close();
  } else {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await migrate(
      new PostgresDb(pool),
      postgresMigrations.filter((m) => m.version === 1),
    );
    await pool.end();
  }
  const insert = (id: string, status: string, updated: number) =>
    `INSERT INTO jobs (id, status, name, version, description, error, user_name, is_sync, store_result_sync, canceled_by,
      job_attributes, command_id, command_name, cluster_id, cluster_name, created_at, updated_at)
     VALUES ('${id}', '${status}', 'n', '1', '', '', 'u', FALSE, FALSE, '', '{}', 'c', 'c', 'k', 'k', 100, ${updated})`;
  for (const sql of [insert("old-done", "SUCCEEDED", 500), insert("old-failed", "FAILED", 600), insert("old-running", "RUNNING", 700)]) {
    await rawQuery(url, backend.name === "sqlite" ? sql.replace(/FALSE/g, "0") : sql);
  }
}

for (const backend of storeBackends()) {
  void describe(`job timing and progress on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("started_at on the first RUNNING, finished_at on the final status, by the database clock", async () => {
      const s = await backend.open();
      const before = await s.now();
      const a = await s.insertJob(newJob());
      assert.deepEqual([a.started_at, a.finished_at], [null, null]);
      assert.deepEqual([(await s.getJob(a.id))?.started_at, (await s.getJob(a.id))?.finished_at], [null, null]);

      const sync = await s.insertJob(newJob({ status: "RUNNING", is_sync: true, owner: "inst-1" }));
      assert.ok(sync.started_at !== null && sync.started_at !== undefined && sync.started_at >= before, "T2 starts at once");
      assert.equal((await s.getJob(sync.id))?.started_at, sync.started_at);
      assert.equal(sync.finished_at, null);

      await s.claimJobs("inst-1", 10);
      assert.equal((await s.getJob(a.id))?.started_at, null, "ACCEPTED has not started");
      assert.ok(await s.transition({ id: a.id, from: ["ACCEPTED"], to: "RUNNING", owner: "inst-1", markStarted: true }));
      const running = await s.getJob(a.id);
      assert.ok(typeof running?.started_at === "number" && running.started_at >= before);
      assert.equal(running.finished_at, null);
      assert.ok(await s.transition({ id: a.id, from: ["RUNNING"], to: "SUCCEEDED", owner: "inst-1", removeClaim: true }));
      const done = await s.getJob(a.id);
      assert.equal(done?.started_at, running.started_at, "finishing keeps started_at");
      assert.ok(typeof done?.finished_at === "number" && done.finished_at >= (running.started_at as number));
    });

    void test("a second move to RUNNING keeps the first started_at; a job canceled before running has none", async () => {
      const url = await backend.freshUrl();
      let s = await backend.open(url);
      const a = await s.insertJob(newJob());
      await s.claimJobs("inst-1", 1);
      s = await withRaw(backend, url, s, [`UPDATE jobs SET started_at = 123 WHERE id = '${a.id}'`]);
      assert.ok(await s.transition({ id: a.id, from: ["ACCEPTED"], to: "RUNNING" }));
      assert.equal((await s.getJob(a.id))?.started_at, 123);

      const b = await s.insertJob(newJob());
      await s.cancelJob(b.id, "alice");
      assert.ok(await s.transition({ id: b.id, from: ["CANCELING"], to: "CANCELED", removeClaim: true }));
      const canceled = await s.getJob(b.id);
      assert.equal(canceled?.started_at, null);
      assert.equal(typeof canceled?.finished_at, "number");
    });

    void test("migration 2 backfills finished_at = updated_at for final jobs; started_at stays null", async () => {
      const url = await backend.freshUrl();
      await schemaV1(backend, url);
      const s = await backend.open(url);
      const got = async (id: string) => {
        const j = await s.getJob(id);
        return [j?.started_at, j?.finished_at];
      };
      assert.deepEqual(await got("old-done"), [null, 500]);
      assert.deepEqual(await got("old-failed"), [null, 600]);
      assert.deepEqual(await got("old-running"), [null, null]);
    });

    void test("setJobProgress stores, replaces and clears the summary without touching updated_at", async () => {
      const url = await backend.freshUrl();
      let s = await backend.open(url);
      const a = await s.insertJob(newJob());
      s = await withRaw(backend, url, s, [`UPDATE jobs SET updated_at = 42 WHERE id = '${a.id}'`]);
      assert.equal((await s.getJob(a.id))?.progress, undefined);
      await s.setJobProgress(a.id, PROGRESS);
      let j = await s.getJob(a.id);
      assert.deepEqual(j?.progress, PROGRESS);
      assert.equal(j?.updated_at, 42);
      assert.deepEqual((await s.listJobs({}, page())).data[0]?.progress, PROGRESS);
      await s.setJobProgress(a.id, { ...PROGRESS, succeeded: 5, running: 0, retrying: 0 });
      assert.equal((await s.getJob(a.id))?.progress?.succeeded, 5);
      await s.setJobProgress(a.id, null);
      j = await s.getJob(a.id);
      assert.equal(j?.progress, undefined);
      assert.ok(!("progress" in (j as object)), "cleared progress is omitted");
      await assert.rejects(
        s.setJobProgress("no-such-job", PROGRESS),
        (e: unknown) => e instanceof Error && /^store setJobProgress: unknown job no-such-job$/.test(e.message),
      );
    });

    void test("started_after (>=) and finished_before (<) filter the list, alone and with other filters", async () => {
      const url = await backend.freshUrl();
      let s = await backend.open(url);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await s.insertJob(newJob({ name: i % 2 ? "odd" : "even" }))).id);
      // started 1000 + 10i (job 5 never started), finished 2000 + 10i (jobs 4 and 5 not finished)
      s = await withRaw(
        backend,
        url,
        s,
        ids.map(
          (id, i) =>
            `UPDATE jobs SET started_at = ${i === 5 ? "NULL" : 1000 + 10 * i}, finished_at = ${i >= 4 ? "NULL" : 2000 + 10 * i}
         WHERE id = '${id}'`,
        ),
      );
      const list = async (f: Parameters<Store["listJobs"]>[0]) =>
        (await s.listJobs(f, page({ order_by: "seq", direction: "asc" }))).data.map((j) => ids.indexOf(j.id));
      assert.deepEqual(await list({ started_after: 1020 }), [2, 3, 4]);
      assert.deepEqual(await list({ started_after: 0 }), [0, 1, 2, 3, 4]);
      assert.deepEqual(await list({ finished_before: 2020 }), [0, 1]);
      assert.deepEqual(await list({ started_after: 1010, finished_before: 2030 }), [1, 2]);
      assert.deepEqual(await list({ started_after: 1010, name: "odd" }), [1, 3]);
      assert.deepEqual(await list({ finished_before: 2040, status: ["NEW", "RUNNING"], tags: [`_name:even`] }), [0, 2]);
    });
  });
}
