// Graceful shutdown (9.10, D10): unstarted claims back to NEW, running jobs get shutdown_timeout, then
// resumable async jobs are handed back (RUNNING, unowned) and the others KILLED after cleanup.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { HeimdallError } from "../../src/core/index.ts";
import { KILLED_ERROR, type EngineMetrics } from "../../src/engine/index.ts";
import type { Store, Transition } from "../../src/store/index.ts";
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

/** The real store whose `start` (ACCEPTED → RUNNING) is held until release() (max 5 s). */
function holdStart(store: Store): { store: Store; release(): void } {
  let release = () => {};
  const held = new Promise<void>((r) => {
    release = r;
    setTimeout(r, 5000).unref();
  });
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "transition") {
        return async (t: Transition) => {
          if (t.to === "RUNNING" && t.from.includes("ACCEPTED")) await held;
          return target.transition(t);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store: proxy, release };
}

describe("drain", { concurrency: true }, () => {
  for (const backend of backends()) {
    describe(`drain (${backend.name})`, { concurrency: 1 }, () => {
      const plain = testPlugin("plain");
      const resum = testPlugin("resum", true);
      let h: Harness;
      before(async () => {
        h = await harness(backend, registry(plain.module, resum.module));
        const setup = h.engine();
        await setup.putCluster(cluster("local"));
        await setup.putCommand(command("plain", "plain"));
        await setup.putCommand(command("resum", "resum"));
        await setup.putCommand(command("psync", "plain", { is_sync: true }));
      });
      after(() => h.dispose());

      it("hands back resumable jobs, KILLs the others after cleanup, 503 for sync, removes nothing else", async () => {
        // Running-gauge bookkeeping: every jobStarted is matched by a jobFinished or (hand-back) a jobLeft.
        let running = 0;
        const left: string[] = [];
        const metrics = new Proxy({} as EngineMetrics, {
          get:
            (_t, name) =>
            (...args: unknown[]) => {
              if (name === "jobStarted") running++;
              if (name === "jobFinished" || name === "jobLeft") running--;
              if (name === "jobLeft") left.push(String(args[0]));
            },
        });
        const a = h.engine(
          {
            server: { host: "", port: 0, read_timeout: 0, write_timeout: 0, idle_timeout: 0, read_header_timeout: 0, shutdown_timeout: 0 },
          },
          { metrics },
        );
        await a.start();
        const r = (await a.submit(input("resum", { mode: "block", stdout: "r1\n" }), "u", never)).job;
        const p = (await a.submit(input("plain", { mode: "block", stdout: "p1\n" }), "u", never)).job;
        await resum.startedPromise(r.id);
        await plain.startedPromise(p.id);
        const syncOutcome = a.submit(input("psync", { mode: "block" }), "u", never).then(
          () => undefined,
          (e: HeimdallError) => e,
        );
        await until("two plain jobs started", async () => plain.events.started.length >= 2, 8000);
        await a.drain();
        const err = await syncOutcome;
        assert.equal(err?.status, 503);
        assert.equal(err?.message, "server is shutting down");
        const pj = await h.store.getJob(p.id);
        assert.equal(pj?.status, "KILLED");
        assert.equal(pj?.error, KILLED_ERROR);
        assert.ok(plain.events.cleanups.includes(p.id), "plain.events.cleanups.includes(p.id)");
        assert.equal(await readAll(h.store, p.id, "stdout"), "p1\n");
        const sj = await h.store.getJob(err!.jobId!);
        assert.equal(sj?.status, "KILLED");
        const rj = await h.store.getJob(r.id);
        assert.equal(rj?.status, "RUNNING", "handed back, still RUNNING");
        assert.deepEqual(
          resum.events.aborted.find((x) => x.id === r.id),
          { id: r.id, kind: "handback" },
        );
        assert.ok(!resum.events.cleanups.includes(r.id), "no cleanup on hand-back");
        assert.equal(running, 0, "running gauge back to zero after drain");
        assert.deepEqual(left, [r.command_id], "the handed-back job left the gauge");
        // Another instance claims it (`resumeClaim`) and resumes; output continues after the stored part.
        const b = h.engine();
        await b.start();
        await until("job resumed", async () => resum.events.resumed.includes(r.id), 8000);
        resum.release(r.id);
        assert.equal((await untilFinal(h.store, r.id)).status, "SUCCEEDED");
        assert.equal(await readAll(h.store, r.id, "stdout"), "r1\nr1\n");
        await b.stop();
      });

      it("a handed-back job whose plugin is not resumable on the claiming instance fails (failSetup)", async () => {
        const zero = { host: "", port: 0, read_timeout: 0, write_timeout: 0, idle_timeout: 0, read_header_timeout: 0, shutdown_timeout: 0 };
        const a = h.engine({ server: zero });
        await a.start();
        const r = (await a.submit(input("resum", { mode: "block" }), "u", never)).job;
        await resum.startedPromise(r.id);
        await a.drain();
        assert.equal((await h.store.getJob(r.id))?.status, "RUNNING");
        const notResumable = testPlugin("resum", false);
        const b = h.engine({}, {}, registry(plain.module, notResumable.module));
        await b.start();
        const done = await untilFinal(h.store, r.id);
        assert.equal(done.status, "FAILED");
        assert.equal(done.error, "cannot resume job: plugin resum is not resumable");
        assert.equal(notResumable.events.started.length, 0);
        await b.stop();
      });

      it("lets running jobs finish within shutdown_timeout", async () => {
        const a = h.engine({
          server: { host: "", port: 0, read_timeout: 0, write_timeout: 0, idle_timeout: 0, read_header_timeout: 0, shutdown_timeout: 5 },
        });
        await a.start();
        const p = (await a.submit(input("plain", { mode: "block" }), "u", never)).job;
        await plain.startedPromise(p.id);
        const draining = a.drain();
        setTimeout(() => plain.release(p.id), 100);
        await draining;
        assert.equal((await h.store.getJob(p.id))?.status, "SUCCEEDED");
      });

      it("returns claimed but unstarted jobs to NEW (unclaim)", async () => {
        const held = holdStart(h.store);
        const a = h.engine({}, { store: held.store });
        await a.start();
        const j = (await a.submit(input("plain"), "u", never)).job;
        await untilStatus(h.store, j.id, ["ACCEPTED"]);
        const draining = a.drain();
        await untilStatus(h.store, j.id, ["NEW"]);
        held.release();
        await draining;
        assert.equal((await h.store.getJob(j.id))?.status, "NEW");
        assert.ok(!plain.events.started.includes(j.id), "!plain.events.started.includes(j.id)");
        const b = h.engine();
        await b.start();
        assert.equal((await untilFinal(h.store, j.id)).status, "SUCCEEDED");
        await b.stop();
      });
    });
  }
});
