// Wire protocol: targets, content type, error bodies and statuses, timestamps, region, admin stats.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CreateClusterCommand, DescribeClustersCommand, ECSClient } from "@aws-sdk/client-ecs";
import { type Env, setup } from "./helpers.ts";

let env: Env;
before(async () => {
  env = await setup();
});
after(() => env.close());

async function raw(target: string | undefined, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${env.le.url}/`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", ...(target ? { "x-amz-target": target } : {}), ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

test("success responses are JSON 1.1 with a request id", async () => {
  const r = await raw("AmazonEC2ContainerServiceV20141113.ListClusters", "{}");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/x-amz-json-1.1");
  assert.match(r.headers.get("x-amzn-requestid") ?? "", /^[0-9a-f-]{36}$/);
  assert.deepEqual(r.json.clusterArns, ["arn:aws:ecs:us-east-1:000000000000:cluster/default"]);
});

test("unknown operations and unknown services answer UnknownOperationException (400)", async () => {
  const a = await raw("AmazonEC2ContainerServiceV20141113.FlyToTheMoon", "{}");
  assert.equal(a.status, 400);
  assert.equal(a.json.__type, "UnknownOperationException");
  const b = await raw("Nope_20200101.Thing", "{}");
  assert.equal(b.status, 400);
  assert.equal(b.json.__type, "UnknownOperationException");
  const c = await raw(undefined, "{}");
  assert.equal(c.json.__type, "UnknownOperationException");
});

test("malformed JSON is a SerializationException", async () => {
  const r = await raw("AmazonEC2ContainerServiceV20141113.ListClusters", "{not json");
  assert.equal(r.status, 400);
  assert.equal(r.json.__type, "SerializationException");
});

test("client errors are 400 with __type and message", async () => {
  const r = await raw("AmazonEC2ContainerServiceV20141113.ListTasks", JSON.stringify({ cluster: "nope" }));
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { __type: "ClusterNotFoundException", message: "Cluster not found." });
});

test("ECS timestamps are epoch seconds, Logs timestamps epoch milliseconds", async () => {
  const before = Date.now();
  const td = await raw(
    "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
    JSON.stringify({ family: "ts", containerDefinitions: [{ name: "a", image: "x", memory: 64, command: ["true"] }] }),
  );
  const registeredAt = (td.json.taskDefinition as Record<string, unknown>).registeredAt as number;
  assert.equal(typeof registeredAt, "number");
  assert.ok(Math.abs(registeredAt - before / 1000) < 60, `registeredAt ${registeredAt} is epoch seconds`);
  await raw("Logs_20140328.CreateLogGroup", JSON.stringify({ logGroupName: "ts" }));
  const g = await raw("Logs_20140328.DescribeLogGroups", JSON.stringify({ logGroupNamePrefix: "ts" }));
  const creationTime = (g.json.logGroups as Array<Record<string, number>>)[0]!.creationTime!;
  assert.ok(Number.isInteger(creationTime) && Math.abs(creationTime - before) < 60_000, `creationTime ${creationTime} is epoch ms`);
});

test("the region in ARNs comes from the signature's credential scope", async () => {
  const eu = new ECSClient({
    endpoint: env.le.url,
    region: "eu-west-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
    maxAttempts: 1,
  });
  const r = await eu.send(new CreateClusterCommand({ clusterName: "eu" }));
  assert.equal(r.cluster?.clusterArn, "arn:aws:ecs:eu-west-1:000000000000:cluster/eu");
  eu.destroy();
  const unsigned = await raw("AmazonEC2ContainerServiceV20141113.CreateCluster", JSON.stringify({ clusterName: "plain" }));
  assert.equal((unsigned.json.cluster as Record<string, string>).clusterArn, "arn:aws:ecs:us-east-1:000000000000:cluster/plain");
  const d = await env.ecs.send(new DescribeClustersCommand({ clusters: ["eu", "plain"] }));
  assert.equal(d.clusters?.length, 2);
});

test("admin stats count calls per action and reset", async () => {
  await fetch(`${env.le.url}/_local/stats/reset`, { method: "POST" });
  await raw("AmazonEC2ContainerServiceV20141113.ListClusters", "{}");
  await raw("AmazonEC2ContainerServiceV20141113.ListClusters", "{}");
  await raw("Logs_20140328.DescribeLogGroups", "{}");
  const s = (await (await fetch(`${env.le.url}/_local/stats`)).json()) as { calls: Record<string, number> };
  assert.deepEqual(s.calls, { ListClusters: 2, DescribeLogGroups: 1 });
  assert.deepEqual(env.le.stats().calls, { ListClusters: 2, DescribeLogGroups: 1 });
  env.le.resetStats();
  assert.deepEqual(env.le.stats().calls, {});
  const bad = await fetch(`${env.le.url}/_local/nothing`);
  assert.equal(bad.status, 404);
});
