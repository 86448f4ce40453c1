// Drives the endpoint with the AWS CLI and boto3 when they are installed (skipped with a printed reason otherwise).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { type LocalEcs, startLocalEcs } from "../../src/local-ecs/index.ts";
import { fargateDef } from "./helpers.ts";

const exec = promisify(execFile);

async function available(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    await exec(cmd, args, { timeout: 20_000 });
    return undefined;
  } catch (e) {
    return `${cmd} ${args.join(" ")} failed: ${(e as Error).message.split("\n")[0]}`;
  }
}

const cliMissing = await available("aws", ["--version"]);
const botoMissing = await available("python3", ["-c", "import boto3"]);
if (cliMissing) console.log(`# skipping AWS CLI test: ${cliMissing}`);
if (botoMissing) console.log(`# skipping boto3 test: ${botoMissing}`);

let le: LocalEcs;
let dir: string;
let childEnv: NodeJS.ProcessEnv;
before(async () => {
  le = await startLocalEcs({ settings: { pacing: "instant", throttling: false } });
  dir = mkdtempSync(join(tmpdir(), "local-ecs-cli-"));
  childEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: "x",
    AWS_SECRET_ACCESS_KEY: "x",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ENDPOINT_URL: le.url,
    AWS_MAX_ATTEMPTS: "1",
    AWS_PAGER: "",
  };
});
after(async () => {
  await le.close();
  rmSync(dir, { recursive: true, force: true });
});

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await exec("aws", ["--endpoint-url", le.url, "--output", "json", ...args], { env: childEnv, timeout: 30_000 });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

const taskDef = (family: string) => fargateDef(family, ["sh", "-c", 'echo "hello $WHO"']);

test("AWS CLI: register, run, describe, logs and an error", { skip: cliMissing }, async () => {
  const file = join(dir, "td.json");
  writeFileSync(file, JSON.stringify(taskDef("cli")));
  const reg = (await aws("ecs", "register-task-definition", "--cli-input-json", `file://${file}`)) as {
    taskDefinition: { revision: number };
  };
  assert.equal(reg.taskDefinition.revision, 1);
  const ran = (await aws(
    "ecs",
    "run-task",
    "--task-definition",
    "cli",
    "--launch-type",
    "FARGATE",
    "--network-configuration",
    "awsvpcConfiguration={subnets=[subnet-1],assignPublicIp=DISABLED}",
    "--overrides",
    JSON.stringify({ containerOverrides: [{ name: "main", environment: [{ name: "WHO", value: "cli" }] }] }),
  )) as { tasks: Array<{ taskArn: string; lastStatus: string }> };
  const arn = ran.tasks[0]!.taskArn;
  let task: { lastStatus: string; stopCode?: string; createdAt: string; containers: Array<{ exitCode?: number }> } | undefined;
  for (let i = 0; i < 20; i++) {
    const d = (await aws("ecs", "describe-tasks", "--tasks", arn)) as { tasks: (typeof task)[] };
    task = d.tasks[0];
    if (task?.lastStatus === "STOPPED") break;
  }
  assert.equal(task?.lastStatus, "STOPPED");
  assert.equal(task?.stopCode, "EssentialContainerExited");
  assert.equal(task?.containers[0]?.exitCode, 0);
  // CLI v1 prints wire timestamps as is (epoch seconds); v2 converts them to ISO 8601.
  const created = typeof task?.createdAt === "number" ? task.createdAt * 1000 : Date.parse(String(task?.createdAt));
  assert.ok(Math.abs(created - Date.now()) < 120_000, `createdAt ${task?.createdAt} is now`);
  const id = arn.split("/").pop()!;
  const logs = (await aws(
    "logs",
    "get-log-events",
    "--log-group-name",
    "/test/cli",
    "--log-stream-name",
    `ecs/main/${id}`,
    "--start-from-head",
  )) as {
    events: Array<{ message: string }>;
  };
  assert.deepEqual(
    logs.events.map((e) => e.message),
    ["hello cli"],
  );
  await assert.rejects(aws("ecs", "describe-task-definition", "--task-definition", "nope"), (e: Error & { stderr?: string }) => {
    assert.match(e.stderr ?? "", /ClientException.*Unable to describe task definition/);
    return true;
  });
});

test("boto3: the same flow from Python", { skip: botoMissing }, async () => {
  const script = `
import boto3, json, sys, time
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
ecs = boto3.client("ecs", **kw); logs = boto3.client("logs", **kw)
td = json.loads(sys.argv[2])
ecs.register_task_definition(**td)
t = ecs.run_task(taskDefinition="py", launchType="FARGATE", count=2,
    networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    overrides={"containerOverrides": [{"name": "main", "environment": [{"name": "WHO", "value": "boto"}]}]})
arns = [x["taskArn"] for x in t["tasks"]]
for _ in range(200):
    d = ecs.describe_tasks(tasks=arns + ["0123456789abcdef0123456789abcdef"])
    if all(x["lastStatus"] == "STOPPED" for x in d["tasks"]): break
    time.sleep(0.02)
out = {"statuses": [x["lastStatus"] for x in d["tasks"]], "failures": [f["reason"] for f in d["failures"]],
       "createdAtType": type(d["tasks"][0]["createdAt"]).__name__}
ev = logs.get_log_events(logGroupName="/test/py", logStreamName="ecs/main/" + arns[0].split("/")[-1], startFromHead=True)
out["messages"] = [e["message"] for e in ev["events"]]
try:
    ecs.run_task(taskDefinition="py", launchType="FARGATE", count=11, networkConfiguration={"awsvpcConfiguration": {"subnets": ["s"]}})
except ecs.exceptions.InvalidParameterException as e:
    out["error"] = e.response["Error"]["Code"]
print(json.dumps(out))
`;
  const { stdout } = await exec("python3", ["-c", script, le.url, JSON.stringify(taskDef("py"))], { env: childEnv, timeout: 60_000 });
  const out = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(out.statuses, ["STOPPED", "STOPPED"]);
  assert.deepEqual(out.failures, ["MISSING"]);
  assert.equal(out.createdAtType, "datetime");
  assert.deepEqual(out.messages, ["hello boto"]);
  assert.equal(out.error, "InvalidParameterException");
});
