// Async jobs through the pool, sync outcomes (9.6), setup failures (D5), attributes and results.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HeimdallError } from "../../src/core/index.ts";
import type { EngineMetrics } from "../../src/engine/index.ts";
import type { PluginModule } from "../../src/plugins/index.ts";
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
  until,
  untilFinal,
  untilStatus,
  type Harness,
} from "./helpers.ts";

for (const backend of backends()) {
  describe(`engine jobs (${backend.name})`, () => {
    const tp = testPlugin();
    let h: Harness;
    before(async () => {
      h = await harness(backend, registry(tp.module));
      const e = h.engine();
      await e.start();
      await e.putCluster(
        cluster("local", {
          context: { url: "http://x" },
          attributes: {
            Link: { kind: "link", value: "{{ .Cluster.url }}/{{ .Job.ID }}" },
            Out: { kind: "text", value: "{{ .Outputs.out }}" },
          },
        }),
      );
      await e.putCommand(command("ping", "ping"));
      await e.putCommand(command("test", "test"));
      await e.putCommand(command("sync", "test", { is_sync: true }));
    });
    after(() => h.dispose());

    it("runs an async ping job through the pool to SUCCEEDED with its result", async () => {
      const e = h.engines[0]!;
      const { job } = await e.submit(input("ping"), "alice", never);
      assert.equal(job.status, "NEW");
      assert.equal(job.command_id, "ping");
      assert.equal(job.cluster_id, "local");
      assert.ok(job.tags.includes(`_id:${job.id}`), "job.tags.includes(`_id:${job.id}`)");
      const done = await untilFinal(h.store, job.id);
      assert.equal(done.status, "SUCCEEDED");
      assert.equal(
        await h.store.getResult(job.id),
        JSON.stringify({ columns: [{ name: "message", type: "string" }], data: [["Hello, alice!"]] }),
      );
      assert.equal(done.job_attributes["Link"]?.value, `http://x/${job.id}`);
      // Out renders from a missing output: skipped, the others kept.
      assert.equal(done.job_attributes["Out"], undefined);
    });

    it("stores stdout, stderr, outputs and attributes of an async job", async () => {
      const e = h.engines[0]!;
      const { job } = await e.submit(input("test", { stdout: "hello\n", stderr: "warn\n", output: "o-1" }), "bob", never);
      const done = await untilFinal(h.store, job.id);
      assert.equal(done.status, "SUCCEEDED");
      assert.equal(await readAll(h.store, job.id, "stdout"), "hello\n");
      assert.equal(await readAll(h.store, job.id, "stderr"), "warn\n");
      assert.equal(done.job_attributes["Out"]?.value, "o-1");
      assert.equal(await h.store.getResult(job.id), undefined);
    });

    it("marks a plugin error FAILED with its message, truncated to 1024 characters", async () => {
      const e = h.engines[0]!;
      const { job } = await e.submit(input("test", { mode: "fail", error: "x".repeat(3000) }), "bob", never);
      const done = await untilFinal(h.store, job.id);
      assert.equal(done.status, "FAILED");
      assert.equal(done.error, "x".repeat(1024));
      assert.ok(done.job_attributes["Link"], "attributes are rendered for failed executions too");
    });

    it("answers 404 / 403 with the job id and stores nothing", async () => {
      const e = h.engines[0]!;
      await assert.rejects(e.submit(input("nope"), "bob", never), (err: HeimdallError) => {
        assert.equal(err.status, 404);
        assert.equal(err.message, "command-cluster pair is not found");
        assert.match(err.jobId ?? "", /^[0-9a-f-]{36}$/);
        return true;
      });
      await e.putCommand(command("private", "ping", { allowed_callers: ["svc-.*"] }));
      await assert.rejects(e.submit(input("private"), "bob", never), (err: HeimdallError) => err.status === 403);
      const ok = await e.submit(input("private"), "svc-etl", never);
      assert.equal((await untilFinal(h.store, ok.job.id)).status, "SUCCEEDED");
    });

    it("validates the job context through the plugin at submit (400 with id)", async () => {
      const e = h.engines[0]!;
      await e.putCommand(command("sh", "shell", { context: { command: ["/bin/true"] } }));
      await assert.rejects(e.submit(input("sh", { arguments: "x" }), "bob", never), (err: HeimdallError) => {
        assert.equal(err.status, 400);
        assert.equal(err.message, "context.arguments: must be an array of strings");
        assert.ok(err.jobId, "err.jobId");
        return true;
      });
    });

    it("sync SUCCEEDED returns the job and its result", async () => {
      const e = h.engines[0]!;
      const result = { columns: [{ name: "n", type: "int" }], data: [[1]] };
      const out = await e.submit(input("sync", { result, stdout: "s\n" }), "carol", never);
      assert.equal(out.job.status, "SUCCEEDED");
      assert.equal(out.job.is_sync, true);
      assert.deepEqual(out.result, result);
      assert.equal(await readAll(h.store, out.job.id, "stdout"), "s\n");
      assert.equal(await h.store.getResult(out.job.id), JSON.stringify(result));
      assert.equal(out.job.job_attributes["Link"]?.value, `http://x/${out.job.id}`);
    });

    it("sync plugin failure is 502 with the job error", async () => {
      const e = h.engines[0]!;
      await assert.rejects(e.submit(input("sync", { mode: "fail", error: "exit status 2" }), "carol", never), (err: HeimdallError) => {
        assert.equal(err.status, 502);
        assert.equal(err.code, "JOB_FAILED");
        assert.equal(err.message, "exit status 2");
        assert.ok(err.jobId, "err.jobId");
        return true;
      });
    });

    it("sync cancel via the API is 409 `job was canceled by <user>`", async () => {
      const e = h.engines[0]!;
      const p = e.submit(input("sync", { mode: "block" }), "carol", never);
      const id = await waitStarted(tp);
      await e.cancel(id, "dave");
      await assert.rejects(p, (err: HeimdallError) => {
        assert.equal(err.status, 409);
        assert.equal(err.message, "job was canceled by dave");
        assert.equal(err.jobId, id);
        return true;
      });
      const j = await h.store.getJob(id);
      assert.equal(j?.status, "CANCELED");
      assert.ok(tp.events.cleanups.includes(id), "tp.events.cleanups.includes(id)");
    });

    it("sync client disconnect cancels the job without canceled_by (409 `job was canceled`)", async () => {
      const e = h.engines[0]!;
      const gone = new AbortController();
      const p = e.submit(input("sync", { mode: "block" }), "carol", gone.signal);
      const id = await waitStarted(tp);
      gone.abort();
      await assert.rejects(p, (err: HeimdallError) => err.status === 409 && err.message === "job was canceled");
      const j = await h.store.getJob(id);
      assert.equal(j?.status, "CANCELED");
      assert.equal(j?.canceled_by, "");
    });

    it("a plugin that ignores the abort is given up after the wait and the cancel still completes", async () => {
      const e4 = h.engine({}, { abortWaitMs: 200 });
      const p = e4.submit(input("sync", { mode: "deaf", stdout: "deaf\n" }), "carol", never);
      const id = await waitStarted(tp);
      const t0 = Date.now();
      await e4.cancel(id, "erin");
      await assert.rejects(p, (err: HeimdallError) => err.status === 409 && err.message === "job was canceled by erin");
      assert.ok(Date.now() - t0 >= 150, "waited for the plugin first");
      assert.equal((await h.store.getJob(id))?.status, "CANCELED");
      assert.equal(await readAll(h.store, id, "stdout"), "deaf\n");
    });

    it("a plugin declaring workingDirectory: false gets none; the default gets <jobs>/<id> (0700), deleted after the final status", async () => {
      const seen = new Map<string, { dir: string; existed: boolean; mode: number }>();
      const probe = (name: string, workingDirectory?: boolean): PluginModule => ({
        name,
        ...(workingDirectory === undefined ? {} : { workingDirectory }),
        create: () => ({
          async execute(_signal, rt, job) {
            const own = join(h.jobsDir, job.id);
            seen.set(name, { dir: rt.workingDirectory, existed: existsSync(own), mode: existsSync(own) ? statSync(own).mode & 0o777 : 0 });
          },
          async cleanup() {},
        }),
      });
      const e2 = h.engine({ pool: { size: 2, sleepMs: 250 } }, {}, registry(tp.module, probe("nodir", false), probe("withdir")));
      await e2.start();
      // Sync: run by e2 itself (the harness's other engine has no such plugins).
      await e2.putCommand(command("nodir", "nodir", { is_sync: true }));
      await e2.putCommand(command("withdir", "withdir", { is_sync: true }));
      for (const type of ["nodir", "withdir"]) {
        const { job } = await e2.submit(input(type), "u", never);
        assert.equal(job.status, "SUCCEEDED");
        // Deleted after the final status, by the worker before it ends.
        for (let i = 0; i < 500 && existsSync(join(h.jobsDir, job.id)); i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(existsSync(join(h.jobsDir, job.id)), false, `${type}: no directory left`);
      }
      assert.deepEqual(seen.get("nodir"), { dir: "", existed: false, mode: 0 });
      const w = seen.get("withdir");
      assert.equal(w?.existed, true);
      assert.equal(w?.mode, 0o700);
      assert.equal(w?.dir.startsWith(`${h.jobsDir}/`), true, "the job's directory under jobs_directory");
      await e2.stop();
    });

    it("a submit routed with a stale registry cache routes again: a command stored elsewhere is found, a deactivated one is not used", async () => {
      const e = h.engines[0]!;
      await e.submit(input("ping"), "u", never); // the engine's registry cache is loaded
      // Registry writes the engine does not see (another instance, or the store directly).
      await h.store.putCommand(command("late", "ping"));
      const { job } = await e.submit(input("late"), "u", never);
      assert.equal(job.command_id, "late", "routing failed on the cache, then succeeded on the current registry");
      await h.store.setCommandStatus("late", "INACTIVE", "admin");
      // The cache still routes to "late": the guarded insert stores nothing, and routing on the current registry fails.
      await assert.rejects(e.submit(input("late"), "u", never), (err: HeimdallError) => err.status === 404);
      const late = await h.store.listJobs({ command: "late" }, { limit: 10, order_by: "seq", direction: "asc" });
      assert.deepEqual(
        late.data.map((j) => j.id),
        [job.id],
        "only the first job was stored",
      );
    });

    it("a working directory that cannot be created is a setup failure (async FAILED, sync 500)", async () => {
      const blocker = join(h.jobsDir, "not-a-dir");
      writeFileSync(blocker, "x");
      const e2 = h.engine({ jobs_directory: join(blocker, "sub"), pool: { size: 1, sleepMs: 250 } });
      await assert.rejects(e2.submit(input("sync"), "erin", never), (err: HeimdallError) => {
        assert.equal(err.status, 500);
        assert.match(err.message, /^cannot prepare job runtime: /);
        return true;
      });
      await e2.stop();
    });

    it("resolve failures are setup failures: unknown cluster after routing", async () => {
      const e = h.engines[0]!;
      // A job whose cluster vanished from the registry cannot be stored through the API; insert it directly.
      const job = await h.store.insertJob({
        id: "00000000-0000-4000-8000-000000000001",
        name: "orphan",
        version: "",
        user: "u",
        description: "",
        tags: [],
        status: "NEW",
        is_sync: false,
        store_result_sync: false,
        error: "",
        command_criteria: [],
        cluster_criteria: [],
        command_id: "test",
        command_name: "test",
        cluster_id: "gone",
        cluster_name: "gone",
        canceled_by: "",
        job_attributes: {},
      });
      e.wake();
      const done = await untilFinal(h.store, job.id);
      assert.equal(done.status, "FAILED");
      assert.equal(done.error, "unknown cluster: gone");
    });

    it("reports submissions, routing failures, starts, finishes and workers to the metrics hooks", async () => {
      const calls: string[] = [];
      const rec = new Proxy({} as EngineMetrics, {
        get:
          (_t, name) =>
          (...args: unknown[]) =>
            calls.push(`${String(name)}(${args.map((a) => (typeof a === "number" && name !== "workers" ? "n" : String(a))).join(",")})`),
      });
      const e = h.engine({ pool: { size: 2, sleepMs: 250 } }, { metrics: rec });
      await e.start();
      const { job } = await e.submit(input("ping"), "m", never);
      await untilFinal(h.store, job.id);
      await e.submit(input("sync"), "m", never); // runs here, whichever instance claims async jobs
      await assert.rejects(e.submit(input("nope"), "m", never));
      await e.stop();
      assert.ok(calls.includes("workers(0,2)"), calls.join(" "));
      assert.ok(calls.includes("jobSubmitted(ping,local,async)"), 'calls.includes("jobSubmitted(ping,local,async)")');
      assert.ok(calls.includes("jobSubmitted(sync,local,sync)"), 'calls.includes("jobSubmitted(sync,local,sync)")');
      assert.ok(calls.includes("jobStarted(sync,local,undefined)"), 'calls.includes("jobStarted(sync,local,undefined)")');
      assert.ok(calls.includes("jobFinished(sync,local,SUCCEEDED,n)"), 'calls.includes("jobFinished(sync,local,SUCCEEDED,n)")');
      assert.ok(calls.includes("routingFailure(no_pair)"), 'calls.includes("routingFailure(no_pair)")');
    });

    it("draining refuses sync submissions with 503 but accepts async ones", async () => {
      const e3 = h.engine({ pool: { size: 1, sleepMs: 250 } });
      await e3.start();
      await e3.drain();
      await assert.rejects(
        e3.submit(input("sync"), "x", never),
        (err: HeimdallError) => err.status === 503 && err.message === "server is shutting down" && !!err.jobId,
      );
      const { job } = await e3.submit(input("ping"), "x", never);
      assert.equal(job.status, "NEW");
      // The running engine picks it up.
      assert.equal((await untilStatus(h.store, job.id, ["SUCCEEDED"])).status, "SUCCEEDED");
    });
  });
}

/** The id of the next job the test plugin starts. */
function waitStarted(tp: ReturnType<typeof testPlugin>): Promise<string> {
  const n = tp.events.started.length;
  return until("plugin start", async () => tp.events.started[n], 10_000, 5);
}
