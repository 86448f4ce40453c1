// Job output streams (9.11): periodic and size-triggered flushes, the per-file cap with one truncation line,
// the cap across a hand-back, retried and dropped flushes, backpressure.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { EngineMetrics } from "../../src/engine/index.ts";
import { JobOutputStream, CHUNK_BYTES } from "../../src/engine/index.ts";
import type { Store } from "../../src/store/index.ts";
import { backends, readAll, silentLog } from "./helpers.ts";

async function newJob(store: Store): Promise<string> {
  const id = randomUUID();
  await store.insertJob({
    id,
    name: "out",
    version: "",
    user: "u",
    description: "",
    tags: [],
    status: "NEW",
    is_sync: false,
    store_result_sync: false,
    error: "",
    command_criteria: [],
    cluster_criteria: [],
    command_id: "c",
    command_name: "c",
    cluster_id: "k",
    cluster_name: "k",
    canceled_by: "",
    job_attributes: {},
  });
  return id;
}

function write(s: JobOutputStream, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));
}

function withAppend(store: Store, append: Store["appendFile"]): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "appendFile") return append;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("job output", { concurrency: true }, () => {
  for (const backend of backends()) {
    describe(`job output (${backend.name})`, { concurrency: 1 }, () => {
      let store: Store;
      let dispose: () => Promise<void>;
      before(async () => {
        ({ store, dispose } = await backend.open());
      });
      after(() => dispose());

      const open = (jobId: string, maxBytes = 1 << 20, s: Store = store, metrics?: EngineMetrics, resumed = false) =>
        JobOutputStream.open({ store: s, jobId, file: "stdout", maxBytes, log: silentLog, metrics, retryDelayMs: 1 }, resumed);

      it("flushes buffered output while the job runs (at least once per second)", async () => {
        const id = await newJob(store);
        const out = await open(id);
        await write(out, "tick\n");
        const end = Date.now() + 3000;
        while ((await store.fileSize(id, "stdout")) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
        assert.equal(await readAll(store, id, "stdout"), "tick\n", "stored before close");
        await out.close();
        assert.equal(await readAll(store, id, "stdout"), "tick\n");
      });

      it("flushes at once when 64 KiB are buffered and stores large writes whole", async () => {
        const id = await newJob(store);
        const out = await open(id);
        const big = Buffer.alloc(CHUNK_BYTES * 2 + 100, 0x61);
        await write(out, big);
        assert.ok((await store.fileSize(id, "stdout")) >= CHUNK_BYTES * 2, "flushed by size, not by timer");
        await out.close();
        assert.equal(await store.fileSize(id, "stdout"), big.length);
      });

      it("caps the file and appends one truncation line (line break inserted)", async () => {
        const id = await newJob(store);
        const out = await open(id, 10);
        await write(out, "hello world 12345");
        await write(out, "more output that is dropped\n");
        await out.close();
        assert.equal(await readAll(store, id, "stdout"), "hello worl\n[heimdall: output truncated at 10 bytes]\n");
      });

      it("does not insert a line break when the kept output ends with one", async () => {
        const id = await newJob(store);
        const out = await open(id, 10);
        await write(out, "123456789\n");
        await write(out, "x");
        await out.close();
        assert.equal(await readAll(store, id, "stdout"), "123456789\n[heimdall: output truncated at 10 bytes]\n");
      });

      it("counts output stored before a hand-back against the cap", async () => {
        const id = await newJob(store);
        const first = await open(id, 10);
        await write(first, "abcdefg\n");
        await first.close();
        const resumed = await open(id, 10, store, undefined, true);
        await write(resumed, "xyz");
        await write(resumed, "again");
        await resumed.close();
        assert.equal(await readAll(store, id, "stdout"), "abcdefg\nxy\n[heimdall: output truncated at 10 bytes]\n");
        // A further resume sees the truncated file and adds nothing.
        const again = await open(id, 10, store, undefined, true);
        await write(again, "late");
        await again.close();
        assert.equal(await readAll(store, id, "stdout"), "abcdefg\nxy\n[heimdall: output truncated at 10 bytes]\n");
      });

      it("retries a failed flush and, after three retries, drops and counts the bytes", async () => {
        const id = await newJob(store);
        let failures = 2;
        const flaky = withAppend(store, async (j, f, c) => {
          if (failures-- > 0) throw new Error("db down");
          return store.appendFile(j, f, c);
        });
        const out = await open(id, 1 << 20, flaky);
        await write(out, "kept\n");
        await out.close();
        assert.equal(await readAll(store, id, "stdout"), "kept\n");

        const id2 = await newJob(store);
        let counted = 0;
        let attempts = 0;
        const metrics = { fileFlushFailure: () => counted++ } as unknown as EngineMetrics;
        const broken = withAppend(store, async () => {
          attempts++;
          throw new Error("db down");
        });
        const out2 = await open(id2, 1 << 20, broken, metrics);
        await write(out2, "lost\n");
        await out2.close();
        assert.equal(attempts, 4);
        assert.equal(counted, 1);
        assert.equal(out2.droppedBytes, 5);
        assert.equal(await store.fileSize(id2, "stdout"), 0);
      });

      it("applies backpressure while a flush is in progress", async () => {
        const id = await newJob(store);
        let release = () => {};
        const gate = new Promise<void>((r) => (release = r));
        const slow = withAppend(store, async (j, f, c) => {
          await gate;
          return store.appendFile(j, f, c);
        });
        const out = await open(id, 1 << 20, slow);
        let done = false;
        const w = write(out, Buffer.alloc(CHUNK_BYTES, 0x62)).then(() => (done = true));
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(done, false, "the writer waits for the flush");
        assert.equal(out.write(Buffer.alloc(CHUNK_BYTES, 0x63)), false, "write() asks the caller to wait");
        release();
        await w;
        await out.close();
        assert.equal(await store.fileSize(id, "stdout"), CHUNK_BYTES * 2);
      });
    });
  }
});
