// Shared by bench/list-filters.ts and bench/stats.ts: loads many jobs through the store's own insertJob (the
// submit path's statement), many calls in flight so SQLite's group commit and the PostgreSQL pool batch them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobStatus } from "../src/core/index.ts";
import { openStore } from "../src/store/index.ts";
import type { NewJob, Store } from "../src/store/index.ts";
import { freshPostgresDatabase } from "./_server.ts";

export type BenchStoreKind = "sqlite" | "postgres";

export interface BenchStore {
  store: Store;
  url: string;
  /** Removes the SQLite directory (PostgreSQL databases are dropped with the server). */
  cleanup(): void;
}

export async function openBenchStore(kind: BenchStoreKind, pgServerUrl: string | undefined, name: string): Promise<BenchStore> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), `heimdall-bench-${name}-`));
    const url = `sqlite:${join(dir, "heimdall.db")}`;
    return { store: await openStore({ connectionString: url }), url, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!pgServerUrl) throw new Error("no PostgreSQL server");
  const url = await freshPostgresDatabase(pgServerUrl, `heimdall_bench_${name}_${process.pid}`);
  return { store: await openStore({ connectionString: url, maxConnections: 16 }), url, cleanup: () => undefined };
}

/** A job of the bench data set: status, name, user and tags as `shape(n)` says. */
export function benchJob(n: number, shape: { status: JobStatus; name: string; user: string; tags: string[] }): NewJob {
  const id = `bench-${n}`;
  return {
    id,
    name: shape.name,
    version: "1",
    user: shape.user,
    description: "",
    tags: [`_id:${id}`, `_name:${shape.name}`, "_version:1", ...shape.tags],
    status: shape.status,
    is_sync: false,
    store_result_sync: false,
    error: shape.status === "FAILED" ? `exit ${n % 7}` : "",
    command_criteria: ["type:ping"],
    cluster_criteria: ["type:localhost"],
    command_id: "ping",
    command_name: "ping",
    cluster_id: "local",
    cluster_name: "local",
    canceled_by: "",
    job_attributes: {},
  };
}

/** Inserts jobs 0..count-1 through store.insertJob with `inFlight` calls outstanding; returns seconds taken. */
export async function loadJobs(
  store: Store,
  count: number,
  make: (n: number) => NewJob,
  inFlight: number,
  progress?: (done: number) => void,
): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      await store.insertJob(make(n));
      if (++done % 100_000 === 0) progress?.(done);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (performance.now() - t0) / 1000;
}

export function timeStats(samples: number[]): { p50: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
  return { p50: at(50), p95: at(95) };
}
