// Task lifecycle and runtime: essential/non-essential exits, stop signals, TaskFailedToStart, MISSING after
// retention, environment/argv/workdir, image map, memory enforcement, pacing, close().
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import { type Env, fargateDef, register, run, setup, sleep, stopped, waitTask } from "./helpers.ts";

let env: Env;
before(async () => {
  env = await setup({ images: { busybox: { entryPoint: ["echo"], command: ["from-image-map"] } } });
});
after(() => env.close());

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Killed but not yet reaped by init (PID 1 here may reap lazily). */
const zombie = (pid: number): boolean => {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
};

async function logLines(e: Env, family: string, container: string, task: Task): Promise<string[]> {
  const id = task.taskArn!.split("/").pop();
  const r = await e.logs.send(
    new GetLogEventsCommand({ logGroupName: `/test/${family}`, logStreamName: `ecs/${container}/${id}`, startFromHead: true }),
  );
  return (r.events ?? []).map((x) => x.message!);
}

test("an essential container's exit stops the task with its exit code and ordered timestamps", async () => {
  await register(env, fargateDef("ess", ["sh", "-c", "exit 7"]));
  const t = await waitTask(env, (await run(env, { taskDefinition: "ess" })).taskArn!, stopped);
  assert.equal(t.stopCode, "EssentialContainerExited");
  assert.equal(t.stoppedReason, "Essential container in task exited");
  assert.equal(t.desiredStatus, "STOPPED");
  assert.equal(t.containers?.[0]?.lastStatus, "STOPPED");
  assert.equal(t.containers?.[0]?.exitCode, 7);
  assert.equal(t.containers?.[0]?.reason, undefined);
  const order = [t.createdAt, t.pullStartedAt, t.pullStoppedAt, t.startedAt, t.stoppingAt, t.executionStoppedAt, t.stoppedAt];
  assert.ok(
    order.every((d) => d instanceof Date),
    "all timestamps set",
  );
  for (let i = 1; i < order.length; i++) assert.ok(order[i]!.getTime() >= order[i - 1]!.getTime(), `timestamp ${i} in order`);
  assert.ok((t.version ?? 0) >= 5, "version counts state changes");
});

test("a non-essential container's exit does not stop the task; remaining containers are stopped with it", async () => {
  await register(env, {
    ...fargateDef("noness", []),
    containerDefinitions: [
      { name: "main", image: "x", command: ["sleep", "30"] },
      { name: "helper", image: "x", command: ["sh", "-c", "exit 2"], essential: false },
    ],
  });
  const arn = (await run(env, { taskDefinition: "noness" })).taskArn!;
  const t = await waitTask(env, arn, (x) => x.containers?.find((c) => c.name === "helper")?.lastStatus === "STOPPED");
  await sleep(100);
  const still = await waitTask(env, arn, () => true);
  assert.equal(still.lastStatus, "RUNNING");
  assert.equal(still.desiredStatus, "RUNNING");
  assert.equal(t.containers?.find((c) => c.name === "helper")?.exitCode, 2);
  assert.equal(still.containers?.find((c) => c.name === "main")?.lastStatus, "RUNNING");
  await env.ecs.send(new StopTaskCommand({ task: arn }));
  const done = await waitTask(env, arn, stopped);
  assert.equal(done.containers?.find((c) => c.name === "main")?.exitCode, 143);
  assert.equal(done.stopCode, "UserInitiated");
});

test("when the essential container exits, the others get SIGTERM", async () => {
  await register(env, {
    ...fargateDef("cascade", []),
    containerDefinitions: [
      { name: "main", image: "x", command: ["sh", "-c", "sleep 0.2; exit 0"] },
      { name: "sidecar", image: "x", command: ["sleep", "30"], essential: false },
    ],
  });
  const t = await waitTask(env, (await run(env, { taskDefinition: "cascade" })).taskArn!, stopped);
  assert.equal(t.stopCode, "EssentialContainerExited");
  assert.equal(t.containers?.find((c) => c.name === "main")?.exitCode, 0);
  assert.equal(t.containers?.find((c) => c.name === "sidecar")?.exitCode, 143);
});

