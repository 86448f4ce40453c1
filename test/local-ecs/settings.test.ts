// Config file / inline settings, their validation, and runtime changes through the admin API.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CreateLogGroupCommand, CreateLogStreamCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { SettingsError, localEcsConfigFromYaml, startLocalEcs } from "../../src/local-ecs/index.ts";
import { fargateDef, register, rejects, run, setup, stopped, waitTask } from "./helpers.ts";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "local-ecs-settings-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("a YAML config file is read, inline settings override it", async () => {
  const file = join(dir, "le.yaml");
  writeFileSync(
    file,
    [
      "region: eu-central-1",
      "clusters: [default, batch]",
      "pacing: demo",
      "throttling: false",
      "stoppedRetentionSeconds: 120",
      "images:",
      "  python: { entryPoint: [python3] }",
      "faults:",
      "  - { kind: capacity, count: 1, match: { startedBy: nope } }",
      "dataDir: " + join(dir, "data"),
    ].join("\n"),
  );
  const s = localEcsConfigFromYaml(file);
  assert.equal(s.region, "eu-central-1");
  assert.deepEqual(s.clusters, ["default", "batch"]);
  assert.equal(s.pacing.provisioning, 1000);
  assert.equal(s.throttling.enabled, false);
  assert.equal(s.stoppedRetentionMs, 120_000);
  assert.deepEqual(s.images.python, { entryPoint: ["python3"] });
  assert.equal(s.faults[0]?.kind, "capacity");
  const le = await startLocalEcs({ config: file, settings: { pacing: { provisioning: 5 } } });
  try {
    assert.equal(le.settings.pacing.provisioning, 5);
    assert.equal(le.settings.pacing.pending, 1000, "other phases keep the file's preset");
    assert.equal(le.dataDir, join(dir, "data"));
    const res = await fetch(`${le.url}/`, {
      method: "POST",
      headers: { "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    const body = (await res.json()) as { clusterArns: string[] };
    assert.deepEqual(body.clusterArns, [
      "arn:aws:ecs:eu-central-1:000000000000:cluster/default",
      "arn:aws:ecs:eu-central-1:000000000000:cluster/batch",
    ]);
  } finally {
    await le.close();
  }
});

test("bad settings fail with an error naming the key", async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ colour: "red" }, /unknown key "colour"/],
    [{ pacing: "slow" }, /pacing must be "instant", "demo"/],
    [{ pacing: { booting: 5 } }, /pacing.booting is not a phase/],
    [{ throttling: { buckets: { clusterRead: { burst: -1 } } } }, /throttling.buckets.clusterRead.burst must be a number >= 0/],
    [{ faults: [{ kind: "capacity", count: 0 }] }, /faults\[0\].count must be an integer >= 1/],
    [{ images: { x: { command: "echo" } } }, /images.x.command must be a list of strings/],
    [{ stoppedRetentionSeconds: "soon" }, /stoppedRetentionSeconds must be a number/],
  ];
  for (const [settings, msg] of cases)
    await assert.rejects(startLocalEcs({ settings }), (e: Error) => e instanceof SettingsError && msg.test(e.message));
  const file = join(dir, "bad.yaml");
  writeFileSync(file, "pacing: [1, 2");
  assert.throws(() => localEcsConfigFromYaml(file), /cannot read local-ecs config/);
});

test("POST /_local/pacing changes pacing at runtime; logs actions are throttled too", async () => {
  const env = await setup();
  try {
    const res = await fetch(`${env.le.url}/_local/pacing`, { method: "POST", body: JSON.stringify({ provisioning: 400 }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { pacing: { provisioning: number } }).pacing.provisioning, 400);
    await register(env, fargateDef("paced", ["true"]));
    const t = await run(env, { taskDefinition: "paced" });
    const soon = await waitTask(env, t.taskArn!, () => true);
    assert.equal(soon.lastStatus, "PROVISIONING");
    await waitTask(env, t.taskArn!, stopped);
    const bad = await fetch(`${env.le.url}/_local/pacing`, { method: "POST", body: '"glacial"' });
    assert.equal(bad.status, 400);

    await fetch(`${env.le.url}/_local/throttle`, {
      method: "POST",
      body: JSON.stringify({ enabled: true, buckets: { logsGetLogEvents: { burst: 1, rate: 0 } } }),
    });
    await env.logs.send(new CreateLogGroupCommand({ logGroupName: "/thr" }));
    await env.logs.send(new CreateLogStreamCommand({ logGroupName: "/thr", logStreamName: "s" }));
    await env.logs.send(new GetLogEventsCommand({ logGroupName: "/thr", logStreamName: "s" }));
    const err = await rejects(
      env.logs.send(new GetLogEventsCommand({ logGroupName: "/thr", logStreamName: "s" })),
      "ThrottlingException",
      /Rate exceeded/,
    );
    assert.equal(err.$metadata?.httpStatusCode, 400);
  } finally {
    await env.close();
  }
});
