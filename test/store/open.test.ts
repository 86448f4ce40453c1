// Opening stores: engine selection, migrations (once, refusing newer schemas), the SQLite single-instance lock,
// wake-ups, and PostgreSQL multi-instance claiming without duplicates.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import pg from "pg";
import { openStore } from "../../src/store/index.ts";
import { postgresMigrations } from "../../src/store/postgres/migrations.ts";
import { sqliteMigrations } from "../../src/store/sqlite/migrations.ts";
import type { Store } from "../../src/store/index.ts";
import type { StoreBackend } from "../helpers/db.ts";
import { rawQuery, storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

/** The schema versions each engine records: 1 … its latest. */
const VERSIONS = {
  sqlite: sqliteMigrations.map((m) => m.version),
  postgres: postgresMigrations.map((m) => m.version),
};

const isStoreError = (re: RegExp) => (e: unknown) =>
  e instanceof Error && (e as Error & { code?: string }).code === "STORE" && re.test(e.message);

void test("unknown connection strings are a configuration error", async () => {
  await assert.rejects(
    openStore({ connectionString: "mysql://x" }),
    (e: Error & { code?: string }) => e.code === "CONFIG" && e.message.includes("database.connection_string"),
  );
});

for (const backend of storeBackends()) {
  void describe(`opening ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("migrations are applied once and recorded; a newer schema is refused", async () => {
      const url = await backend.freshUrl();
      const s1 = await backend.open(url);
      await s1.insertJob(newJob());
      await s1.close();
      const s2 = await backend.open(url);
      assert.equal((await s2.listJobs({}, { limit: 10, order_by: "seq", direction: "desc" })).data.length, 1);
      await s2.close();
      const rows = await rawQuery<{ version: number }>(url, "SELECT version FROM schema_migrations ORDER BY version");
      const versions = VERSIONS[backend.name];
      assert.deepEqual(
        rows.map((r) => Number(r.version)),
        versions,
      );

      await rawQuery(url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
      await assert.rejects(
        backend.open(url),
        isStoreError(
          new RegExp(`^database schema version 999 is newer than this server \\(${Math.max(...versions)}\\); upgrade the server$`),
        ),
      );
    });

    void test("wake-ups reach listeners; unsubscribing stops them", async () => {
      const s = await backend.open();
      let calls = 0;
      const off = s.onJobsAvailable(() => calls++);
      await s.notifyJobsAvailable();
      assert.ok(calls >= 1);
      off();
      const before = calls;
      await s.notifyJobsAvailable();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(calls, before);
    });

    void test("the clock is the database's, in epoch seconds", async () => {
      const s = await backend.open();
      const now = await s.now();
      assert.ok(Number.isInteger(now));
      assert.ok(Math.abs(now - Date.now() / 1000) < 5);
      assert.equal(s.kind, backend.name);
      assert.equal(s.capabilities.multiInstance, backend.name === "postgres");
    });
  });
}

void describe("SQLite single instance", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "heimdall-lock-"));
    dirs.push(d);
    return d;
  };

  void test("relative paths resolve against the working directory; parent directories are created", async () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    let s: Store | undefined;
    try {
      s = await openStore({ connectionString: "sqlite:./a/b/heimdall.db" });
      assert.ok(existsSync(join(dir, "a", "b", "heimdall.db")));
      assert.ok(existsSync(join(dir, "a", "b", "heimdall.db.lock")));
    } finally {
      await s?.close();
      process.chdir(cwd);
    }
    assert.equal(existsSync(join(dir, "a", "b", "heimdall.db.lock")), false, "lock released on close");
  });

  void test("a second opener in the same process is refused until the first closes", async () => {
    const url = `sqlite:${join(tempDir(), "x.db")}`;
    const s = await openStore({ connectionString: url });
    await assert.rejects(
      openStore({ connectionString: url }),
      isStoreError(new RegExp(`is in use by another Heimdall server \\(pid ${process.pid}\\); SQLite allows one instance`)),
    );
    await s.insertJob(newJob()); // the first store is unaffected
    await s.close();
    const again = await openStore({ connectionString: url });
    assert.equal((await again.listJobs({}, { limit: 5, order_by: "seq", direction: "asc" })).data.length, 1);
    await again.close();
  });

  void test("a lock file naming a pid that does not hold the database is stale (restart with the same or a reused pid)", async () => {
    const file = join(tempDir(), "z.db");
    const url = `sqlite:${file}`;
    const first = await openStore({ connectionString: url });
    await first.insertJob(newJob());
    await first.close();
    for (const pid of [process.pid, process.ppid]) {
      writeFileSync(`${file}.lock`, `${pid}\n`);
      const s = await openStore({ connectionString: url });
      assert.equal(readFileSync(`${file}.lock`, "utf8").trim(), String(process.pid));
      assert.equal((await s.listJobs({}, { limit: 5, order_by: "seq", direction: "asc" })).data.length, 1);
      await s.close();
    }
  });

  void test("another process holding the database is refused; a SIGKILLed holder's lock is stale", async () => {
    const file = join(tempDir(), "y.db");
    const url = `sqlite:${file}`;
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "lock-holder.ts"), url], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        child.on("exit", (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      await assert.rejects(
        openStore({ connectionString: url }),
        isStoreError(
          new RegExp(
            `^database ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is in use by another Heimdall server \\(pid ${child.pid}\\); SQLite allows one instance — use PostgreSQL for several$`,
          ),
        ),
      );
    } finally {
      child.kill("SIGKILL");
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.on("exit", r)));
    }
    assert.ok(existsSync(`${file}.lock`), "a killed holder leaves its lock file behind");
    const s = await openStore({ connectionString: url });
    await s.ping();
    await s.close();
  });
});

void test("an unreachable PostgreSQL is a STORE error naming the redacted URL", async () => {
  await assert.rejects(
    openStore({ connectionString: "postgres://u:secret@127.0.0.1:1/db", statementTimeoutMs: 2000 }),
    (e: Error & { code?: string }) =>
      e.code === "STORE" && e.message.startsWith("cannot open database postgres://u:***@127.0.0.1:1/db") && !e.message.includes("secret"),
  );
});

void describe("PostgreSQL with several instances", () => {
  const postgres = storeBackends()[1] as StoreBackend;
  after(() => postgres.closeAll());

  void test(
    "statements are bounded by the statement timeout and fail as STORE errors naming the operation",
    { skip: postgres.skip },
    async () => {
      const url = await postgres.freshUrl();
      // Migrated first with the default timeout: a loaded machine may take longer than 300 ms to create the schema.
      await (await postgres.open(url)).close();
      const s = await postgres.open(url, { statementTimeoutMs: 300 });
      const job = await s.insertJob(newJob());
      const locker = new pg.Client(url);
      await locker.connect();
      try {
        await locker.query("BEGIN");
        await locker.query("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE");
        const t0 = Date.now();
        await assert.rejects(s.getJob(job.id), isStoreError(/^store getJob: .*statement timeout/));
        assert.ok(Date.now() - t0 < 5000);
      } finally {
        await locker.query("ROLLBACK");
        await locker.end();
      }
      assert.equal((await s.getJob(job.id))?.id, job.id, "the pool recovers");
    },
  );

  void test("instances starting together migrate once", { skip: postgres.skip }, async () => {
    const url = await postgres.freshUrl();
    await Promise.all([postgres.open(url), postgres.open(url), postgres.open(url)]);
    const rows = await rawQuery<{ version: number }>(url, "SELECT version FROM schema_migrations ORDER BY version");
    assert.deepEqual(
      rows.map((r) => Number(r.version)),
      VERSIONS.postgres,
    ); // each version recorded once
  });

  void test("two stores claiming in parallel never get the same job", { skip: postgres.skip }, async () => {
    const url = await postgres.freshUrl();
    const a = await postgres.open(url, { maxConnections: 4 });
    const b = await postgres.open(url, { maxConnections: 4 });
    const ids: string[] = [];
    const batch = 50;
    for (let i = 0; i < 500; i += batch) {
      const jobs = await Promise.all(Array.from({ length: batch }, () => a.insertJob(newJob())));
      ids.push(...jobs.map((j) => j.id));
    }
    const claimed = new Map<string, string>();
    const dupes: string[] = [];
    const worker = async (s: Store, owner: string) => {
      for (;;) {
        const got = await s.claimJobs(owner, 1 + Math.floor(Math.random() * 7));
        if (got.length === 0) return;
        for (const c of got) {
          if (claimed.has(c.job.id)) dupes.push(c.job.id);
          claimed.set(c.job.id, owner);
          assert.equal(c.job.status, "ACCEPTED");
        }
      }
    };
    await Promise.all([worker(a, "a1"), worker(a, "a2"), worker(b, "b1"), worker(b, "b2")]);
    assert.deepEqual(dupes, []);
    assert.equal(claimed.size, 500);
    assert.deepEqual([...claimed.keys()].sort(), [...ids].sort());
    const owners = new Set(claimed.values());
    assert.ok(owners.size >= 2, `work spread over claimers: ${[...owners].join(",")}`);
    // Each owner's heartbeat sees exactly its own claims.
    let total = 0;
    for (const o of ["a1", "a2", "b1", "b2"]) total += (await a.heartbeat(o)).length;
    assert.equal(total, 500);
  });

  void test("two janitors racing for the same stale claim: exactly one takes it over", { skip: postgres.skip }, async () => {
    const url = await postgres.freshUrl();
    const a = await postgres.open(url);
    const b = await postgres.open(url);
    const jobs = await Promise.all(Array.from({ length: 10 }, () => a.insertJob(newJob())));
    assert.equal((await a.claimJobs("dead", 10)).length, 10);
    await new Promise((r) => setTimeout(r, 1100));
    const janitor = async (s: Store, name: string) => {
      const won: string[] = [];
      for (const c of await s.staleCandidates(0, 10)) {
        if (await s.takeOverClaim(c.job.id, { owner: c.owner, heartbeat: c.heartbeat }, name)) won.push(c.job.id);
      }
      return won;
    };
    const [wa, wb] = await Promise.all([janitor(a, "ja"), janitor(b, "jb")]);
    assert.equal(wa.length + wb.length, 10);
    assert.deepEqual([...wa, ...wb].sort(), jobs.map((j) => j.id).sort());
    assert.equal((await a.heartbeat("ja")).length + (await a.heartbeat("jb")).length, 10);
  });

  void test("a notification from one instance wakes another", { skip: postgres.skip }, async () => {
    const url = await postgres.freshUrl();
    const a = await postgres.open(url);
    const b = await postgres.open(url);
    await new Promise((r) => setTimeout(r, 300)); // LISTEN connection established
    const woke = new Promise<void>((resolve) => a.onJobsAvailable(resolve));
    await b.notifyJobsAvailable();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error("no wake-up within 5 s")), 5000);
    });
    try {
      await Promise.race([woke, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // A burst of notifications is coalesced but every call settles, and the last one still reaches the other side.
    let after = 0;
    a.onJobsAvailable(() => after++);
    await Promise.all(Array.from({ length: 100 }, () => b.notifyJobsAvailable()));
    const deadline = Date.now() + 3000;
    while (after === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(after >= 1 && after < 100, `coalesced wake-ups: ${after}`);
  });

  void test("the LISTEN connection reconnects after the server drops it", { skip: postgres.skip }, async () => {
    const url = await postgres.freshUrl();
    const a = await postgres.open(url);
    const b = await postgres.open(url);
    const admin = new pg.Client(url);
    await admin.connect();
    try {
      const listening = async () =>
        (await admin.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`)).rows;
      const deadline = Date.now() + 5000;
      while ((await listening()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const pids = (await listening()).map((r: { pid: number }) => r.pid);
      assert.equal(pids.length, 2);
      for (const pid of pids) await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      // Wait for new LISTEN sessions (backoff starts at 250 ms).
      const deadline2 = Date.now() + 5000;
      let again: number[] = [];
      while (Date.now() < deadline2) {
        again = (await listening()).map((r: { pid: number }) => r.pid).filter((p: number) => !pids.includes(p));
        if (again.length === 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(again.length, 2, "both instances listen again");
    } finally {
      await admin.end();
    }
    let woke = false;
    a.onJobsAvailable(() => {
      woke = true;
    });
    await b.notifyJobsAvailable();
    const deadline = Date.now() + 3000;
    while (!woke && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(woke, "a notification after the reconnect reaches the other instance");
  });
});
