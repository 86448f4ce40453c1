// Opens the PostgreSQL store: a shared pool (database.max_connections) with statement and connection timeouts,
// migrations under an advisory lock, and the LISTEN/NOTIFY wake-up channel.
import pg from "pg";
import { HeimdallError, errorMessage } from "../../core/index.ts";
import type { OpenStoreOptions, Store } from "../contract.ts";
import type { HotOps } from "../shared/hot-ops.ts";
import { migrate } from "../shared/migrate.ts";
import { createSqlStore } from "../shared/sql-store.ts";
import { PostgresDb, pgTypes } from "./db.ts";
import { postgresMigrations } from "./migrations.ts";
import { JobsNotifier } from "./notifier.ts";
import type { CoalescedWrites } from "./coalesced.ts";
import { coalescedWrites } from "./coalesced.ts";
import { appendFile } from "./sql/append-file.ts";
import { claimJobs } from "./sql/claim.ts";
import { heartbeat } from "./sql/heartbeat.ts";
import { staleCandidates, takeOverClaim } from "./sql/janitor.ts";

/** Hot paths; insertJob and transition go through the coalescers of `writes` (coalesced.ts). */
function postgresHotOps(writes: CoalescedWrites): HotOps {
  return {
    insertJob: (_db, job) => writes.insertJob(job),
    claimJobs,
    transition: (_db, t) => writes.transition(t),
    heartbeat,
    staleCandidates,
    takeOverClaim,
    appendFile,
  };
}

/** Connection string without its password, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

export async function openPostgresStore(opts: OpenStoreOptions): Promise<Store> {
  const statementTimeout = Math.max(1, Math.floor(opts.statementTimeoutMs ?? 30_000));
  const clientConfig: pg.ClientConfig = {
    connectionString: opts.connectionString,
    connectionTimeoutMillis: Math.min(statementTimeout, 10_000),
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 5_000,
    application_name: "heimdall",
    types: pgTypes,
  };
  const pool = new pg.Pool({ ...clientConfig, max: Math.max(1, opts.maxConnections ?? 10) });
  pool.on("error", () => undefined); // idle client errors: the pool drops the client and reconnects on demand
  const db = new PostgresDb(pool);
  try {
    await migrate(db, postgresMigrations);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof HeimdallError && err.message.includes("newer than this server")) throw err;
    throw new HeimdallError("STORE", `cannot open database ${redact(opts.connectionString)}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  // LISTEN needs a session outside the pool; no statement timeout applies to its idle wait.
  const notifier = new JobsNotifier(db, { ...clientConfig, statement_timeout: 0, query_timeout: undefined });
  notifier.start();
  const writes = coalescedWrites(db);
  const store = createSqlStore({
    kind: "postgres",
    capabilities: { multiInstance: true },
    db,
    hot: postgresHotOps(writes),
    wakeups: {
      onJobsAvailable: (listener) => notifier.on(listener),
      notifyJobsAvailable: () => notifier.notify(),
    },
    async close() {
      await notifier.close();
      await pool.end();
    },
  });
  return { ...store, putResult: (jobId, json) => writes.putResult(jobId, json) };
}
