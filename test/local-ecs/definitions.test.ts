// Clusters, task definitions and tags through @aws-sdk/client-ecs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateListTaskDefinitions,
} from "@aws-sdk/client-ecs";
import { type Env, fargateDef, register, rejects, run, setup } from "./helpers.ts";

let env: Env;
before(async () => {
  env = await setup();
});
after(() => env.close());

test("clusters: create (idempotent), describe with MISSING, list with paging, delete", async () => {
  const c = await env.ecs.send(new CreateClusterCommand({ clusterName: "alpha", tags: [{ key: "team", value: "data" }] }));
  assert.equal(c.cluster?.clusterArn, "arn:aws:ecs:us-east-1:000000000000:cluster/alpha");
  assert.equal(c.cluster?.status, "ACTIVE");
  assert.equal(c.cluster?.runningTasksCount, 0);
  const again = await env.ecs.send(new CreateClusterCommand({ clusterName: "alpha" }));
  assert.equal(again.cluster?.clusterArn, c.cluster?.clusterArn);
  await env.ecs.send(new CreateClusterCommand({ clusterName: "beta" }));
  await rejects(env.ecs.send(new CreateClusterCommand({ clusterName: "bad name!" })), "InvalidParameterException");

  const d = await env.ecs.send(
    new DescribeClustersCommand({ clusters: ["alpha", "arn:aws:ecs:us-east-1:000000000000:cluster/beta", "ghost"], include: ["TAGS"] }),
  );
  assert.deepEqual(
    d.clusters?.map((x) => x.clusterName),
    ["alpha", "beta"],
  );
  assert.deepEqual(d.clusters?.[0]?.tags, [{ key: "team", value: "data" }]);
  assert.deepEqual(d.failures, [{ arn: "arn:aws:ecs:us-east-1:000000000000:cluster/ghost", reason: "MISSING" }]);
  const noTags = await env.ecs.send(new DescribeClustersCommand({ clusters: ["alpha"] }));
  assert.deepEqual(noTags.clusters?.[0]?.tags ?? [], []);

  const p1 = await env.ecs.send(new ListClustersCommand({ maxResults: 2 }));
  assert.equal(p1.clusterArns?.length, 2);
  assert.ok(p1.nextToken);
  const p2 = await env.ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: p1.nextToken }));
  assert.equal(p2.clusterArns?.length, 1);
  assert.equal(p2.nextToken, undefined);
  await rejects(env.ecs.send(new ListClustersCommand({ maxResults: 101 })), "InvalidParameterException");

  const del = await env.ecs.send(new DeleteClusterCommand({ cluster: "beta" }));
  assert.equal(del.cluster?.status, "INACTIVE");
  const afterDel = await env.ecs.send(new ListClustersCommand({}));
  assert.ok(!afterDel.clusterArns?.some((a) => a.endsWith("/beta")));
  await rejects(env.ecs.send(new DeleteClusterCommand({ cluster: "beta" })), "ClusterNotFoundException", /Cluster not found/);
});

test("DeleteCluster refuses a cluster with active tasks", async () => {
  await env.ecs.send(new CreateClusterCommand({ clusterName: "busy" }));
  await register(env, fargateDef("busy", ["sleep", "30"]));
  const t = await run(env, { cluster: "busy", taskDefinition: "busy" });
  await rejects(env.ecs.send(new DeleteClusterCommand({ cluster: "busy" })), "ClusterContainsTasksException");
  await env.ecs.send(new StopTaskCommand({ cluster: "busy", task: t.taskArn! }));
});

