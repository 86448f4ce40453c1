// Docker runtime across a restart: tasks still running in containers are adopted again (found by label) and keep
// their lifecycle (exit code, StopTask) and logs (no line lost or repeated). Skips where Podman cannot start.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import Docker from "dockerode";
import { IMAGE, type Podman, dockerEnv, podman, waitRunning, waitStopped } from "./docker-env.ts";
import { type Env, fargateDef, register, run, waitTask } from "./helpers.ts";

let pm: Podman | string;
const dir = mkdtempSync(join(tmpdir(), "docker-persist-"));
before(async () => {
  pm = await podman();
});
after(async () => {
  if (typeof pm !== "string") {
    const engine = new Docker({ socketPath: pm.dockerHost.slice("unix://".length) });
    for (const c of await engine.listContainers({ all: true, filters: { label: [`heimdall.local-ecs.data-dir=${dir}`] } }))
      await engine.getContainer(c.Id).remove({ force: true });
    await pm.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function lines(env: Env, family: string, task: Task): Promise<string[]> {
  const id = task.taskArn!.split("/").pop();
  const r = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: `/test/${family}`, logStreamName: `ecs/main/${id}`, startFromHead: true }),
  );
  return (r.events ?? []).map((e) => e.message!);
}

test("running containers are adopted after a restart: exit codes, StopTask and logs continue", async (t) => {
  if (typeof pm === "string") return t.skip(pm);
  const a = await dockerEnv(pm, { dataDir: dir });
  const mk = (family: string, script: string) => {
    const d = fargateDef(family, ["/bin/sh", "-c", script]);
    d.containerDefinitions![0]!.image = IMAGE;
    return d;
  };
  await register(a, mk("adopt-exit", "echo before; while [ ! -f /tmp/go ]; do sleep 0.2; done; echo after; exit 5"));
  await register(a, mk("adopt-stop", "trap 'echo got-term; exit 0' TERM; echo up; while true; do sleep 0.2; done"));
  const x = await waitRunning(a, (await run(a, { taskDefinition: "adopt-exit" })).taskArn!);
  const y = await waitRunning(a, (await run(a, { taskDefinition: "adopt-stop" })).taskArn!);
  await waitTask(a, x.taskArn!, () => true);
  for (const [fam, task, want] of [
    ["adopt-exit", x, "before"],
    ["adopt-stop", y, "up"],
  ] as const) {
    const deadline = Date.now() + 30_000;
    while (!(await lines(a, fam, task)).includes(want)) {
      assert.ok(Date.now() < deadline, `${fam} logged ${want}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await a.close();

  // While the endpoint is down the container goes on; "after" is printed once /tmp/go exists.
  const engine = new Docker({ socketPath: pm.dockerHost.slice("unix://".length) });
  const exec = await engine
    .getContainer(x.containers![0]!.runtimeId ?? "")
    .exec({ Cmd: ["/bin/sh", "-c", "echo > /tmp/go"] })
    .catch(async () => {
      const [c] = await engine.listContainers({ filters: { label: [`heimdall.local-ecs.task-arn=${x.taskArn}`] } });
      return engine.getContainer(c!.Id).exec({ Cmd: ["/bin/sh", "-c", "echo > /tmp/go"] });
    });

  const b = await dockerEnv(pm, { dataDir: dir });
  try {
    await exec.start({ Detach: true });
    const sx = await waitStopped(b, x.taskArn!);
    assert.equal(sx.stopCode, "EssentialContainerExited");
    assert.equal(sx.containers?.[0]?.exitCode, 5);
    assert.deepEqual(await lines(b, "adopt-exit", sx), ["before", "after"]);
    const ry = await waitRunning(b, y.taskArn!);
    assert.equal(ry.desiredStatus, "RUNNING");
    await b.ecs.send(new StopTaskCommand({ task: y.taskArn! }));
    const sy = await waitStopped(b, y.taskArn!);
    assert.equal(sy.stopCode, "UserInitiated");
    assert.equal(sy.containers?.[0]?.exitCode, 0);
    assert.deepEqual(await lines(b, "adopt-stop", sy), ["up", "got-term"]);
  } finally {
    await b.close();
  }
});
