// Query plans of the job list filters (issue 11 item 2): each filter must be read through its index, so a change
// that turns one into a scan of the jobs table fails here (the speed at 1,000,000 jobs is bench/list-filters.ts).
// SQLite: EXPLAIN QUERY PLAN of the store's own SQL on 3,000 jobs must SEARCH the named index and never SCAN jobs
// or job_tags. PostgreSQL: after ANALYZE, with enable_seqscan = off (so a table of this size does not make a
// sequential scan the cheapest plan), EXPLAIN must name the index and show no Seq Scan on jobs or job_tags; the
// values filtered on are selective (about 1 % of the rows), where reading the index is the right plan. Each plan of
// job-list.ts is checked, also the ones it picks per case (a prefix's values one by one, the newest jobs first, a
// common tag in created_at order, the time filters' index ranges), and the created_at plan of a common tag is
// checked to give exactly the pages of reading and sorting the tag, also when created_at does not follow seq.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { JobFilter, JobStatus, PageQuery } from "../../src/core/index.ts";
import type { Row } from "../../src/store/shared/db.ts";
import type { Dialect } from "../../src/store/shared/db.ts";
import { jobListQuery, tagTimeQuery } from "../../src/store/shared/job-list.ts";
import type { PickFilter, PrefixSplit } from "../../src/store/shared/job-list-prefix.ts";
import { prefixValuesQuery } from "../../src/store/shared/job-list-prefix.ts";
import { pageRows } from "../../src/store/shared/list-query.ts";
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
const createdAsc: PageQuery = { limit: 101, order_by: "created_at", direction: "asc" };
/** A minute before the jobs were loaded: the RUNNING jobs started after it; no job finished before it. */
const BEFORE = Math.floor(Date.now() / 1000) - 60;

/** The unique index of jobs.id: PostgreSQL names it after the constraint, SQLite numbers its automatic ones. */
const ID_INDEX = "(?:jobs_id_key|sqlite_autoindex_jobs_\\d+)";

type Query = (d: Dialect) => { sql: string; params: unknown[] };
const list =
  (f: PickFilter, p: PageQuery, split?: PrefixSplit): Query =>
  (d) =>
    jobListQuery(d, f, p, split);

/** [label, query, indexes the plan must read (regular expressions), SQLite: the rowid range drives]. */
const CASES: [string, Query, string[], boolean?][] = [
  ["status=", list({ status: ["RUNNING"] }, seqDesc), ["jobs_status\\w*"]],
  ["status= several", list({ status: ["RUNNING", "NEW"] }, seqDesc), ["jobs_status\\w*"]],
  ["status= by created_at", list({ status: ["RUNNING"] }, createdDesc), ["jobs_status\\w*"]],
  ["tags= absent", list({ tags: ["absent:tag"] }, seqDesc), ["job_tags_tag"]],
  // The system tags are their columns' values (src/store/shared/job-system-tags.ts): the id, name and version indexes.
  ["tags= _id:", list({ tags: ["_id:job-1234"] }, seqDesc), [ID_INDEX]],
  ["tags= _id: and a common tag", list({ tags: ["env:prod", "_id:job-1235"] }, seqDesc), [ID_INDEX]],
  ["tags= _name:", list({ tags: ["_name:etl-42"] }, seqDesc), ["jobs_name"]],
  ["tags= _version: absent", list({ tags: ["_version:absent"] }, seqDesc), ["jobs_version"]],
  ["tags= selective", list({ tags: ["team:42"] }, seqDesc), ["job_tags_tag"]],
  ["tags= two", list({ tags: ["env:prod", "team:43"] }, seqDesc), ["job_tags_tag"]],
  ["tags= by created_at (a rare tag: read and sorted)", list({ tags: ["absent:tag"] }, createdDesc), ["job_tags_tag"]],
  // A rare tag in another order than seq: listJobs reads its jobs first (a few thousand at most) and gives them by seq.
  ["tags= by created_at (a rare tag, its jobs given)", list({ tags: ["team:42"], tagSeqs: [43, 143, 243] }, createdDesc), []],
  // A common tag in created_at order: its first page in seq order, then the jobs created since on jobs_created.
  ["tags= by created_at (common tag)", (d) => tagTimeQuery(d, { tags: ["env:prod"] }, createdDesc), ["job_tags_tag", "jobs_created"]],
  ["tags= by created_at ascending", (d) => tagTimeQuery(d, { tags: ["env:prod"] }, createdAsc), ["job_tags_tag", "jobs_created"]],
  [
    "tags= by created_at after a cursor",
    (d) => tagTimeQuery(d, { tags: ["env:prod"], status: ["FAILED"] }, { ...createdDesc, cursor: { v: BEFORE + 60, i: 2000 } }),
    ["job_tags_tag", "jobs_\\w*created"],
  ],
  ["name= exact", list({ name: "etl-42" }, seqDesc), ["jobs_name"]],
  ["name= prefix (the range read)", list({ name: "etl-42%" }, seqDesc), ["jobs_name"]],
  [
    "name= prefix: its values",
    (d) => prefixValuesQuery(d, { column: "name", pattern: "etl-4%", from: "etl-4", to: "etl-5" }),
    ["jobs_name"],
  ],
  ["name= prefix: one read per value", list({ name: "etl-4%" }, seqDesc, { column: "name", values: ["etl-4", "etl-40"] }), ["jobs_name"]],
  ["name= prefix: the newest jobs", list({ name: "etl-4%", window: { size: 4000 } }, seqDesc), [], true],
  ["username= exact", list({ username: "u42" }, seqDesc), ["jobs_user"]],
  ["username= prefix", list({ username: "u42%" }, seqDesc), ["jobs_user"]],
  [
    "username= prefix: one read per value",
    list({ username: "u4%" }, seqDesc, { column: "user_name", values: ["u4", "u40"] }),
    ["jobs_user"],
  ],
  ["started_after=", list({ started_after: BEFORE, timeRange: true }, seqDesc), ["jobs_started"]],
  ["finished_before=", list({ finished_before: BEFORE, timeRange: true }, seqDesc), ["jobs_finished"]],
  [
    "started_after= finished_before=: the newest jobs",
    list({ started_after: BEFORE, finished_before: BEFORE, window: { size: 4000, before: 2500 } }, seqDesc),
    [],
    true,
  ],
];

