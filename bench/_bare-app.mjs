// The floor for `serve` cold start (bench/startup.ts): a bare Fastify app with a better-sqlite3 database (WAL,
// one table created) answering GET /api/v1/health, started the way `heimdall serve` is, as compiled JavaScript.
// Usage: node bench/_bare-app.mjs <port> <dir>
import Database from "better-sqlite3";
import Fastify from "fastify";
import { join } from "node:path";

const [port, dir] = process.argv.slice(2);
const db = new Database(join(dir, "bare.db"));
db.pragma("journal_mode = WAL");
db.exec("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL)");
const app = Fastify();
const count = db.prepare("SELECT count(*) AS n FROM jobs");
app.get("/api/v1/health", async () => ({ status: "ok", jobs: count.get().n }));
await app.listen({ host: "127.0.0.1", port: Number(port) });
process.on("SIGTERM", () => {
  void app.close().then(() => {
    db.close();
    process.exit(0);
  });
});
