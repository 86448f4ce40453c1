// A Fargate Spot interruption with the docker runtime (real Podman): the same notice, warning and stop as with
// host processes — SIGTERM reaches the container, the task stays RUNNING for the warning, then is killed.
// Skips with a printed reason where Podman cannot start.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { IMAGE, type Podman, dockerEnv, podman, waitRunning, waitStopped } from "./docker-env.ts";
import { type Env, FARGATE_NET, fargateDef, register, waitTask } from "./helpers.ts";

let pm: Podman | string;
let env: Env;
before(async () => {
  pm = await podman();
  if (typeof pm === "string") return;
  env = await dockerEnv(pm, { spot: { warningSeconds: 2 } });
});
after(async () => {
  await env?.close();
  if (typeof pm !== "string") await pm.stop();
});

test("docker runtime: Spot notice (SIGTERM, still RUNNING), then STOPPED SpotInterruption after the warning", async (t) => {
  if (typeof pm === "string") return t.skip(pm);
  const d = fargateDef("spotdocker", ["sh", "-c", "trap 'echo got SIGTERM' TERM; while true; do sleep 0.2; done"]);
  d.containerDefinitions![0]!.image = IMAGE;
  await register(env, d);
  env.le.addFault({ kind: "spotInterruption", count: 1, afterMs: 500 });
  const r = await env.ecs.send(
    new RunTaskCommand({
      taskDefinition: "spotdocker",
      networkConfiguration: FARGATE_NET,
      capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT" }],
    }),
  );
  const arn = r.tasks![0]!.taskArn!;
  assert.equal(r.tasks![0]!.capacityProviderName, "FARGATE_SPOT");
  await waitRunning(env, arn);
  const notice = await waitTask(env, arn, (x) => x.desiredStatus === "STOPPED", 60_000);
  assert.equal(notice.stopCode, "SpotInterruption");
  assert.equal(notice.lastStatus, "RUNNING");
  const done = await waitStopped(env, arn);
  assert.equal(done.stopCode, "SpotInterruption");
  assert.equal(done.containers?.[0]?.exitCode, 137);
  const id = arn.split("/").pop();
  const logs = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: "/test/spotdocker", logStreamName: `ecs/main/${id}`, startFromHead: true }),
  );
  assert.ok(
    logs.events?.some((e) => e.message === "got SIGTERM"),
    JSON.stringify(logs.events),
  );
});
