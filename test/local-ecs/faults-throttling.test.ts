// Throttling (token buckets) and fault injection (config and the /_local/faults admin API).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DescribeTasksCommand, ListClustersCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { DEFAULT_BUCKETS } from "../../src/local-ecs/index.ts";
import { type Env, FARGATE_NET, fargateDef, register, rejects, run, setup, sleep, stopped, waitTask } from "./helpers.ts";

let env: Env;
before(async () => {
  env = await setup({
    faults: [
      { id: "from-config", kind: "failToStart", match: { startedBy: "doomed-*" }, reason: "CannotPullContainerError: config fault" },
    ],
  });
  await register(env, fargateDef("f", ["sleep", "30"]));
  await register(env, fargateDef("quick", ["true"]));
});
after(() => env.close());

async function admin(path: string, method = "GET", body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${env.le.url}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const runWith = (taskName: string, extra: Record<string, unknown> = {}) =>
  env.ecs.send(
    new RunTaskCommand({
      taskDefinition: "f",
      launchType: "FARGATE",
      networkConfiguration: FARGATE_NET,
      overrides: { containerOverrides: [{ name: "main", environment: [{ name: "TASK_NAME", value: taskName }] }] },
      ...extra,
    }),
  );

test("throttling answers ThrottlingException 400 'Rate exceeded' per bucket, refills, and can be changed at runtime", async () => {
  const defaults = await admin("/_local/throttle");
  assert.deepEqual(defaults.json.buckets, DEFAULT_BUCKETS);
  assert.equal(defaults.json.enabled, false, "this suite started with throttling: false");
  // rate 0: no refill, so exactly `burst` calls pass (DescribeTasks and ListTasks share the bucket).
  const set = await admin("/_local/throttle", "POST", { enabled: true, buckets: { clusterResourceRead: { burst: 3, rate: 0 } } });
  assert.equal(set.status, 200);
  await env.ecs.send(new ListTasksCommand({}));
  await env.ecs.send(new ListTasksCommand({}));
  await env.ecs.send(new DescribeTasksCommand({ tasks: ["0123456789abcdef0123456789abcdef"] }));
  const err = await rejects(env.ecs.send(new ListTasksCommand({})), "ThrottlingException", /Rate exceeded/);
  assert.equal(err.$metadata?.httpStatusCode, 400);
  assert.ok((env.le.stats().throttled.ListTasks ?? 0) >= 1);
  await env.ecs.send(new ListClustersCommand({})); // another bucket
  // Refill: 1 token burst at 20/s is back well within 200 ms.
  await admin("/_local/throttle", "POST", { buckets: { clusterResourceRead: { burst: 1, rate: 20 } } });
  await env.ecs.send(new ListTasksCommand({}));
  await sleep(200);
  await env.ecs.send(new ListTasksCommand({}));
  const bad = await admin("/_local/throttle", "POST", { buckets: { nope: { burst: 1 } } });
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.error), /throttling.buckets.nope is not a bucket/);
  await admin("/_local/throttle", "POST", { enabled: false });
  for (let i = 0; i < 10; i++) await env.ecs.send(new ListTasksCommand({}));
});

test("a throttle fault throttles exactly the next N calls of an action", async () => {
  env.le.addFault({ kind: "throttle", count: 2, match: { action: "ListTasks" } });
  const before = env.le.stats().throttled.ListTasks ?? 0;
  await env.ecs.send(new ListClustersCommand({}));
  await rejects(env.ecs.send(new ListTasksCommand({})), "ThrottlingException", /Rate exceeded/);
  await rejects(env.ecs.send(new ListTasksCommand({})), "ThrottlingException");
  await env.ecs.send(new ListTasksCommand({}));
  assert.equal((env.le.stats().throttled.ListTasks ?? 0) - before, 2);
});

test("the Fargate task-launch bucket counts tasks, not calls", async () => {
  const e = await setup({ throttling: { buckets: { fargateTaskLaunch: { burst: 5, rate: 0.001 } } } });
  try {
    await register(e, fargateDef("l", ["true"]));
    const ok = await e.ecs.send(
      new RunTaskCommand({ taskDefinition: "l", launchType: "FARGATE", networkConfiguration: FARGATE_NET, count: 4 }),
    );
    assert.equal(ok.tasks?.length, 4);
    await rejects(
      e.ecs.send(new RunTaskCommand({ taskDefinition: "l", launchType: "FARGATE", networkConfiguration: FARGATE_NET, count: 2 })),
      "ThrottlingException",
    );
    const one = await e.ecs.send(
      new RunTaskCommand({ taskDefinition: "l", launchType: "FARGATE", networkConfiguration: FARGATE_NET, count: 1 }),
    );
    assert.equal(one.tasks?.length, 1);
  } finally {
    await e.close();
  }
});