test("RegisterTaskDefinition keeps every field, fills defaults, converts cpu/memory and numbers revisions", async () => {
  const def = fargateDef("keep", ["echo", "hi"], {
    cpu: "1 vCPU",
    memory: "2GB",
    ephemeralStorage: { sizeInGiB: 50 },
    runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
    volumes: [{ name: "scratch" }],
    taskRoleArn: "arn:aws:iam::000000000000:role/task",
    tags: [{ key: "k", value: "v" }],
  });
  const r1 = await env.ecs.send(new RegisterTaskDefinitionCommand(def));
  const td = r1.taskDefinition!;
  assert.equal(td.taskDefinitionArn, "arn:aws:ecs:us-east-1:000000000000:task-definition/keep:1");
  assert.equal(td.revision, 1);
  assert.equal(td.status, "ACTIVE");
  assert.equal(td.cpu, "1024");
  assert.equal(td.memory, "2048");
  assert.deepEqual(td.ephemeralStorage, { sizeInGiB: 50 });
  assert.deepEqual(td.runtimePlatform, { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" });
  assert.deepEqual(td.volumes, [{ name: "scratch" }]);
  assert.equal(td.taskRoleArn, "arn:aws:iam::000000000000:role/task");
  assert.deepEqual(td.compatibilities, ["EC2", "FARGATE"]);
  assert.ok(td.registeredAt instanceof Date);
  const c = td.containerDefinitions![0]!;
  assert.equal(c.essential, true);
  assert.equal(c.cpu, 0);
  assert.deepEqual(c.environment, []);
  assert.deepEqual(c.portMappings, []);
  assert.deepEqual(r1.tags, [{ key: "k", value: "v" }]);
  const r2 = await env.ecs.send(new RegisterTaskDefinitionCommand(def));
  assert.equal(r2.taskDefinition?.revision, 2);

  const byFamily = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "keep", include: ["TAGS"] }));
  assert.equal(byFamily.taskDefinition?.revision, 2);
  assert.deepEqual(byFamily.tags, [{ key: "k", value: "v" }]);
  const byRev = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "keep:1" }));
  assert.equal(byRev.taskDefinition?.revision, 1);
  assert.equal(byRev.tags, undefined);
  const byArn = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: td.taskDefinitionArn }));
  assert.equal(byArn.taskDefinition?.revision, 1);
  await rejects(
    env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "keep:9" })),
    "ClientException",
    /Unable to describe task definition/,
  );
  await rejects(env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "nope" })), "ClientException");
});

test("RegisterTaskDefinition validation rules", async () => {
  const cases: Array<[string, Parameters<typeof fargateDef>[2], RegExp]> = [
    ["bad cpu/memory pair", { cpu: "512", memory: "512" }, /No Fargate configuration exists for given values: 512 CPU, 512 memory/],
    ["missing cpu", { cpu: undefined }, /Fargate requires that 'cpu' be defined at the task level/],
    ["missing memory", { memory: undefined }, /Fargate requires that 'memory' be defined/],
    ["invalid cpu", { cpu: "lots" }, /Invalid 'cpu' setting for task/],
    ["not awsvpc", { networkMode: "bridge" }, /Fargate only supports network mode 'awsvpc'/],
    ["no execution role with awslogs", { executionRoleArn: undefined }, /execution role ARN to support log driver awslogs/],
    ["no containers", { containerDefinitions: [] }, /Container list cannot be empty/],
    ["no image", { containerDefinitions: [{ name: "a", image: "" }] }, /Container.image should not be null or empty/],
    ["container memory > task", { containerDefinitions: [{ name: "a", image: "x", memory: 4096 }] }, /greater than for the task/],
    [
      "container cpu sum > task",
      {
        containerDefinitions: [
          { name: "a", image: "x", cpu: 200 },
          { name: "b", image: "x", cpu: 100 },
        ],
      },
      /sum of all container 'cpu'/,
    ],
    ["no essential container", { containerDefinitions: [{ name: "a", image: "x", essential: false }] }, /essential container/],
    ["bad family", { family: "bad family" }, /Family contains invalid characters/],
    ["ephemeral storage too small", { ephemeralStorage: { sizeInGiB: 5 } }, /ephemeral storage/],
    ["too many tags", { tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" })) }, /less than or equal to 50/],
    [
      "awslogs without group",
      {
        containerDefinitions: [
          {
            name: "a",
            image: "x",
            logConfiguration: { logDriver: "awslogs", options: { "awslogs-region": "r", "awslogs-stream-prefix": "p" } },
          },
        ],
      },
      /requires options: awslogs-group/,
    ],
  ];
  for (const [what, extra, msg] of cases) {
    const def = { ...fargateDef("v", ["true"]), ...extra };
    const err = await rejects(
      env.ecs.send(new RegisterTaskDefinitionCommand(def)),
      what === "too many tags" ? "InvalidParameterException" : "ClientException",
      msg,
    );
    assert.equal(err.$metadata?.httpStatusCode, 400, what);
  }
  await rejects(
    env.ecs.send(new RegisterTaskDefinitionCommand({ family: "ec2", containerDefinitions: [{ name: "a", image: "x" }] })),
    "ClientException",
    /At least one of 'memory' or 'memoryReservation' must be specified/,
  );
  const ec2 = await env.ecs.send(
    new RegisterTaskDefinitionCommand({ family: "ec2", containerDefinitions: [{ name: "a", image: "x", memory: 128 }] }),
  );
  assert.deepEqual(ec2.taskDefinition?.compatibilities, ["EC2"]);
  assert.equal(ec2.taskDefinition?.networkMode, "bridge");
});

test("ListTaskDefinitions: familyPrefix, status, sort, maxResults/nextToken; Deregister; families", async () => {
  for (const f of ["lst-a", "lst-a", "lst-a", "lst-b"]) await register(env, fargateDef(f, ["true"]));
  const asc = await env.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "lst-a" }));
  assert.deepEqual(
    asc.taskDefinitionArns?.map((a) => a.split("/")[1]),
    ["lst-a:1", "lst-a:2", "lst-a:3"],
  );
  const desc = await env.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "lst-a", sort: "DESC" }));
  assert.deepEqual(
    desc.taskDefinitionArns?.map((a) => a.split("/")[1]),
    ["lst-a:3", "lst-a:2", "lst-a:1"],
  );
  const pages: string[] = [];
  for await (const p of paginateListTaskDefinitions({ client: env.ecs, pageSize: 2 }, {})) pages.push(...(p.taskDefinitionArns ?? []));
  const all = await env.ecs.send(new ListTaskDefinitionsCommand({}));
  assert.deepEqual(pages, all.taskDefinitionArns);
  assert.ok(
    pages.indexOf("arn:aws:ecs:us-east-1:000000000000:task-definition/lst-a:3") <
      pages.indexOf("arn:aws:ecs:us-east-1:000000000000:task-definition/lst-b:1"),
  );

  await rejects(env.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "lst-a" })), "ClientException", /Revision is missing/);
  const dr = await env.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "lst-a:3" }));
  assert.equal(dr.taskDefinition?.status, "INACTIVE");
  assert.ok(dr.taskDefinition?.deregisteredAt instanceof Date);
  const active = await env.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "lst-a" }));
  assert.equal(active.taskDefinitionArns?.length, 2);
  const inactive = await env.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "lst-a", status: "INACTIVE" }));
  assert.deepEqual(
    inactive.taskDefinitionArns?.map((a) => a.split("/")[1]),
    ["lst-a:3"],
  );
  const latest = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "lst-a" }));
  assert.equal(latest.taskDefinition?.revision, 2, "family alone = latest ACTIVE revision");
  await rejects(run(env, { taskDefinition: "lst-a:3" }), "InvalidParameterException", /inactive/);

  await env.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "lst-b:1" }));
  const fams = await env.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "lst-" }));
  assert.deepEqual(fams.families, ["lst-a", "lst-b"]);
  const activeFams = await env.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "lst-", status: "ACTIVE" }));
  assert.deepEqual(activeFams.families, ["lst-a"]);
  const inactiveFams = await env.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "lst-", status: "INACTIVE" }));
  assert.deepEqual(inactiveFams.families, ["lst-b"]);
  const paged = await env.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "lst-", maxResults: 1 }));
  assert.deepEqual(paged.families, ["lst-a"]);
  assert.ok(paged.nextToken);
});

