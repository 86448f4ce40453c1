// Job insert/get and list behaviour on both engines: every filter, sort key, direction and keyset page, checked
// against an in-test model; plus a direct cross-engine comparison (binary, case-sensitive, `_`/`%` patterns).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { Job, JobFilter, JobStatus, OrderBy, PageQuery } from "../../src/core/index.ts";
import type { Store } from "../../src/store/index.ts";
import type { StoreBackend } from "../helpers/db.ts";
import { storeBackends } from "../helpers/db.ts";
import { newJob, page, walkPages } from "./fixtures.ts";

const NAMES = ["alpha", "Alpha", "al_ha", "al%ha", "beta", "bēta", "b\u{1F600}ta", "gamma", "", "a"];
const STATUSES: JobStatus[] = ["NEW", "RUNNING", "FAILED", "SUCCEEDED", "CANCELING"];

interface Model {
  seq: number;
  id: string;
  name: string;
  version: string;
  user: string;
  command_name: string;
  cluster_name: string;
  status: JobStatus;
  tags: string[];
  created_at: number;
  updated_at: number;
}

/** 60 jobs with deterministic, overlapping attributes (ties on timestamps included). */
function dataset(): Model[] {
  const out: Model[] = [];
  for (let i = 0; i < 60; i++) {
    const name = NAMES[i % NAMES.length] as string;
    out.push({
      seq: i,
      id: `${(i * 7919) % 60}`.padStart(2, "0") + `-${i % 3 === 0 ? "X" : "x"}-job`,
      name,
      version: i % 4 === 0 ? "1.0" : "1.10",
      user: i % 5 === 0 ? "Bob" : "bob",
      command_name: i % 2 ? "ping_1" : "pingX1",
      cluster_name: i % 3 ? "local" : "LOCAL",
      status: STATUSES[i % STATUSES.length] as JobStatus,
      tags: ["env:prod", i % 2 ? "odd" : "even", i % 3 === 0 ? "three" : "x"].filter((t, k, a) => a.indexOf(t) === k),
      created_at: 1_700_000_000 + ((i * 37) % 11),
      updated_at: 1_700_000_000 + ((i * 13) % 7),
    });
  }
  return out;
}

/** Inserts the dataset, then sets its status and timestamps directly (the store stamps the database clock). */
async function load(backend: StoreBackend): Promise<{ store: Store; url: string }> {
  const url = await backend.freshUrl();
  let store = await backend.open(url);
  const jobs = dataset();
  for (const m of jobs) {
    await store.insertJob(
      newJob({
        id: m.id,
        name: m.name,
        version: m.version,
        user: m.user,
        command_name: m.command_name,
        cluster_name: m.cluster_name,
        tags: [`_id:${m.id}`, `_name:${m.name}`, `_version:${m.version}`, ...m.tags],
      }),
    );
  }
  await store.close();
  if (backend.name === "sqlite") {
    const db = new Database(url.slice("sqlite:".length));
    const upd = db.prepare("UPDATE jobs SET status = ?, created_at = ?, updated_at = ? WHERE id = ?");
    db.transaction(() => {
      for (const m of jobs) upd.run(m.status, m.created_at, m.updated_at, m.id);
    })();
    db.close();
  } else {
    const c = new pg.Client(url);
    await c.connect();
    for (const m of jobs) {
      await c.query("UPDATE jobs SET status = $1, created_at = $2, updated_at = $3 WHERE id = $4", [
        m.status,
        m.created_at,
        m.updated_at,
        m.id,
      ]);
    }
    await c.end();
  }
  store = await backend.open(url);
  return { store, url };
}

