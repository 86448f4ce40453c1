// The shared job log reader under pressure: with a tiny buffer (old events evicted) a follower joining late from the
// start and one resuming from a mid-stream cursor (many events share a millisecond) catch up with their own reads
// and see exactly the lines of an early follower; a server that closes ends follow streams (no end line) at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ecsStatsSnapshot } from "../../../src/plugins/index.ts";
import { feedLimits } from "../../../src/plugins/ecs/log-feed.ts";
import { ecsServerSuite, readNdjson, templateDoc, writeConfig, writeTemplate, type NdjsonItem } from "./harness.ts";

type Item = NdjsonItem;

/** Reads NDJSON (the answer must be 200); `stopWhen` true aborts the request after that item. */
async function readItems(url: string, stopWhen?: (item: Item, all: Item[]) => boolean): Promise<Item[]> {
  const r = await readNdjson(url, stopWhen);
  assert.equal(r.status, 200, JSON.stringify(r.items[0]));
  return r.items;
}

const lines = (items: Item[]) => items.filter((i) => typeof i.message === "string");
const key = (i: Item) => `${i.slot}.${i.attempt}:${i.message}`;
const eventually = async (what: string, pred: () => boolean) => {
  for (let i = 0; i < 600 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(pred(), what);
};

describe("ecs plugin: job log readers behind the shared buffer", () => {
  const N = 400;
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: {
          task_definition_template: writeTemplate(dir, "td.json", templateDoc(["sh", "-c", `seq 1 ${N}; sleep 4; echo tail`])),
          polling_interval: "200ms",
        },
      },
    ]),
  );
  const saved = feedLimits.maxBytes;
  before(() => {
    feedLimits.maxBytes = 4_000; // about 60 events: most of the 400 are evicted while the job sleeps
  });
  after(() => {
    feedLimits.maxBytes = saved;
  });

  it("late and resuming followers catch up with their own reads: same lines, same order, no duplicates", async () => {
    const r = await stack.server.submit({
      name: "buffer",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { task_count: 2 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.id as string;
    const url = `${stack.server.url}/api/v1/job/${id}/logs?follow=true`;
    const readBefore = ecsStatsSnapshot().logBytesRead;
    let early: Item[] = [];
    const earlyDone = readItems(url, (_i, all) => {
      early = all;
      return false;
    });
    await eventually("the early follower got the numbers of both tasks", () => lines(early).length >= 2 * N);
    assert.equal(
      lines(early).some((l) => l.message === "tail"),
      false,
      "joined while the tasks sleep",
    );
    const mid = lines(early)[150]!;
    const [late, resumed, first] = await Promise.all([readItems(url), readItems(`${url}&cursor=${mid.cursor}`), earlyDone]);
    const all = lines(first).map(key);
    assert.equal(all.length, 2 * (N + 1));
    assert.deepEqual(first.at(-1), { end: true, status: "SUCCEEDED" });
    for (const slot of [0, 1]) {
      const mine = lines(first)
        .filter((l) => l.slot === slot)
        .map((l) => l.message);
      assert.deepEqual(mine, [...Array.from({ length: N }, (_, i) => String(i + 1)), "tail"]);
    }
    const perSlot = (items: Item[]) =>
      [0, 1].map((s) =>
        lines(items)
          .filter((l) => l.slot === s)
          .map(key),
      );
    assert.deepEqual(perSlot(late), perSlot(first), "the late follower: every line once, in order per task");
    assert.deepEqual(late.at(-1), { end: true, status: "SUCCEEDED" });
    const after = lines(first).slice(151).map(key);
    assert.deepEqual(lines(resumed).map(key).sort(), [...after].sort(), "resumed: exactly the lines after the cursor");
    assert.deepEqual(
      perSlot(resumed)[mid.slot],
      perSlot(first)[mid.slot]!.filter((k) => after.includes(k)),
    );
    // Catching up is reading again: more bytes than one reader's copy of the logs.
    const once = lines(first).reduce((n, l) => n + Buffer.byteLength(l.message), 0);
    assert.ok(ecsStatsSnapshot().logBytesRead - readBefore > once, "the readers behind the buffer read for themselves");
  });
});

describe("ecs plugin: job log streams and server shutdown", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: {
          task_definition_template: writeTemplate(dir, "td.json", templateDoc(["sh", "-c", "echo started; sleep 30"])),
          polling_interval: "200ms",
        },
      },
    ]),
  );

  it("closing the server ends follow streams without an end line", async () => {
    const r = await stack.server.submit({
      name: "shutdown",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
    });
    const id = r.body.id as string;
    let got: Item[] = [];
    const follow = readItems(`${stack.server.url}/api/v1/job/${id}/logs?follow=true`, (_i, all) => {
      got = all;
      return false;
    });
    await eventually("the first line arrived", () => lines(got).length === 1);
    const server = stack.server;
    const t0 = Date.now();
    await server.close();
    const closeMs = Date.now() - t0;
    server.close = async () => undefined; // the suite's after hook closes it again
    const items = await follow;
    // Drain hands the job back after shutdown_timeout (2 s); the stream's connection must not hold the close up
    // until the keep-alive timeout (30 s) as an idle connection left over after the preClose hook would.
    assert.ok(closeMs < 20_000, `server.close() took ${closeMs} ms`);
    assert.deepEqual(
      lines(items).map((l) => l.message),
      ["started"],
    );
    assert.equal(
      items.some((i) => "end" in i),
      false,
    );
  });
});
