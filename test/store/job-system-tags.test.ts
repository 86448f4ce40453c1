// A job's system tags are its id, name and version columns (src/store/shared/job-system-tags.ts): job_tags holds
// only the client tags, reads add the system tags, and the migration that made it so removes the system tag rows of
// jobs stored before it (run again here on a database put back to the version before it, with such rows).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { rawQuery, storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";
import { rollBackTo } from "./schema-rollback.ts";

const MIGRATION = "job system tags are their columns";

for (const backend of storeBackends()) {
  void describe(`job system tags on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    const storedTags = async (url: string) =>
      (await rawQuery<{ tag: string }>(url, "SELECT tag FROM job_tags ORDER BY tag")).map((r) => String(r.tag));

    test("job_tags holds the client tags only; the job reads back with its system tags", async () => {
      const url = await backend.freshUrl();
      const s = await backend.open(url);
      const job = newJob({ name: "nightly", version: "2.1", tags: ["_id:forged", "_name:nightly", "_version:2.1", "env:prod"] });
      const stored = await s.insertJob(job);
      const expected = [`_id:${job.id}`, "_name:nightly", "_version:2.1", "env:prod"];
      assert.deepEqual(stored.tags, expected);
      assert.deepEqual((await s.getJob(job.id))?.tags, expected);
      assert.deepEqual(await storedTags(url), ["env:prod"]);
      const found = await s.listJobs(
        { tags: [`_id:${job.id}`, "_version:2.1", "env:prod"] },
        { limit: 10, order_by: "seq", direction: "desc" },
      );
      assert.deepEqual(
        found.data.map((j) => j.id),
        [job.id],
      );
    });

    test("the migration removes the system tag rows of jobs stored before it", async () => {
      const url = await backend.freshUrl();
      const s = await backend.open(url);
      const job = newJob({ name: "old", tags: ["team:data"] });
      await s.insertJob(job);
      await s.close();
      // The database as the version before left it: the system tags stored as rows, no jobs_version index.
      await rollBackTo(backend.name, url, MIGRATION);
      await rawQuery(url, "DROP INDEX jobs_version");
      const seq = Number((await rawQuery<{ seq: number }>(url, `SELECT seq FROM jobs WHERE id = '${job.id}'`))[0]?.seq);
      await rawQuery(
        url,
        `INSERT INTO job_tags (job_seq, tag) VALUES (${seq}, '_id:${job.id}'), (${seq}, '_name:old'), (${seq}, '_version:1')`,
      );
      assert.equal((await storedTags(url)).length, 4);

      const reopened = await backend.open(url);
      assert.deepEqual(await storedTags(url), ["team:data"]);
      assert.deepEqual((await reopened.getJob(job.id))?.tags, [`_id:${job.id}`, "_name:old", "_version:1", "team:data"]);
      const byVersion = await reopened.listJobs({ tags: ["_version:1"] }, { limit: 10, order_by: "seq", direction: "desc" });
      assert.deepEqual(
        byVersion.data.map((j) => j.id),
        [job.id],
      );
    });
  });
}
