// Issue 8 item 3: a server SIGKILLed before, during or right after the ECS log copy, or after the copied output
// is stored but before the final status write, then restarted on the same database: the resumed job ends
// SUCCEEDED and its stdout is byte-identical to an uninterrupted run — one header, lines 1..150000 once and in
// order, exactly the task's events as the endpoint returns them — and its stderr stays empty.
// Each case has its own local ECS (its own faults) and database, so the cases run concurrently.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CrashRig, assertSeqOutput, jobStatus, killDuringCopy, slot0Status, storedSize, until, withRig } from "./crash-rig.ts";
import type { ChildServer } from "./harness.ts";

const LINES = 150_000;
const TAG = "type:seq";

const seqRig = (body: (rig: CrashRig) => Promise<void>) =>
  withRig({ commands: [{ name: "seq", tag: TAG, script: `seq 1 ${LINES}` }] }, body);

/** Checks a finished job's files on `s`: SUCCEEDED, stdout exactly the task's logs, stderr empty. */
async function assertExactOutput(rig: CrashRig, s: ChildServer, id: string): Promise<string> {
  const job = await s.waitFinal(id, 90_000);
  assert.equal(job.status, "SUCCEEDED", job.error);
  const stdout = (await s.get(`/api/v1/job/${id}/stdout`)).text;
  assert.equal((await s.get(`/api/v1/job/${id}/stderr`)).text, "");
  assertSeqOutput(stdout, LINES);
  const expected = await rig.expectedLogs(await rig.taskId(s, id));
  assert.equal(Buffer.byteLength(stdout), Buffer.byteLength(expected), "stdout length");
  assert.ok(stdout === expected, "stdout is byte-identical to the task's logs");
  return stdout;
}

/** After `a` died: a new server on the same database resumes the job; its output must be exact. */
async function resumeAndCheck(rig: CrashRig, a: ChildServer, id: string): Promise<string> {
  await rig.awaitDeath(a);
  const b = await rig.start();
  const stdout = await assertExactOutput(rig, b, id);
  await b.kill();
  return stdout;
}

describe("ecs plugin: a crash around the log copy never duplicates output", { concurrency: 2, timeout: 240_000 }, () => {
  it("uninterrupted: the header and lines 1..150000, exactly the task's events", () =>
    seqRig(async (rig) => {
      const a = await rig.start();
      const id = await rig.submit(a, TAG);
      await assertExactOutput(rig, a, id);
      await a.kill();
    }));

  it("killed after the task ended, before the copy wrote anything", () =>
    seqRig(async (rig) => {
      // The first GetLogEvents answers after 30 s: the copy has not written a byte when the server dies.
      rig.ecs.addFault({ kind: "latency", latencyMs: 30_000, count: 1, match: { action: "GetLogEvents" } });
      const a = await rig.start();
      const id = await rig.submit(a, TAG);
      await until("the task to succeed", async () => (await slot0Status(a, id)) === "SUCCEEDED");
      assert.equal(await storedSize(a, id, "stdout"), 0);
      await a.kill();
      await resumeAndCheck(rig, a, id);
    }));

  it("killed during the copy (stdout partially stored, job RUNNING)", () =>
    seqRig(async (rig) => {
      // Each page answers after 500 ms: the copy of 15 pages takes several seconds.
      rig.ecs.addFault({ kind: "latency", latencyMs: 500, match: { action: "GetLogEvents" } });
      const a = await rig.start();
      const id = await rig.submit(a, TAG);
      const partial = await killDuringCopy(a, id, "stdout");
      const stdout = await resumeAndCheck(rig, a, id);
      assert.ok(partial < Buffer.byteLength(stdout), `killed with ${partial} bytes stored, a part of the output`);
    }));

  it("killed right after the copy, before execute returns (failpoint ecs-after-log-copy)", () =>
    seqRig(async (rig) => {
      const a = await rig.start({ HEIMDALL_FAILPOINT: "ecs-after-log-copy" });
      const id = await rig.submit(a, TAG);
      await resumeAndCheck(rig, a, id);
    }));

  it("killed with the whole output stored but the final status not written (failpoint ecs-after-log-copy:hold)", () =>
    seqRig(async (rig) => {
      // The execution stops right after the copy; the server is SIGKILLed once its output streams stored it all.
      const a = await rig.start({ HEIMDALL_FAILPOINT: "ecs-after-log-copy:hold" });
      const id = await rig.submit(a, TAG);
      await until("the task to succeed", async () => (await slot0Status(a, id)) === "SUCCEEDED");
      const full = Buffer.byteLength(await rig.expectedLogs(await rig.taskId(a, id)));
      await until("the whole stdout to be stored", async () => (await storedSize(a, id, "stdout")) === full);
      assert.equal(await jobStatus(a, id), "RUNNING");
      await a.kill();
      await resumeAndCheck(rig, a, id);
    }));
});
