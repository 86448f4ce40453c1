// The PostgreSQL job path's plans. The claim (src/store/postgres/sql/claim.ts): with a queue of 3,000 NEW jobs and
// the tables ANALYZEd, the claim must walk claims_pkey in order and look each job up by its primary key, stopping
// after the limit — never hash the queued jobs or sort the whole queue (that plan cost 8-30 ms per claim at 3,000
// queued jobs and held the default pool of 10 at about 300 jobs/s). The hot pool runs the claim, the transition
// batches and the result batches with their generic plans (src/store/postgres/pools.ts): at 10,000 jobs none of
// them may scan jobs (a generic plan made for a small table did: 1-7 ms per statement).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import type { Db, Row } from "../../src/store/shared/db.ts";
import { postgresDialect } from "../../src/store/postgres/db.ts";
import { claimJobs } from "../../src/store/postgres/sql/claim.ts";
import { putResults } from "../../src/store/postgres/sql/put-results.ts";
import { transitions } from "../../src/store/postgres/sql/transitions.ts";
import { openStore } from "../../src/store/index.ts";
import { POSTGRES_SKIP_REASON, freshDatabaseUrl, postgresBaseUrl } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

const QUEUED = 3000;
const DONE = 7000;

describe("PostgreSQL claim plan", { skip: postgresBaseUrl() ? false : POSTGRES_SKIP_REASON }, () => {
  let client: pg.Client;
  before(async () => {
    const url = await freshDatabaseUrl("postgres");
    const store = await openStore({ connectionString: url, maxConnections: 10 });
    // Finished jobs first (their claims are gone), then the queue, as on a server that works through a backlog.
    for (let i = 0; i < DONE + QUEUED; i += 100) {
      const status = i < DONE ? "SUCCEEDED" : "NEW";
      await Promise.all(Array.from({ length: 100 }, () => store.insertJob(newJob({ status }))));
    }
    await store.close();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("DELETE FROM claims WHERE job_seq IN (SELECT seq FROM jobs WHERE status <> 'NEW')");
    await client.query("UPDATE claims SET owner = 'elsewhere' WHERE job_seq IN (SELECT job_seq FROM claims ORDER BY job_seq LIMIT 10)");
    await client.query("ANALYZE");
    // Statistics decide between a nested loop and a hash join, and they change under load (autovacuum's ANALYZE
    // mid-backlog gave the hash join). With nested loops priced out, a join form of the claim turns into the hash
    // join here at once; the claim's LATERAL lookup cannot (a correlated subquery runs per row whatever it costs).
    await client.query("SET enable_nestloop = off");
  });
  after(() => client?.end());

  /** A Db whose statements are explained instead of run; `prefix` is the EXPLAIN. */
  function explaining(prefix: string, plans: string[]): Db {
    const db: Db = {
      dialect: postgresDialect,
      query: async <R extends Row>(_op: string, sql: string, params?: readonly unknown[]) => {
        const generic = prefix.includes("GENERIC_PLAN");
        const r = await client.query(`${prefix} ${sql}`, generic ? [] : (params as unknown[]));
        plans.push(r.rows.map((x: Record<string, string>) => x["QUERY PLAN"]).join("\n"));
        return [] as R[];
      },
      exec: async () => 0,
      tx: async (_op, fn) => fn(db),
    };
    return db;
  }

  test("walks claims_pkey and finds each job by primary key (no hash join, no sort of the queue)", async () => {
    const plans: string[] = [];
    // The claim's own statement, explained instead of run.
    await claimJobs(explaining("EXPLAIN (COSTS OFF)", plans), "here", 10);
    const plan = plans.join("\n");
    if (process.env["SHOW_PLAN"]) console.log(plan);
    // The walk over the queue: the `picked` CTE (the rest joins the handful of rows it picked).
    const picked = plan.slice(plan.indexOf("CTE picked"), plan.indexOf("CTE taken"));
    assert.ok(picked.length > 0, plan);
    assert.match(picked, /Limit[\s\S]*Index Scan using claims_pkey on claims c\b/, plan);
    assert.match(picked, /Index Scan using jobs_pkey on jobs j/, plan);
    assert.doesNotMatch(picked, /Join|Hash|Sort|Seq Scan/, plan); // a per-row lookup, not a join of two scans
  });

  test("generic plans of the claim, transition and result batches find jobs by index (no scan of jobs)", async (t) => {
    const version = Number((await client.query("SHOW server_version_num")).rows[0]?.server_version_num);
    if (version < 160000) return t.skip("EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16");
    await client.query("SET enable_nestloop = on"); // PostgreSQL's own choice, as on the hot pool
    try {
      const plans: string[] = [];
      const db = explaining("EXPLAIN (GENERIC_PLAN, COSTS OFF)", plans);
      await claimJobs(db, "here", 10);
      await transitions(db, [{ id: "x", from: ["RUNNING"], to: "SUCCEEDED", owner: "here", removeClaim: true, result: "{}" }]);
      await putResults(db, [{ jobId: "x", json: "{}" }]);
      assert.equal(plans.length, 3);
      for (const plan of plans) {
        if (process.env["SHOW_PLAN"]) console.log(plan);
        assert.doesNotMatch(plan, /Seq Scan on (jobs|claims)\b/, plan);
      }
      assert.match(plans[1] ?? "", /Index Scan using jobs_id_key on jobs/, plans[1]);
    } finally {
      await client.query("SET enable_nestloop = off");
    }
  });
});
