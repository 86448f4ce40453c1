// Issue 8 item 3, continued: the resumed log copy after a SIGKILL during it gives the bytes of an uninterrupted
// run also for a failed job (logs on stderr), under the plugin's log_max_bytes cap and the server's
// job_files.max_bytes cap (same cut, same notice), after a log read error (the same prefix and the same error
// line, even though the logs can be read again), and on PostgreSQL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freshDatabaseUrl, postgresBaseUrl, POSTGRES_SKIP_REASON } from "../../helpers/db.ts";
import { assertSeqOutput, killDuringCopy, storedSize, until, withRig } from "./crash-rig.ts";
import type { CrashRig } from "./crash-rig.ts";
import { resultRows } from "./harness.ts";
import type { ChildServer } from "./harness.ts";

const LINES = 60_000;
/** One page (10,000 events) answers after this: a copy of several pages gives a wide window to kill it in. */
const SLOW_PAGES = { kind: "latency", latencyMs: 800, match: { action: "GetLogEvents" } };

/** Restarts on the same database after `a` died; returns the finished job and its files. */
async function resume(rig: CrashRig, a: ChildServer, id: string) {
  await rig.awaitDeath(a);
  const b = await rig.start();
  try {
    const job = await b.waitFinal(id, 90_000);
    const stdout = (await b.get(`/api/v1/job/${id}/stdout`)).text;
    const stderr = (await b.get(`/api/v1/job/${id}/stderr`)).text;
    const expected = await rig.expectedLogs(await rig.taskId(b, id));
    const result = await b.get(`/api/v1/job/${id}/result`);
    return { job, stdout, stderr, expected, rows: result.status === 200 ? resultRows(result.json()) : [] };
  } finally {
    await b.kill();
  }
}

/** Submits to a fresh server with slow log pages and kills it while `file` is partly stored (below `below`). */
async function crashDuringCopy(rig: CrashRig, tag: string, file: "stdout" | "stderr", below?: number) {
  rig.ecs.addFault(SLOW_PAGES);
  const a = await rig.start();
  const id = await rig.submit(a, tag);
  const partial = await killDuringCopy(a, id, file, below);
  return { a, id, partial };
}

/** The plugin's cap: the text up to its last line break within `max` bytes, then its notice. */
function ecsCapped(text: string, max: number): string {
  const head = Buffer.from(text).subarray(0, max);
  return `${head.subarray(0, head.lastIndexOf(0x0a) + 1).toString()}[heimdall: ecs logs truncated at ${max} bytes]\n`;
}

/** The server's cap: the first `max` bytes, a line break if they end mid-line, then its line. */
function serverCapped(text: string, max: number): string {
  const head = Buffer.from(text).subarray(0, max).toString();
  return `${head}${head.endsWith("\n") ? "" : "\n"}[heimdall: output truncated at ${max} bytes]\n`;
}

describe("ecs plugin: resumed log copy, failures and caps", { concurrency: 2, timeout: 240_000 }, () => {
  it("a failed job killed during the copy: stderr exactly the task's logs once, same error and result table", () =>
    withRig({ commands: [{ name: "fail", tag: "type:fail", script: `seq 1 ${LINES}; exit 3` }] }, async (rig) => {
      const { a, id } = await crashDuringCopy(rig, "type:fail", "stderr");
      const r = await resume(rig, a, id);
      assert.equal(r.job.status, "FAILED");
      assert.match(
        r.job.error,
        /^task slot 0 \(heimdall-job-.*-0\) failed 1 attempt \(max_fail_count 0\); last: essential container main exited with code 3/,
      );
      assert.equal(r.stdout, "");
      assertSeqOutput(r.stderr, LINES);
      assert.ok(r.stderr === r.expected, "stderr is byte-identical to the task's logs");
      assert.deepEqual(
        r.rows.map((x) => [x.status, x.exit_code]),
        [["FAILED", 3]],
      );
    }));

  it("log_max_bytes: the resumed copy cuts at the same line and writes the notice once", () =>
    withRig(
      { commands: [{ name: "capped", tag: "type:capped", script: `seq 1 ${LINES}`, context: { log_max_bytes: 1_000_000 } }] },
      async (rig) => {
        const { a, id } = await crashDuringCopy(rig, "type:capped", "stdout");
        const r = await resume(rig, a, id);
        assert.equal(r.job.status, "SUCCEEDED", r.job.error);
        assert.equal(r.stderr, "");
        assert.ok(r.stdout === ecsCapped(r.expected, 1_000_000), "stdout is the capped text, byte for byte");
      },
    ));

  it("job_files.max_bytes: killed below the cap, the resumed output is truncated at the same byte with one line", () =>
    withRig(
      { commands: [{ name: "seq", tag: "type:seq", script: `seq 1 ${LINES}` }], extra: { job_files: { max_bytes: 1_000_000 } } },
      async (rig) => {
        const { a, id, partial } = await crashDuringCopy(rig, "type:seq", "stdout", 1_000_000);
        assert.ok(partial < 1_000_000);
        const r = await resume(rig, a, id);
        assert.equal(r.job.status, "SUCCEEDED", r.job.error);
        assert.equal(r.stderr, "");
        assert.ok(r.stdout === serverCapped(r.expected, 1_000_000), "stdout is the truncated text, byte for byte");
      },
    ));

  it("a log read error: the resumed job writes the same prefix and the same error line, not the now readable rest", () =>
    withRig({ commands: [{ name: "seq", tag: "type:seq", script: `seq 1 ${LINES}` }] }, async (rig) => {
      rig.ecs.addFault(SLOW_PAGES);
      // The process SIGKILLs itself right after the copy ended with the error line.
      const a = await rig.start({ HEIMDALL_FAILPOINT: "ecs-after-log-copy" });
      const id = await rig.submit(a, "type:seq");
      let partial = 0;
      await until("stdout to be partially stored", async () => (partial = await storedSize(a, id, "stdout")) > 0);
      // From now on every GetLogEvents fails (500): the copy gives up after its retries.
      rig.ecs.addFault({ kind: "serverError", match: { action: "GetLogEvents" } });
      const r = await resume(rig, a, id);
      assert.equal(r.job.status, "SUCCEEDED", r.job.error);
      const arn = r.rows[0]!.task_arn as string;
      assert.match(r.stderr, new RegExp(`^ecs: failed to retrieve logs of ${arn}: [^\\n]+\\n$`));
      assert.ok(r.stdout.length >= partial, "what was stored before the crash is kept");
      assert.ok(r.stdout.length < r.expected.length, "the logs after the read error are not added on resume");
      assert.ok(r.expected.startsWith(r.stdout), "stdout is a prefix of the task's logs, each byte once");
      assert.ok(r.stdout.endsWith("\n"));
    }));

  it(
    "PostgreSQL: killed during the copy, stdout exactly the task's logs once",
    { skip: postgresBaseUrl() ? false : POSTGRES_SKIP_REASON },
    async () => {
      const databaseUrl = await freshDatabaseUrl();
      await withRig({ commands: [{ name: "seq", tag: "type:seq", script: `seq 1 ${LINES}` }], databaseUrl }, async (rig) => {
        const { a, id } = await crashDuringCopy(rig, "type:seq", "stdout");
        const r = await resume(rig, a, id);
        assert.equal(r.job.status, "SUCCEEDED", r.job.error);
        assert.equal(r.stderr, "");
        assertSeqOutput(r.stdout, LINES);
        assert.ok(r.stdout === r.expected, "stdout is byte-identical to the task's logs");
      });
    },
  );
});
