// The worker pool's hand-over (docs/engine.md "Claiming"): a worker whose final write is on its way counts as
// idle, so the claim of its next job goes out beside that write (on SQLite: in the same commit) instead of after
// it; the claimed job waits for the worker, and no more than pool.size jobs ever execute at once.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PluginModule } from "../../src/plugins/index.ts";
import type { Store, Transition } from "../../src/store/index.ts";
import { backends, cluster, command, harness, input, never, registry, untilFinal, type Harness } from "./helpers.ts";

const POOL = 2;

/** A plugin that counts how many of its jobs execute at once. */
function countingPlugin(): { module: PluginModule; maxRunning: () => number } {
  let running = 0;
  let max = 0;
  return {
    module: {
      name: "counting",
      resumable: false,
      workingDirectory: false,
      create: () => ({
        async execute() {
          max = Math.max(max, ++running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        },
        async cleanup() {},
      }),
    },
    maxRunning: () => max,
  };
}

/** The store, recording the order of claims and of final writes (call and answer). */
function recording(store: Store, events: string[]): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "claimJobs") {
        return async (owner: string, limit: number) => {
          events.push("claim");
          return (v as Store["claimJobs"]).call(target, owner, limit);
        };
      }
      if (prop === "transition") {
        return async (t: Transition) => {
          const final = t.to === "SUCCEEDED";
          if (final) events.push(`finish ${t.id}`);
          const ok = await (v as Store["transition"]).call(target, t);
          if (final) events.push(`finished ${t.id}`);
          return ok;
        };
      }
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

for (const backend of backends()) {
  describe(`worker pool hand-over (${backend.name})`, () => {
    const counting = countingPlugin();
    const events: string[] = [];
    let h: Harness;
    before(async () => {
      h = await harness(backend, registry(counting.module));
      const e = h.engine({ pool: { size: POOL, sleepMs: 250 } }, { store: recording(h.store, events) });
      await e.putCluster(cluster("local"));
      await e.putCommand(command("counting", "counting"));
      await e.start();
    });
    after(() => h.dispose());

    it("claims a finishing worker's next job beside its final write, and never runs more than pool.size jobs", async () => {
      const e = h.engines[0]!;
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await e.submit(input("counting"), "alice", never)).job.id);
      for (const id of ids) assert.equal((await untilFinal(h.store, id)).status, "SUCCEEDED");
      assert.ok(counting.maxRunning() <= POOL, `at most ${POOL} jobs at once, saw ${counting.maxRunning()}`);
      // A claim issued after some job's final write went out and before it was answered.
      const inFlight = new Set<string>();
      let claimsBesideFinish = 0;
      for (const ev of events) {
        const [kind, id] = ev.split(" ");
        if (kind === "finish") inFlight.add(id!);
        else if (kind === "finished") inFlight.delete(id!);
        else if (kind === "claim" && inFlight.size > 0) claimsBesideFinish++;
      }
      assert.ok(claimsBesideFinish > 0, `no claim went out while a final write was in flight: ${events.join(", ")}`);
    });
  });
}
