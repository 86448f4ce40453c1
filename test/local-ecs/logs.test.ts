// CloudWatch Logs through @aws-sdk/client-cloudwatch-logs: groups, streams, PutLogEvents, GetLogEvents paging,
// FilterLogEvents, and awslogs streams of tasks.
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  type OutputLogEvent,
  PutLogEventsCommand,
  paginateGetLogEvents,
} from "@aws-sdk/client-cloudwatch-logs";
import { type Env, fargateDef, register, rejects, run, setup, stopped, waitTask } from "./helpers.ts";

let env: Env;
before(async () => {
  env = await setup();
});
after(() => env.close());

async function put(group: string, stream: string, messages: string[], t0: number, step = 1): Promise<void> {
  for (let i = 0; i < messages.length; i += 10_000) {
    const chunk = messages.slice(i, i + 10_000).map((message, k) => ({ message, timestamp: t0 + (i + k) * step }));
    await env.logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: chunk }));
  }
}

test("log groups and streams: create, duplicates, missing, describe with prefixes and paging", async () => {
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/app/one" }));
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/app/two", tags: { team: "x" } }));
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/other" }));
  await rejects(env.logs.send(new CreateLogGroupCommand({ logGroupName: "/app/one" })), "ResourceAlreadyExistsException");
  await rejects(env.logs.send(new CreateLogGroupCommand({ logGroupName: "bad name!" })), "InvalidParameterException");
  const g = await env.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/app/", limit: 1 }));
  assert.deepEqual(
    g.logGroups?.map((x) => x.logGroupName),
    ["/app/one"],
  );
  assert.equal(g.logGroups?.[0]?.arn, "arn:aws:logs:us-east-1:000000000000:log-group:/app/one:*");
  const g2 = await env.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/app/", limit: 1, nextToken: g.nextToken }));
  assert.deepEqual(
    g2.logGroups?.map((x) => x.logGroupName),
    ["/app/two"],
  );
  assert.equal(g2.nextToken, undefined);

  await rejects(
    env.logs.send(new CreateLogStreamCommand({ logGroupName: "/nope", logStreamName: "s" })),
    "ResourceNotFoundException",
    /log group does not exist/,
  );
  await rejects(env.logs.send(new CreateLogStreamCommand({ logGroupName: "/app/one", logStreamName: "a:b" })), "InvalidParameterException");
  for (const s of ["b-stream", "a-stream", "c-other"])
    await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/app/one", logStreamName: s }));
  await rejects(
    env.logs.send(new CreateLogStreamCommand({ logGroupName: "/app/one", logStreamName: "a-stream" })),
    "ResourceAlreadyExistsException",
  );
  await put("/app/one", "c-other", ["x"], Date.now() - 1000);
  await put("/app/one", "a-stream", ["y"], Date.now());
  const byName = await env.logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/one", logStreamNamePrefix: "" }));
  assert.deepEqual(
    byName.logStreams?.map((s) => s.logStreamName),
    ["a-stream", "b-stream", "c-other"],
  );
  const prefixed = await env.logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/one", logStreamNamePrefix: "a", limit: 1 }));
  assert.deepEqual(
    prefixed.logStreams?.map((s) => s.logStreamName),
    ["a-stream"],
  );
  assert.equal(typeof prefixed.logStreams?.[0]?.lastEventTimestamp, "number");
  const byTime = await env.logs.send(
    new DescribeLogStreamsCommand({ logGroupName: "/app/one", orderBy: "LastEventTime", descending: true }),
  );
  assert.equal(byTime.logStreams?.[0]?.logStreamName, "a-stream");
  const paged = await env.logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/one", limit: 2 }));
  assert.equal(paged.logStreams?.length, 2);
  const rest = await env.logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/one", limit: 2, nextToken: paged.nextToken }));
  assert.deepEqual(
    rest.logStreams?.map((s) => s.logStreamName),
    ["c-other"],
  );
  await rejects(
    env.logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/one", logStreamNamePrefix: "a", orderBy: "LastEventTime" })),
    "InvalidParameterException",
  );
  await rejects(env.logs.send(new DescribeLogStreamsCommand({ logGroupName: "/nope" })), "ResourceNotFoundException");
  const viaArn = await env.logs.send(
    new DescribeLogStreamsCommand({ logGroupIdentifier: "arn:aws:logs:us-east-1:000000000000:log-group:/app/one" }),
  );
  assert.equal(viaArn.logStreams?.length, 3);

  await env.logs.send(new DeleteLogStreamCommand({ logGroupName: "/app/one", logStreamName: "c-other" }));
  await rejects(
    env.logs.send(new GetLogEventsCommand({ logGroupName: "/app/one", logStreamName: "c-other" })),
    "ResourceNotFoundException",
  );
  await env.logs.send(new DeleteLogGroupCommand({ logGroupName: "/other" }));
  await rejects(env.logs.send(new DeleteLogGroupCommand({ logGroupName: "/other" })), "ResourceNotFoundException");
  const left = await env.logs.send(new DescribeLogGroupsCommand({}));
  assert.ok(!left.logGroups?.some((x) => x.logGroupName === "/other"));
});

