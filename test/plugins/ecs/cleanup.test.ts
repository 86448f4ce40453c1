// cleanup(jobId, cluster): with nothing stored it finds the job's tasks by startedBy (slots 0..max_task_count-1)
// and stops them; it is idempotent and tolerates an undefined cluster. Real SQLite store, real local ECS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import type { Cluster } from "../../../src/core/index.ts";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { ecsPlugin } from "../../../src/plugins/ecs/index.ts";
import type { Handler } from "../../../src/plugins/contract.ts";
import { openStore } from "../../../src/store/index.ts";
import type { Store } from "../../../src/store/index.ts";
import { ECS_CLUSTER, cleanupDir, clusterContext, startEcs, tempDir, templateDoc } from "./harness.ts";

describe("ecs plugin: cleanup by job id", () => {
  let ecs: LocalEcs;
  let dir: string;
  let store: Store;
  let handler: Handler;
  let client: ECSClient;
  let cluster: Cluster;
  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
    client = new ECSClient({ endpoint: ecs.url, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
    dir = tempDir();
    store = await openStore({ connectionString: `sqlite:${join(dir, "h.db")}` });
    const tpl = join(dir, "td.json");
    writeFileSync(tpl, JSON.stringify(templateDoc(["sleep", "30"])));
    const log = pino({ level: "silent" });
    handler = await ecsPlugin.create({ task_definition_template: tpl }, {} as never, {
      state: { put: (j, k, v) => store.putPluginState(j, k, v), list: (j, p) => store.listPluginState(j, p) },
      log,
      version: "test",
    });
    cluster = { id: "c", name: "c", context: clusterContext(ecs, { max_task_count: 4 }) } as unknown as Cluster;
  });
  after(async () => {
    client?.destroy();
    await store?.close();
    await ecs?.close();
    cleanupDir(dir);
  });

  it("stops tasks found by startedBy when no state was stored", async () => {
    const td = await client.send(new RegisterTaskDefinitionCommand(templateDoc(["sleep", "30"]) as never));
    const run = async (startedBy: string) =>
      (
        await client.send(
          new RunTaskCommand({
            cluster: ECS_CLUSTER,
            taskDefinition: td.taskDefinition!.taskDefinitionArn!,
            startedBy,
            launchType: "FARGATE",
            networkConfiguration: { awsvpcConfiguration: { subnets: ["s"] } },
          }),
        )
      ).tasks![0]!.taskArn!;
    const mine = [await run("heimdall-job-lost-0"), await run("heimdall-job-lost-3")];
    const other = await run("heimdall-job-other-0");
    await handler.cleanup("lost", cluster, AbortSignal.timeout(20_000));
    await handler.cleanup("lost", cluster, AbortSignal.timeout(20_000)); // idempotent
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: [...mine, other] }));
    assert.deepEqual(d.tasks?.map((t) => t.desiredStatus), ["STOPPED", "STOPPED", "RUNNING"]);
    assert.match(d.tasks![0]!.stoppedReason!, /heimdall: job lost cleanup/);
  });

  it("is a no-op for an unknown job without a cluster", async () => {
    await handler.cleanup("never-ran", undefined, AbortSignal.timeout(5_000));
  });

  it("health check reports a missing ECS cluster", async () => {
    await handler.healthCheck!(cluster, AbortSignal.timeout(5_000));
    const missing = { ...cluster, context: { ...cluster.context, cluster_name: "nope" } } as Cluster;
    await assert.rejects(handler.healthCheck!(missing, AbortSignal.timeout(5_000)), /ECS cluster nope not found \(MISSING\)/);
  });
});
