// Janitor (9.8, 9.9): stale claims of dead instances are FAILED (awol) after cleanup — or, for resumable
// plugins, handed back and resumed; retention deletes old final jobs only.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AWOL_ERROR } from "../../src/engine/index.ts";
import {
  backends,
  cluster,
  command,
  harness,
  input,
  never,
  readAll,
  registry,
  testPlugin,
  untilFinal,
  untilStatus,
  type Harness,
} from "./helpers.ts";

// Backends run side by side (separate databases); tests inside one backend run one after another.
describe("recovery", { concurrency: true }, () => {
  for (const backend of backends()) {
    describe(`janitor (${backend.name})`, { concurrency: 1 }, () => {
      const plain = testPlugin("plain");
      const resumable = testPlugin("resum", true);
      let h: Harness;
      before(async () => {
        h = await harness(backend, registry(plain.module, resumable.module));
        const setup = h.engine();
        await setup.putCluster(cluster("local"));
        await setup.putCommand(command("plain", "plain"));
        await setup.putCommand(command("resum", "resum"));
      });
      after(() => h.dispose());

      it("fails a RUNNING job of a crashed instance with the awol error after cleanup", async () => {
        const a = h.engine();
        await a.start();
        const { job } = await a.submit(input("plain", { mode: "block", stdout: "before crash\n" }), "u", never);
        await plain.startedPromise(job.id);
        await a.stop(); // crash: nothing more is written to the job, heartbeats stop
        assert.equal((await h.store.getJob(job.id))?.status, "RUNNING");
        const b = h.engine();
        await b.start();
        const t0 = Date.now();
        // stale_job 2 s + clean_interval 1 s (+ slack for the first pass).
        const done = await untilFinal(h.store, job.id, 8000);
        assert.equal(done.status, "FAILED");
        assert.equal(done.error, AWOL_ERROR);
        assert.ok(plain.events.cleanups.includes(job.id), "plain.events.cleanups.includes(job.id)");
        assert.equal(await readAll(h.store, job.id, "stdout"), "before crash\n", "flushed output stays readable");
        assert.ok(Date.now() - t0 < 8000, "Date.now() - t0 < 8000");
        await b.stop();
      });

      it("fails an ACCEPTED claim of a dead instance (fake owner, old heartbeat)", async () => {
        const a = h.engine(); // not started: submit only
        const { job } = await a.submit(input("plain"), "u", never);
        const claimed = await h.store.claimJobs("ghost-instance-1", 10);
        assert.ok(
          claimed.some((c) => c.job.id === job.id),
          "claimed.some((c) => c.job.id === job.id)",
        );
        const b = h.engine();
        await b.start();
        const done = await untilFinal(h.store, job.id, 8000);
        assert.equal(done.status, "FAILED");
        assert.equal(done.error, AWOL_ERROR);
        assert.ok(!plain.events.started.includes(job.id), "!plain.events.started.includes(job.id)");
        await b.stop();
      });

      it("hands a stale RUNNING job of a resumable plugin back; a worker resumes it and output continues", async () => {
        const a = h.engine();
        await a.start();
        const { job } = await a.submit(input("resum", { mode: "block", stdout: "x\n" }), "u", never);
        await resumable.startedPromise(job.id);
        await a.stop();
        const b = h.engine();
        await b.start();
        await new Promise<void>((resolve, reject) => {
          const end = Date.now() + 8000;
          const tick = () => {
            if (resumable.events.resumed.includes(job.id)) return resolve();
            if (Date.now() > end) return reject(new Error("not resumed"));
            setTimeout(tick, 20);
          };
          tick();
        });
        const mid = await h.store.getJob(job.id);
        assert.equal(mid?.status, "RUNNING");
        assert.equal(mid?.error, "");
        resumable.release(job.id);
        const done = await untilFinal(h.store, job.id);
        assert.equal(done.status, "SUCCEEDED");
        assert.equal(await readAll(h.store, job.id, "stdout"), "x\nx\n");
        assert.ok(!resumable.events.cleanups.includes(job.id), "no cleanup: the external work is resumed");
        await b.stop();
      });

      it("returns a stale ACCEPTED claim of a resumable plugin to NEW; it then runs normally", async () => {
        const a = h.engine();
        const { job } = await a.submit(input("resum"), "u", never);
        await h.store.claimJobs("ghost-instance-2", 10);
        const b = h.engine();
        await b.start();
        const done = await untilFinal(h.store, job.id, 8000);
        assert.equal(done.status, "SUCCEEDED");
        assert.ok(!resumable.events.resumed.includes(job.id), "a never-started job is started, not resumed");
        await b.stop();
      });
    });

    describe(`retention (${backend.name})`, { concurrency: 1 }, () => {
      const plain = testPlugin("plain");
      let h: Harness;
      before(async () => {
        h = await harness(backend, registry(plain.module));
        const setup = h.engine();
        await setup.putCluster(cluster("local"));
        await setup.putCommand(command("plain", "plain"));
      });
      after(() => h.dispose());

      it("retention deletes old final jobs with their files, never queued ones", async () => {
        const a = h.engine();
        await a.start();
        const { job: finished } = await a.submit(input("plain", { stdout: "bye\n" }), "u", never);
        await untilFinal(h.store, finished.id);
        await a.stop();
        const queued = (await a.submit(input("plain"), "u", never)).job; // stays NEW: no pool runs
        await new Promise((r) => setTimeout(r, 2100));
        // 1.5 s retention: the finished job is older than that now.
        const b = h.engine({
          janitor: { keepalive: 1, stale_job: 60, clean_interval: 1, finished_job_retention_days: 1.5 / 86400, cleanup_timeout: 5 },
          pool: { size: 1, sleepMs: 250 },
        });
        // Keep the queued job unfinished: a fake instance holds its claim (not stale for 60 s).
        await h.store.claimJobs("ghost-instance-3", 100);
        await b.start();
        await untilStatus(h.store, queued.id, ["ACCEPTED"]);
        const gone = await (async () => {
          const end = Date.now() + 6000;
          while (Date.now() < end) {
            if ((await h.store.getJob(finished.id)) === undefined) return true;
            await new Promise((r) => setTimeout(r, 50));
          }
          return false;
        })();
        assert.ok(gone, "old final job deleted");
        assert.equal(await h.store.fileSize(finished.id, "stdout"), 0);
        assert.ok(await h.store.getJob(queued.id), "non-final jobs are never deleted");
        await b.stop();
      });
    });
  }
});
