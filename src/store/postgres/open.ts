// Opens the PostgreSQL store: two pools sharing database.max_connections (pools.ts) with statement and connection
// timeouts, migrations under an advisory lock, and the LISTEN/NOTIFY wake-up channel.
import pg from "pg";
import { HeimdallError, errorMessage } from "../../core/index.ts";
import type { OpenStoreOptions, Store } from "../contract.ts";
import type { HotOps } from "../shared/hot-ops.ts";
import { migrate } from "../shared/migrate.ts";
import { createSqlStore } from "../shared/sql-store.ts";
import type { Db } from "../shared/db.ts";
import { PostgresDb, pgTypes } from "./db.ts";
import { postgresMigrations } from "./migrations.ts";
import { JobsNotifier } from "./notifier.ts";
import type { CoalescedWrites } from "./coalesced.ts";
import { coalescedWrites } from "./coalesced.ts";
import { GrowthAnalyzer } from "./growth.ts";
import { openPools } from "./pools.ts";
import { appendFile } from "./sql/append-file.ts";
import { claimJobs } from "./sql/claim.ts";
import { heartbeat } from "./sql/heartbeat.ts";
import { staleCandidates, takeOverClaim } from "./sql/janitor.ts";

/**
 * Hot paths, all on the hot pool's connections (`hot`, generic plans; the store's own db is not used); insertJob
 * and transition go through the coalescers of `writes` (coalesced.ts).
 */
function postgresHotOps(hot: Db, writes: CoalescedWrites, growth: GrowthAnalyzer): HotOps {
  return {
    async insertJob(_db, job) {
      const inserted = await writes.insertJob(job);
      if (inserted) growth.noteSeq(inserted.seq);
      return inserted;
    },
    claimJobs: (_db, owner, limit) => claimJobs(hot, owner, limit),
    transition: (_db, t) => writes.transition(t),
    heartbeat: (_db, owner, ids) => heartbeat(hot, owner, ids),
    staleCandidates: (_db, staleSeconds, limit) => staleCandidates(hot, staleSeconds, limit),
    takeOverClaim: (_db, id, observed, owner) => takeOverClaim(hot, id, observed, owner),
    appendFile: (_db, seq, file, chunks, atOffset) => appendFile(hot, seq, file, chunks, atOffset),
  };
}

/** Connection string without its password, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

/** Longest a migration statement may run (a lock wait included: instances starting together migrate once). */
const MIGRATION_TIMEOUT_MS = 30 * 60_000;

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
  const pools = openPools(clientConfig, opts.maxConnections ?? 10);
  const db = new PostgresDb(pools.main);
  const hotDb = pools.hot === pools.main ? db : new PostgresDb(pools.hot);
  // Migrations on their own connection, bounded by MIGRATION_TIMEOUT_MS instead of the statement timeout: one
  // statement may rewrite every job (the criteria migration takes longer than 30 s on 1,000,000 jobs), and a server
  // that cannot finish its migration cannot start. TCP keep-alive notices a database that went away meanwhile.
  const migrations = new pg.Pool({
    ...clientConfig,
    statement_timeout: MIGRATION_TIMEOUT_MS,
    query_timeout: MIGRATION_TIMEOUT_MS + 5_000,
    keepAlive: true,
    max: 1,
  });
  migrations.on("error", () => undefined);
  try {
    await migrate(new PostgresDb(migrations), postgresMigrations);
  } catch (err) {
    await pools.end().catch(() => undefined);
    if (err instanceof HeimdallError && err.message.includes("newer than this server")) throw err;
    throw new HeimdallError("STORE", `cannot open database ${redact(opts.connectionString)}: ${errorMessage(err)}`, {
      cause: err,
    });
  } finally {
    await migrations.end().catch(() => undefined);
  }
  // LISTEN needs a session outside the pool; no statement timeout applies to its idle wait.
  const notifier = new JobsNotifier(db, { ...clientConfig, statement_timeout: 0, query_timeout: undefined });
  notifier.start();
  const writes = coalescedWrites(hotDb);
  const growth = new GrowthAnalyzer(db);
  const store = createSqlStore({
    kind: "postgres",
    capabilities: { multiInstance: true },
    db,
    hot: postgresHotOps(hotDb, writes, growth),
    wakeups: {
      onJobsAvailable: (listener) => notifier.on(listener),
      notifyJobsAvailable: () => notifier.notify(),
    },
    async close() {
      await notifier.close();
      await growth.idle();
      await pools.end();
    },
  });
  return { ...store, putResult: (jobId, json) => writes.putResult(jobId, json) };
}
