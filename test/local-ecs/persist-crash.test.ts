// A local ECS killed with SIGKILL (process runtime): the next start on the same dataDir knows the task from the
// state database (batched writes every 200 ms), SIGKILLs the task process the dead endpoint left behind
// (recognised by its working directory) and reports the task STOPPED with "local ECS restarted".
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { ECSClient } from "@aws-sdk/client-ecs";
import { type Env, describe, fargateDef, register, run, setup, waitTask } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "persist-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const server = new URL("../../bench/local-ecs-server.ts", import.meta.url).pathname;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

test("after kill -9 of the endpoint, its leftover task process is killed and the task is STOPPED (local ECS restarted)", async () => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", server, JSON.stringify({ dataDir: dir, pacing: "instant", throttling: false })],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (c) => reject(new Error(`endpoint exited ${c}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  const ecs = new ECSClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: 1,
  });
  const a = { ecs } as Env;
  await register(a, fargateDef("crash", ["sleep", "300"]));
  const running = await waitTask(a, (await run(a, { taskDefinition: "crash" })).taskArn!, (t) => t.lastStatus === "RUNNING");
  const pid = Number(running.containers![0]!.runtimeId!.split("-").pop());
  assert.ok(alive(pid), "the task's process runs");
  await new Promise((r) => setTimeout(r, 600)); // past one batched write
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  ecs.destroy();
  assert.ok(alive(pid), "the process outlived the killed endpoint (own process group)");

  const b = await setup({ dataDir: dir });
  try {
    const t = await describe(b, running.taskArn!);
    assert.equal(t.lastStatus, "STOPPED");
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.equal(t.stoppedReason, "local ECS restarted");
    const deadline = Date.now() + 5000;
    while (alive(pid)) {
      assert.ok(Date.now() < deadline, "leftover process killed");
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await b.close();
  }
});
