// Real databases for tests. SQLite: a file in a fresh temp directory. PostgreSQL: a fresh database
// (`heimdall_t_<random>`) on the server given by HEIMDALL_TEST_DATABASE_URL (scripts/run-tests.mjs starts an
// embedded one); without that variable the PostgreSQL cases are skipped with a printed reason.
// Databases and directories created here are dropped/removed when the test process is about to exit.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { openStore } from "../../src/store/index.ts";
import type { OpenStoreOptions, Store } from "../../src/store/index.ts";

export type StoreKind = "sqlite" | "postgres";

const createdDirs: string[] = [];
const createdDatabases: string[] = [];
let cleanupRegistered = false;
let cleanedUp = false;

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  process.on("beforeExit", () => {
    if (cleanedUp) return;
    cleanedUp = true;
    void dropTestDatabases();
  });
  process.on("exit", () => {
    for (const d of createdDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** The PostgreSQL server URL for tests, or undefined (PostgreSQL cases are then skipped). */
export function postgresBaseUrl(): string | undefined {
  const url = process.env.HEIMDALL_TEST_DATABASE_URL;
  return url && url.length > 0 ? url : undefined;
}

export const POSTGRES_SKIP_REASON = "HEIMDALL_TEST_DATABASE_URL is not set (run through `npm test` to get PostgreSQL)";

async function adminQuery(sql: string): Promise<void> {
  const base = postgresBaseUrl();
  if (!base) throw new Error(POSTGRES_SKIP_REASON);
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty database: a SQLite file in a temp directory or a new PostgreSQL database. */
export async function freshDatabaseUrl(kind: StoreKind = "postgres"): Promise<string> {
  registerCleanup();
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "heimdall-t-"));
    createdDirs.push(dir);
    return `sqlite:${join(dir, "heimdall.db")}`;
  }
  const name = `heimdall_t_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  createdDatabases.push(name);
  const u = new URL(postgresBaseUrl() as string);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops every PostgreSQL database this process created (also run automatically before exit). */
export async function dropTestDatabases(): Promise<void> {
  const names = createdDatabases.splice(0);
  for (const name of names) {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  }
}

/** Runs one statement on the database behind `url` directly, not through the store; returns its rows. */
export async function rawQuery<R = Record<string, unknown>>(url: string, sql: string): Promise<R[]> {
  if (url.startsWith("sqlite:")) {
    const db = new Database(url.slice("sqlite:".length));
    try {
      const stmt = db.prepare(sql);
      return stmt.reader ? (stmt.all() as R[]) : (stmt.run(), []);
    } finally {
      db.close();
    }
  }
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(sql)).rows as R[];
  } finally {
    await c.end();
  }
}

export interface StoreBackend {
  name: StoreKind;
  /** Reason to skip this backend's tests, or false. */
  skip: string | false;
  /** A fresh, empty database URL for this backend. */
  freshUrl(): Promise<string>;
  /** Opens a store on `url` (default: a fresh database). Stores are closed by closeAll(). */
  open(url?: string, opts?: Partial<OpenStoreOptions>): Promise<Store>;
  /** Closes every store opened through this backend. */
  closeAll(): Promise<void>;
}

function backend(name: StoreKind, skip: string | false): StoreBackend {
  const opened: Store[] = [];
  return {
    name,
    skip,
    freshUrl: () => freshDatabaseUrl(name),
    async open(url, opts) {
      const connectionString = url ?? (await freshDatabaseUrl(name));
      const store = await openStore({ connectionString, maxConnections: 5, ...opts });
      opened.push(store);
      return store;
    },
    async closeAll() {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    },
  };
}

let warned = false;
/** Both engines; the PostgreSQL one is marked skipped (with a printed reason) when no server is configured. */
export function storeBackends(): StoreBackend[] {
  const pgSkip = postgresBaseUrl() ? false : POSTGRES_SKIP_REASON;
  if (pgSkip && !warned) {
    warned = true;
    process.stderr.write(`# PostgreSQL store tests skipped: ${pgSkip}\n`);
  }
  return [backend("sqlite", false), backend("postgres", pgSkip)];
}