function run(q: { sql: string; params: unknown[] }, file: string): Row[] {
  const order = [...q.sql.matchAll(/\$(\d+)/g)].map((m) => q.params[Number(m[1]) - 1]);
  const db = new Database(file);
  try {
    const st = db.prepare(q.sql.replace(/\$\d+/g, "?"));
    if (st.reader) return st.all(...order) as Row[];
    st.run(...order);
    return [];
  } finally {
    db.close();
  }
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

    const query = async (q: { sql: string; params: unknown[] }): Promise<Row[]> =>
      client ? (await client.query(q.sql, q.params)).rows : run(q, url.slice("sqlite:".length));

    for (const [label, build, indexes, rowidRange] of CASES) {
      void test(`${label} reads ${indexes.join(" and ") || (rowidRange ? "the newest jobs" : "its jobs by key")}`, async () => {
        const d = backend.name === "sqlite" ? sqliteDialect : postgresDialect;
        const q = build(d);
        const explain = { sql: `${backend.name === "sqlite" ? "EXPLAIN QUERY PLAN" : "EXPLAIN"} ${q.sql}`, params: q.params };
        const rows = await query(explain);
        const text = rows.map((r) => String(r.detail ?? r["QUERY PLAN"])).join("\n");
        if (backend.name === "sqlite") {
          for (const index of indexes) assert.match(text, new RegExp(`SEARCH \\w+ USING (COVERING )?INDEX ${index} \\(`), text);
          if (rowidRange) assert.match(text, /SEARCH jobs USING INTEGER PRIMARY KEY \(rowid>\?/, text);
          assert.doesNotMatch(text, /^SCAN (jobs|job_tags|t0|t)\b/m, text);
        } else {
          for (const index of indexes) {
            assert.match(text, new RegExp(`Index (Only )?Scan( Backward)? using ${index} on|Bitmap Index Scan on ${index}\\b`), text);
          }
          if (rowidRange) assert.match(text, /Index (Only )?Scan( Backward)? using jobs_\w+ on jobs/, text);
          assert.doesNotMatch(text, /Seq Scan on (jobs|job_tags)\b/, text);
        }
      });
    }

    // listJobs picks among exact plans per case (a prefix's values one by one, the newest jobs first, the index
    // range): its pages must equal the plain plan's in both directions.
    void test("listJobs pages equal the plain plan (prefixes, time filters, both directions)", async () => {
      const store = await backend.open(url);
      const d = backend.name === "sqlite" ? sqliteDialect : postgresDialect;
      for (const f of [
        { name: "etl-%" },
        { name: "etl-4%" },
        { username: "u4%" },
        { started_after: BEFORE },
        { finished_before: BEFORE + 120 },
      ] as JobFilter[]) {
        for (const direction of ["desc", "asc"] as const) {
          let page: PageQuery = { limit: 40, order_by: "seq", direction };
          for (let n = 0; n < 3; n++) {
            const got = await store.listJobs(f, page);
            const want = pageRows(await query(jobListQuery(d, f, page)), page);
            const label = `${JSON.stringify(f)} ${direction} page ${n}`;
            assert.deepEqual(
              got.data.map((j) => j.id),
              want.rows.map((r) => String(r.id)),
              label,
            );
            assert.ok(got.data.length > 0, label);
            if (!want.next_cursor) break;
            page = { ...page, cursor: want.next_cursor };
          }
        }
      }
    });

    // The created_at order of a common tag leans on created_at following seq; when it does not (the clock went
    // back, inserts committed out of order), the page must still be exact: every page equals the read-and-sort plan.
    void test("tags= by created_at: pages equal the sorted tag, also when created_at does not follow seq", async () => {
      const shift = (sql: string) => query({ sql, params: [] });
      await shift("UPDATE jobs SET created_at = created_at + 500 WHERE seq % 97 = 0"); // older jobs created later
      await shift("UPDATE jobs SET created_at = created_at - 500 WHERE seq % 89 = 0"); // newer jobs created earlier
      const d = backend.name === "sqlite" ? sqliteDialect : postgresDialect;
      for (const [f, base] of [
        [{ tags: ["env:prod"] }, createdDesc],
        [{ tags: ["env:prod"] }, createdAsc],
        [{ tags: ["env:prod", "team:43"] }, createdDesc],
        [{ tags: ["env:prod"], status: ["SUCCEEDED"] as JobStatus[] }, createdAsc],
      ] as [JobFilter, PageQuery][]) {
        let page: PageQuery = { ...base, limit: 40 };
        for (let n = 0; n < 6; n++) {
          const got = pageRows(await query(tagTimeQuery(d, f, page)), page);
          const want = pageRows(await query(jobListQuery(d, f, page)), page);
          assert.deepEqual(
            got.rows.map((r) => String(r.id)),
            want.rows.map((r) => String(r.id)),
            `${JSON.stringify(f)} ${base.direction} page ${n}`,
          );
          assert.ok(got.rows.length > 0);
          if (!want.next_cursor) break;
          page = { ...page, cursor: want.next_cursor };
        }
      }
    });
  });
}
