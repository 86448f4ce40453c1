// SQLite failures on the job path (issue 8 item 1, docs/engine.md "Database outages"): SQLITE_BUSY is retried
// until the lock is free (the job succeeds with its full output); a full database (SQLITE_FULL) fails the job
// with an error naming the problem. Never a job stuck RUNNING. Real files, real locks, real page limits: the
// store is assembled from the real SQLite parts on a connection the test holds (to set max_page_count, and, for
// BUSY, to leave the file lockable by a second connection — a server's lock file keeps other servers out, and
// only its checkpoint worker shares the file, which is what makes BUSY rare in production).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { JsonObject } from "../../src/core/index.ts";
import type { Engine } from "../../src/engine/index.ts";
import type { PluginModule } from "../../src/plugins/index.ts";
import type { Store } from "../../src/store/index.ts";
import { migrate } from "../../src/store/shared/migrate.ts";
import { createSqlStore } from "../../src/store/shared/sql-store.ts";
import { SqliteDb } from "../../src/store/sqlite/db.ts";
import { sqliteMigrations } from "../../src/store/sqlite/migrations.ts";
import { sqliteHotOps } from "../../src/store/sqlite/open.ts";
import { cluster, command, input, never, readAll, registry, testEngine, until, untilFinal } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "heimdall-sqlite-faults-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RESULT = { columns: [{ name: "ok", type: "boolean" }], data: [[true]] };

async function sqliteStore(name: string, exclusive: boolean): Promise<{ store: Store; conn: Database.Database; file: string }> {
  const file = join(dir, name);
  const conn = new Database(file, { timeout: 100 });
  if (exclusive) conn.pragma("locking_mode = EXCLUSIVE");
  conn.pragma("journal_mode = WAL");
  conn.pragma("synchronous = NORMAL");
  conn.pragma("foreign_keys = ON");
  conn.pragma("busy_timeout = 100");
  const db = new SqliteDb(conn);
  await migrate(db, sqliteMigrations);
  const store = createSqlStore({
    kind: "sqlite",
    capabilities: { multiInstance: false },
    db,
    hot: sqliteHotOps,
    wakeups: { onJobsAvailable: () => () => undefined, notifyJobsAvailable: async () => undefined },
    close: () => db.close(),
  });
  return { store, conn, file };
}

/**
 * A plugin whose jobs wait for `open()`, then put a plugin state row, write context.bytes bytes (or "out\n") and
 * succeed with a result.
 */
function gated(): { module: PluginModule; started: Set<string>; open(): void } {
  const started = new Set<string>();
  let open = () => {};
  const gate = new Promise<void>((r) => (open = r));
  return {
    started,
    open: () => open(),
    module: {
      name: "gated",
      create: (_ctx, _cmd, services) => ({
        async execute(_signal, rt, job) {
          started.add(job.id);
          await gate;
          await services.state.put(job.id, "step", "done");
          const bytes = Number((job.context as JsonObject | undefined)?.["bytes"] ?? 0);
          rt.stdout.write(bytes > 0 ? Buffer.alloc(bytes, 0x61) : "out\n");
          rt.setResult(RESULT);
        },
        async cleanup() {},
      }),
    },
  };
}

async function engineOn(store: Store, plugin: PluginModule, dbRetryMs?: number): Promise<Engine> {
  const jobsDir = mkdtempSync(join(dir, "jobs-"));
  const config = {
    janitor: { keepalive: 1, stale_job: 3, clean_interval: 1, finished_job_retention_days: 0, cleanup_timeout: 5 },
    job_files: { max_bytes: 64 * 1024 * 1024 },
    pool: { size: 8, sleepMs: 100 },
  };
  const engine = testEngine(jobsDir, store, registry(plugin), config, dbRetryMs ? { dbRetryMs } : {});
  await engine.start();
  await engine.putCluster(cluster("local"));
  await engine.putCommand(command("gated", "gated"));
  return engine;
}

describe("SQLite failures on the job path", { concurrency: 1 }, () => {
  it("SQLITE_BUSY (another connection holds the write lock for 4 s) is retried: jobs succeed with state, output and result", async () => {
    const { store, file } = await sqliteStore("busy.db", false);
    const plugin = gated();
    const engine = await engineOn(store, plugin.module);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await engine.submit(input("gated"), "u", never)).job.id);
      await until("all jobs executing", async () => ids.every((id) => plugin.started.has(id)), 10_000);
      const other = new Database(file);
      other.exec("BEGIN EXCLUSIVE");
      try {
        plugin.open(); // output, results and final transitions now meet SQLITE_BUSY
        await sleep(4000);
        for (const id of ids) assert.equal((await store.getJob(id))?.status, "RUNNING", "nothing written while locked");
      } finally {
        other.exec("COMMIT");
        other.close();
      }
      for (const id of ids) {
        const job = await untilFinal(store, id, 20_000);
        assert.equal(job.status, "SUCCEEDED", `${id}: ${job.status} ${job.error}`);
        assert.equal(await readAll(store, id, "stdout"), "out\n");
        assert.equal(await store.getResult(id), JSON.stringify(RESULT));
        assert.deepEqual(await store.listPluginState(id), [{ key: "step", value: "done" }]);
      }
    } finally {
      await engine.stop();
      await store.close();
    }
  });

  it("a full database (max_page_count reached) fails the job with an error naming it; never left RUNNING", async () => {
    const { store, conn } = await sqliteStore("full.db", true);
    const plugin = gated();
    const engine = await engineOn(store, plugin.module);
    try {
      const { job } = await engine.submit(input("gated", { bytes: 4 * 1024 * 1024 }), "u", never);
      await until("job executing", async () => plugin.started.has(job.id), 10_000);
      const pages = Number(conn.pragma("page_count", { simple: true }));
      conn.pragma(`max_page_count = ${pages + 16}`); // room for small updates, not for 4 MiB of output
      plugin.open();
      const done = await untilFinal(store, job.id, 30_000);
      assert.equal(done.status, "FAILED", `${done.status} ${done.error}`);
      assert.match(done.error, /cannot store job output .*stdout lost.*full/);
    } finally {
      await engine.stop();
      await store.close();
    }
  });
});
