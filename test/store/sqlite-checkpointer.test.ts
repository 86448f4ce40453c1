// WAL checkpoints on a worker thread (src/store/sqlite/checkpointer.ts): the jobs a server writes reach the
// database file itself without any commit on the main thread crossing SQLite's automatic threshold; a worker that
// cannot run reports its failure (the store then falls back to automatic checkpoints); a second store on the same
// file is refused while the first one is open (the lock probe sees its connections), and allowed after close.
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { startCheckpointer } from "../../src/store/sqlite/checkpointer.ts";
import { newJob } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "heimdall-ckpt-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The database header's file change counter (bytes 24–27): in WAL mode only a checkpoint writes it to the file. */
function fileChangeCounter(file: string): number {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 24);
    return b.readUInt32BE(0);
  } finally {
    closeSync(fd);
  }
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

void test("committed jobs are checkpointed into the database file by the worker, well below the automatic threshold", async () => {
  const file = join(dir, "a.db");
  const store = await openStore({ connectionString: `sqlite:${file}` });
  try {
    await until("the migrations' checkpoint", () => fileChangeCounter(file) > 0);
    const before = fileChangeCounter(file);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.insertJob(newJob({ id: `ckpt-${i}` }))));
    const wal = statSync(`${file}-wal`).size;
    assert.ok(wal < 10_000 * 4096, `the WAL (${wal} bytes) stays below SQLite's automatic checkpoint`);
    await until("a checkpoint of the new jobs", () => fileChangeCounter(file) > before);
    assert.equal((await store.getJob("ckpt-199"))?.id, "ckpt-199");
  } finally {
    await store.close();
  }
});

void test("a worker that cannot open the database reports it once", async () => {
  const reasons: string[] = [];
  const c = startCheckpointer(join(dir, "missing", "none.db"), (r) => reasons.push(r));
  await until("the failure report", () => reasons.length > 0);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(reasons.length, 1, reasons.join("; "));
  assert.match(reasons[0] ?? "", /unable to open|directory does not exist|exited/i);
  await c.stop();
});

void test("a second store on the same file is refused while the first is open, and opens after it closed", async () => {
  const file = join(dir, "b.db");
  const first = await openStore({ connectionString: `sqlite:${file}` });
  let closed = false;
  try {
    await assert.rejects(openStore({ connectionString: `sqlite:${file}` }), /in use by another Heimdall server/);
    await first.close();
    closed = true;
    const second = await openStore({ connectionString: `sqlite:${file}` });
    await second.close();
  } finally {
    if (!closed) await first.close();
  }
});
