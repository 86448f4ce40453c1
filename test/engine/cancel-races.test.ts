// Cancel races (spec 9.7, D5): cancels landing on NEW, ACCEPTED and RUNNING jobs, 200 times each, all end
// CANCELED; a cancel on the owning instance aborts the plugin's signal at once.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Store, Transition } from "../../src/store/index.ts";
import { backends, cluster, command, harness, input, never, registry, testPlugin, untilStatus, type Harness } from "./helpers.ts";

const N = 200;

/** The real store whose `start` (ACCEPTED → RUNNING) waits until the test opens the job's gate (max 5 s). */
function gatedStart(store: Store): { store: Store; open(id: string): void; enabled: { on: boolean } } {
  const gates = new Map<string, { p: Promise<void>; open: () => void }>();
  const gate = (id: string) => {
    let g = gates.get(id);
    if (!g) {
      let open = () => {};
      const p = new Promise<void>((r) => {
        open = r;
        setTimeout(r, 5000).unref();
      });
      g = { p, open };
      gates.set(id, g);
    }
    return g;
  };
  const enabled = { on: true };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "transition") {
        return async (t: Transition) => {
          if (enabled.on && t.to === "RUNNING" && t.from.includes("ACCEPTED")) await gate(t.id).p;
          return target.transition(t);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store: proxy, open: (id) => gate(id).open(), enabled };
}

async function lanes(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

for (const backend of backends()) {
  describe(`cancel races (${backend.name})`, () => {
    const tp = testPlugin("block");
    let h: Harness;
    before(async () => {
      h = await harness(backend, registry(tp.module));
      const e = h.engine({ pool: { size: 4, sleepMs: 250 } });
      await e.start();
      await e.putCluster(cluster("local"));
      await e.putCommand(command("block", "block"));
    });
    after(() => h.dispose());

    it(`RUNNING: the owner aborts the plugin at once; ${N} times CANCELED`, async () => {
      const e = h.engines[0]!;
      for (let i = 0; i < N; i++) {
        const { job } = await e.submit(input("block", { mode: "block" }), "alice", never);
        await tp.startedPromise(job.id);
        await e.cancel(job.id, "alice");
        // engine.cancel returns after the abort: the plugin's signal already fired.
        assert.deepEqual(
          tp.events.aborted.find((a) => a.id === job.id),
          { id: job.id, kind: "cancel" },
        );
        const done = await untilStatus(h.store, job.id, ["CANCELED", "FAILED", "SUCCEEDED", "KILLED"]);
        assert.equal(done.status, "CANCELED");
        assert.equal(done.canceled_by, "alice");
        assert.ok(tp.events.cleanups.includes(job.id), "cleanup ran before CANCELED");
      }
    });

    it(`NEW (never claimed): the local janitor finalizes; ${N} times CANCELED, never started`, async () => {
      const e = h.engines[0]!;
      // Occupy every worker so that submitted jobs stay NEW.
      const blockers = [];
      for (let i = 0; i < 4; i++) blockers.push((await e.submit(input("block", { mode: "block" }), "x", never)).job.id);
      for (const id of blockers) await tp.startedPromise(id);
      const ids: string[] = [];
      for (let i = 0; i < N; i++) {
        const { job } = await e.submit(input("block", { mode: "block" }), "bob", never);
        assert.equal((await h.store.getJob(job.id))?.status, "NEW");
        await e.cancel(job.id, "bob");
        ids.push(job.id);
      }
      for (const id of ids) {
        const done = await untilStatus(h.store, id, ["CANCELED", "FAILED", "SUCCEEDED", "KILLED"], 30_000);
        assert.equal(done.status, "CANCELED");
        assert.ok(!tp.events.started.includes(id), "!tp.events.started.includes(id)");
      }
      for (const id of blockers) await e.cancel(id, "x");
      for (const id of blockers) assert.equal((await untilStatus(h.store, id, ["CANCELED"])).status, "CANCELED");
    });

    it(`ACCEPTED (claimed, not started): the worker skips execute; ${N} times CANCELED`, async () => {
      const gated = gatedStart(h.store);
      const e = h.engine({ pool: { size: 4, sleepMs: 250 } }, { store: gated.store });
      await e.start();
      await h.engines[0]!.stop(); // only the gated engine claims now
      await lanes(N, 4, async () => {
        const { job } = await e.submit(input("block", { mode: "block" }), "carol", never);
        // The worker holds the claim (ACCEPTED) and waits at `start` until the cancel is stored.
        assert.equal((await untilStatus(h.store, job.id, ["ACCEPTED", "RUNNING"])).status, "ACCEPTED");
        await e.cancel(job.id, "carol");
        gated.open(job.id);
        const done = await untilStatus(h.store, job.id, ["CANCELED", "FAILED", "SUCCEEDED", "KILLED"]);
        assert.equal(done.status, "CANCELED");
        assert.ok(!tp.events.started.includes(job.id), "a job canceled while ACCEPTED never starts");
        assert.ok(tp.events.cleanups.includes(job.id), "cleanup ran");
      });
      gated.enabled.on = false;
    });

    it(`random timing between submit and cancel; ${N} times CANCELED`, async () => {
      const e = h.engines[h.engines.length - 1]!;
      await lanes(N, 4, async (i) => {
        const { job } = await e.submit(input("block", { mode: "block" }), "dave", never);
        if (i % 4 !== 0) await new Promise((r) => setTimeout(r, i % 7));
        await e.cancel(job.id, "dave");
        const done = await untilStatus(h.store, job.id, ["CANCELED", "FAILED", "SUCCEEDED", "KILLED"]);
        assert.equal(done.status, "CANCELED");
      });
    });
  });
}
