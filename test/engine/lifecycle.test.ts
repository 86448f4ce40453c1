// The job lifecycle module (issue 12 item 1): the named transitions table and its copy in docs/engine.md, casOf's
// rules, every status change of src/engine going through the lifecycle, resolveJob's one set of failure rules,
// the execution registry's "empty" event, and the log lines every job writes (issue 9 item 6).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import type { Job, JobProgress } from "../../src/core/index.ts";
import { TRANSITIONS, transitionTableMarkdown } from "../../src/engine/index.ts";
import { casOf, LifecycleRuleError, resolveJob } from "../../src/engine/lifecycle/index.ts";
import { Executions, newExecution } from "../../src/engine/lifecycle/execution.ts";
import { HandlerCache, RegistryCache } from "../../src/engine/registry.ts";
import type { PluginModule } from "../../src/plugins/index.ts";
import type { Store } from "../../src/store/index.ts";
import {
  backends,
  cluster,
  command,
  harness,
  input,
  never,
  registry,
  silentLog,
  testEngine,
  testPlugin,
  untilFinal,
  type Harness,
} from "./helpers.ts";

const ROOT = join(import.meta.dirname, "..", "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("job lifecycle: the table", () => {
  it("docs/engine.md holds the table the code has", () => {
    const doc = readFileSync(join(ROOT, "docs", "engine.md"), "utf8");
    const m = /<!-- lifecycle-table:start -->\n([\s\S]*?)\n<!-- lifecycle-table:end -->/.exec(doc);
    assert.ok(m, "docs/engine.md has the lifecycle table markers");
    assert.equal(m[1], transitionTableMarkdown());
  });

  it("covers the spec's twelve transitions, each once", () => {
    const specs = Object.values(TRANSITIONS)
      .map((t) => t.spec)
      .filter((s) => /^T\d+$/.test(s))
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    assert.deepEqual(
      specs,
      Array.from({ length: 12 }, (_, i) => `T${i + 1}`),
    );
  });

  it("casOf takes guard and flags from the row and refuses what the row does not allow", () => {
    assert.deepEqual(casOf("start", "worker", { id: "j", owner: "me" }), {
      id: "j",
      from: ["ACCEPTED"],
      to: "RUNNING",
      owner: "me",
      error: "",
      markStarted: true,
    });
    assert.deepEqual(casOf("failStale", "janitor", { id: "j", owner: "me", from: ["RUNNING"] }), {
      id: "j",
      from: ["RUNNING"],
      to: "FAILED",
      owner: "me",
      error: "awol: job is stale, marking failed",
      removeClaim: true,
    });
    assert.deepEqual(casOf("unclaim", "shutdown", { id: "j", owner: "me" }), {
      id: "j",
      from: ["ACCEPTED"],
      to: "NEW",
      owner: "me",
      clearOwner: true,
    });
    assert.throws(() => casOf("kill", "worker", { id: "j", owner: "me" }), LifecycleRuleError);
    assert.throws(() => casOf("failStale", "worker", { id: "j", owner: "me" }), /worker may not take transition failStale/);
    assert.throws(() => casOf("finish", "worker", { id: "j", owner: "me", to: "CANCELED" }), /finish cannot lead to CANCELED/);
    assert.throws(() => casOf("failStale", "janitor", { id: "j", owner: "me", from: ["CANCELING"] }), /failStale cannot leave CANCELING/);
  });

  it("src/engine changes statuses only through the lifecycle and cites transitions by name", () => {
    const engineDir = join(ROOT, "src", "engine");
    const offenders: string[] = [];
    for (const file of sourceFiles(engineDir)) {
      const text = readFileSync(file, "utf8");
      const rel = file.slice(ROOT.length + 1);
      if (/\bT\d{1,2}\b/.test(text.replace(/spec: "T\d+"/g, ""))) offenders.push(`${rel}: cites a transition by number`);
      if (file.includes(`${join("engine", "lifecycle")}`)) continue;
      for (const call of ["transition", "insertJob", "claimJobs", "cancelJob", "handBack"]) {
        if (new RegExp(`store\\s*\\.\\s*${call}\\(`).test(text)) offenders.push(`${rel}: store.${call}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});

describe("job lifecycle: the execution registry", () => {
  it("whenEmpty resolves when the last execution is released, not before", async () => {
    const reg = new Executions();
    const job = (id: string) => ({ id, created_at: 0 }) as Job;
    const a = newExecution(job("a"), false, false, "claimed");
    const b = newExecution(job("b"), false, false, "claimed");
    reg.add(a);
    reg.add(b);
    let emptied = false;
    const waiting = reg.whenEmpty().then(() => (emptied = true));
    reg.remove(a);
    await new Promise((r) => setImmediate(r));
    assert.equal(emptied, false, "one execution is left");
    reg.remove(newExecution(job("b"), false, false, "claimed")); // another record of the same job id: not registered
    await new Promise((r) => setImmediate(r));
    assert.equal(emptied, false);
    reg.remove(b);
    await waiting;
    assert.equal(reg.size, 0);
    assert.equal(await Promise.race([reg.whenEmpty().then(() => "now"), new Promise((r) => setImmediate(() => r("later")))]), "now");
  });
});

for (const backend of backends()) {
  describe(`job lifecycle (${backend.name})`, { concurrency: 1 }, () => {
    const tp = testPlugin("lc");
    const broken: PluginModule = {
      name: "broken",
      create: (ctx) => {
        if (ctx["fail"]) throw new Error("factory says no");
        return tp.module.create({}, {} as never, {} as never);
      },
    };
    const counts = (succeeded: number): JobProgress => ({
      tasks: 2,
      succeeded,
      running: 2 - succeeded,
      retrying: 0,
      failed: 0,
      pending: 0,
    });
    // Reports progress twice without awaiting the first write, then once more and clears nothing.
    const progressive: PluginModule = {
      name: "progressive",
      create: () => ({
        async execute(_signal, rt) {
          void rt.setProgress?.(counts(0));
          await rt.setProgress?.(counts(1));
          await rt.setProgress?.(counts(2));
          rt.stdout.write("done\n");
        },
        async cleanup() {},
      }),
    };
    let h: Harness;
    before(async () => {
      h = await harness(backend, registry(tp.module, broken, progressive));
      const setup = h.engine();
      await setup.putCluster(cluster("local"));
      await setup.putCommand(command("lc", "lc"));
      await setup.putCommand(command("broken", "broken"));
      await setup.putCommand(command("progressive", "progressive"));
      // Stored directly: the engine would refuse these definitions.
      await h.store.putCommand(command("gone", "no-such-plugin"));
      await h.store.putCommand(command("failing", "broken", { context: { fail: true } }));
    });
    after(() => h.dispose());

    const jobOf = (commandId: string, clusterId = "local") => ({ command_id: commandId, cluster_id: clusterId });

    it("resolveJob: one set of failure rules, in spec order, with every piece found", async () => {
      const deps = {
        registry: new RegistryCache(h.store),
        handlers: new HandlerCache(registry(tp.module, broken), h.store, silentLog, "9.9.9"),
      };
      const ok = await resolveJob(deps, jobOf("lc"));
      assert.equal(ok.problem, undefined);
      assert.equal(ok.command?.id, "lc");
      assert.equal(ok.cluster?.id, "local");
      assert.equal(ok.plugin?.name, "lc");
      assert.ok(ok.handler);
      assert.equal(ok.resumable, false);

      const noCommand = await resolveJob(deps, jobOf("nope"));
      assert.equal(noCommand.problem, "unknown command: nope");
      assert.equal(noCommand.cluster?.id, "local", "the cluster is still found (janitor cleanup)");
      assert.equal(noCommand.handler, undefined);

      const noCluster = await resolveJob(deps, jobOf("lc", "nowhere"));
      assert.equal(noCluster.problem, "unknown cluster: nowhere");
      assert.ok(noCluster.handler, "the handler is still found (janitor cleanup without a cluster)");

      const noPlugin = await resolveJob(deps, jobOf("gone"));
      assert.equal(noPlugin.problem, "unknown plugin: no-such-plugin");
      assert.equal(noPlugin.plugin, undefined);

      const factory = await resolveJob(deps, jobOf("failing"));
      assert.equal(factory.problem, "factory says no");
      assert.equal(factory.plugin?.name, "broken");
      assert.equal(factory.handler, undefined);
    });

    it("handlerFor answers from resolveJob: the handler and the cluster, undefined without a handler", async () => {
      const e = h.engine();
      const job = (c: string, cl = "local") => ({ ...jobOf(c, cl), id: "x" }) as Job;
      const found = await e.handlerFor(job("lc"));
      assert.ok(found?.handler);
      assert.equal(found.cluster?.id, "local");
      const noCluster = await e.handlerFor(job("lc", "nowhere"));
      assert.ok(noCluster?.handler);
      assert.equal(noCluster.cluster, undefined);
      assert.equal(await e.handlerFor(job("nope")), undefined);
      assert.equal(await e.handlerFor(job("failing")), undefined);
    });

    it("every job writes its lines with job_id: submitted, started, ended, cancel requested; drain logs progress", async () => {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
          done();
        },
      });
      const log = pino({ level: "info" }, sink);
      const e = testEngine(
        h.jobsDir,
        h.store,
        registry(tp.module, broken),
        { server: { host: "", port: 0, read_timeout: 0, write_timeout: 0, idle_timeout: 0, read_header_timeout: 0, shutdown_timeout: 1 } },
        { log, drainProgressMs: 100 },
      );
      h.engines.push(e);
      await e.start();
      const of = (id: string) => lines.filter((l) => l["job_id"] === id);
      const msgs = (id: string) => of(id).map((l) => l["msg"]);

      const okJob = (await e.submit(input("lc", { stdout: "hi\n" }), "alice", never)).job;
      await untilFinal(h.store, okJob.id);
      const failJob = (await e.submit(input("lc", { mode: "fail", error: "it broke" }), "alice", never)).job;
      await untilFinal(h.store, failJob.id);
      const cancelJob = (await e.submit(input("lc", { mode: "block" }), "alice", never)).job;
      await tp.startedPromise(cancelJob.id);
      await e.cancel(cancelJob.id, "bob");
      await untilFinal(h.store, cancelJob.id);
      const killJob = (await e.submit(input("lc", { mode: "block" }), "alice", never)).job;
      await tp.startedPromise(killJob.id);
      await e.drain();

      const submitted = of(okJob.id).find((l) => l["msg"] === "job submitted");
      assert.equal(submitted?.["user"], "alice");
      assert.equal(submitted?.["level"], 30, "info");
      const started = of(okJob.id).find((l) => l["msg"] === "job started");
      assert.equal(started?.["instance"], e.instanceName);
      assert.equal(started?.["plugin"], "lc");
      const done = of(okJob.id).find((l) => l["msg"] === "job succeeded");
      assert.equal(done?.["status"], "SUCCEEDED");
      assert.equal(typeof done?.["duration_ms"], "number");
      assert.deepEqual(msgs(okJob.id), ["job submitted", "job started", "job succeeded"]);

      const failed = of(failJob.id).find((l) => l["msg"] === "job failed");
      assert.equal(failed?.["error"], "it broke");

      assert.deepEqual(msgs(cancelJob.id), ["job submitted", "job started", "job cancel requested", "job canceled"]);
      assert.equal(of(cancelJob.id).find((l) => l["msg"] === "job cancel requested")?.["by"], "bob");

      const killed = of(killJob.id).find((l) => l["msg"] === "job killed");
      assert.equal(killed?.["error"], "killed: server shutting down");
      const progress = lines.find((l) => typeof l["msg"] === "string" && /^draining: 1 job running, \d+ s left$/.test(l["msg"]));
      assert.ok(progress, `a drain progress line among ${JSON.stringify(lines.map((l) => l["msg"]))}`);
    });

    it("runtime.setProgress stores the plugin's summary on the job, in call order", async () => {
      const e = h.engine();
      await e.start();
      const { job } = await e.submit(input("progressive"), "alice", never);
      const done = await untilFinal(h.store, job.id);
      assert.equal(done.status, "SUCCEEDED");
      assert.deepEqual(done.progress, counts(2));
      await e.stop();
    });

    it("a progress the store refuses is logged and never fails the job", async () => {
      const refusing = new Proxy(h.store, {
        get(target, prop, receiver) {
          if (prop === "setJobProgress") return async () => Promise.reject(new Error("progress column on fire"));
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }) as Store;
      const warnings: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const l of chunk.toString("utf8").split("\n")) if (l.includes("progress column on fire")) warnings.push(l);
          cb();
        },
      });
      const e = h.engine({}, { store: refusing, log: pino({ level: "warn" }, sink) });
      await e.start();
      const { job } = await e.submit(input("progressive"), "alice", never);
      const done = await untilFinal(h.store, job.id);
      assert.equal(done.status, "SUCCEEDED");
      assert.equal(done.progress, undefined);
      assert.equal(warnings.length, 3, "each refused write is logged");
      assert.match(warnings[0] ?? "", /cannot store the job's progress/);
      await e.stop();
    });
  });
}
