// The shared poller: all jobs polling one cluster at the same interval share a tick, and each tick sends
// ceil(unique ARNs / 100) DescribeTasks calls; unknown ARNs come back MISSING; the first look at just-launched
// tasks is one interval after the launch (fine grid), later looks on the interval grid. Real SDK against local ECS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { endpointFor } from "../../../src/plugins/ecs/aws.ts";
import { TaskPoller, dueAt, fineStep } from "../../../src/plugins/ecs/poller.ts";
import { ECS_CLUSTER, startEcs, templateDoc } from "./harness.ts";

describe("ecs plugin: shared poller", () => {
  let ecs: LocalEcs;
  let client: ECSClient;
  const arns: string[] = [];
  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
    client = new ECSClient({ endpoint: ecs.url, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
    const td = await client.send(
      new RegisterTaskDefinitionCommand({ ...(templateDoc(["sleep", "30"]) as object), family: "poller" } as never),
    );
    for (let i = 0; i < 25; i++) {
      const r = await client.send(
        new RunTaskCommand({
          cluster: ECS_CLUSTER,
          taskDefinition: td.taskDefinition!.taskDefinitionArn!,
          count: 10,
          launchType: "FARGATE",
          networkConfiguration: { awsvpcConfiguration: { subnets: ["s"] } },
        }),
      );
      arns.push(...r.tasks!.map((t) => t.taskArn!));
    }
  });
  after(async () => {
    client?.destroy();
    await ecs?.close();
  });

  it("three jobs with 250 tasks in one tick: 3 DescribeTasks calls", async () => {
    const ep = endpointFor({ endpoint: ecs.url, region: "us-east-1", rateLimitScale: 0 });
    const poller = new TaskPoller(ep, ECS_CLUSTER);
    const before = ecs.stats().calls.DescribeTasks ?? 0;
    const signal = new AbortController().signal;
    const [a, b, c] = await Promise.all([
      poller.poll(arns.slice(0, 100), 200, signal),
      poller.poll(arns.slice(100, 200), 200, signal),
      poller.poll(arns.slice(200, 250), 200, signal),
    ]);
    assert.equal((ecs.stats().calls.DescribeTasks ?? 0) - before, 3);
    assert.equal(poller.stats.ticks, 1);
    assert.equal(a!.size + b!.size + c!.size, 250);
    for (const m of [a!, b!, c!]) for (const o of m.values()) assert.equal(o.kind, "task");
  });

  it("overlapping requests are described once; unknown ARNs are MISSING; an aborted request leaves the tick", async () => {
    const ep = endpointFor({ endpoint: ecs.url, region: "us-east-1", rateLimitScale: 0 });
    const poller = new TaskPoller(ep, ECS_CLUSTER);
    const before = ecs.stats().calls.DescribeTasks ?? 0;
    const ghost = arns[0]!.replace(/[0-9a-f]{32}$/, "0".repeat(32));
    const gone = new AbortController();
    const aborted = poller.poll(arns.slice(0, 150), 300, gone.signal);
    gone.abort();
    await assert.rejects(aborted);
    const [x, y] = await Promise.all([
      poller.poll([...arns.slice(0, 60), ghost], 300, new AbortController().signal),
      poller.poll(arns.slice(30, 90), 300, new AbortController().signal),
    ]);
    assert.equal((ecs.stats().calls.DescribeTasks ?? 0) - before, 1, "91 unique ARNs: one call");
    assert.equal(x!.get(ghost)?.kind, "missing");
    assert.equal(y!.get(arns[45]!)?.kind, "task");
  });

  it("due times: later looks on the interval grid, first looks one interval after the launch on a fine grid", () => {
    // Interval grid: the first multiple of the interval at least half an interval away.
    assert.equal(dueAt(10_000, 500), 10_500);
    assert.equal(dueAt(10_249, 500), 10_500);
    assert.equal(dueAt(10_251, 500), 11_000);
    assert.equal(dueAt(10_001, 30_000), 30_000);
    // Fine steps: 1/20 of the interval, at most 250 ms.
    assert.equal(fineStep(500), 25);
    assert.equal(fineStep(2_000), 100);
    assert.equal(fineStep(30_000), 250);
    // First look: launch + interval, rounded up to the fine grid; never in the past.
    assert.equal(dueAt(10_300, 500, 10_251), 10_775);
    assert.equal(dueAt(10_300, 500, 10_275), 10_775);
    assert.equal(dueAt(10_300, 30_000, 10_251), 40_500);
    assert.equal(dueAt(50_000, 500, 10_251), 50_000);
  });

  it("first looks of launches a few ms apart share one call, not before launch + interval", async () => {
    const ep = endpointFor({ endpoint: ecs.url, region: "us-east-1", rateLimitScale: 0 });
    const poller = new TaskPoller(ep, ECS_CLUSTER);
    const before = ecs.stats().calls.DescribeTasks ?? 0;
    const iv = 400;
    const g = fineStep(iv);
    const l0 = Math.floor(Date.now() / g) * g + 1;
    const signal = new AbortController().signal;
    const [a, b] = await Promise.all([poller.poll(arns.slice(0, 10), iv, signal, l0), poller.poll(arns.slice(10, 20), iv, signal, l0 + 5)]);
    assert.ok(Date.now() >= l0 + 5 + iv, "described one interval after the later launch at the earliest");
    assert.equal((ecs.stats().calls.DescribeTasks ?? 0) - before, 1);
    assert.equal(poller.stats.ticks, 1);
    assert.equal(a!.size + b!.size, 20);
  });
});