test("PutLogEvents validation and rejected events", async () => {
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/put" }));
  await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/put", logStreamName: "s" }));
  await rejects(
    env.logs.send(
      new PutLogEventsCommand({ logGroupName: "/put", logStreamName: "missing", logEvents: [{ message: "m", timestamp: Date.now() }] }),
    ),
    "ResourceNotFoundException",
    /log stream does not exist/,
  );
  await rejects(
    env.logs.send(new PutLogEventsCommand({ logGroupName: "/put", logStreamName: "s", logEvents: [] })),
    "InvalidParameterException",
  );
  const now = Date.now();
  await rejects(
    env.logs.send(
      new PutLogEventsCommand({
        logGroupName: "/put",
        logStreamName: "s",
        logEvents: [
          { message: "b", timestamp: now },
          { message: "a", timestamp: now - 5 },
        ],
      }),
    ),
    "InvalidParameterException",
    /chronological/,
  );
  await rejects(
    env.logs.send(
      new PutLogEventsCommand({
        logGroupName: "/put",
        logStreamName: "s",
        logEvents: [
          { message: "a", timestamp: now - 2 * 86_400_000 },
          { message: "b", timestamp: now },
        ],
      }),
    ),
    "InvalidParameterException",
    /span more than 24 hours/,
  );
  const r1 = await env.logs.send(
    new PutLogEventsCommand({
      logGroupName: "/put",
      logStreamName: "s",
      logEvents: [
        { message: "old", timestamp: now - 20 * 86_400_000 },
        { message: "old2", timestamp: now - 20 * 86_400_000 + 5 },
      ],
    }),
  );
  assert.deepEqual(r1.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 1 });
  const r2 = await env.logs.send(
    new PutLogEventsCommand({
      logGroupName: "/put",
      logStreamName: "s",
      logEvents: [
        { message: "ok", timestamp: now },
        { message: "future", timestamp: now + 3 * 3_600_000 },
      ],
    }),
  );
  assert.deepEqual(r2.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
  const got = await env.logs.send(new GetLogEventsCommand({ logGroupName: "/put", logStreamName: "s", startFromHead: true }));
  assert.deepEqual(
    got.events?.map((e) => e.message),
    ["ok"],
  );
  assert.ok((got.events?.[0]?.ingestionTime ?? 0) >= now);
});

test("GetLogEvents pages forward to the end and then repeats nextForwardToken", async () => {
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/big" }));
  await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/big", logStreamName: "s" }));
  const n = 25_000;
  const msgs = Array.from({ length: n }, (_, i) => `line ${i}`);
  const t0 = Date.now() - 60_000;
  await put("/big", "s", msgs, t0);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  for (;;) {
    const r = await env.logs.send(
      new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "s", startFromHead: true, nextToken: token }),
    );
    assert.ok(r.nextForwardToken && r.nextBackwardToken, "tokens are never null");
    seen.push(...(r.events ?? []).map((e) => e.message!));
    if (r.nextForwardToken === token) {
      assert.equal(r.events?.length, 0);
      break;
    }
    token = r.nextForwardToken;
    pages++;
    assert.ok(pages < 10);
  }
  assert.equal(pages, 3, "10k + 10k + 5k");
  assert.deepEqual(seen, msgs);

  const viaPaginator: OutputLogEvent[] = [];
  for await (const p of paginateGetLogEvents(
    { client: env.logs, stopOnSameToken: true },
    { logGroupName: "/big", logStreamName: "s", startFromHead: true, limit: 7000 },
  ))
    viaPaginator.push(...(p.events ?? []));
  assert.equal(viaPaginator.length, n);

  // Default (startFromHead false) = the tail; then walk backwards to the start.
  const tail = await env.logs.send(new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "s", limit: 3 }));
  assert.deepEqual(
    tail.events?.map((e) => e.message),
    ["line 24997", "line 24998", "line 24999"],
  );
  const back = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "s", limit: 2, nextToken: tail.nextBackwardToken }),
  );
  assert.deepEqual(
    back.events?.map((e) => e.message),
    ["line 24995", "line 24996"],
  );
  const fwdAtEnd = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "s", startFromHead: true, nextToken: tail.nextForwardToken }),
  );
  assert.deepEqual(fwdAtEnd.events, []);
  assert.equal(fwdAtEnd.nextForwardToken, tail.nextForwardToken);

  // startTime inclusive, endTime exclusive.
  const win = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "s", startFromHead: true, startTime: t0 + 100, endTime: t0 + 105 }),
  );
  assert.deepEqual(
    win.events?.map((e) => e.message),
    ["line 100", "line 101", "line 102", "line 103", "line 104"],
  );

  await rejects(
    env.logs.send(new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "s", limit: 10_001 })),
    "InvalidParameterException",
  );
  await rejects(
    env.logs.send(new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "s", nextToken: "garbage" })),
    "InvalidParameterException",
    /nextToken is invalid/,
  );
  await rejects(
    env.logs.send(new GetLogEventsCommand({ logGroupName: "/big", logStreamName: "nope" })),
    "ResourceNotFoundException",
    /log stream does not exist/,
  );
  await rejects(
    env.logs.send(new GetLogEventsCommand({ logGroupName: "/nope", logStreamName: "s" })),
    "ResourceNotFoundException",
    /log group does not exist/,
  );
});

