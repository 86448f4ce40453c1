// Docker runtime with a real engine: the containers of one task share a network namespace (localhost), two
// tasks on one port do not collide, memory/cpu become engine limits (OOM → 137 + OutOfMemoryError), dependsOn
// HEALTHY waits for the definition's healthCheck, COMPLETE/SUCCESS for the dependency's exit. Skips with a printed reason where Podman cannot start.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import Docker from "dockerode";
import { IMAGE, type Podman, dockerEnv, podman, waitRunning, waitStopped } from "./docker-env.ts";
import { type Env, fargateDef, register, run, setup, stopped, waitTask } from "./helpers.ts";

let pm: Podman | string;
let env: Env;
let engine: Docker;
before(async () => {
  pm = await podman();
  if (typeof pm === "string") return;
  env = await dockerEnv(pm);
  engine = new Docker({ socketPath: pm.dockerHost.slice("unix://".length) });
});
after(async () => {
  await env?.close();
  if (typeof pm !== "string") await pm.stop();
});

const skip = (t: { skip(m: string): void }): boolean => {
  if (typeof pm === "string") t.skip(pm);
  return typeof pm === "string";
};

async function logLines(family: string, task: Task, container: string): Promise<string[]> {
  const id = task.taskArn!.split("/").pop();
  const r = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: `/test/${family}`, logStreamName: `ecs/${container}/${id}`, startFromHead: true }),
  );
  return (r.events ?? []).map((x) => x.message!);
}

