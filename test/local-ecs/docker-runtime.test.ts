// Docker runtime with a real engine (Podman's Docker-compatible service): image ENTRYPOINT/CMD/ENV/WORKDIR/USER
// and the ECS override rules, exit codes, pulls from a loopback registry and pull failures, awslogs streams, StopTask (SIGTERM, then SIGKILL after
// stopTimeout), labels and removal at expiry. Skips with a printed reason where Podman cannot start.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import Docker from "dockerode";
import { startLocalEcs } from "../../src/local-ecs/index.ts";
import { DEFAULT_IMAGE, IMAGE, type Podman, dockerEnv, podman, waitRunning, waitStopped } from "./docker-env.ts";
import { type Env, describe, fargateDef, register, run } from "./helpers.ts";
import { startOciRegistry } from "./oci-registry.ts";

let pm: Podman | string;
let env: Env;
let engine: Docker;
before(async () => {
  pm = await podman();
  if (typeof pm === "string") return;
  env = await dockerEnv(pm, { stoppedRetentionSeconds: 3 });
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

async function logLines(family: string, task: Task, container = "main"): Promise<Array<{ message: string; timestamp: number }>> {
  const id = task.taskArn!.split("/").pop();
  const r = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: `/test/${family}`, logStreamName: `ecs/${container}/${id}`, startFromHead: true }),
  );
  return (r.events ?? []).map((x) => ({ message: x.message!, timestamp: x.timestamp! }));
}

function def(family: string, image: string, container: Record<string, unknown> = {}) {
  const d = fargateDef(family, []);
  const c = d.containerDefinitions![0]!;
  delete c.command;
  Object.assign(c, { image, ...container });
  return d;
}

test("the image's own ENTRYPOINT, CMD, ENV, WORKDIR and USER apply when the definition sets none", async (t) => {
  if (skip(t)) return;
  await register(env, def("imgdefaults", DEFAULT_IMAGE));
  const task = await waitStopped(env, (await run(env, { taskDefinition: "imgdefaults" })).taskArn!);
  assert.equal(task.containers?.[0]?.exitCode, 0);
  assert.equal(task.stopCode, "EssentialContainerExited");
  assert.deepEqual(
    (await logLines("imgdefaults", task)).map((l) => l.message),
    ["image-cmd user=1000 dir=/app greeting=from-image"],
  );
});

test("definition entryPoint/command/workingDirectory/user/environment win over the image; overrides win over the definition", async (t) => {
  if (skip(t)) return;
  await register(
    env,
    def("imgdef", DEFAULT_IMAGE, {
      command: ["echo def user=$(id -u) dir=$(pwd) greeting=$GREETING"],
      workingDirectory: "/tmp",
      user: "0",
      environment: [{ name: "GREETING", value: "from-definition" }],
    }),
  );
  const a = await waitStopped(env, (await run(env, { taskDefinition: "imgdef" })).taskArn!);
  assert.deepEqual(
    (await logLines("imgdef", a)).map((l) => l.message),
    ["def user=0 dir=/tmp greeting=from-definition"],
  );
  const b = await waitStopped(
    env,
    (
      await run(env, {
        taskDefinition: "imgdef",
        overrides: {
          containerOverrides: [{ name: "main", command: ["echo override $GREETING"], environment: [{ name: "GREETING", value: "ov" }] }],
        },
      })
    ).taskArn!,
  );
  assert.deepEqual(
    (await logLines("imgdef", b)).map((l) => l.message),
    ["override ov"],
  );
  await register(env, def("imgentry", DEFAULT_IMAGE, { entryPoint: ["/bin/echo"], command: ["entry", "wins"] }));
  const c = await waitStopped(env, (await run(env, { taskDefinition: "imgentry" })).taskArn!);
  assert.deepEqual(
    (await logLines("imgentry", c)).map((l) => l.message),
    ["entry wins"],
  );
});

test("exit codes, awslogs (one event per line, real timestamps) and the essential rule", async (t) => {
  if (skip(t)) return;
  const before = Date.now();
  await register(env, def("exits", IMAGE, { command: ["/bin/sh", "-c", "echo one; echo two >&2; sleep 1; echo three; exit 3"] }));
  const task = await waitStopped(env, (await run(env, { taskDefinition: "exits" })).taskArn!);
  assert.equal(task.containers?.[0]?.exitCode, 3);
  assert.equal(task.stopCode, "EssentialContainerExited");
  assert.match(task.containers?.[0]?.runtimeId ?? "", /^[0-9a-f]{64}$/);
  const lines = await logLines("exits", task);
  assert.deepEqual(lines.map((l) => l.message).sort(), ["one", "three", "two"]);
  const three = lines.find((l) => l.message === "three")!;
  const one = lines.find((l) => l.message === "one")!;
  assert.ok(one.timestamp >= before && three.timestamp <= Date.now(), "timestamps are the time of the output");
  assert.ok(three.timestamp - one.timestamp >= 800, `"three" came a second after "one" (${three.timestamp - one.timestamp} ms)`);
});

