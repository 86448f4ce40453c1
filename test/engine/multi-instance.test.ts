// Several engines on one database: wake-ups across instances (PostgreSQL NOTIFY; in-process on SQLite) and
// every queued job executed exactly once.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { openStore, type Store } from "../../src/store/index.ts";
import type { PluginModule } from "../../src/plugins/index.ts";
import { backends, cluster, command, harness, input, never, registry, testPlugin, until, untilFinal, type Harness } from "./helpers.ts";

describe("multi-instance", { concurrency: true }, () => {
  for (const backend of backends()) {
    describe(`multi-instance (${backend.name})`, { concurrency: 1 }, () => {
      const runs = new Map<string, number>();
      const counting: PluginModule = {
        name: "count",
        create: () => ({
          async execute(_signal, _rt, job) {
            runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
            await new Promise((r) => setTimeout(r, 1));
          },
          async cleanup() {},
        }),
      };
      const blocking = testPlugin("block");
      let h: Harness;
      let second: Store;
      before(async () => {
        h = await harness(backend, registry(counting, blocking.module));
        // PostgreSQL: a second connection pool, like another server process. SQLite is single-process: share it.
        second = backend.name === "postgres" ? await openStore({ connectionString: h.url }) : h.store;
        const setup = h.engine();
        await setup.putCluster(cluster("local"));
        await setup.putCommand(command("count", "count"));
        await setup.putCommand(command("block", "block"));
      });
      after(async () => {
        await h.dispose();
        if (second !== h.store) await second.close();
      });

      it("a submit on one instance wakes an idle instance at once (no polling)", async () => {
        const submitter = h.engine(); // never started: it only stores jobs
        const worker = h.engine({ pool: { size: 2, sleepMs: 60_000 } }, { store: second });
        await worker.start();
        await new Promise((r) => setTimeout(r, 50)); // the feeder is asleep now
        const { job } = await submitter.submit(input("count"), "u", never);
        const done = await untilFinal(h.store, job.id, 5000);
        assert.equal(done.status, "SUCCEEDED");
        await worker.stop();
      });

      it("a cancel accepted by another instance reaches the owner within one keepalive", async () => {
        const owner = h.engine({ pool: { size: 1, sleepMs: 250 } });
        await owner.start();
        const other = h.engine({}, { store: second }); // not started: API only
        const { job } = await owner.submit(input("block", { mode: "block" }), "u", never);
        await blocking.startedPromise(job.id);
        await other.cancel(job.id, "remote-user");
        assert.equal(blocking.events.aborted.length, 0, "not aborted synchronously by a non-owner");
        const done = await untilFinal(h.store, job.id, 5000);
        assert.equal(done.status, "CANCELED");
        assert.equal(done.canceled_by, "remote-user");
        assert.deepEqual(blocking.events.aborted, [{ id: job.id, kind: "cancel" }]);
        assert.ok(blocking.events.cleanups.includes(job.id), "blocking.events.cleanups.includes(job.id)");
        await owner.stop();
      });

      it("two instances drain 300 queued jobs; each runs exactly once", async () => {
        const submitter = h.engine();
        const ids: string[] = [];
        for (let i = 0; i < 300; i++) ids.push((await submitter.submit(input("count"), "u", never)).job.id);
        const a = h.engine({ pool: { size: 4, sleepMs: 250 } });
        const b = h.engine({ pool: { size: 4, sleepMs: 250 } }, { store: second });
        await Promise.all([a.start(), b.start()]);
        await until(
          "all jobs final",
          async () => {
            for (const id of ids) if ((await h.store.getJob(id))?.status !== "SUCCEEDED") return false;
            return true;
          },
          60_000,
          100,
        );
        for (const id of ids) assert.equal(runs.get(id), 1, `job ${id} ran ${runs.get(id)} times`);
        await Promise.all([a.stop(), b.stop()]);
      });
    });
  }
});