const logTo = (family: string) => ({
  logDriver: "awslogs" as const,
  options: { "awslogs-group": `/test/${family}`, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
});

test("containers of one task reach each other on localhost; two tasks listen on the same port", async (t) => {
  if (skip(t)) return;
  await register(env, {
    ...fargateDef("net", []),
    containerDefinitions: [
      // The server logs the message (stderr) before it answers, so the client's exit 0 means it was logged.
      {
        name: "server",
        image: IMAGE,
        command: ["/bin/sh", "-c", `echo listening; nc -l -p 8080 -e /bin/sh -c 'read l; echo "$l" >&2; echo "ack $l"'`],
        essential: false,
        logConfiguration: logTo("net"),
      },
      {
        name: "client",
        image: IMAGE,
        // busybox nc quits when its stdin ends: the sleep keeps it open for the answer.
        command: [
          "/bin/sh",
          "-c",
          'for i in $(seq 1 20); do r=$({ echo hello-over-localhost; sleep 2; } | nc 127.0.0.1 8080); [ "$r" = "ack hello-over-localhost" ] && exit 0; sleep 0.2; done; exit 1',
        ],
        dependsOn: [{ containerName: "server", condition: "START" }],
        logConfiguration: logTo("net"),
      },
    ],
  });
  const a = (await run(env, { taskDefinition: "net" })).taskArn!;
  const b = (await run(env, { taskDefinition: "net" })).taskArn!;
  for (const arn of [a, b]) {
    const task = await waitStopped(env, arn);
    const client = task.containers!.find((c) => c.name === "client")!;
    assert.equal(client.exitCode, 0, `client reached the server of its own task (${task.stoppedReason})`);
    const lines = await logLines("net", task, "server");
    assert.ok(lines.includes("hello-over-localhost"), `server got the message: ${lines.join("|")}`);
  }
});

test("memory is a hard limit for the whole container: a child allocating past it is OOM-killed (137)", async (t) => {
  if (skip(t)) return;
  await register(env, {
    ...fargateDef("oom", []),
    containerDefinitions: [
      {
        name: "main",
        image: IMAGE,
        memory: 32,
        memoryReservation: 16,
        cpu: 128,
        // dd is a child of sh: its 200 MiB buffer is charged to the container and the kernel kills it.
        command: ["/bin/sh", "-c", "echo start; dd if=/dev/zero of=/dev/null bs=200M count=1; exit $?"],
        logConfiguration: logTo("oom"),
      },
    ],
  });
  const arn = (await run(env, { taskDefinition: "oom" })).taskArn!;
  const task = await waitStopped(env, arn);
  const c = task.containers![0]!;
  assert.equal(c.exitCode, 137);
  assert.equal(c.reason, "OutOfMemoryError: Container killed due to memory usage");
  assert.equal(task.stopCode, "EssentialContainerExited");
});

test("dependsOn HEALTHY waits for the dependency's healthCheck to pass", async (t) => {
  if (skip(t)) return;
  await register(env, {
    ...fargateDef("health", []),
    containerDefinitions: [
      {
        name: "db",
        image: IMAGE,
        essential: false,
        command: ["/bin/sh", "-c", "sleep 2; echo ok > /tmp/ready; echo ready; sleep 60"],
        healthCheck: { command: ["CMD-SHELL", "test -f /tmp/ready"], interval: 1, timeout: 2, retries: 100 },
        stopTimeout: 1,
        logConfiguration: logTo("health"),
      },
      {
        name: "app",
        image: IMAGE,
        command: ["/bin/sh", "-c", "echo app-started"],
        dependsOn: [{ containerName: "db", condition: "HEALTHY" }],
        logConfiguration: logTo("health"),
      },
    ],
  });
  const t0 = Date.now();
  const arn = (await run(env, { taskDefinition: "health" })).taskArn!;
  await waitRunning(env, arn);
  const task = await waitStopped(env, arn);
  assert.ok(Date.now() - t0 >= 2000, "app waited for db to become healthy");
  assert.equal(task.containers!.find((c) => c.name === "app")!.exitCode, 0);
  assert.equal(task.containers!.find((c) => c.name === "db")!.healthStatus, "HEALTHY");
  assert.deepEqual(await logLines("health", task, "app"), ["app-started"]);
  assert.ok((await logLines("health", task, "db")).includes("ready"));
});

test("task and container cpu/memory become engine limits; a container without its own gets the task's", async (t) => {
  if (skip(t)) return;
  await register(env, {
    ...fargateDef("limits", []),
    cpu: "512",
    memory: "1024",
    containerDefinitions: [
      { name: "own", image: IMAGE, cpu: 128, memory: 64, memoryReservation: 32, command: ["/bin/sh", "-c", "sleep 600"], stopTimeout: 1 },
      { name: "inherits", image: IMAGE, essential: false, command: ["/bin/sh", "-c", "sleep 600"], stopTimeout: 1 },
    ],
  });
  const task = await waitRunning(env, (await run(env, { taskDefinition: "limits" })).taskArn!);
  try {
    const host = async (name: string) =>
      (await engine.getContainer(task.containers!.find((c) => c.name === name)!.runtimeId!).inspect()).HostConfig;
    // Task cpu 512 = 0.5 CPU: NanoCpus, or the quota/period pair an engine may report it as.
    const cpus = (h: Docker.HostConfig & { CpuQuota?: number; CpuPeriod?: number }) =>
      h.NanoCpus ? h.NanoCpus / 1e9 : (h.CpuQuota ?? 0) / (h.CpuPeriod || 100_000);
    const own = await host("own");
    assert.deepEqual([own.Memory, own.MemoryReservation, own.CpuShares, cpus(own)], [64 * 1_048_576, 32 * 1_048_576, 128, 0.5]);
    const inherits = await host("inherits");
    assert.deepEqual([inherits.Memory, inherits.MemoryReservation ?? 0, cpus(inherits)], [1024 * 1_048_576, 0, 0.5]);
  } finally {
    await env.ecs.send(new StopTaskCommand({ task: task.taskArn! }));
    await waitStopped(env, task.taskArn!);
  }
});

test("dependsOn COMPLETE starts after a failed init; SUCCESS fails the dependent container without starting it", async (t) => {
  if (skip(t)) return;
  const def = (family: string, condition: "COMPLETE" | "SUCCESS") => ({
    ...fargateDef(family, []),
    containerDefinitions: [
      { name: "init", image: IMAGE, essential: false, command: ["/bin/sh", "-c", "echo init; exit 3"], logConfiguration: logTo(family) },
      {
        name: "app",
        image: IMAGE,
        command: ["/bin/sh", "-c", "echo app-ran"],
        dependsOn: [{ containerName: "init", condition }],
        logConfiguration: logTo(family),
      },
    ],
  });
  await register(env, def("dep-complete", "COMPLETE"));
  await register(env, def("dep-success", "SUCCESS"));
  const [a, b] = await Promise.all(
    ["dep-complete", "dep-success"].map(async (f) => waitStopped(env, (await run(env, { taskDefinition: f })).taskArn!)),
  );
  const app = (task: Task) => task.containers!.find((c) => c.name === "app")!;
  assert.deepEqual([a!.containers!.find((c) => c.name === "init")!.exitCode, app(a!).exitCode], [3, 0]);
  assert.deepEqual(await logLines("dep-complete", a!, "app"), ["app-ran"]);
  assert.equal(app(b!).reason, "DependencyConditionFailed: container init exited with 3");
  assert.equal(app(b!).runtimeId, undefined, "the dependent container was never created");
  assert.equal(b!.stopCode, "EssentialContainerExited");
});

test("StopTask of a multi-container task stops every container and the pause container", async (t) => {
  if (skip(t)) return;
  await register(env, {
    ...fargateDef("multi", []),
    containerDefinitions: [
      { name: "a", image: IMAGE, command: ["/bin/sh", "-c", "sleep 600"], stopTimeout: 1 },
      { name: "b", image: IMAGE, command: ["/bin/sh", "-c", "sleep 600"], stopTimeout: 1, essential: false },
    ],
  });
  const arn = (await waitRunning(env, (await run(env, { taskDefinition: "multi" })).taskArn!)).taskArn!;
  await env.ecs.send(new StopTaskCommand({ task: arn }));
  const task = await waitStopped(env, arn);
  assert.deepEqual(
    task.containers!.map((c) => c.exitCode),
    [137, 137],
  );
  const left = await engine.listContainers({ filters: { label: [`heimdall.local-ecs.task-arn=${arn}`] } });
  assert.equal(left.length, 0, "no container of the task still runs");
});

test("process runtime: memory counts the whole process group, so a child past the limit is killed (137)", async () => {
  const pe = await setup({ memory: { enforce: true, pollMs: 50 } });
  try {
    // The shell stays small; its child (node) grows past the 64 MiB container limit.
    const grow = "const a = []; setInterval(() => a.push(Buffer.alloc(16 * 1048576, 1)), 20);";
    const d = fargateDef("childmem", ["sh", "-c", `node -e '${grow}'; echo survived`]);
    d.containerDefinitions![0]!.memory = 64;
    await register(pe, d);
    const task = await waitTask(pe, (await run(pe, { taskDefinition: "childmem" })).taskArn!, stopped, 30_000);
    assert.equal(task.containers?.[0]?.exitCode, 137);
    assert.equal(task.containers?.[0]?.reason, "OutOfMemoryError: Container killed due to memory usage");
  } finally {
    await pe.close();
  }
});