test("an absent image is pulled from its registry, then runs", async (t) => {
  if (skip(t)) return;
  const p = pm as Podman;
  const layout = mkdtempSync(join(tmpdir(), "heimdall-oci-"));
  const ref = `${p.registry}/heimdall-test/pulled:1`;
  try {
    // The busybox image as an OCI layout, served by a registry on loopback; the engine has no copy under `ref`.
    execFileSync("podman", ["push", IMAGE, `oci:${layout}:1`], { env: p.env, stdio: "pipe", timeout: 120_000 });
    execFileSync("podman", ["rmi", "-f", ref], { env: p.env, stdio: "pipe" });
    const registry = await startOciRegistry(layout, p.registry);
    try {
      await register(env, def("pulled", ref, { command: ["/bin/sh", "-c", "echo pulled-and-ran"] }));
      const task = await waitStopped(env, (await run(env, { taskDefinition: "pulled" })).taskArn!, 120_000);
      assert.equal(task.containers?.[0]?.exitCode, 0, `${task.stoppedReason} ${task.containers?.[0]?.reason ?? ""}`);
      assert.deepEqual(
        (await logLines("pulled", task)).map((l) => l.message),
        ["pulled-and-ran"],
      );
      assert.ok(
        registry.requests.some((r) => /^GET \/v2\/heimdall-test\/pulled\/manifests\/1$/.test(r)),
        registry.requests.join("\n"),
      );
      assert.ok(
        registry.requests.some((r) => /^GET \/v2\/heimdall-test\/pulled\/blobs\/sha256:/.test(r)),
        "layers fetched",
      );
      assert.ok(task.pullStartedAt && task.pullStoppedAt && task.pullStoppedAt >= task.pullStartedAt);
    } finally {
      await registry.close();
    }
  } finally {
    rmSync(layout, { recursive: true, force: true });
    try {
      execFileSync("podman", ["rmi", "-f", ref], { env: p.env, stdio: "pipe" });
    } catch {
      /* in use by a container not yet removed: removed with the engine's storage later */
    }
  }
});

test("an image that cannot be pulled stops the task with TaskFailedToStart and CannotPullContainerError", async (t) => {
  if (skip(t)) return;
  await register(env, def("nopull", "localhost:1/heimdall-absent/image:1", { command: ["true"] }));
  const task = await waitStopped(env, (await run(env, { taskDefinition: "nopull" })).taskArn!);
  assert.equal(task.stopCode, "TaskFailedToStart");
  assert.match(task.containers?.[0]?.reason ?? "", /^CannotPullContainerError: /);
  assert.match(task.stoppedReason ?? "", /^CannotPullContainerError: /);
  assert.equal(task.containers?.[0]?.runtimeId, undefined);
});

test("StopTask sends SIGTERM (a trap runs) and SIGKILL after stopTimeout; containers are labelled and removed at expiry", async (t) => {
  if (skip(t)) return;
  await register(
    env,
    def("term", IMAGE, { command: ["/bin/sh", "-c", "trap 'echo got-term; exit 0' TERM; echo up; while true; do sleep 0.2; done"] }),
  );
  await register(
    env,
    def("kill", IMAGE, { command: ["/bin/sh", "-c", "trap '' TERM; echo up; while true; do sleep 0.2; done"], stopTimeout: 2 }),
  );
  const a = await waitRunning(env, (await run(env, { taskDefinition: "term" })).taskArn!);
  const b = await waitRunning(env, (await run(env, { taskDefinition: "kill" })).taskArn!);
  const labelled = await engine.listContainers({ all: true, filters: { label: [`heimdall.local-ecs.task-arn=${b.taskArn}`] } });
  assert.equal(labelled.length, 1);
  assert.equal(labelled[0]!.Labels["heimdall.local-ecs.cluster"], "default");
  assert.equal(labelled[0]!.Labels["heimdall.local-ecs.container-name"], "main");
  await env.ecs.send(new StopTaskCommand({ task: a.taskArn!, reason: "bye" }));
  const t0 = Date.now();
  await env.ecs.send(new StopTaskCommand({ task: b.taskArn! }));
  const sa = await waitStopped(env, a.taskArn!);
  assert.equal(sa.stopCode, "UserInitiated");
  assert.equal(sa.stoppedReason, "bye");
  assert.equal(sa.containers?.[0]?.exitCode, 0);
  const msgs = (await logLines("term", sa)).map((l) => l.message);
  assert.ok(msgs.includes("got-term"), `trap ran: ${msgs.join("|")}`);
  const sb = await waitStopped(env, b.taskArn!);
  assert.equal(sb.containers?.[0]?.exitCode, 137);
  assert.ok(Date.now() - t0 >= 1500, "SIGKILL came only after stopTimeout");
  // stoppedRetentionSeconds: 3 → the task leaves DescribeTasks and its container is removed.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left = await engine.listContainers({ all: true, filters: { label: [`heimdall.local-ecs.task-arn=${b.taskArn}`] } });
    if (left.length === 0) break;
    assert.ok(Date.now() < deadline, "container removed after expiry");
    await new Promise((r) => setTimeout(r, 200));
  }
  await assert.rejects(describe(env, b.taskArn!), /MISSING/);
});

test("runtime settings are validated with errors naming the key", async () => {
  await assert.rejects(startLocalEcs({ settings: { runtime: "vm" } }), /runtime must be "process" or "docker"/);
  await assert.rejects(startLocalEcs({ settings: { docker: { sockett: "/x" } } }), /docker: unknown key "sockett"/);
  await assert.rejects(
    startLocalEcs({ settings: { docker: { pullTimeoutSeconds: -1 } } }),
    /docker.pullTimeoutSeconds must be a number >= 0/,
  );
  await assert.rejects(
    startLocalEcs({ settings: { taskRoles: { "arn:aws:iam::1:role/x": { accessKeyId: "a" } } } }),
    /taskRoles.arn:aws:iam::1:role\/x must be "host" or \{accessKeyId, secretAccessKey, sessionToken\?\}/,
  );
  await assert.rejects(startLocalEcs({ settings: { secrets: { a: 1 } } }), /secrets.a must be a string/);
});
