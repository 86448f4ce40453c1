// RunTask validation and idempotency, DescribeTasks, ListTasks, StopTask.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CreateClusterCommand, DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { type Env, FARGATE_NET, describe, fargateDef, register, rejects, run, setup, stopped, waitTask } from "./helpers.ts";

let env: Env;
before(async () => {
  env = await setup();
  await register(env, fargateDef("rt", ["sleep", "30"]));
  await register(env, fargateDef("quick", ["true"]));
  await register(
    env,
    fargateDef("two", ["sleep", "30"], {
      containerDefinitions: [
        { name: "main", image: "x", command: ["sleep", "30"] },
        { name: "side", image: "x", command: ["sleep", "30"], essential: false },
      ],
    }),
  );
});
after(() => env.close());

const base = { taskDefinition: "rt", launchType: "FARGATE" as const, networkConfiguration: FARGATE_NET };

test("RunTask returns a PROVISIONING task shaped like ECS", async () => {
  const r = await env.ecs.send(new RunTaskCommand({ ...base, startedBy: "heimdall/job-1", count: 2 }));
  assert.equal(r.tasks?.length, 2);
  assert.deepEqual(r.failures, []);
  const t = r.tasks![0]!;
  assert.match(t.taskArn!, /^arn:aws:ecs:us-east-1:000000000000:task\/default\/[0-9a-f]{32}$/);
  assert.equal(t.lastStatus, "PROVISIONING");
  assert.equal(t.desiredStatus, "RUNNING");
  assert.equal(t.clusterArn, "arn:aws:ecs:us-east-1:000000000000:cluster/default");
  assert.equal(t.taskDefinitionArn, "arn:aws:ecs:us-east-1:000000000000:task-definition/rt:1");
  assert.equal(t.startedBy, "heimdall/job-1");
  assert.equal(t.group, "family:rt");
  assert.equal(t.launchType, "FARGATE");
  assert.equal(t.platformVersion, "1.4.0");
  assert.equal(t.cpu, "256");
  assert.equal(t.memory, "512");
  assert.ok(t.createdAt instanceof Date);
  assert.deepEqual(t.overrides?.containerOverrides, [{ name: "main" }]);
  assert.equal(t.containers?.[0]?.lastStatus, "PENDING");
  assert.match(t.containers![0]!.containerArn!, /^arn:aws:ecs:us-east-1:000000000000:container\/default\/[0-9a-f]{32}\/[0-9a-f-]{36}$/);
  assert.equal(t.attachments?.[0]?.type, "ElasticNetworkInterface");
  for (const x of r.tasks!) await env.ecs.send(new StopTaskCommand({ task: x.taskArn! }));
});

