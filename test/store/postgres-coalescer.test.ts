// The PostgreSQL store's coalesced writes (src/store/postgres/coalesced.ts): concurrent insertJob, transition and
// putResult calls run as one statement per batch, and a failing or guarded row affects only its own call.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { finalTags } from "../../src/core/index.ts";
import type { Store } from "../../src/store/index.ts";
import { openStore } from "../../src/store/index.ts";
import { Coalescer } from "../../src/store/shared/coalescer.ts";
import { coalescedWrites } from "../../src/store/postgres/coalesced.ts";
import type { CoalescedWrites } from "../../src/store/postgres/coalesced.ts";
import { PostgresDb, pgTypes } from "../../src/store/postgres/db.ts";
import { freshDatabaseUrl, postgresBaseUrl, POSTGRES_SKIP_REASON } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

const skip = postgresBaseUrl() ? false : POSTGRES_SKIP_REASON;

let store: Store;
let pool: pg.Pool;
let writes: CoalescedWrites;
before(async () => {
  if (skip) return;
  const url = await freshDatabaseUrl("postgres");
  store = await openStore({ connectionString: url });
  pool = new pg.Pool({ connectionString: url, max: 4, types: pgTypes });
  writes = coalescedWrites(new PostgresDb(pool), { maxInFlight: 1 }); // one batch at a time: batch shapes are predictable
});
after(async () => {
  await pool?.end();
  await store?.close();
});

async function claimCount(ids: readonly string[]): Promise<number> {
  const r = await pool.query("SELECT count(*)::int AS n FROM claims c JOIN jobs j ON j.seq = c.job_seq WHERE j.id = ANY($1)", [ids]);
  return Number(r.rows[0].n);
}

void test("concurrent inserts share a statement; a duplicate id fails only its own call", { skip }, async () => {
  const existing = newJob();
  await writes.insertJob(existing);
  const c = writes.coalescers.insertJob;
  const before = { ...c.stats };
  const jobs = Array.from({ length: 12 }, (_, i) => (i === 5 ? newJob({ id: existing.id }) : newJob({ tags: [`n:${i}`, "bulk"] })));
  const settled = await Promise.allSettled(jobs.map((j) => writes.insertJob(j)));
  // The calls that arrived while a batch was in flight ran as one batch, which failed on the duplicate key and
  // ran again call by call.
  assert.ok(c.stats.batches - before.batches <= 2);
  assert.equal(c.stats.fallbacks - before.fallbacks, 1);
  settled.forEach((s, i) => {
    if (i === 5) assert.ok(s.status === "rejected" && /duplicate key/.test(String(s.reason)), String(i));
    else assert.equal(s.status, "fulfilled", String(i));
  });
  const stored = jobs.filter((_, i) => i !== 5);
  for (const [i, j] of stored.entries()) {
    const got = await store.getJob(j.id);
    assert.deepEqual(got?.tags, finalTags(j.tags, j.id, j.name, j.version), j.id);
    assert.deepEqual(got?.command_criteria, j.command_criteria);
    assert.equal(got?.status, "NEW");
    assert.ok(i >= 0);
  }
  assert.equal(await claimCount(stored.map((j) => j.id)), stored.length);
  // Sequence numbers follow call order.
  const seqs = await pool.query("SELECT id FROM jobs WHERE id = ANY($1) ORDER BY seq", [stored.map((j) => j.id)]);
  assert.deepEqual(
    seqs.rows.map((r: { id: string }) => r.id),
    stored.map((j) => j.id),
  );
});

void test("a registry-revision mismatch leaves out only that row; sync jobs get an owned claim", { skip }, async () => {
  const revision = await store.registryRevision();
  const c = writes.coalescers.insertJob;
  const before = c.stats.batches;
  const jobs = [
    newJob(),
    newJob({ registryRevision: revision }),
    newJob({ registryRevision: revision + 7 }),
    newJob({ status: "RUNNING", is_sync: true, owner: "me" }),
    newJob({ registryRevision: revision }),
  ];
  const out = await Promise.all(jobs.map((j) => writes.insertJob(j)));
  assert.ok(c.stats.batches - before <= 2);
  assert.deepEqual(
    out.map((o) => o !== undefined),
    [true, true, false, true, true],
  );
  assert.equal(await store.getJob(jobs[2]!.id), undefined);
  const sync = await store.getJob(jobs[3]!.id);
  assert.equal(sync?.status, "RUNNING");
  assert.ok(out[3]?.started_at !== null && out[1]?.started_at === null);
  const owner = await pool.query("SELECT c.owner FROM claims c JOIN jobs j ON j.seq = c.job_seq WHERE j.id = $1", [jobs[3]!.id]);
  assert.equal(owner.rows[0].owner, "me");
});

