// cleanup(jobId, cluster): with nothing stored it finds the job's tasks by startedBy (slots 0..max_task_count-1)
// and stops them; with state it stops the stored ACTIVE attempts and lists only the slots without an ARN; it is
// idempotent and tolerates an undefined cluster. Real SQLite store, real local ECS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Writable } from "node:stream";
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import type { Cluster, Job } from "../../../src/core/index.ts";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { ecsPlugin } from "../../../src/plugins/ecs/index.ts";
import type { Handler, Runtime } from "../../../src/plugins/contract.ts";
import { JobState, newAttempt } from "../../../src/plugins/ecs/state.ts";
import type { AttemptRecord } from "../../../src/plugins/ecs/state.ts";
import { openStore } from "../../../src/store/index.ts";
import { newJob } from "../../store/fixtures.ts";
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

  /** Starts a `sleep 30` task directly at ECS (as a job's slot would be); returns its ARN. */
  const run = async (startedBy: string) => {
    const td = await client.send(new RegisterTaskDefinitionCommand(templateDoc(["sleep", "30"]) as never));
    const r = await client.send(
      new RunTaskCommand({
        cluster: ECS_CLUSTER,
        taskDefinition: td.taskDefinition!.taskDefinitionArn!,
        startedBy,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["s"] } },
      }),
    );
    return r.tasks![0]!.taskArn!;
  };

  it("stops tasks found by startedBy when no state was stored", async () => {
    const mine = [await run("heimdall-job-lost-0"), await run("heimdall-job-lost-3")];
    const other = await run("heimdall-job-other-0");
    await handler.cleanup("lost", cluster, AbortSignal.timeout(20_000));
    await handler.cleanup("lost", cluster, AbortSignal.timeout(20_000)); // idempotent
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: [...mine, other] }));
    assert.deepEqual(
      d.tasks?.map((t) => t.desiredStatus),
      ["STOPPED", "STOPPED", "RUNNING"],
    );
    assert.match(d.tasks![0]!.stoppedReason!, /heimdall: job lost cleanup/);
  });

  it("stops stored ACTIVE attempts and finds a launching slot's task by startedBy, without a cluster", async () => {
    await store.insertJob(newJob({ id: "stored" }));
    const state = new JobState({ put: (j, k, v) => store.putPluginState(j, k, v), list: (j, p) => store.listPluginState(j, p) }, "stored");
    const active = await run("heimdall-job-stored-0");
    const launched = await run("heimdall-job-stored-1"); // RunTask answered, ARN never stored (crash)
    const finished = await run("heimdall-job-stored-2"); // a slot already final: left alone
    const attempt = (slot: number, status: AttemptRecord["status"], arn: string | null): AttemptRecord => ({
      ...newAttempt(`heimdall-job-stored-${slot}`, slot, 1),
      client_token: `stored-${slot}-1-0`,
      task_arn: arn,
      status,
    });
    await state.putMeta({
      job_id: "stored",
      cluster_name: ECS_CLUSTER,
      endpoint: ecs.url,
      region: "us-east-1",
      rate_limit_scale: 0,
      task_count: 3,
      max_fail_count: 0,
      max_task_count: 4,
      task_definition_arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/batch-job-template:1",
      containers: [{ name: "main", essential: true, log: undefined }],
      polling_ms: 100,
      timeout_ms: 60_000,
      first_launch_at: Date.now(),
      outcome: null,
      representative: null,
    });
    for (const a of [attempt(0, "ACTIVE", active), attempt(1, "LAUNCHING", null), attempt(2, "SUCCEEDED", null)]) await state.putAttempt(a);
    await handler.cleanup("stored", undefined, AbortSignal.timeout(20_000));
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: [active, launched, finished] }));
    assert.deepEqual(
      d.tasks?.map((t) => t.desiredStatus),
      ["STOPPED", "STOPPED", "RUNNING"],
    );
    const stored = (await state.load()).attempts.find((a) => a.slot === 0)!;
    assert.equal(stored.status, "STOPPED");
    assert.equal(stored.stop_code, "UserInitiated");
    // Its final state was recorded after StopTask (issue 8 item 7): `sleep` ended by SIGTERM.
    assert.equal(stored.last_status, "STOPPED");
    assert.equal(stored.exit_code, 143);
    await client.send(new StopTaskCommand({ cluster: ECS_CLUSTER, task: finished }));
  });

  it("a slot whose attempt cannot be stored fails the job, and the tasks other slots launched meanwhile are stopped", async () => {
    const tpl = join(dir, "td-fail.json");
    writeFileSync(tpl, JSON.stringify(templateDoc(["sleep", "30"])));
    // The database refuses slot 1's first attempt (as a lost connection would), slot 0's RunTask is in flight.
    const failing = await ecsPlugin.create({ task_definition_template: tpl, task_count: 2, polling_interval: "100ms" }, {} as never, {
      state: {
        put: (j, k, v) => (k === "attempt/00001/0001" ? Promise.reject(new Error("database went away")) : store.putPluginState(j, k, v)),
        list: (j, p) => store.listPluginState(j, p),
      },
      log: pino({ level: "silent" }),
      version: "test",
    });
    const job: Job = await store.insertJob(newJob());
    const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
    const rt: Runtime = {
      workingDirectory: dir,
      version: "test",
      userAgent: "heimdall/test",
      resumed: false,
      stdout: sink(),
      stderr: sink(),
      setResult() {},
      setOutput() {},
    };
    await assert.rejects(failing.execute(AbortSignal.timeout(30_000), rt, job, cluster), /database went away/);
    const listed = await client.send(
      new ListTasksCommand({ cluster: ECS_CLUSTER, startedBy: `heimdall-job-${job.id}-0`, desiredStatus: "STOPPED" }),
    );
    const running = await client.send(new ListTasksCommand({ cluster: ECS_CLUSTER, startedBy: `heimdall-job-${job.id}-0` }));
    assert.equal(listed.taskArns?.length, 1, "slot 0's task was stopped");
    assert.equal(running.taskArns?.length ?? 0, 0, "nothing of slot 0 left running");
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