test("GetLogEvents pages are capped at 1 MB and the stream lives on disk", async () => {
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/wide" }));
  await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/wide", logStreamName: "s" }));
  const big = "x".repeat(100_000);
  const msgs = Array.from({ length: 40 }, (_, i) => `${i}:${big}`);
  for (let i = 0; i < msgs.length; i += 8) await put("/wide", "s", msgs.slice(i, i + 8), Date.now() - 1000 + i);
  const first = await env.logs.send(new GetLogEventsCommand({ logGroupName: "/wide", logStreamName: "s", startFromHead: true }));
  const bytes = (first.events ?? []).reduce((n, e) => n + Buffer.byteLength(e.message!) + 26, 0);
  assert.ok(bytes <= 1_048_576, `page is ${bytes} bytes`);
  assert.equal(first.events?.length, 10);
  const files = readdirSync(join(env.le.dataDir, "logs"));
  const total = files.reduce((n, f) => n + statSync(join(env.le.dataDir, "logs", f)).size, 0);
  assert.ok(total >= 4_000_000, `log bytes are on disk (${total})`);
});

test("GetLogEvents sees events appended after a read (live tail)", async () => {
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/live" }));
  await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/live", logStreamName: "s" }));
  const t0 = Date.now() - 5000;
  await put("/live", "s", ["a", "b"], t0);
  const first = await env.logs.send(new GetLogEventsCommand({ logGroupName: "/live", logStreamName: "s", startFromHead: true }));
  assert.deepEqual(
    first.events?.map((e) => e.message),
    ["a", "b"],
  );
  await put("/live", "s", ["c"], t0 + 10);
  const again = await env.logs.send(new GetLogEventsCommand({ logGroupName: "/live", logStreamName: "s", startFromHead: true }));
  assert.deepEqual(
    again.events?.map((e) => e.message),
    ["a", "b", "c"],
  );
  const next = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: "/live", logStreamName: "s", startFromHead: true, nextToken: first.nextForwardToken }),
  );
  assert.deepEqual(
    next.events?.map((e) => e.message),
    ["c"],
  );
  await put(
    "/live",
    "s",
    Array.from({ length: 300 }, (_, i) => `n${i}`),
    t0 + 20,
  );
  const rest = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: "/live", logStreamName: "s", startFromHead: true, nextToken: next.nextForwardToken }),
  );
  assert.equal(rest.events?.length, 300);
  assert.equal(rest.events?.[299]?.message, "n299");
});

test("many streams stay readable (open files are pooled)", async () => {
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/many" }));
  const n = 300;
  for (let i = 0; i < n; i++) {
    await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/many", logStreamName: `s${i}` }));
    await put("/many", `s${i}`, [`first ${i}`], Date.now() - 1000);
  }
  for (let i = 0; i < n; i++) await put("/many", `s${i}`, [`second ${i}`], Date.now() - 500);
  for (const i of [0, 1, 150, 299]) {
    const r = await env.logs.send(new GetLogEventsCommand({ logGroupName: "/many", logStreamName: `s${i}`, startFromHead: true }));
    assert.deepEqual(
      r.events?.map((e) => e.message),
      [`first ${i}`, `second ${i}`],
    );
  }
  const fds = readdirSync("/proc/self/fd").length;
  assert.ok(fds < 400, `open fds ${fds}`);
});

