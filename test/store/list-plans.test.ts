// Query plans of the job list filters (issue 11 item 2): each filter must be read through its index, so a change
// that turns one into a scan of the jobs table fails here (the speed at 1,000,000 jobs is bench/list-filters.ts).
// SQLite: EXPLAIN QUERY PLAN of the store's own SQL on 3,000 jobs must SEARCH the named index and never SCAN jobs
// or job_tags. PostgreSQL: after ANALYZE, with enable_seqscan = off (so a table of this size does not make a
// sequential scan the cheapest plan), EXPLAIN must name the index and show no Seq Scan on jobs or job_tags; the
// values filtered on are selective (about 1 % of the rows), where reading the index is the right plan.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { JobFilter, JobStatus, PageQuery } from "../../src/core/index.ts";
import { jobListQuery } from "../../src/store/shared/job-list.ts";
import { postgresDialect } from "../../src/store/postgres/db.ts";
import { sqliteDialect } from "../../src/store/sqlite/dialect.ts";
import type { StoreBackend } from "../helpers/db.ts";
import { storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

const N = 3000;
const STATUSES: JobStatus[] = ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED", "KILLED", "CANCELED"];

async function load(backend: StoreBackend): Promise<string> {
  const url = await backend.freshUrl();
  const s = await backend.open(url);
  for (let i = 0; i < N; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, k) => {
        const n = i + k;
        const id = `job-${n}`;
        // 1 % RUNNING, names etl-0..99 (1 % each), users u0..99, tag team:0..99; "env:prod" on every other job
        const status: JobStatus = n % 100 === 7 ? "RUNNING" : (STATUSES[n % STATUSES.length] as JobStatus);
        return s.insertJob(
          newJob({
            id,
            name: `etl-${n % 100}`,
            user: `u${n % 97}`,
            status,
            tags: [`_id:${id}`, `_name:etl-${n % 100}`, "_version:1", `team:${n % 100}`, ...(n % 2 ? ["env:prod"] : [])],
          }),
        );
      }),
    );
  }
  await s.close();
  return url;
}

const seqDesc: PageQuery = { limit: 101, order_by: "seq", direction: "desc" };
const createdDesc: PageQuery = { limit: 101, order_by: "created_at", direction: "desc" };

/** [label, filter, page, index the plan must read (a regular expression)]. */
const CASES: [string, JobFilter, PageQuery, string][] = [
  ["status=", { status: ["RUNNING"] }, seqDesc, "jobs_status\\w*"],
  ["status= several", { status: ["RUNNING", "NEW"] }, seqDesc, "jobs_status\\w*"],
  ["status= by created_at", { status: ["RUNNING"] }, createdDesc, "jobs_status\\w*"],
  ["tags= absent", { tags: ["absent:tag"] }, seqDesc, "job_tags_tag"],
  ["tags= _id:", { tags: ["_id:job-1234"] }, seqDesc, "job_tags_tag"],
  ["tags= selective", { tags: ["team:42"] }, seqDesc, "job_tags_tag"],
  ["tags= two", { tags: ["env:prod", "team:43"] }, seqDesc, "job_tags_tag"],
  ["tags= by created_at", { tags: ["absent:tag"] }, createdDesc, "job_tags_tag"],
  ["name= exact", { name: "etl-42" }, seqDesc, "jobs_name"],
  ["name= prefix", { name: "etl-42%" }, seqDesc, "jobs_name"],
  ["username= exact", { username: "u42" }, seqDesc, "jobs_user"],
  ["username= prefix", { username: "u42%" }, seqDesc, "jobs_user"],
];

function sqlitePlan(file: string, f: JobFilter, p: PageQuery): string[] {
  const q = jobListQuery(sqliteDialect, f, p);
  const order = [...q.sql.matchAll(/\$(\d+)/g)].map((m) => q.params[Number(m[1]) - 1]);
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${q.sql.replace(/\$\d+/g, "?")}`).all(...order) as { detail: string }[];
    return rows.map((r) => r.detail);
  } finally {
    db.close();
  }
}

async function postgresPlan(client: pg.Client, f: JobFilter, p: PageQuery): Promise<string[]> {
  const q = jobListQuery(postgresDialect, f, p);
  const res = await client.query(`EXPLAIN ${q.sql}`, q.params);
  return res.rows.map((r: Record<string, string>) => String(r["QUERY PLAN"]));
}

for (const backend of storeBackends()) {
  void describe(`job list query plans on ${backend.name}`, { skip: backend.skip }, () => {
    let url = "";
    let client: pg.Client | undefined;
    before(async () => {
      url = await load(backend);
      if (backend.name === "postgres") {
        client = new pg.Client(url);
        await client.connect();
        await client.query("ANALYZE");
        await client.query("SET enable_seqscan = off");
      }
    });
    after(async () => {
      await client?.end();
      await backend.closeAll();
    });

    for (const [label, filter, p, index] of CASES) {
      void test(`${label} reads ${index}`, async () => {
        const plan =
          backend.name === "sqlite"
            ? sqlitePlan(url.slice("sqlite:".length), filter, p)
            : await postgresPlan(client as pg.Client, filter, p);
        const text = plan.join("\n");
        if (backend.name === "sqlite") {
          assert.match(text, new RegExp(`SEARCH \\w+ USING (COVERING )?INDEX ${index} \\(`), text);
          assert.doesNotMatch(text, /^SCAN (jobs|job_tags|t0|t)\b/m, text);
        } else {
          assert.match(text, new RegExp(`Index (Only )?Scan( Backward)? using ${index} on|Bitmap Index Scan on ${index}\\b`), text);
          assert.doesNotMatch(text, /Seq Scan on (jobs|job_tags)\b/, text);
        }
      });
    }
  });
}
