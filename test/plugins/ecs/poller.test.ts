// The shared poller: all jobs polling one cluster at the same interval share a tick, and each tick sends
// ceil(unique ARNs / 100) DescribeTasks calls; unknown ARNs come back MISSING. Real SDK against local ECS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { endpointFor } from "../../../src/plugins/ecs/aws.ts";
import { TaskPoller } from "../../../src/plugins/ecs/poller.ts";
import { ECS_CLUSTER, startEcs, templateDoc } from "./harness.ts";

describe("ecs plugin: shared poller", () => {
  let ecs: LocalEcs;
  let client: ECSClient;
  const arns: string[] = [];
  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
    client = new ECSClient({ endpoint: ecs.url, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
    const td = await client.send(new RegisterTaskDefinitionCommand({ ...(templateDoc(["sleep", "30"]) as object), family: "poller" } as never));
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
});
