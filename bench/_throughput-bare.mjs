// The floor for end-to-end job throughput (bench/throughput.ts): a bare Fastify app whose POST /api/v1/job parses
// the JSON body and does ONE insert of a job row into the same kind of database (better-sqlite3 in WAL with
// synchronous=NORMAL like the store, autocommit per request; or a pg Pool of 10), then answers 201 with the id.
// Usage: node bench/_throughput-bare.mjs <port> <sqlite-file | postgres-url>
import { randomUUID } from "node:crypto";
import Fastify from "fastify";

const [port, target] = process.argv.slice(2);
const COLUMNS =
  "id TEXT PRIMARY KEY, status TEXT NOT NULL, name TEXT NOT NULL, user_name TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL";
let insert;
let close;
if (target.startsWith("postgres")) {
  const pg = (await import("pg")).default;
  const pool = new pg.Pool({ connectionString: target, max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS bare_jobs (${COLUMNS})`);
  const text =
    "INSERT INTO bare_jobs (id, status, name, user_name, body, created_at) VALUES ($1, 'NEW', $2, $3, $4, floor(extract(epoch from now()))::bigint)";
  insert = (id, name, user, body) => pool.query({ name: "ins", text, values: [id, name, user, body] });
  close = () => pool.end();
} else {
  const Database = (await import("better-sqlite3")).default;
  const db = new Database(target);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`CREATE TABLE IF NOT EXISTS bare_jobs (${COLUMNS})`);
  const stmt = db.prepare("INSERT INTO bare_jobs (id, status, name, user_name, body, created_at) VALUES (?, 'NEW', ?, ?, ?, unixepoch())");
  insert = async (id, name, user, body) => stmt.run(id, name, user, body);
  close = async () => db.close();
}
const app = Fastify();
app.post("/api/v1/job", async (req, reply) => {
  const body = req.body;
  const id = randomUUID();
  await insert(id, String(body.name), String(req.headers["x-heimdall-user"] ?? ""), JSON.stringify(body));
  reply.code(201);
  return { id, status: "NEW" };
});
app.get("/api/v1/health", async () => ({ status: "ok" }));
await app.listen({ host: "127.0.0.1", port: Number(port) });
process.on("SIGTERM", () => {
  void app.close().then(async () => {
    await close();
    process.exit(0);
  });
});
