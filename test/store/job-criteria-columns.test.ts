// A job's command and cluster criteria are columns of jobs (a JSON array in code-point order), not rows of their own
// tables; the migration that made them so fills the columns from the rows of jobs stored before it (run again here on
// a database put back to the version before it) and drops the tables.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import pg from "pg";
import { rawQuery, storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";
import { rollBackTo } from "./schema-rollback.ts";

const MIGRATION = "job criteria are columns";

for (const backend of storeBackends()) {
  void describe(`job criteria columns on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    const columns = async (url: string, id: string) =>
      (await rawQuery<{ c: string; k: string }>(url, `SELECT command_criteria c, cluster_criteria k FROM jobs WHERE id = '${id}'`)).map(
        (r) => [JSON.parse(String(r.c)), JSON.parse(String(r.k))],
      )[0];

    test("criteria are stored deduplicated in code-point order and read back by get, list, claim and batch inserts", async () => {
      const url = await backend.freshUrl();
      const s = await backend.open(url);
      // "😀" (U+1F600) sorts after "\uffff" by code point, before it by UTF-16 unit: the order is the database's.
      const job = newJob({ command_criteria: ["type:ping", "b", "😀", "\uffff", "b"], cluster_criteria: [] });
      await s.insertJob(job);
      const want = ["b", "type:ping", "\uffff", "😀"];
      assert.deepEqual(await columns(url, job.id), [want, []]);
      assert.deepEqual((await s.getJob(job.id))?.command_criteria, want);
      assert.deepEqual((await s.getJob(job.id))?.cluster_criteria, []);
      const listed = await s.listJobs({}, { limit: 10, order_by: "seq", direction: "desc" });
      assert.deepEqual(listed.data[0]?.command_criteria, want);
      // Several at once (PostgreSQL's insert coalescer batches them into one statement).
      const many = Array.from({ length: 5 }, (_, i) => newJob({ command_criteria: [`c:${i}`, "a"], cluster_criteria: [`k:${i}`] }));
      await Promise.all(many.map((j) => s.insertJob(j)));
      const claimed = await s.claimJobs("inst-1", 10);
      assert.equal(claimed.length, 6);
      const byId = new Map(claimed.map((c) => [c.job.id, c.job]));
      assert.deepEqual(byId.get(job.id)?.command_criteria, want);
      for (const [i, j] of many.entries()) {
        assert.deepEqual(byId.get(j.id)?.command_criteria, ["a", `c:${i}`]);
        assert.deepEqual(byId.get(j.id)?.cluster_criteria, [`k:${i}`]);
      }
      await assert.rejects(rawQuery(url, "SELECT 1 FROM job_command_criteria"), "the criteria tables are gone");
    });

    test("the migration fills the columns from the rows of jobs stored before it and drops the tables", async () => {
      const url = await backend.freshUrl();
      const s = await backend.open(url);
      const a = newJob({ command_criteria: ["type:shell", "env:prod"], cluster_criteria: ["type:local"] });
      const b = newJob({ command_criteria: [], cluster_criteria: ["zone:b", "zone:a"] });
      const c = newJob({ command_criteria: [], cluster_criteria: [] });
      for (const j of [a, b, c]) await s.insertJob(j);
      await s.close();
      // As the version before left it: the criteria as rows of their tables, no columns.
      await rollBackTo(backend.name, url, MIGRATION);
      const rows = await rawQuery<{ tag: string }>(
        url,
        "SELECT tag FROM job_command_criteria UNION ALL SELECT tag FROM job_cluster_criteria",
      );
      assert.equal(rows.length, 5);

      const reopened = await backend.open(url);
      assert.deepEqual(await columns(url, a.id), [["env:prod", "type:shell"], ["type:local"]]);
      assert.deepEqual(await columns(url, b.id), [[], ["zone:a", "zone:b"]]);
      assert.deepEqual(await columns(url, c.id), [[], []]);
      assert.deepEqual((await reopened.getJob(b.id))?.cluster_criteria, ["zone:a", "zone:b"]);
      await assert.rejects(rawQuery(url, "SELECT 1 FROM job_cluster_criteria"));
    });

    test(
      "a migration is not bound by the statement timeout (it rewrites every job: minutes on a large database)",
      { skip: backend.name === "sqlite" && "PostgreSQL statement timeouts" },
      async () => {
        const url = await backend.freshUrl();
        await (await backend.open(url)).insertJob(newJob());
        await backend.closeAll();
        await rollBackTo(backend.name, url, MIGRATION);
        // Another session holds jobs for 1.5 s: the migration waits for it far beyond the 300 ms statement timeout.
        const locker = new pg.Client(url);
        await locker.connect();
        await locker.query("BEGIN");
        await locker.query("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE");
        const release = setTimeout(() => void locker.query("ROLLBACK"), 1_500);
        try {
          const t0 = Date.now();
          const s = await backend.open(url, { statementTimeoutMs: 300 });
          assert.ok(Date.now() - t0 >= 1_400, "it waited for the lock");
          assert.equal((await s.listJobs({}, { limit: 5, order_by: "seq", direction: "desc" })).data[0]?.command_criteria[0], "type:ping");
          // The store's own statements keep their timeout.
          await locker.query("BEGIN");
          await locker.query("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE");
          await assert.rejects(s.listJobs({}, { limit: 5, order_by: "seq", direction: "desc" }), /statement timeout/);
          await locker.query("ROLLBACK");
        } finally {
          clearTimeout(release);
          await locker.end();
        }
      },
    );
  });
}
