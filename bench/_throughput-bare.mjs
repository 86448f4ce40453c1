// The floor for end-to-end job throughput (bench/throughput.ts): a bare Fastify app whose POST /api/v1/job parses
// the JSON body and does ONE insert into the same kind of database (better-sqlite3 in WAL with synchronous=NORMAL
// like the store, autocommit per request; or a pg Pool of 10), then answers 201 with the id.
// Two tables: `jobs` inserts a job row into Heimdall's own `jobs` table (the database is migrated by the store's
// code first: the same columns and indexes a submit writes); `minimal` a row of six columns into a table with only
// a primary key (what "one insert" costs at the very least).
// Usage: node bench/_throughput-bare.mjs <port> <sqlite-file | postgres-url> <jobs | minimal>
import { randomUUID } from "node:crypto";
import Fastify from "fastify";

const [port, target, table = "minimal"] = process.argv.slice(2);
const COLUMNS =
  "id TEXT PRIMARY KEY, status TEXT NOT NULL, name TEXT NOT NULL, user_name TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL";
const JOB_COLUMNS = `id, status, name, version, description, context, error, user_name, is_sync, store_result_sync, canceled_by,
  job_attributes, command_id, command_name, cluster_id, cluster_name, command_criteria, cluster_criteria, created_at, updated_at`;
/** A job row as a submit stores it: $1 id, $2 name, $3 user, $4 context (the body), $5 false, $6 now. */
const jobValues = (f, now) =>
  `(${f(1)}, 'NEW', ${f(2)}, '', '', ${f(4)}, '', ${f(3)}, ${f(5)}, ${f(5)}, '', '{}', 'ping-0.0.1', 'ping', 'localhost-0.0.1', 'localhost', '["type:ping"]', '["type:localhost"]', ${now}, ${now})`;
let insert;
let close;
if (target.startsWith("postgres")) {
  const pg = (await import("pg")).default;
  const pool = new pg.Pool({ connectionString: target, max: 10 });
  const now = "floor(extract(epoch from now()))::bigint";
  let text;
  if (table === "jobs") {
    text = `INSERT INTO jobs (${JOB_COLUMNS}) VALUES ${jobValues((n) => (n === 5 ? "false" : n === 4 ? "NULL" : `$${n}`), now)}`;
  } else {
    await pool.query(`CREATE TABLE IF NOT EXISTS bare_jobs (${COLUMNS})`);
    text = `INSERT INTO bare_jobs (id, status, name, user_name, body, created_at) VALUES ($1, 'NEW', $2, $3, $4, ${now})`;
  }
  const withBody = table !== "jobs";
  insert = (id, name, user, body) => pool.query({ name: "ins", text, values: withBody ? [id, name, user, body] : [id, name, user] });
  close = () => pool.end();
} else {
  const Database = (await import("better-sqlite3")).default;
  const db = new Database(target);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  let stmt;
  if (table === "jobs") {
    stmt = db.prepare(
      `INSERT INTO jobs (${JOB_COLUMNS}) VALUES ${jobValues((n) => (n === 5 ? "0" : n === 4 ? "NULL" : "?"), "unixepoch()")}`,
    );
    insert = async (id, name, user) => stmt.run(id, name, user);
  } else {
    db.exec(`CREATE TABLE IF NOT EXISTS bare_jobs (${COLUMNS})`);
    stmt = db.prepare("INSERT INTO bare_jobs (id, status, name, user_name, body, created_at) VALUES (?, 'NEW', ?, ?, ?, unixepoch())");
    insert = async (id, name, user, body) => stmt.run(id, name, user, body);
  }
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
