// PostgreSQL's time and claim indexes leave out the rows whose key is NULL (migration 4, src/store/postgres/
// migrations.ts): a status change adds an entry to every index whose predicate the new row version matches, so a
// queued job must add nothing to them (physically: the indexes stay at their metapage and one empty leaf while 3,000
// jobs wait), and the reads that need them must still use them: the stats' slowest jobs and recent failures (the
// list filters' ranges are checked in list-plans.test.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { openStore } from "../../src/store/index.ts";
import { STATS_RANGE_QUERIES } from "../../src/store/shared/job-stats.ts";
import { POSTGRES_SKIP_REASON, freshDatabaseUrl, postgresBaseUrl } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

const QUEUED = 3000;
const PARTIAL = ["jobs_started", "jobs_finished", "jobs_status_finished", "jobs_duration", "claims_owner", "claims_heartbeat"];

describe("PostgreSQL partial indexes", { skip: postgresBaseUrl() ? false : POSTGRES_SKIP_REASON }, () => {
  let client: pg.Client;
  before(async () => {
    const url = await freshDatabaseUrl("postgres");
    const store = await openStore({ connectionString: url, maxConnections: 10 });
    for (let i = 0; i < QUEUED; i += 100) await Promise.all(Array.from({ length: 100 }, () => store.insertJob(newJob({ status: "NEW" }))));
    await store.close();
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  after(() => client?.end());

  const pages = async (index: string) =>
    Number((await client.query(`SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int AS n`, [index])).rows[0]?.n);

  test("queued jobs add no entries to the time and claim indexes", async () => {
    for (const index of PARTIAL) assert.ok((await pages(index)) <= 2, `${index}: ${await pages(index)} pages for ${QUEUED} queued jobs`);
    // The full indexes beside them hold one entry per job (a check that the jobs are there).
    assert.ok((await pages("jobs_created")) > 2);
    assert.ok((await pages("claims_pkey")) > 2);
  });

  test("the stats' slowest jobs and recent failures still read their indexes", async () => {
    // A few thousand finished jobs, so that the indexes hold something to find.
    await client.query(`UPDATE jobs SET status = CASE WHEN seq % 3 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
      started_at = created_at - (seq % 600), finished_at = created_at WHERE seq % 2 = 0`);
    await client.query("ANALYZE jobs");
    await client.query("SET enable_seqscan = off"); // a table this small would be scanned whatever its indexes
    try {
      const plan = async (sql: string) =>
        (await client.query(`EXPLAIN (COSTS OFF) ${sql}`, [0])).rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
      const slowest = await plan(STATS_RANGE_QUERIES.slowest);
      assert.match(slowest, /Index Scan Backward using jobs_duration on jobs/, slowest);
      const failures = await plan(STATS_RANGE_QUERIES.failures);
      // Either walk is index-driven: failures by (status, finished_at), or every finished job newest first.
      assert.match(failures, /Index Scan Backward using jobs_(status_)?finished on jobs/, failures);
      for (const p of [slowest, failures]) assert.doesNotMatch(p, /Seq Scan on jobs/, p);
    } finally {
      await client.query("RESET enable_seqscan");
    }
  });
});
