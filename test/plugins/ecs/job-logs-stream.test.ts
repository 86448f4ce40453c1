// The job log stream without AWS traffic: cursors round-trip and reject garbage with a 400 naming `cursor`; a job
// that has launched nothing yet gets heartbeats while followed, then the end line once final; without follow the
// stream ends at once with end:false and the job's status. Real SQLite plugin state.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import pino from "pino";
import { HeimdallError } from "../../../src/core/index.ts";
import type { JobLogItem } from "../../../src/plugins/contract.ts";
import { jobLogItems } from "../../../src/plugins/ecs/job-logs.ts";
import { decodeCursor, encodeCursor } from "../../../src/plugins/ecs/log-cursor.ts";
import { activeFeeds } from "../../../src/plugins/ecs/log-feed.ts";
import { JobState } from "../../../src/plugins/ecs/state.ts";
import { openStore } from "../../../src/store/index.ts";
import type { Store } from "../../../src/store/index.ts";
import { cleanupDir, tempDir } from "./harness.ts";

describe("ecs job log cursor", () => {
  it("round-trips positions of several streams", () => {
    const positions = new Map([
      ["0.1.0", { n: 3, ts: 1_765_000_000_123, k: 1 }],
      ["2.3.1", { n: 25_001, ts: 1_765_000_004_000, k: 7 }],
      ["117.1.0", { n: 1, ts: 1_765_000_000_100, k: 2 }],
    ]);
    const text = encodeCursor(positions);
    assert.match(text, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(text), positions);
  });

  it("an empty position set (nothing read) round-trips", () => {
    assert.deepEqual(decodeCursor(encodeCursor(new Map())), new Map());
  });

  for (const bad of ["not a cursor!", "AAAA", encodeCursor(new Map([["0.1.0", { n: 1, ts: 5, k: 1 }]])) + "AA", "Ag"]) {
    it(`rejects ${JSON.stringify(bad)} with BAD_REQUEST naming cursor`, () => {
      assert.throws(
        () => decodeCursor(bad),
        (err: unknown) => err instanceof HeimdallError && err.status === 400 && /^cursor: /.test(err.message),
      );
    });
  }
});

describe("ecs job log stream of a job without tasks", () => {
  let dir: string;
  let store: Store;
  let state: JobState;
  const log = pino({ level: "silent" });
  before(async () => {
    dir = tempDir("ecs-joblogs-");
    store = await openStore({ connectionString: `sqlite:${join(dir, "h.db")}` });
    state = new JobState(
      { put: (j, k, v) => store.putPluginState(j, k, v), list: (j, p) => store.listPluginState(j, p) },
      "job-without-tasks",
    );
  });
  after(async () => {
    await store.close();
    cleanupDir(dir);
  });

  it("a bad cursor throws before anything is read", () => {
    assert.throws(
      () => jobLogItems(state, { follow: true, cursor: "%%%", jobStatus: async () => "RUNNING" }, new AbortController().signal, log),
      /cursor: /,
    );
    assert.equal(activeFeeds(), 0);
  });

  it("following: heartbeats while nothing happens, then the end line with the final status", async () => {
    let status = "RUNNING";
    const items: JobLogItem[] = [];
    const ac = new AbortController();
    for await (const item of jobLogItems(state, { follow: true, heartbeatMs: 20, jobStatus: async () => status }, ac.signal, log)) {
      items.push(item);
      if (items.length === 2) status = "SUCCEEDED";
      if (items.length > 100) break;
    }
    assert.deepEqual(items.slice(0, 2), [{ heartbeat: true }, { heartbeat: true }]);
    assert.deepEqual(items.at(-1), { end: true, status: "SUCCEEDED" });
    assert.ok(items.slice(0, -1).every((i) => "heartbeat" in i));
    assert.equal(activeFeeds(), 0, "the feed stops when the job ends");
  });

  it("without follow: one end:false item with the job's status and a cursor", async () => {
    const items: JobLogItem[] = [];
    for await (const item of jobLogItems(state, { follow: false, jobStatus: async () => "RUNNING" }, new AbortController().signal, log))
      items.push(item);
    assert.equal(items.length, 1);
    const end = items[0] as { end: boolean; status: string; cursor: string };
    assert.equal(end.end, false);
    assert.equal(end.status, "RUNNING");
    assert.deepEqual(decodeCursor(end.cursor), new Map());
    assert.equal(activeFeeds(), 0, "the feed stops when its last subscriber leaves");
  });

  it("a follower that goes away releases the feed", async () => {
    const ac = new AbortController();
    const it = jobLogItems(state, { follow: true, heartbeatMs: 10, jobStatus: async () => "RUNNING" }, ac.signal, log)[
      Symbol.asyncIterator
    ]();
    assert.deepEqual((await it.next()).value, { heartbeat: true });
    assert.equal(activeFeeds(), 1);
    ac.abort();
    assert.equal((await it.next()).done, true);
    assert.equal(activeFeeds(), 0);
  });
});
