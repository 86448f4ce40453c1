// The PostgreSQL store's two pools (src/store/postgres/pools.ts) and its statistics on a growing jobs table
// (src/store/postgres/growth.ts): the job path's connections run generic plans, the others PostgreSQL's own choice;
// a young database gets ANALYZEd as its job sequence doubles, so the generic plans are made for its current size.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { ANALYZE_FROM_SEQ } from "../../src/store/postgres/growth.ts";
import { openPools } from "../../src/store/postgres/pools.ts";
import { openStore } from "../../src/store/index.ts";
import { POSTGRES_SKIP_REASON, freshDatabaseUrl, postgresBaseUrl } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

async function show(pool: pg.Pool, setting: string): Promise<string> {
  const r = await pool.query(`SELECT current_setting('${setting}') AS v`);
  return String(r.rows[0]?.v);
}

describe("PostgreSQL pools and statistics", { skip: postgresBaseUrl() ? false : POSTGRES_SKIP_REASON }, () => {
  let url = "";
  let client: pg.Client;
  before(async () => {
    url = await freshDatabaseUrl("postgres");
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  after(() => client?.end());

  test("the job path's pool runs generic plans; the main pool keeps PostgreSQL's choice; they share the connections", async () => {
    const pools = openPools({ connectionString: url, application_name: "heimdall" }, 5);
    try {
      assert.notEqual(pools.hot, pools.main);
      assert.equal(pools.hot.options.max, 3);
      assert.equal(pools.main.options.max, 2);
      assert.equal(await show(pools.hot, "plan_cache_mode"), "force_generic_plan");
      assert.equal(await show(pools.hot, "application_name"), "heimdall job path");
      assert.equal(await show(pools.main, "plan_cache_mode"), "auto");
      assert.equal(await show(pools.main, "application_name"), "heimdall");
    } finally {
      await pools.end();
    }
    const one = openPools({ connectionString: url }, 1);
    try {
      assert.equal(one.hot, one.main);
      assert.equal(await show(one.main, "plan_cache_mode"), "auto");
    } finally {
      await one.end();
    }
  });

  test("the store's job path runs on the job path's connections", async () => {
    const store = await openStore({ connectionString: url, maxConnections: 4 });
    try {
      const job = newJob();
      await store.insertJob(job);
      assert.equal((await store.claimJobs("here", 1)).length, 1);
      const r = await client.query(
        "SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1",
      );
      const byApp = new Map(r.rows.map((x: { app: string; n: number }) => [x.app, x.n]));
      assert.ok((byApp.get("heimdall job path") ?? 0) >= 1, JSON.stringify([...byApp]));
    } finally {
      await store.close();
    }
  });

  test("a young jobs table is ANALYZEd as its sequence doubles", async () => {
    const fresh = await freshDatabaseUrl("postgres");
    const c = new pg.Client({ connectionString: fresh });
    await c.connect();
    const store = await openStore({ connectionString: fresh, maxConnections: 4 });
    try {
      // Only the store may refresh the statistics here.
      for (const table of ["jobs", "claims", "job_tags"]) await c.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      const n = 2 * ANALYZE_FROM_SEQ + 100;
      for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: 100 }, () => store.insertJob(newJob())));
    } finally {
      await store.close(); // waits for a running ANALYZE
    }
    try {
      const r = await c.query("SELECT relname, reltuples FROM pg_class WHERE relname IN ('jobs', 'claims') ORDER BY relname");
      const tuples = new Map(r.rows.map((x: { relname: string; reltuples: number }) => [x.relname, Number(x.reltuples)]));
      // The last ANALYZE ran once the sequence passed 2 * ANALYZE_FROM_SEQ (or later, if one was still running).
      assert.ok((tuples.get("jobs") ?? -1) >= 2 * ANALYZE_FROM_SEQ, JSON.stringify([...tuples]));
      assert.ok((tuples.get("claims") ?? -1) >= 2 * ANALYZE_FROM_SEQ, JSON.stringify([...tuples]));
    } finally {
      await c.end();
    }
  });
});