test("StopTask: SIGTERM to the whole process group, SIGKILL after stopTimeout", async () => {
  await register(env, fargateDef("group", ["sh", "-c", "sleep 31 & echo $!; wait"]));
  const t = await run(env, { taskDefinition: "group" });
  let child = 0;
  for (let i = 0; i < 200 && !child; i++) {
    const lines = await logLines(env, "group", "main", t).catch(() => []);
    child = Number(lines[0] ?? 0);
    if (!child) await sleep(10);
  }
  assert.ok(child > 0 && alive(child), "background child started");
  await env.ecs.send(new StopTaskCommand({ task: t.taskArn! }));
  await waitTask(env, t.taskArn!, stopped);
  await sleep(50);
  assert.ok(!alive(child) || zombie(child), "the background child of the container was killed too");

  await register(env, {
    ...fargateDef("stubborn", []),
    containerDefinitions: [{ name: "main", image: "x", command: ["sh", "-c", "trap '' TERM; sleep 30"], stopTimeout: 1 }],
  });
  const s = await run(env, { taskDefinition: "stubborn" });
  await waitTask(env, s.taskArn!, (x) => x.lastStatus === "RUNNING");
  await sleep(100);
  const t0 = Date.now();
  await env.ecs.send(new StopTaskCommand({ task: s.taskArn! }));
  const mid = await waitTask(env, s.taskArn!, () => true);
  assert.equal(mid.lastStatus, "STOPPING", "still stopping while SIGTERM is ignored");
  const done = await waitTask(env, s.taskArn!, stopped);
  assert.ok(Date.now() - t0 >= 900, "SIGKILL only after stopTimeout");
  assert.equal(done.containers?.[0]?.exitCode, 137);
});

test("a container with nothing to run or an unknown executable fails to start", async () => {
  await register(env, { ...fargateDef("nocmd", []), containerDefinitions: [{ name: "main", image: "alpine" }] });
  const a = await waitTask(env, (await run(env, { taskDefinition: "nocmd" })).taskArn!, stopped);
  assert.equal(a.stopCode, "TaskFailedToStart");
  assert.match(a.stoppedReason!, /^CannotStartContainerError/);
  assert.match(a.containers![0]!.reason!, /^CannotStartContainerError/);
  assert.equal(a.startedAt, undefined);
  assert.equal(a.containers?.[0]?.exitCode, undefined);
  await register(env, fargateDef("noexe", ["definitely-not-a-program-xyz"]));
  const b = await waitTask(env, (await run(env, { taskDefinition: "noexe" })).taskArn!, stopped);
  assert.equal(b.stopCode, "TaskFailedToStart");
  assert.match(b.stoppedReason!, /executable file not found/);
});

test("argv = entryPoint + command (override), env merged by name, own working directory", async () => {
  await register(env, {
    ...fargateDef("envs", []),
    containerDefinitions: [
      {
        name: "main",
        image: "x",
        entryPoint: ["sh", "-c"],
        command: ["echo never"],
        environment: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": "/test/envs", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
        },
      },
    ],
  });
  const t = await run(env, {
    taskDefinition: "envs",
    overrides: {
      containerOverrides: [
        {
          name: "main",
          command: ['echo "$A $B $C"; pwd; echo "$AWS_REGION"'],
          environment: [
            { name: "B", value: "3" },
            { name: "C", value: "4" },
          ],
        },
      ],
    },
  });
  await waitTask(env, t.taskArn!, stopped);
  const lines = await logLines(env, "envs", "main", t);
  assert.equal(lines[0], "1 3 4");
  assert.ok(lines[1]!.startsWith(env.le.dataDir), `working dir ${lines[1]} under ${env.le.dataDir}`);
  assert.ok(lines[1]!.includes(t.taskArn!.split("/").pop()!));
  assert.equal(lines[2], "us-east-1");
});

test("the image map gives an image a default entryPoint/command", async () => {
  await register(env, {
    ...fargateDef("imgmap", []),
    containerDefinitions: [{ ...fargateDef("imgmap", []).containerDefinitions![0]!, image: "busybox:1.36", command: undefined }],
  });
  const t = await run(env, { taskDefinition: "imgmap" });
  const done = await waitTask(env, t.taskArn!, stopped);
  assert.equal(done.containers?.[0]?.exitCode, 0);
  assert.deepEqual(await logLines(env, "imgmap", "main", t), ["from-image-map"]);
});

