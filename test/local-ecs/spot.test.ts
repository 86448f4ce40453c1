// Fargate Spot in the local ECS through the real SDK: capacity provider strategies checked like ECS, the
// provider recorded on each task, cluster defaults, and Spot interruptions (notice, warning, stop) only for
// FARGATE_SPOT tasks — by fault rule or at a random rate.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  PutClusterCapacityProvidersCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import type { RunTaskCommandInput, Task } from "@aws-sdk/client-ecs";
import { applySettings, defaultSettings } from "../../src/local-ecs/settings.ts";
import { type Env, FARGATE_NET, describe, fargateDef, register, setup, waitTask } from "./helpers.ts";

let env: Env;
const stopped = (t: Task) => t.lastStatus === "STOPPED";
// Ignores SIGTERM (prints it), so only the end of the warning stops it.
const STUBBORN = ["sh", "-c", "trap 'echo got SIGTERM' TERM; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done"];

before(async () => {
  env = await setup({ spot: { warningSeconds: 1.5 } });
  await register(env, fargateDef("quick", ["true"]));
  await register(env, fargateDef("stubborn", STUBBORN));
});
after(() => env?.close());

const runTask = (input: Partial<RunTaskCommandInput>) =>
  env.ecs.send(new RunTaskCommand({ taskDefinition: "quick", networkConfiguration: FARGATE_NET, ...input } as RunTaskCommandInput));
const spot = [{ capacityProvider: "FARGATE_SPOT", weight: 1 }];

async function rejects(p: Promise<unknown>, name: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name);
    assert.match(e.message, message);
    return true;
  });
}

test("RunTask records the capacity provider; Fargate Spot tasks report launchType FARGATE", async () => {
  const r = await runTask({ capacityProviderStrategy: spot });
  assert.equal(r.tasks?.[0]?.capacityProviderName, "FARGATE_SPOT");
  assert.equal(r.tasks?.[0]?.launchType, "FARGATE");
  const d = await describe(env, r.tasks![0]!.taskArn!);
  assert.equal(d.capacityProviderName, "FARGATE_SPOT");
  const plain = await runTask({ launchType: "FARGATE" });
  assert.equal(plain.tasks?.[0]?.capacityProviderName, undefined);
});

test("strategies are checked like ECS", async () => {
  const IPE = "InvalidParameterException";
  await rejects(
    runTask({ launchType: "FARGATE", capacityProviderStrategy: spot }),
    IPE,
    /^Specifying both a launch type and capacity provider strategy is not supported/,
  );
  await rejects(
    runTask({ capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1001 }] }),
    IPE,
    /weight for FARGATE_SPOT is not valid. Weight must be between 0 and 1000/,
  );
  await rejects(
    runTask({ capacityProviderStrategy: [{ capacityProvider: "FARGATE", base: 100001 }] }),
    IPE,
    /Base must be between 0 and 100000/,
  );
  await rejects(
    runTask({
      capacityProviderStrategy: [
        { capacityProvider: "FARGATE", base: 1, weight: 1 },
        { capacityProvider: "FARGATE_SPOT", base: 2, weight: 1 },
      ],
    }),
    IPE,
    /cannot contain more than one capacity provider with a base value greater than zero/,
  );
  await rejects(
    runTask({ capacityProviderStrategy: [{ capacityProvider: "FARGATE" }, { capacityProvider: "FARGATE_SPOT" }] }),
    IPE,
    /at least one capacity provider with a weight value greater than zero/,
  );
  await rejects(
    runTask({
      capacityProviderStrategy: [
        { capacityProvider: "FARGATE", weight: 1 },
        { capacityProvider: "FARGATE", weight: 2 },
      ],
    }),
    IPE,
    /duplicate capacity providers/,
  );
  // A cluster made by CreateCluster without capacityProviders has none associated.
  await env.ecs.send(new CreateClusterCommand({ clusterName: "bare" }));
  await rejects(runTask({ cluster: "bare", capacityProviderStrategy: spot }), IPE, /not associated with the cluster/);
  await rejects(
    env.ecs.send(new CreateClusterCommand({ clusterName: "x", capacityProviders: ["MY_ASG"] })),
    IPE,
    /capacity provider 'MY_ASG' does not exist/,
  );
  await rejects(
    env.ecs.send(new CreateClusterCommand({ clusterName: "x", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: spot })),
    IPE,
    /not associated with the cluster/,
  );
});