function patternRegex(p: string): RegExp {
  const body = [...p].map((ch) => (ch === "%" ? ".*" : ch === "_" ? "." : ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
  return new RegExp(`^${body.join("")}$`, "su");
}
const byteCmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function expected(models: Model[], f: JobFilter, order: OrderBy, dir: "asc" | "desc"): string[] {
  const match = (v: string, p: string | undefined) => p === undefined || patternRegex(p).test(v);
  const rows = models.filter(
    (m) =>
      match(m.user, f.username) &&
      match(m.id, f.id) &&
      match(m.name, f.name) &&
      match(m.version, f.version) &&
      match(m.command_name, f.command) &&
      match(m.cluster_name, f.cluster) &&
      (!f.status || f.status.length === 0 || f.status.includes(m.status)) &&
      (f.tags ?? []).every((t) => m.tags.includes(t) || [`_id:${m.id}`, `_name:${m.name}`, `_version:${m.version}`].includes(t)),
  );
  const sign = dir === "asc" ? 1 : -1;
  rows.sort((a, b) => {
    let c = 0;
    if (order === "id") c = byteCmp(a.id, b.id);
    else if (order === "created_at") c = a.created_at - b.created_at;
    else if (order === "updated_at") c = a.updated_at - b.updated_at;
    return sign * (c !== 0 ? c : a.seq - b.seq);
  });
  return rows.map((m) => m.id);
}

const FILTERS: JobFilter[] = [
  {},
  { name: "alpha" },
  { name: "al_ha" },
  { name: "al%ha" },
  { name: "A%" },
  { name: "b_ta" },
  { name: "%" },
  { name: "" },
  { id: "%-X-%" },
  { id: "0_-x-job" },
  { username: "Bob" },
  { version: "1._" },
  { command: "ping_1" },
  { cluster: "LOCAL" },
  { status: ["RUNNING", "FAILED"] },
  { tags: ["env:prod", "odd"] },
  { tags: ["three", "even", "_name:alpha"] },
  { tags: ["ENV:prod"] },
  { name: "%a", status: ["NEW", "CANCELING", "SUCCEEDED"], tags: ["odd"], cluster: "l%" },
  // Literal prefixes are index ranges (issue 11 item 2): the range must keep exactly the pattern's rows.
  { name: "b%" },
  { name: "bē%" },
  { name: "al_%" },
  { username: "B%", status: ["NEW", "FAILED"] },
  { tags: ["odd", "env:prod"], status: ["RUNNING", "SUCCEEDED"] },
  { tags: ["absent"] },
  // System tags are the columns' exact values (not patterns), alone and with stored tags.
  { tags: ["_id:07-x-job"] },
  { tags: ["_id:07-x-job", "odd"] },
  { tags: ["_id:07-x-job", "even"] },
  { tags: ["_version:1.0", "three"] },
  { tags: ["_version:1._"] },
  { tags: ["_name:al%ha"] },
  { tags: ["_name:beta", "_version:1.10", "env:prod"] },
  { tags: ["_id:absent"] },
];
const ORDERS: [OrderBy, "asc" | "desc"][] = [
  ["seq", "desc"],
  ["seq", "asc"],
  ["id", "asc"],
  ["id", "desc"],
  ["created_at", "asc"],
  ["created_at", "desc"],
  ["updated_at", "asc"],
  ["updated_at", "desc"],
];

async function listAll(store: Store, f: JobFilter, pq: PageQuery): Promise<string[]> {
  return (await walkPages((p) => store.listJobs(f, p), pq)).items.map((j) => j.id);
}

for (const backend of storeBackends()) {
  void describe(`jobs on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("insertJob returns the stored job; getJob reads it back", async () => {
      const s = await backend.open();
      const input = newJob({
        context: { nested: { a: [1, 2.5, null, true] }, ü: "✓" },
        tags: ["z", "_id:x", "a", "A", "a"],
        command_criteria: ["b", "a"],
        cluster_criteria: [],
        job_attributes: { Link: { kind: "link", value: "http://x" } },
        store_result_sync: true,
      });
      const stored = await s.insertJob(input);
      // The system tags are the job's own (id, name, version), whatever the input said.
      assert.deepEqual(stored.tags, ["A", `_id:${input.id}`, "_name:job", "_version:1", "a", "z"]);
      assert.deepEqual(stored.command_criteria, ["a", "b"]);
      assert.deepEqual(stored.cluster_criteria, []);
      assert.equal(stored.created_at, stored.updated_at);
      assert.ok(Math.abs(stored.created_at - (await s.now())) <= 2);
      assert.equal("owner" in stored, false);
      assert.deepEqual(await s.getJob(input.id), stored);
      assert.equal(await s.getJob("00000000-0000-4000-8000-000000000000"), undefined);

      const noCtx = await s.insertJob(newJob({ context: undefined }));
      assert.equal((await s.getJob(noCtx.id))?.context, undefined);
      const emptyCtx = await s.insertJob(newJob({ context: {} }));
      assert.deepEqual((await s.getJob(emptyCtx.id))?.context, {});

      await assert.rejects(s.insertJob(newJob({ id: input.id })), (e: Error & { code?: string }) => e.code === "STORE");
    });

    void test("concurrent inserts succeed or fail one by one (a duplicate id fails alone)", async () => {
      const s = await backend.open();
      const dup = newJob();
      const jobs = [...Array.from({ length: 40 }, () => newJob()), dup, { ...dup, name: "second" }];
      const results = await Promise.allSettled(jobs.map((j) => s.insertJob(j)));
      const failed = results.filter((r) => r.status === "rejected");
      assert.equal(failed.length, 1);
      assert.equal(((failed[0] as PromiseRejectedResult).reason as { code?: string }).code, "STORE");
      // Only one of the two duplicates fails, and the stored row is the other one's. On SQLite (one connection,
      // call order kept) that is the second; on PostgreSQL the two race on separate connections.
      const failedIndex = results.findIndex((r) => r.status === "rejected");
      assert.ok(failedIndex === 40 || failedIndex === 41, `a duplicate failed, not job #${failedIndex}`);
      const listed = await s.listJobs({}, page({ limit: 101, direction: "asc" }));
      assert.equal(listed.data.length, 41);
      const ids = listed.data.map((j) => j.id);
      assert.deepEqual([...ids].sort(), [...jobs.slice(0, 41).map((j) => j.id)].sort());
      if (backend.name === "sqlite") {
        assert.deepEqual(
          ids.slice(0, 40),
          jobs.slice(0, 40).map((j) => j.id),
          "one connection: call order kept",
        );
        assert.equal(failedIndex, 41, "one connection: the later duplicate fails");
      }
      assert.equal((await s.getJob(dup.id))?.name, jobs[failedIndex === 40 ? 41 : 40]!.name);
    });

    void describe("lists", () => {
      let store: Store;
      before(async () => {
        store = (await load(backend)).store;
      });

      void test("every filter × order × direction, walked in pages of 7, matches the model", async () => {
        const models = dataset();
        for (const f of FILTERS) {
          for (const [order_by, direction] of ORDERS) {
            const got = await listAll(store, f, page({ limit: 7, order_by, direction }));
            assert.deepEqual(got, expected(models, f, order_by, direction), `${JSON.stringify(f)} ${order_by} ${direction}`);
          }
        }
      });

      void test("page boundaries: exact multiple, limit 1, next_cursor values", async () => {
        const all = await store.listJobs({}, page({ limit: 101 }));
        assert.equal(all.data.length, 60);
        assert.equal(all.next_cursor, undefined);
        const p1 = await store.listJobs({}, page({ limit: 60 }));
        assert.equal(p1.next_cursor, undefined, "no next page when exactly limit rows exist");
        const p2 = await store.listJobs({}, page({ limit: 30, order_by: "id", direction: "asc" }));
        assert.equal(typeof p2.next_cursor?.v, "string");
        assert.equal(p2.next_cursor?.v, p2.data[29]?.id);
        const p3 = await store.listJobs({}, page({ limit: 5, order_by: "created_at", direction: "asc" }));
        assert.equal(p3.next_cursor?.v, p3.data[4]?.created_at);
        const ones = await walkPages((p) => store.listJobs({ status: ["FAILED"] }, p), page({ limit: 1 }));
        assert.equal(ones.items.length, 12);
        assert.equal(ones.pages, 12);
        const j: Job | undefined = ones.items[0];
        assert.equal(j?.status, "FAILED");
        assert.ok(j?.tags.includes("env:prod"));
      });
    });
  });
}

void describe("both engines give identical list results", () => {
  const [sqlite, postgres] = storeBackends() as [StoreBackend, StoreBackend];
  after(async () => {
    await sqlite.closeAll();
    await postgres.closeAll();
  });
  void test("same data, same queries, same ids in the same order", { skip: postgres.skip }, async () => {
    const a = (await load(sqlite)).store;
    const b = (await load(postgres)).store;
    for (const f of FILTERS) {
      for (const [order_by, direction] of ORDERS) {
        const pq = page({ limit: 9, order_by, direction });
        assert.deepEqual(await listAll(b, f, pq), await listAll(a, f, pq), `${JSON.stringify(f)} ${order_by} ${direction}`);
      }
    }
  });
});