test("dependsOn: START, SUCCESS and COMPLETE gate container start; a failed SUCCESS dependency blocks", async () => {
  const log = {
    logDriver: "awslogs" as const,
    options: { "awslogs-group": "/test/deps", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
  };
  await register(env, {
    ...fargateDef("deps", []),
    containerDefinitions: [
      {
        name: "init",
        image: "x",
        essential: false,
        command: ["sh", "-c", "sleep 0.3; echo init-done > ../shared-marker"],
        logConfiguration: log,
      },
      { name: "sidecar", image: "x", essential: false, command: ["sleep", "30"], logConfiguration: log },
      {
        name: "main",
        image: "x",
        command: ["sh", "-c", "cat ../shared-marker"],
        dependsOn: [
          { containerName: "init", condition: "SUCCESS" },
          { containerName: "sidecar", condition: "START" },
        ],
        logConfiguration: log,
      },
    ],
  });
  const t = await run(env, { taskDefinition: "deps" });
  const early = await waitTask(env, t.taskArn!, (x) => x.lastStatus === "RUNNING");
  assert.equal(early.containers?.find((c) => c.name === "main")?.lastStatus, "PENDING", "main waits for init");
  const done = await waitTask(env, t.taskArn!, stopped);
  assert.equal(done.containers?.find((c) => c.name === "init")?.exitCode, 0);
  assert.equal(done.containers?.find((c) => c.name === "main")?.exitCode, 0, "main ran after init wrote the marker");
  assert.deepEqual(await logLines(env, "deps", "main", t), ["init-done"]);
  assert.equal(done.containers?.find((c) => c.name === "sidecar")?.exitCode, 143);

  await register(env, {
    ...fargateDef("depsfail", []),
    containerDefinitions: [
      { name: "init", image: "x", essential: false, command: ["sh", "-c", "exit 4"] },
      { name: "main", image: "x", command: ["true"], dependsOn: [{ containerName: "init", condition: "SUCCESS" }] },
    ],
  });
  const f = await waitTask(env, (await run(env, { taskDefinition: "depsfail" })).taskArn!, stopped);
  const main = f.containers?.find((c) => c.name === "main");
  assert.equal(main?.exitCode, undefined, "main never ran");
  assert.match(main?.reason ?? "", /^DependencyConditionFailed: container init exited with 4/);
  assert.equal(f.stopCode, "EssentialContainerExited");
});

test("STOPPED tasks expire after the retention window and become MISSING", async () => {
  const e = await setup({ stoppedRetentionSeconds: 0.3 });
  try {
    await register(e, fargateDef("ret", ["true"]));
    const arn = (await run(e, { taskDefinition: "ret" })).taskArn!;
    await waitTask(e, arn, stopped);
    await sleep(450);
    const r = await e.ecs.send(new DescribeTasksCommand({ tasks: [arn] }));
    assert.deepEqual(r.tasks, []);
    assert.deepEqual(r.failures, [{ arn, reason: "MISSING" }]);
  } finally {
    await e.close();
  }
});

test("explicit pacing shows every phase in order", async () => {
  const e = await setup({ pacing: { provisioning: 200, pending: 200, activating: 200, deactivating: 200, deprovisioning: 200 } });
  try {
    await register(e, fargateDef("pace", ["sleep", "0.3"]));
    const arn = (await run(e, { taskDefinition: "pace" })).taskArn!;
    const seen: string[] = [];
    for (;;) {
      const t = await waitTask(e, arn, () => true);
      if (seen.at(-1) !== t.lastStatus) seen.push(t.lastStatus!);
      if (t.lastStatus === "STOPPED") break;
      await sleep(10);
    }
    const want = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "DEPROVISIONING", "STOPPED"];
    assert.deepEqual(
      seen.filter((s) => s !== "STOPPING"),
      want,
    );
  } finally {
    await e.close();
  }
});

test("memory enforcement kills with exit 137 and OutOfMemoryError", async () => {
  const e = await setup({ memory: { enforce: true, pollMs: 25 } });
  try {
    await register(e, {
      ...fargateDef("oom", []),
      containerDefinitions: [
        {
          name: "main",
          image: "x",
          memory: 64,
          command: [process.execPath, "-e", "const b = Buffer.alloc(300e6, 1); setTimeout(() => {}, 10000)"],
        },
      ],
    });
    const t = await waitTask(e, (await run(e, { taskDefinition: "oom" })).taskArn!, stopped);
    assert.equal(t.containers?.[0]?.exitCode, 137);
    assert.match(t.containers?.[0]?.reason ?? "", /^OutOfMemoryError/);
    assert.equal(t.stopCode, "EssentialContainerExited");
  } finally {
    await e.close();
  }
});

test("close() kills every running task process", async () => {
  const e = await setup();
  await register(e, fargateDef("closing", ["sleep", "30"]));
  const t = await run(e, { taskDefinition: "closing" });
  const running = await waitTask(e, t.taskArn!, (x) => x.lastStatus === "RUNNING");
  const pid = Number(running.containers![0]!.runtimeId!.split("-").pop());
  assert.ok(alive(pid));
  await e.close();
  assert.ok(!alive(pid), "task process is gone after close()");
});
