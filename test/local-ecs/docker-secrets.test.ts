// Container `secrets` (Secrets Manager incl. a JSON key, SSM Parameter Store by ARN or name) and
// `environmentFiles` (S3 ARN → local file) from the local ECS settings, in both runtimes; an unresolved
// reference stops the task at start with TaskFailedToStart / ResourceInitializationError.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { Task } from "@aws-sdk/client-ecs";
import { IMAGE, type Podman, dockerEnv, podman } from "./docker-env.ts";
import { type Env, fargateDef, register, run, setup, stopped, waitTask } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "secrets-test-"));
const envFile = join(dir, "app.env");
writeFileSync(envFile, "# comment\nFROM_FILE=file-value\nOVERRIDDEN=from-file\n\n");
const SM = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";
const SSM = "arn:aws:ssm:us-east-1:000000000000:parameter/app/flag";
const S3 = "arn:aws:s3:::config-bucket/app.env";
const SETTINGS = {
  secrets: { [SM]: '{"username":"admin","password":"pw"}', "/app/flag": "on", plain: "plain-value" },
  environmentFiles: { [S3]: envFile },
};

let pm: Podman | string;
before(async () => {
  pm = await podman();
});
after(async () => {
  if (typeof pm !== "string") await pm.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function lines(env: Env, family: string, task: Task): Promise<string[]> {
  const id = task.taskArn!.split("/").pop();
  const r = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: `/test/${family}`, logStreamName: `ecs/main/${id}`, startFromHead: true }),
  );
  return (r.events ?? []).map((e) => e.message!);
}

async function check(env: Env, image: string | undefined): Promise<void> {
  const mk = (family: string, secrets: Array<{ name: string; valueFrom: string }>, files: Array<{ type: "s3"; value: string }>) => {
    const d = fargateDef(family, ["/bin/sh", "-c", 'echo "$PASSWORD|$USER_JSON|$FLAG|$PLAIN|$FROM_FILE|$OVERRIDDEN"']);
    const c = d.containerDefinitions![0]!;
    if (image) c.image = image;
    c.secrets = secrets;
    c.environmentFiles = files;
    c.environment = [{ name: "OVERRIDDEN", value: "from-definition" }];
    return d;
  };
  await register(
    env,
    mk(
      "sec-ok",
      [
        { name: "PASSWORD", valueFrom: `${SM}:password::` },
        { name: "USER_JSON", valueFrom: SM },
        { name: "FLAG", valueFrom: SSM },
        { name: "PLAIN", valueFrom: "plain" },
      ],
      [{ type: "s3", value: S3 }],
    ),
  );
  const ok = await waitTask(env, (await run(env, { taskDefinition: "sec-ok" })).taskArn!, stopped, 60_000);
  assert.equal(ok.containers?.[0]?.exitCode, 0, ok.stoppedReason);
  assert.deepEqual(await lines(env, "sec-ok", ok), ['pw|{"username":"admin","password":"pw"}|on|plain-value|file-value|from-definition']);

  for (const [family, secrets, files, pattern] of [
    [
      "sec-missing",
      [{ name: "X", valueFrom: "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf" }],
      [],
      /ResourceNotFoundException/,
    ],
    ["sec-key", [{ name: "X", valueFrom: `${SM}:nokey::` }], [], /did not contain json key nokey/],
    ["sec-ssm", [{ name: "X", valueFrom: "/app/absent" }], [], /unable to retrieve secrets from ssm/],
    ["sec-file", [], [{ type: "s3" as const, value: "arn:aws:s3:::config-bucket/absent.env" }], /failed to download env files/],
  ] as const) {
    await register(env, mk(family, [...secrets], [...files]));
    const bad = await waitTask(env, (await run(env, { taskDefinition: family })).taskArn!, stopped, 60_000);
    assert.equal(bad.stopCode, "TaskFailedToStart", family);
    assert.match(bad.stoppedReason ?? "", /^ResourceInitializationError: /, family);
    assert.match(bad.stoppedReason ?? "", pattern, family);
    assert.equal(bad.containers?.[0]?.runtimeId, undefined, `${family}: nothing started`);
  }
}

test("process runtime: secrets and environment files resolve from the settings; unresolved ones fail the start", async () => {
  const env = await setup(SETTINGS);
  try {
    await check(env, undefined);
  } finally {
    await env.close();
  }
});

test("docker runtime: the same inside a real container", async (t) => {
  if (typeof pm === "string") return t.skip(pm);
  const env = await dockerEnv(pm, SETTINGS);
  try {
    await check(env, IMAGE);
  } finally {
    await env.close();
  }
});
