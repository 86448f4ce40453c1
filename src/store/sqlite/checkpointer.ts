// WAL checkpoints off the event loop. With `synchronous = NORMAL` a commit only appends to the WAL; the fsyncs
// happen when the WAL is copied back into the database file (a checkpoint). SQLite's automatic checkpoint runs
// inside the COMMIT that crosses its threshold, on the thread that commits: on the job path that fsync pair cost
// about 80 µs per job (docs/benchmarks.md). Here a worker thread with its own connection runs
// `wal_checkpoint(PASSIVE)` every CHECKPOINT_EVERY_MS: it never waits for the writer and the writer never waits
// for it. The main connection keeps a large automatic threshold as a safety net (the worker stalled or died).
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the worker checkpoints (a checkpoint with nothing new to copy costs no fsync). */
const CHECKPOINT_EVERY_MS = 100;

/** The worker's code: plain CommonJS, so it runs the same from the TypeScript sources and from dist/. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 1000 });
let timer;
let failures = 0;
function tick() {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    failures = 0;
  } catch (err) {
    // BUSY while another connection checkpoints or the database is being closed: try again next tick.
    if (++failures === 50) parentPort.postMessage({ error: String(err && err.message || err) });
  }
  timer = setTimeout(tick, workerData.everyMs);
}
timer = setTimeout(tick, workerData.everyMs);
parentPort.on("message", () => {
  clearTimeout(timer);
  try { db.close(); } catch {}
  parentPort.postMessage({ stopped: true });
});
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection (before the main connection closes). */
  stop(): Promise<void>;
}

/**
 * Starts the worker on the database `file` (already in WAL mode). `onFailure` is called once if the worker
 * fails (it cannot open the file, keeps failing, or exits): the caller falls back to automatic checkpoints.
 */
export function startCheckpointer(file: string, onFailure: (reason: string) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, everyMs: CHECKPOINT_EVERY_MS } });
  worker.unref();
  let stopping = false;
  let failed = false;
  const fail = (reason: string) => {
    if (stopping || failed) return;
    failed = true;
    onFailure(reason);
  };
  worker.on("error", (err) => fail(err.message));
  let exited = false;
  worker.on("exit", (code) => {
    exited = true;
    fail(`checkpoint worker exited (${code})`);
  });
  worker.on("message", (m: { error?: string }) => {
    if (m.error !== undefined) fail(m.error);
  });
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      if (exited) return;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((res) => {
        worker.on("message", (m: { stopped?: boolean }) => m.stopped && res());
        worker.once("exit", () => res());
        timer = setTimeout(res, 2000); // a worker stuck in a checkpoint: terminated below
        worker.postMessage("stop");
      });
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