test("FilterLogEvents interleaves streams by time, filters, and pages until nextToken is absent", async () => {
  await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/filter" }));
  for (const s of ["ecs/a/1", "ecs/b/1", "other"])
    await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/filter", logStreamName: s }));
  const t0 = Date.now() - 10_000;
  await put("/filter", "ecs/a/1", ["a0 ERROR disk", "a1 ok", "a2 ERROR net"], t0, 2);
  await put("/filter", "ecs/b/1", ["b0 ok", "b1 ERROR cpu", "b2 ok"], t0 + 1, 2);
  await put("/filter", "other", ["o0 ERROR"], t0);
  const all = await env.logs.send(new FilterLogEventsCommand({ logGroupName: "/filter", logStreamNamePrefix: "ecs/" }));
  assert.deepEqual(
    all.events?.map((e) => e.message),
    ["a0 ERROR disk", "b0 ok", "a1 ok", "b1 ERROR cpu", "a2 ERROR net", "b2 ok"],
  );
  assert.equal(all.events?.[1]?.logStreamName, "ecs/b/1");
  assert.ok(all.events?.every((e) => typeof e.eventId === "string"));
  assert.equal(all.nextToken, undefined);
  const errs = await env.logs.send(new FilterLogEventsCommand({ logGroupName: "/filter", filterPattern: "ERROR -net" }));
  assert.deepEqual(
    errs.events?.map((e) => e.message),
    ["a0 ERROR disk", "o0 ERROR", "b1 ERROR cpu"],
  );
  const named = await env.logs.send(
    new FilterLogEventsCommand({ logGroupName: "/filter", logStreamNames: ["ecs/b/1"], startTime: t0 + 3, endTime: t0 + 5 }),
  );
  assert.deepEqual(
    named.events?.map((e) => e.message),
    ["b1 ERROR cpu", "b2 ok"],
  );
  const pagedMsgs: string[] = [];
  let token: string | undefined;
  let calls = 0;
  do {
    const r = await env.logs.send(new FilterLogEventsCommand({ logGroupName: "/filter", limit: 2, nextToken: token }));
    pagedMsgs.push(...(r.events ?? []).map((e) => e.message!));
    token = r.nextToken;
    calls++;
  } while (token && calls < 20);
  assert.equal(pagedMsgs.length, 7);
  assert.equal(new Set(pagedMsgs).size, 7);
  await rejects(
    env.logs.send(new FilterLogEventsCommand({ logGroupName: "/filter", logStreamNames: ["x"], logStreamNamePrefix: "y" })),
    "InvalidParameterException",
  );
});

test("awslogs: the stream appears when the container starts; one event per line; missing group fails the task", async () => {
  const e = await setup({ pacing: { provisioning: 600 }, logs: { autoCreateGroups: false } });
  try {
    await e.logs.send(new CreateLogGroupCommand({ logGroupName: "/test/aw" }));
    await register(e, fargateDef("aw", ["sh", "-c", "printf 'one\\ntwo\\n\\nthree'; echo err >&2"]));
    const t = await run(e, { taskDefinition: "aw" });
    const stream = `ecs/main/${t.taskArn!.split("/").pop()}`;
    await rejects(
      e.logs.send(new GetLogEventsCommand({ logGroupName: "/test/aw", logStreamName: stream })),
      "ResourceNotFoundException",
      /log stream does not exist/,
    );
    await waitTask(e, t.taskArn!, stopped);
    const got = await e.logs.send(new GetLogEventsCommand({ logGroupName: "/test/aw", logStreamName: stream, startFromHead: true }));
    assert.deepEqual(got.events?.map((x) => x.message).sort(), ["err", "one", "three", "two"]);
    assert.ok(got.events?.every((x) => typeof x.timestamp === "number" && x.timestamp > 1e12));

    await register(e, fargateDef("nogroup", ["true"]));
    const f = await waitTask(e, (await run(e, { taskDefinition: "nogroup" })).taskArn!, stopped);
    assert.equal(f.stopCode, "TaskFailedToStart");
    assert.match(f.stoppedReason!, /^ResourceInitializationError: .*The specified log group does not exist/);

    const def = fargateDef("creategroup", ["echo", "hi"]);
    def.containerDefinitions![0]!.logConfiguration!.options!["awslogs-create-group"] = "true";
    await register(e, def);
    const c = await waitTask(e, (await run(e, { taskDefinition: "creategroup" })).taskArn!, stopped);
    assert.equal(c.stopCode, "EssentialContainerExited");
    const ok = await e.logs.send(
      new GetLogEventsCommand({
        logGroupName: "/test/creategroup",
        logStreamName: `ecs/main/${c.taskArn!.split("/").pop()}`,
        startFromHead: true,
      }),
    );
    assert.deepEqual(
      ok.events?.map((x) => x.message),
      ["hi"],
    );
  } finally {
    await e.close();
  }
});