void test("concurrent transitions: each caller learns its own compare-and-set; claim changes apply per row", { skip }, async () => {
  const jobs = Array.from({ length: 6 }, () => newJob());
  const owned = newJob({ status: "RUNNING", is_sync: true, owner: "me" });
  await Promise.all([...jobs, owned].map((j) => writes.insertJob(j)));
  const ids = jobs.map((j) => j.id);
  const c = writes.coalescers.transition;
  const before = c.stats.batches;
  const [a, b, d, e, f, g] = ids as [string, string, string, string, string, string];
  const results = await Promise.all([
    writes.transition({ id: a, from: ["NEW"], to: "ACCEPTED" }),
    writes.transition({ id: b, from: ["RUNNING"], to: "SUCCEEDED", removeClaim: true, result: '"late"' }), // guard fails: NEW
    writes.transition({ id: d, from: ["NEW"], to: "FAILED", error: "boom", removeClaim: true, result: '{"attempts":2}' }),
    writes.transition({ id: e, from: ["NEW"], to: "ACCEPTED", owner: "nobody" }), // owner guard fails: unowned
    writes.transition({
      id: f,
      from: ["NEW", "ACCEPTED"],
      to: "KILLED",
      canceledBy: "bob",
      jobAttributes: { k: { kind: "text", value: "v" } },
      removeClaim: true,
    }),
    writes.transition({ id: g, from: ["NEW"], to: "RUNNING", markStarted: true, clearOwner: true }),
    writes.transition({ id: owned.id, from: ["RUNNING"], to: "SUCCEEDED", owner: "me", removeClaim: true }), // owner guard holds
    // Same job as the first call: never in the same batch as it, so it sees ACCEPTED.
    writes.transition({ id: a, from: ["ACCEPTED"], to: "RUNNING" }),
  ]);
  assert.deepEqual(results, [true, false, true, false, true, true, true, true]);
  assert.equal((await store.getJob(owned.id))?.status, "SUCCEEDED");
  assert.ok(c.stats.batches - before <= 3); // never more than: the first alone, the next six, the second move of a
  const got = await Promise.all(ids.map((id) => store.getJob(id)));
  assert.deepEqual(
    got.map((j) => j?.status),
    ["RUNNING", "NEW", "FAILED", "NEW", "KILLED", "RUNNING"],
  );
  assert.equal(got[2]?.error, "boom");
  assert.equal(await store.getResult(d), '{"attempts":2}', "a result is stored with the transition that matched");
  assert.equal(await store.getResult(b), undefined, "and not with one whose guard failed");
  assert.ok(got[2]?.finished_at !== null && got[0]?.started_at !== null && got[1]?.finished_at === null);
  assert.equal(got[4]?.canceled_by, "bob");
  assert.deepEqual(got[4]?.job_attributes, { k: { kind: "text", value: "v" } });
  assert.equal(await claimCount([d, f, owned.id]), 0);
  assert.equal(await claimCount([a, b, e, g]), 4);
});

void test("concurrent result puts: an unknown job fails only its own call", { skip }, async () => {
  const jobs = Array.from({ length: 4 }, () => newJob());
  await Promise.all(jobs.map((j) => writes.insertJob(j)));
  const calls = [...jobs.map((j) => ({ id: j.id, json: JSON.stringify({ id: j.id }) })), { id: "no-such-job", json: "{}" }];
  const settled = await Promise.allSettled(calls.map((r) => writes.putResult(r.id, r.json)));
  assert.deepEqual(
    settled.map((s) => s.status),
    ["fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected"],
  );
  assert.match(String((settled[4] as PromiseRejectedResult).reason), /unknown job no-such-job/);
  for (const j of jobs) assert.equal(await store.getResult(j.id), JSON.stringify({ id: j.id }));
  // An upsert: a second batch replaces the results.
  await Promise.all(jobs.map((j) => writes.putResult(j.id, '"again"')));
  for (const j of jobs) assert.equal(await store.getResult(j.id), '"again"');
});

void test("a batch failure that may have committed fails every call of the batch, none runs again alone", async () => {
  const alone: number[] = [];
  const lost = Object.assign(new Error("Connection terminated unexpectedly"), {});
  const c = new Coalescer<number, number>({
    runBatch: async () => {
      throw lost;
    },
    runOne: async (n) => {
      alone.push(n);
      await new Promise((r) => setTimeout(r, 5));
      return n;
    },
    canRunAlone: (err) => err !== lost,
  });
  const first = c.call(0); // alone: the single-call statement
  await new Promise((r) => setImmediate(r));
  const settled = await Promise.allSettled([first, ...[1, 2, 3, 4].map((n) => c.call(n))]);
  assert.deepEqual(
    settled.map((s) => (s.status === "fulfilled" ? s.value : "lost")),
    [0, "lost", "lost", "lost", "lost"],
  );
  assert.deepEqual(alone, [0]);
});

void test("the calls of one event-loop turn share a statement; calls made while it runs share the next", async () => {
  const batches: number[][] = [];
  let release = () => {};
  const c = new Coalescer<number, number>({
    runBatch: async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return items.map((n) => n * 10);
    },
    runOne: async (n) => {
      batches.push([n]);
      return n * 10;
    },
    canRunAlone: () => false,
  });
  const turn = [1, 2, 3].map((n) => c.call(n));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [[1, 2, 3]]); // one statement for the turn, not 1 alone and then [2, 3]
  const later = [4, 5].map((n) => c.call(n)); // while the first batch runs: they wait for it
  await new Promise((r) => setImmediate(r));
  assert.equal(batches.length, 1);
  release();
  assert.deepEqual(await Promise.all([...turn, ...later]), [10, 20, 30, 40, 50]);
  assert.deepEqual(batches, [
    [1, 2, 3],
    [4, 5],
  ]);
  assert.deepEqual(c.stats, { batches: 2, calls: 5, fallbacks: 0 });
});