test("tags on clusters, task definitions and tasks", async () => {
  await env.ecs.send(new CreateClusterCommand({ clusterName: "tagged" }));
  const clusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/tagged";
  const tdArn = await register(env, fargateDef("tagged", ["sleep", "5"]));
  const task = await run(env, { cluster: "tagged", taskDefinition: "tagged", tags: [{ key: "job", value: "1" }] });
  for (const arn of [clusterArn, tdArn, task.taskArn!]) {
    await env.ecs.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: [
          { key: "a", value: "1" },
          { key: "b", value: "2" },
        ],
      }),
    );
    await env.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "a", value: "3" }] }));
    await env.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["b"] }));
    const l = await env.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    const expect =
      arn === task.taskArn
        ? [
            { key: "job", value: "1" },
            { key: "a", value: "3" },
          ]
        : [{ key: "a", value: "3" }];
    assert.deepEqual(l.tags, expect, arn);
  }
  await rejects(
    env.ecs.send(
      new TagResourceCommand({ resourceArn: clusterArn, tags: Array.from({ length: 50 }, (_, i) => ({ key: `x${i}`, value: "v" })) }),
    ),
    "InvalidParameterException",
    /at most 50/,
  );
  await rejects(
    env.ecs.send(new TagResourceCommand({ resourceArn: clusterArn, tags: [{ key: "aws:x", value: "v" }] })),
    "InvalidParameterException",
  );
  await rejects(env.ecs.send(new ListTagsForResourceCommand({ resourceArn: "not-an-arn" })), "InvalidParameterException");
  await rejects(
    env.ecs.send(
      new ListTagsForResourceCommand({ resourceArn: "arn:aws:ecs:us-east-1:000000000000:task/tagged/0123456789abcdef0123456789abcdef" }),
    ),
    "ResourceNotFoundException",
  );
  await env.ecs.send(new StopTaskCommand({ cluster: "tagged", task: task.taskArn! }));
});
