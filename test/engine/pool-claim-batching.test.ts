// Claim batching in the worker pool (docs/engine.md "Claim batching"): room for fewer than half the pool waits a
// moment (poolGatherMs) for the workers in mid-job, so one claim serves several finishing workers instead of one
// claim each; the wait is bounded, so a free worker never waits for jobs that go on running.
// The gather window is 300 ms here (2 ms by default) so that the order of events does not depend on the machine's speed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PluginModule } from "../../src/plugins/index.ts";
import type { Store } from "../../src/store/index.ts";
import { backends, cluster, command, harness, input, never, registry, until, untilFinal, type Harness } from "./helpers.ts";

const POOL = 8;
const GATHER_MS = 300;

/** Jobs of the "gated" plugin run until the test opens their gate, in the order they started. */
function gatedPlugin(): { module: PluginModule; gates: Array<() => void> } {
  const gates: Array<() => void> = [];
  return {
    gates,
    module: {
      name: "gated",
      resumable: false,
      workingDirectory: false,
      create: () => ({
        execute: () => new Promise<void>((resolve) => gates.push(resolve)),
        async cleanup() {},
      }),
    },
  };
}

/** The store, recording the limit of every claim and what the claim got. */
function recordingClaims(store: Store, claims: Array<{ limit: number; got: number }>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "claimJobs") {
        return async (owner: string, limit: number) => {
          const got = await (v as Store["claimJobs"]).call(target, owner, limit);
          claims.push({ limit, got: got.length });
          return got;
        };
      }
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

for (const backend of backends()) {
  describe(`worker pool claim batching (${backend.name})`, () => {
    const gated = gatedPlugin();
    const claims: Array<{ limit: number; got: number }> = [];
    let h: Harness;
    before(async () => {
      h = await harness(backend, registry(gated.module));
      const e = h.engine({ pool: { size: POOL, sleepMs: 250 } }, { store: recordingClaims(h.store, claims), poolGatherMs: GATHER_MS });
      await e.putCluster(cluster("local"));
      await e.putCommand(command("gated", "gated"));
      await e.putCommand(command("ping", "ping"));
      await e.start();
    });
    after(async () => {
      for (const open of gated.gates.splice(0)) open();
      await h.dispose();
    });

    it("workers finishing one by one while others run are served by one claim, not one claim each", async () => {
      const e = h.engines[0]!;
      const first: string[] = [];
      for (let i = 0; i < POOL; i++) first.push((await e.submit(input("gated"), "alice", never)).job.id);
      await until("every worker busy", async () => gated.gates.length === POOL);
      const queued: string[] = [];
      for (let i = 0; i < POOL; i++) queued.push((await e.submit(input("ping"), "alice", never)).job.id);
      claims.length = 0;
      // Four of the eight finish 30 ms apart: each leaves room for one more job while seven, six, five still run.
      for (const open of gated.gates.splice(0, 4)) {
        open();
        await new Promise((r) => setTimeout(r, 30));
      }
      await until("four queued jobs claimed", async () => claims.reduce((n, c) => n + c.got, 0) >= 4, 5_000);
      assert.ok(
        claims.every((c) => c.limit * 2 >= POOL),
        `no claim for fewer than half the pool while workers were in mid-job: ${JSON.stringify(claims)}`,
      );
      for (const open of gated.gates.splice(0)) open();
      for (const id of [...first, ...queued]) assert.equal((await untilFinal(h.store, id)).status, "SUCCEEDED");
    });

    it("a free worker waits for the others at most the gather window", async () => {
      const e = h.engines[0]!;
      const running: string[] = [];
      for (let i = 0; i < POOL - 1; i++) running.push((await e.submit(input("gated"), "alice", never)).job.id);
      await until("seven workers busy", async () => gated.gates.length === POOL - 1);
      const t0 = Date.now();
      const quick = (await e.submit(input("ping"), "alice", never)).job.id;
      // The seven gated jobs go on running: the ping job is claimed when the window ends.
      assert.equal((await untilFinal(h.store, quick, 5_000)).status, "SUCCEEDED");
      const took = Date.now() - t0;
      assert.ok(took >= GATHER_MS - 50, `claimed after the gather window, took ${took} ms`);
      assert.equal(gated.gates.length, POOL - 1, "the gated jobs still run");
      for (const open of gated.gates.splice(0)) open();
      for (const id of running) assert.equal((await untilFinal(h.store, id)).status, "SUCCEEDED");
    });
  });
}