test("cluster default strategy (CreateCluster / PutClusterCapacityProviders) applies without launchType or strategy", async () => {
  await env.ecs.send(
    new CreateClusterCommand({
      clusterName: "spotty",
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: spot,
    }),
  );
  const r = await runTask({ cluster: "spotty" });
  assert.equal(r.tasks?.[0]?.capacityProviderName, "FARGATE_SPOT");
  await env.ecs.send(
    new PutClusterCapacityProvidersCommand({
      cluster: "bare",
      capacityProviders: ["FARGATE"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
    }),
  );
  const c = (await env.ecs.send(new DescribeClustersCommand({ clusters: ["bare"] }))).clusters![0]!;
  assert.deepEqual(c.capacityProviders, ["FARGATE"]);
  assert.deepEqual(c.defaultCapacityProviderStrategy, [{ capacityProvider: "FARGATE", weight: 1, base: 0 }]);
  assert.equal((await runTask({ cluster: "bare" })).tasks?.[0]?.capacityProviderName, "FARGATE");
  // A provider still used by a task cannot be removed.
  const long = await runTask({ cluster: "bare", taskDefinition: "stubborn" });
  await rejects(
    env.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: "bare", capacityProviders: [], defaultCapacityProviderStrategy: [] })),
    "ResourceInUseException",
    /in use/,
  );
  await env.ecs.send(new StopTaskCommand({ cluster: "bare", task: long.tasks![0]!.taskArn! }));
});

test("weights spread tasks, the base goes first", async () => {
  await env.ecs.send(new CreateClusterCommand({ clusterName: "weights", capacityProviders: ["FARGATE", "FARGATE_SPOT"] }));
  const strategy = [
    { capacityProvider: "FARGATE", weight: 1, base: 2 },
    { capacityProvider: "FARGATE_SPOT", weight: 3 },
  ];
  const r = await runTask({ cluster: "weights", count: 10, capacityProviderStrategy: strategy });
  const names = r.tasks!.map((t) => t.capacityProviderName);
  assert.deepEqual(names.slice(0, 2), ["FARGATE", "FARGATE"]);
  const rest = names.slice(2);
  assert.equal(rest.filter((n) => n === "FARGATE_SPOT").length, 6, names.join());
  assert.equal(rest.filter((n) => n === "FARGATE").length, 2, names.join());
});

test("spotInterruption: only Fargate Spot tasks; notice (SIGTERM, desired STOPPED, still RUNNING), then STOPPED after the warning", async () => {
  env.le.addFault({ id: "spot", kind: "spotInterruption", afterMs: 100, match: { startedBy: "spot-*" } });
  const onDemand = (await runTask({ taskDefinition: "stubborn", startedBy: "spot-ondemand", launchType: "FARGATE" })).tasks![0]!;
  const t = (await runTask({ taskDefinition: "stubborn", startedBy: "spot-victim", capacityProviderStrategy: spot })).tasks![0]!;
  const notice = await waitTask(env, t.taskArn!, (x) => x.desiredStatus === "STOPPED");
  const t0 = Date.now();
  assert.equal(notice.stopCode, "SpotInterruption");
  assert.equal(notice.stoppedReason, "Your Spot Task was interrupted.");
  assert.equal(notice.lastStatus, "RUNNING", "the task keeps running during the two-minute warning");
  const end = await waitTask(env, t.taskArn!, stopped);
  assert.ok(Date.now() - t0 >= 1000, `stopped ${Date.now() - t0} ms after the notice; the warning is 1.5 s`);
  assert.equal(end.stopCode, "SpotInterruption");
  assert.equal(end.containers?.[0]?.exitCode, 137, "killed at the end of the warning (it ignored SIGTERM)");
  const id = t.taskArn!.split("/").at(-1)!;
  const logs = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: "/test/stubborn", logStreamName: `ecs/main/${id}`, startFromHead: true }),
  );
  assert.ok(
    logs.events?.some((e) => e.message === "got SIGTERM"),
    "the notice sent SIGTERM",
  );
  const od = await describe(env, onDemand.taskArn!);
  assert.equal(od.desiredStatus, "RUNNING", "an on-demand task is never interrupted");
  env.le.clearFaults();
  await env.ecs.send(new StopTaskCommand({ task: onDemand.taskArn! }));
});

test("the spot setting interrupts Fargate Spot tasks at random at the given rate", async () => {
  const s = await setup({ spot: { rate: 1, afterSeconds: [0.05, 0.1], warningSeconds: 0.2 } });
  try {
    await register(s, fargateDef("stubborn", STUBBORN));
    const send = (input: Partial<RunTaskCommandInput>) =>
      s.ecs.send(new RunTaskCommand({ taskDefinition: "stubborn", networkConfiguration: FARGATE_NET, ...input } as RunTaskCommandInput));
    const a = (await send({ capacityProviderStrategy: spot })).tasks![0]!;
    const b = (await send({ launchType: "FARGATE" })).tasks![0]!;
    const done = await waitTask(s, a.taskArn!, stopped);
    assert.equal(done.stopCode, "SpotInterruption");
    assert.equal((await describe(s, b.taskArn!)).desiredStatus, "RUNNING");
  } finally {
    await s.close();
  }
  assert.throws(() => applySettings(defaultSettings(), { spot: { rate: 2 } }), /spot.rate must be a number in 0..1/);
  assert.throws(() => applySettings(defaultSettings(), { spot: { afterSeconds: [5, 1] } }), /min must not exceed max/);
  assert.throws(() => applySettings(defaultSettings(), { spot: { often: true } }), /spot: unknown key "often"/);
});
