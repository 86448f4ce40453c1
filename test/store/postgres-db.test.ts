// The PostgreSQL Db adapter's transactions survive a connection lost between two statements.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import net from "node:net";
import pg from "pg";
import { isTransientPgError, PostgresDb } from "../../src/store/postgres/db.ts";
import { freshDatabaseUrl, postgresBaseUrl, POSTGRES_SKIP_REASON } from "../helpers/db.ts";

const skip = postgresBaseUrl() ? false : POSTGRES_SKIP_REASON;

void test("a transaction whose connection is killed between statements fails with a STORE error", { skip }, async () => {
  const url = await freshDatabaseUrl("postgres");
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  after(() => pool.end());
  const db = new PostgresDb(pool);
  const admin = new pg.Client(url);
  await admin.connect();
  after(() => admin.end());
  await assert.rejects(
    db.tx("killed", async (tx) => {
      const pid = (await tx.query("killed", "SELECT pg_backend_pid() AS pid"))[0]?.pid;
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await new Promise((r) => setTimeout(r, 200)); // the error event arrives while no statement runs
      await tx.query("killed", "SELECT 1 AS one");
    }),
    (e: Error & { code?: string }) => e.code === "STORE" && /^store killed: /.test(e.message),
  );
  // The broken client was discarded: the pool still works.
  assert.deepEqual(await db.query("after", "SELECT 1 AS one"), [{ one: 1 }]);
});

/** A TCP port that refuses connections until `openAfterMs`, then forwards them to PostgreSQL at `target`. */
async function lateProxy(target: URL, openAfterMs: number): Promise<{ port: number; close(): void }> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r)); // now refused until the proxy listens
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  const timer = setTimeout(() => proxy.listen(port, "127.0.0.1"), openAfterMs);
  return {
    port,
    close() {
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

void test("a statement whose connection is refused is retried until the server answers; a refusal that lasts fails", { skip }, async () => {
  const url = new URL(await freshDatabaseUrl("postgres"));
  const proxy = await lateProxy(url, 60);
  after(() => proxy.close());
  const viaProxy = new URL(url);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  const pool = new pg.Pool({ connectionString: viaProxy.toString(), max: 2 });
  after(() => pool.end());
  const db = new PostgresDb(pool);
  assert.deepEqual(await db.query("late", "SELECT 1 AS one"), [{ one: 1 }], "retried past the refusals");
  assert.equal(await db.tx("late-tx", async (tx) => (await tx.query("late-tx", "SELECT 2 AS two"))[0]?.two), 2);

  const refused = new URL(url);
  refused.hostname = "127.0.0.1";
  refused.port = "1";
  const deadPool = new pg.Pool({ connectionString: refused.toString(), max: 1 });
  after(() => deadPool.end());
  await assert.rejects(
    new PostgresDb(deadPool).query("dead", "SELECT 1"),
    (e: Error & { code?: string }) => e.code === "STORE" && /^store dead: .*ECONNREFUSED/.test(e.message),
  );
});

void test("transient PostgreSQL failures are the ones that cannot have taken effect", () => {
  for (const code of ["ECONNREFUSED", "57P03", "53300", "40001", "40P01"]) assert.ok(isTransientPgError({ code }), code);
  for (const code of ["57P01", "ECONNRESET", "23505", "57014", undefined]) assert.ok(!isTransientPgError({ code }), String(code));
  assert.ok(isTransientPgError(new Error("wrapped", { cause: { code: "40P01" } })), "looks through a STORE error's cause");
});
