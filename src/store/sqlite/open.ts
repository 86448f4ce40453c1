// Opens the SQLite store: single-instance lock, WAL, busy timeout, synchronous=NORMAL, migrations.
import { mkdirSync } from "node:fs";
import { EventEmitter } from "node:events";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { HeimdallError, errorMessage } from "../../core/index.ts";
import type { OpenStoreOptions, Store } from "../contract.ts";
import type { HotOps } from "../shared/hot-ops.ts";
import { migrate } from "../shared/migrate.ts";
import { createSqlStore } from "../shared/sql-store.ts";
import { SqliteDb } from "./db.ts";
import { startCheckpointer, type Checkpointer } from "./checkpointer.ts";
import { acquireLock, databaseHeld, inUse } from "./lock.ts";
import { sqliteMigrations } from "./migrations.ts";
import { appendFile } from "./sql/append-file.ts";
import { claimJobs } from "./sql/claim.ts";
import { heartbeat } from "./sql/heartbeat.ts";
import { insertJob } from "./sql/insert-job.ts";
import { staleCandidates, takeOverClaim } from "./sql/janitor.ts";
import { transition } from "./sql/transition.ts";

/** Exported for tests that build the store on a connection of their own (test/engine/sqlite-db-faults.test.ts). */
export const sqliteHotOps: HotOps = {
  insertJob,
  claimJobs,
  transition,
  heartbeat,
  staleCandidates,
  takeOverClaim,
  appendFile,
};

/** Bytes of the database file read through a memory map (SQLite caps it at its compile-time maximum). */
const SQLITE_MMAP_BYTES = 1024 * 1024 * 1024;
/** WAL pages (4 KiB) after which a COMMIT checkpoints by itself: 40 MiB, normally never reached. */
const SAFETY_NET_CHECKPOINT_PAGES = 10_000;
/** The checkpoint worker starts this long after the store opened. */
const CHECKPOINTER_DELAY_MS = 1000;

/** `path` is the part after `sqlite:`; relative to the working directory. */
export async function openSqliteStore(path: string, opts: OpenStoreOptions): Promise<Store> {
  if (path === "") throw new HeimdallError("CONFIG", "database.connection_string: sqlite: needs a file path");
  const file = resolve(process.cwd(), path);
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    throw new HeimdallError("STORE", `cannot create directory for database ${path}: ${errorMessage(err)}`);
  }
  const lock = acquireLock(file, path);
  let conn: Database.Database | undefined;
  try {
    // A connection of another process (a server that lost its lock file) still holds the database: refuse.
    if (databaseHeld(file)) throw inUse(path, "unknown");
    conn = new Database(file, { timeout: opts.statementTimeoutMs ?? 5000 });
    // Normal locking (not EXCLUSIVE): the checkpoint worker below needs a connection of its own. The lock file
    // keeps other Heimdall servers out, and an open connection holds the WAL's shared memory, which is what
    // `databaseHeld` probes for.
    conn.pragma("journal_mode = WAL");
    conn.pragma("synchronous = NORMAL");
    // Reads through a memory map: streaming a stored stdout (64 KiB blobs over 4 KiB overflow pages) costs a
    // third of the CPU of one pread per page (bench/log-files.ts). Writes still go through the WAL.
    conn.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
    conn.pragma("foreign_keys = ON");
    // Statement journals (an INSERT/UPDATE … RETURNING, an INSERT … SELECT) in memory, not in a temp file: a job
    // insert with RETURNING costs 23 µs instead of 99 µs, a transition 25 µs instead of 65 µs (docs/benchmarks.md).
    conn.pragma("temp_store = MEMORY");
    conn.function("heimdall_fold", { deterministic: true }, (s: unknown) => (typeof s === "string" ? s.toLowerCase() : s));
    conn.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.statementTimeoutMs ?? 5000))}`);
    // Checkpoints run on a worker thread (./checkpointer.ts); SQLite's own, inside a COMMIT on this thread, only
    // when the WAL passes 40 MiB (the worker stalled or failed). The WAL file is cut back to 64 MiB after a reset.
    conn.pragma(`wal_autocheckpoint = ${SAFETY_NET_CHECKPOINT_PAGES}`);
    conn.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    const db = new SqliteDb(conn);
    await migrate(db, sqliteMigrations);
    const main = conn;
    // Started a moment after opening, off the start-up path (a worker thread is a new V8 isolate); until then
    // the safety net above covers.
    let checkpointer: Checkpointer | undefined;
    const startLater = setTimeout(() => {
      checkpointer = startCheckpointer(file, (reason) => {
        if (!main.open) return;
        process.emitWarning(`SQLite checkpoint worker failed (${reason}); checkpoints run in commits again`, {
          code: "HEIMDALL_SQLITE_CHECKPOINT",
        });
        main.pragma("wal_autocheckpoint = 1000");
      });
    }, CHECKPOINTER_DELAY_MS);
    startLater.unref();
    const events = new EventEmitter();
    events.setMaxListeners(0);
    return createSqlStore({
      kind: "sqlite",
      capabilities: { multiInstance: false },
      db,
      hot: sqliteHotOps,
      revisionInMemory: true,
      wakeups: {
        onJobsAvailable(listener) {
          events.on("jobs", listener);
          return () => events.off("jobs", listener);
        },
        async notifyJobsAvailable() {
          for (const l of events.listeners("jobs")) {
            try {
              (l as () => void)();
            } catch {
              // a listener's failure must not fail the submit path
            }
          }
        },
      },
      async close() {
        try {
          clearTimeout(startLater);
          await checkpointer?.stop();
          await db.close();
        } finally {
          lock.release();
        }
      },
    });
  } catch (err) {
    try {
      conn?.close();
    } catch {
      // ignore
    }
    lock.release();
    if (err instanceof HeimdallError) throw err;
    const busy = /locked|busy/i.test(errorMessage(err));
    throw new HeimdallError(
      "STORE",
      busy
        ? `database ${path} is in use by another process; SQLite allows one instance — use PostgreSQL for several`
        : `cannot open database ${path}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