test("RunTask validation", async () => {
  const send = (extra: Record<string, unknown>) => env.ecs.send(new RunTaskCommand({ ...base, ...extra } as never));
  await rejects(send({ count: 0 }), "InvalidParameterException", /count/);
  await rejects(send({ count: 11 }), "InvalidParameterException", /count/);
  await rejects(send({ startedBy: "x".repeat(129) }), "InvalidParameterException", /startedBy longer than 128/);
  await rejects(send({ startedBy: "has space" }), "InvalidParameterException", /startedBy/);
  await rejects(send({ tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" })) }), "InvalidParameterException", /50/);
  await rejects(
    send({ overrides: { containerOverrides: [{ name: "main", command: ["echo", "x".repeat(8200)] }] } }),
    "InvalidParameterException",
    /Container Overrides length must be at most 8192/,
  );
  await rejects(send({ overrides: { containerOverrides: [{ name: "ghost" }] } }), "InvalidParameterException", /ghost is not a container/);
  await rejects(send({ overrides: { cpu: "256", memory: "4096" } }), "InvalidParameterException", /No Fargate configuration/);
  await rejects(
    send({ networkConfiguration: undefined }),
    "InvalidParameterException",
    /Network Configuration must be provided when networkMode 'awsvpc' is specified/,
  );
  await rejects(send({ networkConfiguration: { awsvpcConfiguration: { subnets: [] } } }), "InvalidParameterException", /subnets/);
  await rejects(send({ cluster: "ghost" }), "ClusterNotFoundException", /Cluster not found/);
  await rejects(send({ taskDefinition: "ghost" }), "ClientException", /TaskDefinition not found/);
  await rejects(
    send({ capacityProviderStrategy: [{ capacityProvider: "FARGATE" }] }),
    "InvalidParameterException",
    /launch type and capacity provider/,
  );
  const ec2 = await register(env, { family: "ec2only", containerDefinitions: [{ name: "a", image: "x", memory: 64, command: ["true"] }] });
  await rejects(send({ taskDefinition: ec2 }), "InvalidParameterException", /does not support launch_type FARGATE/);
  await rejects(
    env.ecs.send(new RunTaskCommand({ taskDefinition: ec2, networkConfiguration: FARGATE_NET })),
    "InvalidParameterException",
    /Network Configuration is not valid/,
  );
  // 8192 exactly-ish is fine: a short override works.
  const ok = await send({ overrides: { containerOverrides: [{ name: "main", command: ["true"] }] } });
  assert.equal(ok.tasks?.length, 1);
});

test("clientToken: same request returns the same tasks, a different one is a ConflictException", async () => {
  const token = "tok-123";
  const a = await env.ecs.send(new RunTaskCommand({ ...base, clientToken: token, startedBy: "idem" }));
  const b = await env.ecs.send(new RunTaskCommand({ ...base, clientToken: token, startedBy: "idem" }));
  assert.equal(b.tasks?.[0]?.taskArn, a.tasks?.[0]?.taskArn);
  const list = await env.ecs.send(new ListTasksCommand({ startedBy: "idem" }));
  assert.equal(list.taskArns?.length, 1, "no duplicate task launched");
  const err = (await rejects(
    env.ecs.send(new RunTaskCommand({ ...base, clientToken: token, startedBy: "other" })),
    "ConflictException",
  )) as Error & {
    resourceIds?: string[];
  };
  assert.deepEqual(err.resourceIds, [a.tasks![0]!.taskArn]);
  // Tokens are per cluster.
  await env.ecs.send(new CreateClusterCommand({ clusterName: "idem2" }));
  const c = await env.ecs.send(new RunTaskCommand({ ...base, cluster: "idem2", clientToken: token, startedBy: "idem" }));
  assert.notEqual(c.tasks?.[0]?.taskArn, a.tasks?.[0]?.taskArn);
  await env.ecs.send(new StopTaskCommand({ task: a.tasks![0]!.taskArn! }));
  await env.ecs.send(new StopTaskCommand({ cluster: "idem2", task: c.tasks![0]!.taskArn! }));
});

test("DescribeTasks: MISSING failures, limits, ids and ARNs, other clusters", async () => {
  const t = await run(env, { taskDefinition: "rt" });
  const id = t.taskArn!.split("/").pop()!;
  const ghost = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef";
  const r = await env.ecs.send(new DescribeTasksCommand({ tasks: [id, ghost, "fedcba9876543210fedcba9876543210"] }));
  assert.deepEqual(
    r.tasks?.map((x) => x.taskArn),
    [t.taskArn],
  );
  assert.deepEqual(r.failures, [
    { arn: ghost, reason: "MISSING" },
    { arn: "arn:aws:ecs:us-east-1:000000000000:task/default/fedcba9876543210fedcba9876543210", reason: "MISSING" },
  ]);
  await env.ecs.send(new CreateClusterCommand({ clusterName: "elsewhere" }));
  const other = await env.ecs.send(new DescribeTasksCommand({ cluster: "elsewhere", tasks: [t.taskArn!] }));
  assert.equal(other.failures?.[0]?.reason, "MISSING");
  await rejects(env.ecs.send(new DescribeTasksCommand({ tasks: [] })), "InvalidParameterException", /Tasks cannot be empty/);
  await rejects(
    env.ecs.send(new DescribeTasksCommand({ tasks: Array.from({ length: 101 }, () => id) })),
    "InvalidParameterException",
    /at most 100/,
  );
  await rejects(env.ecs.send(new DescribeTasksCommand({ cluster: "ghost", tasks: [id] })), "ClusterNotFoundException");
  const withTags = await env.ecs.send(new DescribeTasksCommand({ tasks: [id], include: ["TAGS"] }));
  assert.deepEqual(withTags.tasks?.[0]?.tags, []);
  await env.ecs.send(new StopTaskCommand({ task: id }));
});

test("ListTasks filters by family, startedBy and desiredStatus (default RUNNING) and pages", async () => {
  await env.ecs.send(new CreateClusterCommand({ clusterName: "lt" }));
  const arns: string[] = [];
  for (let i = 0; i < 3; i++) arns.push((await run(env, { cluster: "lt", taskDefinition: "rt", startedBy: "s1" })).taskArn!);
  arns.push((await run(env, { cluster: "lt", taskDefinition: "two", startedBy: "s2" })).taskArn!);
  const all = await env.ecs.send(new ListTasksCommand({ cluster: "lt" }));
  assert.deepEqual(new Set(all.taskArns), new Set(arns));
  const fam = await env.ecs.send(new ListTasksCommand({ cluster: "lt", family: "two" }));
  assert.deepEqual(fam.taskArns, [arns[3]]);
  const sb = await env.ecs.send(new ListTasksCommand({ cluster: "lt", startedBy: "s1" }));
  assert.equal(sb.taskArns?.length, 3);
  const p1 = await env.ecs.send(new ListTasksCommand({ cluster: "lt", maxResults: 3 }));
  assert.equal(p1.taskArns?.length, 3);
  const p2 = await env.ecs.send(new ListTasksCommand({ cluster: "lt", maxResults: 3, nextToken: p1.nextToken }));
  assert.equal(p2.taskArns?.length, 1);
  assert.equal(p2.nextToken, undefined);
  const stop = await env.ecs.send(new StopTaskCommand({ cluster: "lt", task: arns[0]! }));
  assert.equal(stop.task?.desiredStatus, "STOPPED");
  const running = await env.ecs.send(new ListTasksCommand({ cluster: "lt" }));
  assert.equal(running.taskArns?.length, 3, "a stopped task leaves the RUNNING list at once");
  const st = await env.ecs.send(new ListTasksCommand({ cluster: "lt", desiredStatus: "STOPPED" }));
  assert.deepEqual(st.taskArns, [arns[0]]);
  const pend = await env.ecs.send(new ListTasksCommand({ cluster: "lt", desiredStatus: "PENDING" }));
  assert.deepEqual(pend.taskArns, []);
  await rejects(env.ecs.send(new ListTasksCommand({ cluster: "lt", maxResults: 0 })), "InvalidParameterException");
  for (const a of arns.slice(1)) await env.ecs.send(new StopTaskCommand({ cluster: "lt", task: a }));
});

test("StopTask: immediate desiredStatus/stopCode/reason/stoppingAt, errors for unknown tasks", async () => {
  const t = await run(env, { taskDefinition: "rt", tags: [{ key: "a", value: "b" }] });
  await waitTask(env, t.taskArn!, (x) => x.lastStatus === "RUNNING");
  const r = await env.ecs.send(new StopTaskCommand({ task: t.taskArn!, reason: "job cancelled" }));
  assert.equal(r.task?.desiredStatus, "STOPPED");
  assert.equal(r.task?.stopCode, "UserInitiated");
  assert.equal(r.task?.stoppedReason, "job cancelled");
  assert.ok(r.task?.stoppingAt instanceof Date);
  assert.notEqual(r.task?.lastStatus, "STOPPED", "lastStatus lags behind");
  const done = await waitTask(env, t.taskArn!, stopped);
  assert.equal(done.containers?.[0]?.exitCode, 143, "sleep died of SIGTERM");
  assert.equal(done.stopCode, "UserInitiated");
  assert.ok(done.stoppedAt instanceof Date && done.executionStoppedAt instanceof Date);
  const again = await env.ecs.send(new StopTaskCommand({ task: t.taskArn!, reason: "twice" }));
  assert.equal(again.task?.stoppedReason, "job cancelled", "a second stop changes nothing");

  const t2 = await run(env, { taskDefinition: "rt" });
  const r2 = await env.ecs.send(new StopTaskCommand({ task: t2.taskArn!.split("/").pop()! }));
  assert.equal(r2.task?.stoppedReason, "Task stopped by user");
  await rejects(
    env.ecs.send(new StopTaskCommand({ task: "0123456789abcdef0123456789abcdef" })),
    "InvalidParameterException",
    /The referenced task was not found/,
  );
  await rejects(env.ecs.send(new StopTaskCommand({ task: "zzz" })), "InvalidParameterException", /Task Identifier is invalid/);
  await rejects(env.ecs.send(new StopTaskCommand({ cluster: "ghost", task: t2.taskArn! })), "ClusterNotFoundException");
  const d = await describe(env, t2.taskArn!);
  assert.equal(d.desiredStatus, "STOPPED");
});