test("capacity faults hit exactly the targeted task slot, then the rule is used up", async () => {
  const added = await admin("/_local/faults", "POST", { kind: "capacity", count: 1, match: { env: { TASK_NAME: "job-7-2" } } });
  assert.equal(added.status, 200);
  const a = await runWith("job-7-1");
  assert.equal(a.tasks?.length, 1);
  const b = await runWith("job-7-2");
  assert.deepEqual(b.tasks, []);
  assert.equal(b.failures?.length, 1);
  assert.match(b.failures![0]!.reason!, /^Capacity is unavailable at this time/);
  const c = await runWith("job-7-2");
  assert.equal(c.tasks?.length, 1, "count: 1 is used up");
  const listed = await admin("/_local/faults");
  assert.ok(!(listed.json.faults as Array<{ kind: string }>).some((f) => f.kind === "capacity"));
  // count > 1 with RunTask count: only the matching number of slots fail.
  await admin("/_local/faults", "POST", { kind: "capacity", count: 2, match: { startedBy: "batch" } });
  const d = await runWith("x", { count: 3, startedBy: "batch" });
  assert.equal(d.tasks?.length, 1);
  assert.equal(d.failures?.length, 2);
  // probability 0 never fires.
  await admin("/_local/faults", "POST", { id: "never", kind: "capacity", probability: 0 });
  assert.equal((await runWith("y")).tasks?.length, 1);
  assert.equal((await admin("/_local/faults/never", "DELETE")).status, 200);
  assert.equal((await admin("/_local/faults/never", "DELETE")).status, 404);
});

test("failToStart from config; serverError; latency", async () => {
  const t = await run(env, { taskDefinition: "quick", startedBy: "doomed-1" });
  const done = await waitTask(env, t.taskArn!, stopped);
  assert.equal(done.stopCode, "TaskFailedToStart");
  assert.equal(done.stoppedReason, "CannotPullContainerError: config fault");
  assert.equal(done.startedAt, undefined);

  await admin("/_local/faults", "POST", [
    { kind: "serverError", count: 1, match: { action: "RunTask" } },
    { kind: "latency", latencyMs: 250, count: 1, match: { action: "ListClusters" } },
  ]);
  const err = await rejects(run(env, { taskDefinition: "quick" }), "ServerException");
  assert.equal(err.$metadata?.httpStatusCode, 500);
  assert.equal((await run(env, { taskDefinition: "quick" })).lastStatus, "PROVISIONING");
  const t0 = Date.now();
  await env.ecs.send(new ListClustersCommand({}));
  assert.ok(Date.now() - t0 >= 240, "latency added");
  const left = (await admin("/_local/faults")).json.faults as Array<{ kind: string; fired: number }>;
  assert.ok(!left.some((f) => f.kind === "latency" || f.kind === "serverError"), "count: 1 rules are used up");
});

test("vanish, spot interruption and forced exit", async () => {
  env.le.addFault({ kind: "vanish", count: 1, afterMs: 50, match: { env: { TASK_NAME: "ghost" } } });
  env.le.addFault({ kind: "spotInterruption", count: 1, afterMs: 20, match: { env: { TASK_NAME: "spot" } } });
  env.le.addFault({ kind: "exit", count: 1, afterMs: 20, exitCode: 3, match: { env: { TASK_NAME: "crash" } } });
  const ghost = (await runWith("ghost")).tasks![0]!.taskArn!;
  // Only a Fargate Spot task is interrupted.
  const spot = (await runWith("spot", { launchType: undefined, capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT" }] }))
    .tasks![0]!.taskArn!;
  const crash = (await runWith("crash")).tasks![0]!.taskArn!;
  const s = await waitTask(env, spot, stopped);
  assert.equal(s.stopCode, "SpotInterruption");
  assert.equal(s.stoppedReason, "Your Spot Task was interrupted.");
  assert.equal(s.containers?.[0]?.exitCode, 143);
  const c = await waitTask(env, crash, stopped);
  assert.equal(c.stopCode, "EssentialContainerExited");
  assert.equal(c.containers?.[0]?.exitCode, 3);
  for (let i = 0; i < 200; i++) {
    const r = await env.ecs.send(new DescribeTasksCommand({ tasks: [ghost] }));
    if (r.failures?.length) {
      assert.deepEqual(r.failures, [{ arn: ghost, reason: "MISSING" }]);
      return;
    }
    await sleep(10);
  }
  assert.fail("vanished task never became MISSING");
});

test("invisible: a new task is MISSING for a while (eventual consistency), then appears", async () => {
  env.le.addFault({ kind: "invisible", count: 1, afterMs: 800, match: { env: { TASK_NAME: "late" } } });
  const arn = (await runWith("late")).tasks![0]!.taskArn!;
  const early = await env.ecs.send(new DescribeTasksCommand({ tasks: [arn] }));
  assert.deepEqual(early.failures, [{ arn, reason: "MISSING" }]);
  const listed = await env.ecs.send(new ListTasksCommand({}));
  assert.ok(!listed.taskArns?.includes(arn));
  await sleep(850);
  const later = await waitTask(env, arn, () => true);
  assert.equal(later.taskArn, arn);
  await env.ecs.send(new StopTaskCommand({ task: arn }));
});

test("bad fault rules are rejected naming the field", async () => {
  const a = await admin("/_local/faults", "POST", { kind: "meteor" });
  assert.equal(a.status, 400);
  assert.match(String(a.json.error), /fault.kind must be one of/);
  const b = await admin("/_local/faults", "POST", { kind: "capacity", probability: 2 });
  assert.match(String(b.json.error), /fault.probability must be a number in 0..1/);
  const c = await admin("/_local/faults", "POST", { kind: "capacity", match: { colour: "red" } });
  assert.match(String(c.json.error), /unknown key "colour"/);
  assert.equal((await admin("/_local/faults", "DELETE")).status, 200);
  assert.deepEqual((await admin("/_local/faults")).json.faults, []);
});
