// GET /api/v1/job/{id}/logs against the local ECS with the real SDK: a job of 3 tasks printing a line a second is
// followed live (lines of all 3 slots before the job ends, then the end line); a follower that reconnects with a
// cursor gets no duplicates and misses nothing; 20 concurrent followers cost about the GetLogEvents calls of one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FINAL, ecsServerSuite, readNdjson, templateDoc, writeConfig, writeTemplate, type NdjsonItem } from "./harness.ts";

const LINES = 6;
const script = `for i in $(seq 1 ${LINES}); do echo "line $i of $TASK_NAME"; sleep 1; done`;

type Item = NdjsonItem;

const lineKey = (i: Item) => `${i.slot}.${i.attempt}.${i.container}:${i.message}`;
const linesOf = (items: Item[]) => items.filter((i) => typeof i.message === "string");

describe("ecs plugin: live job logs API", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: { task_definition_template: writeTemplate(dir, "td.json", templateDoc(["sh", "-c", script])), polling_interval: "200ms" },
      },
    ]),
  );
  const submit = async () => {
    const r = await stack.server.submit({
      name: "live",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { task_count: 3 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const logsUrl = (id: string, q = "") => `${stack.server.url}/api/v1/job/${id}/logs${q}`;
  const getLogEvents = () => stack.ecs.stats().calls.GetLogEvents ?? 0;

  it("follows all 3 tasks live, then ends with the job's final status; the job's stdout keeps its final content", async () => {
    const id = await submit();
    // The job's progress (setProgress, at most once a second) shows the 3 tasks running while they print.
    let progressSeen: unknown;
    const progressP = stack.server
      .waitFor(id, (j) => j.progress?.running === 3 || FINAL.includes(j.status))
      .then((j) => (progressSeen = j.progress));
    let statusWhenAllSlots: string | undefined;
    const slots = new Set<number>();
    const pending: Promise<void>[] = [];
    const { status, type, items } = await readNdjson(logsUrl(id, "?follow=true"), (item) => {
      if (typeof item.slot === "number") slots.add(item.slot);
      if (slots.size === 3 && statusWhenAllSlots === undefined) {
        statusWhenAllSlots = "asking";
        pending.push(stack.server.get(`/api/v1/job/${id}`).then((r) => void (statusWhenAllSlots = r.json().status)));
      }
      return false;
    });
    await Promise.all([...pending, progressP]);
    assert.equal(status, 200);
    assert.deepEqual(progressSeen, { tasks: 3, succeeded: 0, running: 3, retrying: 0, failed: 0, pending: 0 }, "progress while running");
    assert.match(type ?? "", /^application\/x-ndjson/);
    assert.equal(statusWhenAllSlots, "RUNNING", "lines of all 3 slots arrived while the job was running");
    assert.deepEqual(items.at(-1), { end: true, status: "SUCCEEDED" });
    const lines = linesOf(items);
    assert.equal(lines.length, 3 * LINES);
    for (const slot of [0, 1, 2]) {
      const mine = lines.filter((l) => l.slot === slot);
      assert.deepEqual(
        mine.map((l) => l.message.replace(/ of .*/, "")),
        Array.from({ length: LINES }, (_, i) => `line ${i + 1}`),
      );
      assert.ok(
        mine.every((l) => l.attempt === 1 && l.container === "main" && typeof l.timestamp === "number" && typeof l.cursor === "string"),
      );
    }
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED");
    assert.deepEqual(job.progress, { tasks: 3, succeeded: 3, running: 0, retrying: 0, failed: 0, pending: 0 }, "final progress");
    const stdout = (await stack.server.get(`/api/v1/job/${id}/stdout`)).text;
    assert.match(stdout, /^=== ecs\/main\/\w+ ===\n\n\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] line 1 of /);
  });

  it("a follower that reconnects from a cursor gets the rest, no duplicates, nothing missed; a finished job reads whole", async () => {
    const id = await submit();
    const first = await readNdjson(
      logsUrl(id, "?follow=true"),
      (item) => typeof item.message === "string" && item.message.startsWith("line 2 "),
    );
    const got = linesOf(first.items);
    assert.ok(got.length >= 1 && got.length < 3 * LINES, `stopped early with ${got.length} lines`);
    const cursor = got.at(-1)!.cursor as string;
    const rest = await readNdjson(logsUrl(id, `?follow=true&cursor=${encodeURIComponent(cursor)}`));
    assert.deepEqual(rest.items.at(-1), { end: true, status: "SUCCEEDED" });
    const joined = [...got, ...linesOf(rest.items)].map(lineKey);
    const whole = await readNdjson(logsUrl(id));
    assert.deepEqual(whole.items.at(-1), { end: true, status: "SUCCEEDED" });
    const all = linesOf(whole.items).map(lineKey);
    assert.equal(all.length, 3 * LINES);
    assert.equal(new Set(joined).size, joined.length, "no duplicates");
    assert.deepEqual([...joined].sort(), [...all].sort(), "nothing missed");
    // Resuming a finished job from the middle without follow: exactly the remainder.
    const mid = linesOf(whole.items)[7]!;
    const tail = await readNdjson(logsUrl(id, `?cursor=${mid.cursor}`));
    assert.deepEqual(linesOf(tail.items).map(lineKey), all.slice(8));
    // One slot only.
    const one = await readNdjson(logsUrl(id, "?slot=1"));
    assert.deepEqual(
      linesOf(one.items).map(lineKey),
      all.filter((k) => k.startsWith("1.")),
    );
  });

  it("without follow while running: what exists now, then end:false with the status and a cursor to continue", async () => {
    const id = await submit();
    await stack.server.waitFor(id, (j) => j.status === "RUNNING");
    // Wait until some lines exist.
    let now: Item[] = [];
    for (let i = 0; i < 100 && linesOf(now).length === 0; i++) {
      now = (await readNdjson(logsUrl(id, "?follow=false"))).items;
    }
    const end = now.at(-1)!;
    assert.equal(end.end, false);
    assert.equal(end.status, "RUNNING");
    assert.equal(typeof end.cursor, "string");
    const rest = await readNdjson(logsUrl(id, `?follow=true&cursor=${end.cursor}`));
    const keys = [...linesOf(now), ...linesOf(rest.items)].map(lineKey);
    assert.equal(keys.length, 3 * LINES);
    assert.equal(new Set(keys).size, keys.length);
  });

  it("20 concurrent followers cause about the GetLogEvents calls of one", async (t) => {
    const one = async (followers: number) => {
      const before = getLogEvents();
      const id = await submit();
      const results = await Promise.all(Array.from({ length: followers }, () => readNdjson(logsUrl(id, "?follow=true"))));
      await stack.server.waitFinal(id);
      for (const r of results) {
        assert.deepEqual(r.items.at(-1), { end: true, status: "SUCCEEDED" });
        assert.equal(linesOf(r.items).length, 3 * LINES);
      }
      return getLogEvents() - before;
    };
    const single = await one(1);
    const twenty = await one(20);
    t.diagnostic(`GetLogEvents calls at the local ECS: 1 follower ${single}, 20 followers ${twenty}`);
    // Each run: the shared reader's rounds over 3 streams for ~6 s, plus the final copy of one task's logs.
    assert.ok(single >= 6, `one follower: ${single} calls`);
    assert.ok(twenty <= single * 1.5 + 6, `20 followers: ${twenty} GetLogEvents calls, 1 follower: ${single}`);
  });

  it("answers 400 for a bad cursor, follow or slot, and 404 for an unknown job", async () => {
    const id = await submit();
    for (const [q, field] of [
      ["?cursor=zz!", "cursor"],
      ["?cursor=Ag", "cursor"],
      ["?follow=yes", "follow"],
      ["?slot=-1", "slot"],
    ] as const) {
      const r = await stack.server.get(`/api/v1/job/${id}/logs${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.json().error, new RegExp(`^${field}: `), q);
    }
    const r = await stack.server.get(`/api/v1/job/no-such-job/logs`);
    assert.equal(r.status, 404);
    await stack.server.waitFinal(id);
  });
});
