// Job lifecycle on both engines: cancel outcomes, claiming (FIFO, limit, CANCELING skipped, resume of handed-back
// jobs), compare-and-set transitions, heartbeat, stale candidates and takeover, hand-back, retention.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Store } from "../../src/store/index.ts";
import { rawQuery, storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

async function insertMany(s: Store, n: number, over: Parameters<typeof newJob>[0] = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await s.insertJob(newJob({ ...over, name: `j${i}` }))).id);
  return ids;
}

const status = async (s: Store, id: string) => (await s.getJob(id))?.status;

for (const backend of storeBackends()) {
  void describe(`lifecycle on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("cancel: NEW → CANCELING (canceled_by kept on anonymous repeat), final, unknown", async () => {
      const s = await backend.open();
      const [a, b] = (await insertMany(s, 2)) as [string, string];
      assert.deepEqual(await s.cancelJob(a, "alice"), { kind: "canceling", owner: null });
      let j = await s.getJob(a);
      assert.equal(j?.status, "CANCELING");
      assert.equal(j?.canceled_by, "alice");
      assert.deepEqual(await s.cancelJob(a, "bob"), { kind: "canceling", owner: null });
      assert.equal((await s.getJob(a))?.canceled_by, "bob", "a repeated cancel overwrites canceled_by");
      assert.deepEqual(await s.cancelJob(a, undefined), { kind: "canceling", owner: null });
      assert.equal((await s.getJob(a))?.canceled_by, "bob", "a cancel without identity keeps canceled_by");

      await s.claimJobs("inst-1", 10);
      assert.deepEqual(await s.cancelJob(b, "carol"), { kind: "canceling", owner: "inst-1" });
      assert.deepEqual(await s.heartbeat("inst-1"), [{ id: b, status: "CANCELING" }], "the owner sees the cancel");
      assert.equal(await s.transition({ id: b, from: ["CANCELING"], to: "CANCELED", owner: "inst-1", removeClaim: true }), true);
      assert.deepEqual(await s.cancelJob(b, "carol"), { kind: "final", status: "CANCELED" });
      assert.deepEqual(await s.cancelJob("nope", "carol"), { kind: "unknown" });
      j = await s.getJob(b);
      assert.equal(j?.canceled_by, "carol");
    });

    void test("claim: FIFO, limit, owner + heartbeat, CANCELING and owned jobs skipped", async () => {
      const s = await backend.open();
      const ids = await insertMany(s, 7);
      const sync = await s.insertJob(newJob({ status: "RUNNING", is_sync: true, owner: "inst-sync" }));
      await s.cancelJob(ids[1] as string, "x");
      assert.deepEqual(await s.claimJobs("inst-1", 0), []);
      const first = await s.claimJobs("inst-1", 3);
      assert.deepEqual(
        first.map((c) => c.job.id),
        [ids[0], ids[2], ids[3]],
      );
      assert.ok(first.every((c) => c.job.status === "ACCEPTED" && !c.resumed));
      // The claim returns the job exactly as stored after it (tag sets included) and the registry revision.
      for (const c of first) assert.deepEqual(c.job, await s.getJob(c.job.id));
      assert.ok(
        first.every((c) => c.registryRevision === 0),
        "registry revision returned with the claim",
      );
      const second = await s.claimJobs("inst-2", 10);
      assert.deepEqual(
        second.map((c) => c.job.id),
        [ids[4], ids[5], ids[6]],
      );
      assert.deepEqual(await s.claimJobs("inst-3", 10), []);
      assert.equal(await status(s, ids[1] as string), "CANCELING");
      assert.equal(await status(s, sync.id), "RUNNING");

      const hb = await s.heartbeat("inst-1");
      assert.deepEqual(
        hb.map((h) => [h.id, h.status]),
        [
          [ids[0], "ACCEPTED"],
          [ids[2], "ACCEPTED"],
          [ids[3], "ACCEPTED"],
        ],
      );
      assert.deepEqual(
        (await s.heartbeat("inst-sync")).map((h) => [h.id, h.status]),
        [[sync.id, "RUNNING"]],
      );
      assert.deepEqual(await s.heartbeat("nobody"), []);
    });

    void test("concurrent claim loops on one store never share a job", async () => {
      const s = await backend.open();
      const ids = await Promise.all(Array.from({ length: 120 }, (_, i) => s.insertJob(newJob({ name: `c${i}` }))));
      const seen: string[] = [];
      const loop = async (owner: string) => {
        for (;;) {
          const got = await s.claimJobs(owner, 3);
          if (got.length === 0) return;
          seen.push(...got.map((c) => c.job.id));
        }
      };
      await Promise.all(["w1", "w2", "w3", "w4", "w5"].map(loop));
      assert.equal(seen.length, 120);
      assert.deepEqual([...seen].sort(), ids.map((j) => j.id).sort());
    });

    void test("transitions are compare-and-set on status and owner", async () => {
      const s = await backend.open();
      const [a] = (await insertMany(s, 1)) as [string];
      await s.claimJobs("me", 1);
      assert.equal(await s.transition({ id: a, from: ["NEW"], to: "RUNNING", owner: "me" }), false, "wrong from");
      assert.equal(await s.transition({ id: a, from: ["ACCEPTED"], to: "RUNNING", owner: "other" }), false, "wrong owner");
      assert.equal(await s.transition({ id: "missing", from: ["ACCEPTED"], to: "RUNNING" }), false);
      assert.equal(await s.transition({ id: a, from: [], to: "RUNNING" }), false);
      assert.equal(await status(s, a), "ACCEPTED");
      assert.equal(await s.transition({ id: a, from: ["ACCEPTED"], to: "RUNNING", owner: "me", error: "", markStarted: true }), true);
      assert.equal(await status(s, a), "RUNNING");

      assert.deepEqual(await s.cancelJob(a, "bob"), { kind: "canceling", owner: "me" });
      assert.equal(
        await s.transition({
          id: a,
          from: ["RUNNING"],
          to: "SUCCEEDED",
          owner: "me",
          removeClaim: true,
          jobAttributes: { L: { kind: "text", value: "v" } },
          result: '"late"',
        }),
        false,
        "the cancel wins over a late success",
      );
      assert.equal(await s.getResult(a), undefined, "a result goes only with a transition that matched");
      assert.equal(await s.transition({ id: a, from: ["CANCELING"], to: "CANCELED", owner: "me", removeClaim: true }), true);
      const j = await s.getJob(a);
      assert.equal(j?.status, "CANCELED");
      assert.deepEqual(j?.job_attributes, {});
      assert.deepEqual(await s.heartbeat("me"), [], "claim removed with the final transition");

      const [b] = (await insertMany(s, 1)) as [string];
      await s.claimJobs("me", 1);
      await s.transition({ id: b, from: ["ACCEPTED"], to: "RUNNING", owner: "me" });
      assert.equal(
        await s.transition({
          id: b,
          from: ["RUNNING"],
          to: "FAILED",
          owner: "me",
          removeClaim: true,
          error: "boom",
          jobAttributes: { L: { kind: "link", value: "http://x" } },
          result: '{"attempts":1}',
        }),
        true,
      );
      assert.equal(await s.getResult(b), '{"attempts":1}', "the result is stored with the final status");
      const jb = await s.getJob(b);
      assert.equal(jb?.error, "boom");
      assert.deepEqual(jb?.job_attributes, { L: { kind: "link", value: "http://x" } });
      assert.ok((jb?.updated_at ?? 0) >= (jb?.created_at ?? Infinity));
    });

    void test("T6 hand-back of an unstarted claim and D10 hand-back/resume of a running job", async () => {
      const s = await backend.open();
      const [a, b] = (await insertMany(s, 2)) as [string, string];
      await s.claimJobs("old", 2);
      // T6: ACCEPTED → NEW, owner cleared: claimable again, not stale.
      assert.equal(await s.transition({ id: a, from: ["ACCEPTED"], to: "NEW", owner: "old", clearOwner: true }), true);
      // b started, then handed back at shutdown.
      await s.transition({ id: b, from: ["ACCEPTED"], to: "RUNNING", owner: "old" });
      assert.equal(await s.handBack(b, "someone-else"), false);
      assert.equal(await s.handBack(b, "old"), true);
      assert.equal(await status(s, b), "RUNNING");
      assert.deepEqual(await s.heartbeat("old"), []);
      assert.deepEqual(await s.staleCandidates(0, 10), [], "unowned claims without heartbeat are not stale");

      const claimed = await s.claimJobs("new", 10);
      assert.deepEqual(
        claimed.map((c) => [c.job.id, c.job.status, c.resumed]),
        [
          [a, "ACCEPTED", false],
          [b, "RUNNING", true],
        ],
      );
      assert.deepEqual(await s.claimJobs("third", 10), [], "a resumed claim is no longer handed back");
    });

    void test("stale candidates: old heartbeats and unowned CANCELING jobs; takeover is compare-and-set", async () => {
      const s = await backend.open();
      const [a, b, c] = (await insertMany(s, 3)) as [string, string, string];
      await s.claimJobs("dead", 1); // a
      await s.cancelJob(b, "x"); // b: unowned CANCELING
      assert.deepEqual(
        (await s.staleCandidates(60, 10)).map((x) => x.job.id),
        [b],
        "fresh heartbeat is not stale",
      );
      await new Promise((r) => setTimeout(r, 1100));
      const cands = await s.staleCandidates(0, 10);
      assert.deepEqual(
        cands.map((x) => [x.job.id, x.owner, x.job.status]),
        [
          [a, "dead", "ACCEPTED"],
          [b, null, "CANCELING"],
        ],
      );
      assert.equal(typeof cands[0]?.heartbeat, "number");
      assert.equal(cands[1]?.heartbeat, null);
      assert.deepEqual(
        (await s.staleCandidates(0, 1)).map((x) => x.job.id),
        [a],
        "limit",
      );

      const ca = cands[0] as (typeof cands)[0];
      assert.equal(await s.takeOverClaim(a, { owner: "dead", heartbeat: (ca.heartbeat ?? 0) - 1 }, "janitor"), false);
      assert.equal(await s.takeOverClaim(a, { owner: "other", heartbeat: ca.heartbeat }, "janitor"), false);
      assert.equal(await s.takeOverClaim(a, { owner: ca.owner, heartbeat: ca.heartbeat }, "janitor"), true);
      assert.equal(await s.takeOverClaim(a, { owner: ca.owner, heartbeat: ca.heartbeat }, "janitor-2"), false, "only once");
      assert.equal(await s.takeOverClaim(b, { owner: null, heartbeat: null }, "janitor"), true);
      assert.deepEqual(
        (await s.heartbeat("janitor")).map((h) => h.id),
        [a, b],
      );
      assert.equal(
        await s.transition({
          id: a,
          from: ["ACCEPTED", "RUNNING"],
          to: "FAILED",
          owner: "janitor",
          removeClaim: true,
          error: "awol: job is stale, marking failed",
        }),
        true,
      );
      assert.equal(await s.transition({ id: b, from: ["CANCELING"], to: "CANCELED", owner: "janitor", removeClaim: true }), true);
      assert.deepEqual(await s.staleCandidates(0, 10), []);
      assert.equal(await status(s, c), "NEW");
    });

    void test("instances: register; the heartbeat moves the instance record's heartbeat; remove", async () => {
      const url = await backend.freshUrl();
      let s = await backend.open(url);
      await s.registerInstance("inst-a");
      await s.registerInstance("inst-b");
      await new Promise((r) => setTimeout(r, 1100));
      assert.deepEqual(await s.heartbeat("inst-a"), []);
      await s.removeInstance("inst-b");
      await s.close();
      const rows = await rawQuery<{ name: string; started_at: number; heartbeat: number }>(
        url,
        "SELECT name, started_at, heartbeat FROM instances ORDER BY name",
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.name, "inst-a");
      assert.ok(Number(rows[0]?.heartbeat) > Number(rows[0]?.started_at), JSON.stringify(rows));
      s = await backend.open(url);
      await s.registerInstance("inst-a"); // re-registering an existing name is not an error
      await s.removeInstance("inst-a");
      await s.removeInstance("inst-a");
    });

    void test("retention deletes only final jobs older than the cutoff, with all their rows", async () => {
      const s = await backend.open();
      const [done, running, fresh] = (await insertMany(s, 3)) as [string, string, string];
      await s.claimJobs("me", 3);
      for (const id of [done, running, fresh]) await s.transition({ id, from: ["ACCEPTED"], to: "RUNNING", owner: "me" });
      await s.transition({ id: done, from: ["RUNNING"], to: "SUCCEEDED", owner: "me", removeClaim: true });
      await s.appendFile(done, "stdout", [Buffer.from("out")]);
      await s.appendFile(done, "stderr", [Buffer.from("err")]);
      await s.putResult(done, `{"columns":[],"data":[]}`);
      await s.putPluginState(done, "task/1", { arn: "x" });
      await s.appendFile(running, "stdout", [Buffer.from("keep")]);

      const now = await s.now();
      assert.equal(await s.deleteFinishedJobs(now - 3600, 100), 0, "cutoff in the past: nothing old enough");
      await s.transition({ id: fresh, from: ["RUNNING"], to: "FAILED", owner: "me", removeClaim: true });
      assert.equal(await s.deleteFinishedJobs(now + 10, 1), 1, "limit");
      assert.equal(await s.deleteFinishedJobs(now + 10, 100), 1);
      assert.equal(await s.deleteFinishedJobs(now + 10, 100), 0);
      assert.equal(await s.getJob(done), undefined);
      assert.equal(await s.getJob(fresh), undefined);
      assert.equal(await s.fileSize(done, "stdout"), 0);
      assert.equal(await s.getResult(done), undefined);
      assert.equal(await status(s, running), "RUNNING", "non-final jobs are never deleted");
      assert.equal(await s.fileSize(running, "stdout"), 4);
      assert.deepEqual((await s.listJobs({ tags: [`_id:${done}`] }, { limit: 10, order_by: "seq", direction: "desc" })).data, []);
    });
  });
}
