// A claim whose answer was lost (issue 8 item 1, docs/engine.md "Database outages"): the claim (`claim`) commits on
// PostgreSQL but the connection drops before its answer arrives (claim-cut-proxy.ts), so the instance holds an
// ACCEPTED job it never started. It must not end FAILED awol: the instance puts it back to NEW (`unclaim`) and the job
// runs normally. Real PostgreSQL, real engine; only the one answer is lost, by a real dropped connection.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Engine } from "../../src/engine/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { freshDatabaseUrl, postgresBaseUrl } from "../helpers/db.ts";
import { ClaimCutProxy } from "./claim-cut-proxy.ts";
import { backends, cluster, command, FINAL, input, never, registry, testEngine, until } from "./helpers.ts";

const skip = postgresBaseUrl() ? false : "HEIMDALL_TEST_DATABASE_URL is not set";

describe("claim whose answer was lost (PostgreSQL)", { skip }, () => {
  let url: string;
  let proxy: ClaimCutProxy;
  let jobsDir: string;
  const stores: Store[] = [];
  const engines: Engine[] = [];

  before(async () => {
    url = await freshDatabaseUrl("postgres");
    proxy = await ClaimCutProxy.start(url);
    jobsDir = mkdtempSync(join(tmpdir(), "heimdall-lost-claim-"));
  });
  after(async () => {
    for (const e of engines) await e.stop().catch(() => undefined);
    for (const s of stores) await s.close().catch(() => undefined);
    await proxy?.close();
    if (jobsDir) rmSync(jobsDir, { recursive: true, force: true });
  });

  async function engine(dbUrl: string): Promise<Engine> {
    const store = await openStore({ connectionString: dbUrl, maxConnections: 5 });
    stores.push(store);
    const e = testEngine(jobsDir, store, registry(), {
      janitor: { keepalive: 1, stale_job: 2, clean_interval: 1, finished_job_retention_days: 0, cleanup_timeout: 5 },
    });
    engines.push(e);
    return e;
  }

  it("the ACCEPTED job goes back to NEW and SUCCEEDS instead of failing awol", { timeout: 60_000 }, async () => {
    // `submitter` is never started (no pool, no janitor): only the proxied instance claims and recovers.
    const submitter = await engine(url);
    const worker = await engine(proxy.url);
    await submitter.putCluster(cluster("local"));
    await submitter.putCommand(command("ping", "ping"));
    await worker.start();
    proxy.arm();
    const { job } = await submitter.submit(input("ping"), "u", never);
    await until("the claim was cut after it committed", async () => proxy.cut === 1, 20_000, 20);
    const store = stores[0]!;
    const final = await until(
      "the job is final",
      async () => {
        const j = await store.getJob(job.id);
        return j && FINAL.includes(j.status) ? j : undefined;
      },
      30_000,
      100,
    );
    assert.equal(final.status, "SUCCEEDED", `${final.status} ${final.error ?? ""}`);
    assert.match((await store.getResult(job.id)) ?? "", /Hello, u!/, "the ping's result is stored");
  });
});

for (const backend of backends()) {
  describe(`store.acceptedClaims (${backend.name})`, () => {
    it("lists the ACCEPTED jobs an owner holds, not started or other owners' ones", async () => {
      const { store, dispose } = await backend.open();
      const jobsDir = mkdtempSync(join(tmpdir(), "heimdall-lost-claim-"));
      try {
        const e = testEngine(jobsDir, store, registry(), {}, { abortWaitMs: 30_000 });
        await e.putCluster(cluster("local"));
        await e.putCommand(command("ping", "ping"));
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await e.submit(input("ping"), "u", never)).job.id);
        assert.deepEqual(
          (await store.claimJobs("me", 2)).map((c) => c.job.id),
          ids.slice(0, 2),
        );
        assert.deepEqual(
          (await store.claimJobs("other", 1)).map((c) => c.job.id),
          ids.slice(2),
        );
        assert.deepEqual(await store.acceptedClaims("me", 10), ids.slice(0, 2));
        assert.deepEqual(await store.acceptedClaims("me", 1), ids.slice(0, 1));
        assert.ok(await store.transition({ id: ids[0]!, from: ["ACCEPTED"], to: "RUNNING", owner: "me", markStarted: true }));
        assert.deepEqual(await store.acceptedClaims("me", 10), ids.slice(1, 2), "a started job is not listed");
        assert.ok(await store.transition({ id: ids[1]!, from: ["ACCEPTED"], to: "NEW", owner: "me", clearOwner: true }));
        assert.deepEqual(await store.acceptedClaims("me", 10), []);
        assert.deepEqual(await store.acceptedClaims("other", 10), ids.slice(2));
      } finally {
        await dispose();
        rmSync(jobsDir, { recursive: true, force: true });
      }
    });
  });
}
