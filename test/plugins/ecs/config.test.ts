// Pure parts: layering and validation, override merge, task definition building and hashing, RunTask input,
// outcome classification, error classification, log formatting and capping.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { PassThrough } from "node:stream";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task } from "@aws-sdk/client-ecs";
import { isThrottling, isRetryable } from "../../../src/plugins/ecs/aws.ts";
import { Problems } from "../../../src/core/index.ts";
import { judgeStoppedTask } from "../../../src/plugins/ecs/classify.ts";
import { readClusterContext } from "../../../src/plugins/ecs/cluster.ts";
import { buildRunTask, clientToken, stopReason } from "../../../src/plugins/ecs/launch.ts";
import { copyCapped, formatEvent, streamHeader } from "../../../src/plugins/ecs/logs.ts";
import { mergeOverrides, slotOverrides } from "../../../src/plugins/ecs/overrides.ts";
import { loadCommandContext, readCommandContext, resolvePlan } from "../../../src/plugins/ecs/settings.ts";
import { buildDefinition, canonicalJson, checkDefinition, contentHash, fargateProblem } from "../../../src/plugins/ecs/template.ts";
import { templateDoc } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "ecs-unit-"));
after(() => rmSync(dir, { recursive: true, force: true }));
function templateFile(doc: unknown = templateDoc(), name = "td.json"): string {
  const p = join(dir, name);
  writeFileSync(p, typeof doc === "string" ? doc : JSON.stringify(doc));
  return p;
}
const cluster = (ctx: Record<string, unknown> = {}) => {
  const p = new Problems();
  const c = readClusterContext({ max_cpu: 4096, max_memory: 8192, max_task_count: 10, ...ctx } as never, p);
  assert.deepEqual(p.messages, []);
  return c;
};
const plan = (command: Record<string, unknown>, job?: Record<string, unknown>, cl = cluster()) => {
  const cmd = readCommandContext(
    { task_definition_template: "td.json", ...command } as never,
    checkDefinition(templateDoc() as never, "t"),
  );
  const p = new Problems();
  const out = resolvePlan(cmd, job as never, cl, p);
  return { plan: out, problems: p.messages, cmd };
};

describe("layering: defaults ← command ← job", () => {
  it("uses the documented defaults", () => {
    const { plan: p, problems } = plan({});
    assert.deepEqual(problems, []);
    assert.equal(p.taskCount, 1);
    assert.equal(p.pollingMs, 30_000);
    assert.equal(p.timeoutMs, 3_600_000);
    assert.equal(p.maxFailCount, 0);
  });
  it("job beats command beats defaults; null clears back to the template", () => {
    const { plan: p } = plan({ task_count: 3, cpu: 512, memory: 1024, timeout: "2h" }, { task_count: 2, cpu: null, memory: null });
    assert.equal(p.taskCount, 2);
    assert.equal(p.timeoutMs, 7_200_000);
    assert.equal(p.cpu, 256); // template value
    assert.equal(p.memory, 512);
    assert.equal(p.sizeExplicit, false);
  });
  it("tags merge cluster < command < job; unknown keys are ignored", () => {
    const { plan: p, problems } = plan(
      { tags: { team: "data", env: "cmd" } },
      { tags: { env: "job" }, colour: "blue" },
      cluster({ tags: { cost: "c1", env: "cluster" } }),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(p.tags, { cost: "c1", env: "job", team: "data" });
  });
  it("max_fail_count is the number of retries per slot", () => {
    assert.equal(plan({ max_fail_count: 3 }).plan.maxFailCount, 3);
  });
  it("a duration given as a number is an error naming the field", () => {
    assert.deepEqual(plan({}, { timeout: 5 }).problems, ['timeout: must be a duration string such as "30s"']);
  });
});

describe("command context", () => {
  it("rejects a missing template, unreadable or non-JSON files and definitions without containers", async () => {
    await assert.rejects(loadCommandContext({}), /task_definition_template: required/);
    await assert.rejects(loadCommandContext({ task_definition_template: join(dir, "nope.json") }), /cannot read .*ENOENT/);
    await assert.rejects(loadCommandContext({ task_definition_template: templateFile("{", "bad.json") }), /is not valid JSON/);
    await assert.rejects(
      loadCommandContext({ task_definition_template: templateFile({ family: "x" }, "empty.json") }),
      /containerDefinitions must be a non-empty array/,
    );
    await assert.rejects(
      loadCommandContext({ task_definition_template: templateFile(), subnets: 1, cluster_name: "x" }),
      /cluster_name: is a cluster setting/,
    );
    await assert.rejects(loadCommandContext({ task_definition_template: templateFile(), task_count: 0 }), /task_count: must be at least 1/);
  });
  it("accepts DescribeTaskDefinition output as a template and drops read-only fields", async () => {
    const described = { taskDefinition: { ...templateDoc(), taskDefinitionArn: "arn:x", revision: 4, status: "ACTIVE", registeredAt: 1 } };
    const cmd = await loadCommandContext({ task_definition_template: templateFile(described, "described.json") });
    assert.equal(cmd.template.definition.revision, undefined);
    assert.equal(cmd.template.definition.taskDefinitionArn, undefined);
    assert.equal(cmd.template.family, "batch-job-template");
  });
});

describe("container overrides", () => {
  const t = checkDefinition(
    {
      ...templateDoc(),
      containerDefinitions: [
        { name: "main", image: "a" },
        { name: "side", image: "b", essential: false },
      ],
    } as never,
    "t",
  );
  it("the job's override replaces the command's per container; others are kept", () => {
    const merged = mergeOverrides(
      [
        { name: "main", command: ["a"], environment: [{ name: "CUSTOM_VAR", value: "1" }] },
        { name: "side", environment: [{ name: "S", value: "cmd" }] },
      ],
      [{ name: "main", environment: [{ name: "DATA_SOURCE", value: "s3://x" }] }],
    );
    assert.deepEqual(merged, [
      { name: "main", environment: [{ name: "DATA_SOURCE", value: "s3://x" }] },
      { name: "side", environment: [{ name: "S", value: "cmd" }] },
    ]);
  });
  it("every container gets TASK_NAME and TASK_NUM, in template order", () => {
    const o = slotOverrides([{ name: "side", command: ["x"] }], t, "job1", 4);
    assert.deepEqual(o, [
      {
        name: "main",
        environment: [
          { name: "TASK_NAME", value: "heimdall-job-job1-4" },
          { name: "TASK_NUM", value: "4" },
        ],
      },
      {
        name: "side",
        command: ["x"],
        environment: [
          { name: "TASK_NAME", value: "heimdall-job-job1-4" },
          { name: "TASK_NUM", value: "4" },
        ],
      },
    ]);
  });
});

describe("task definition building and hashing", () => {
  const t = checkDefinition({ ...templateDoc(), volumes: [{ name: "scratch" }], tags: [{ key: "a", value: "b" }] } as never, "t");
  const build = (cpu = 512, memory = 1024) =>
    buildDefinition({ template: t, family: "fam", cpu, memory, executionRoleArn: "arn:exec", taskRoleArn: "arn:task", fargate: true });
  it("keeps every template field and applies size, family and the cluster's roles", () => {
    const d = build();
    assert.equal(d.family, "fam");
    assert.equal(d.cpu, "512");
    assert.equal(d.memory, "1024");
    assert.equal(d.executionRoleArn, "arn:exec");
    assert.equal(d.taskRoleArn, "arn:task");
    assert.deepEqual(d.ephemeralStorage, { sizeInGiB: 21 });
    assert.deepEqual(d.runtimePlatform, { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" });
    assert.deepEqual(d.volumes, [{ name: "scratch" }]);
    assert.equal(d.tags, undefined);
  });
  it("hashes content, not key order", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    const d = build();
    const reordered = Object.fromEntries(Object.entries(d).reverse());
    assert.equal(contentHash(d), contentHash(reordered as never));
    assert.notEqual(contentHash(d), contentHash(build(1024, 2048)));
  });
  it("knows the Fargate size table", () => {
    assert.equal(fargateProblem(256, 512), undefined);
    assert.equal(fargateProblem(4096, 30720), undefined);
    assert.equal(fargateProblem(16384, 122880), undefined);
    assert.match(fargateProblem(256, 4096)!, /no Fargate configuration/);
    assert.match(fargateProblem(8192, 17408)!, /no Fargate configuration/);
    assert.match(fargateProblem(3000, 4096)!, /not a Fargate size/);
  });
});

describe("RunTask input", () => {
  it("one task, startedBy = TASK_NAME, network, tags with job_id, deterministic token", () => {
    const { plan: p, cmd } = plan({ tags: { team: "data" } });
    const cl = cluster({
      cluster_name: "c1",
      vpc_config: { subnets: ["s1"], security_groups: ["g1"], assign_public_ip: true },
      platform_version: "1.4.0",
    });
    const input = buildRunTask("j1", 2, clientToken("j1", 2, 1, 0), p, cl, "arn:td:1", cmd.template);
    assert.equal(input.count, 1);
    assert.equal(input.cluster, "c1");
    assert.equal(input.startedBy, "heimdall-job-j1-2");
    assert.equal(input.clientToken, "j1-2-1-0");
    assert.equal(input.launchType, "FARGATE");
    assert.equal(input.platformVersion, "1.4.0");
    assert.deepEqual(input.networkConfiguration, {
      awsvpcConfiguration: { subnets: ["s1"], securityGroups: ["g1"], assignPublicIp: "ENABLED" },
    });
    assert.deepEqual(input.tags, [
      { key: "team", value: "data" },
      { key: "job_id", value: "j1" },
    ]);
  });
  it("capacity providers replace the launch type", () => {
    const { plan: p, cmd } = plan({});
    const cl = cluster({ capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT", weight: 1 }] });
    const input = buildRunTask("j", 0, "t", p, cl, "arn", cmd.template);
    assert.equal(input.launchType, undefined);
    assert.deepEqual(input.capacityProviderStrategy, [{ capacityProvider: "FARGATE_SPOT", weight: 1 }]);
  });
  it("tokens are ≤ 64 printable ASCII characters, hashed when needed; stop reasons ≤ 1024", () => {
    const long = clientToken("x".repeat(100), 1, 1, 0);
    assert.ok(long.length <= 64 && long.startsWith("h-"));
    assert.equal(long, clientToken("x".repeat(100), 1, 1, 0));
    assert.notEqual(clientToken("j", 0, 1, 0), clientToken("j", 0, 1, 1));
    assert.equal(stopReason("r".repeat(5000)).length, 1024);
  });
});

describe("task outcome", () => {
  const t = checkDefinition(
    {
      ...templateDoc(),
      containerDefinitions: [
        { name: "main", image: "a" },
        { name: "side", image: "b", essential: false },
      ],
    } as never,
    "t",
  );
  const task = (containers: Task["containers"], extra: Partial<Task> = {}): Task => ({ lastStatus: "STOPPED", containers, ...extra });
  it("succeeds when every essential container exits 0 (a non-essential failure does not matter)", () => {
    assert.deepEqual(
      judgeStoppedTask(
        task([
          { name: "main", exitCode: 0 },
          { name: "side", exitCode: 9 },
        ]),
        t.containers,
      ),
      { status: "SUCCEEDED", exitCode: 0, failure: null },
    );
  });
  it("fails on a non-zero essential exit", () => {
    const v = judgeStoppedTask(
      task([{ name: "main", exitCode: 137, reason: "OutOfMemoryError: Container killed due to memory usage" }]),
      t.containers,
    );
    assert.equal(v.status, "FAILED");
    assert.equal(v.exitCode, 137);
    assert.match(v.failure!, /exited with code 137 \(OutOfMemoryError/);
  });
  it("fails when stopped without an essential exit code (TaskFailedToStart)", () => {
    const v = judgeStoppedTask(
      task([{ name: "main" }], { stopCode: "TaskFailedToStart", stoppedReason: "ResourceInitializationError: boom" }),
      t.containers,
    );
    assert.deepEqual(v, {
      status: "FAILED",
      exitCode: null,
      failure: "essential container main has no exit code; task stopped: TaskFailedToStart: ResourceInitializationError: boom",
    });
  });
});

describe("error classification", () => {
  it("throttling includes 'Rate exceeded' wrapped in other errors and HTTP 429", () => {
    assert.ok(isThrottling({ name: "ThrottlingException", message: "Rate exceeded" }));
    assert.ok(isThrottling({ name: "InvalidParameterException", message: "Error: Rate exceeded (ErrorCode: Throttling)" }));
    assert.ok(isThrottling({ name: "Unknown", message: "", $metadata: { httpStatusCode: 429 } }));
    assert.ok(!isThrottling({ name: "ClientException", message: "bad" }));
  });
  it("5xx and network errors are retryable; client errors are not", () => {
    assert.ok(isRetryable({ name: "ServerException", $metadata: { httpStatusCode: 500 } }));
    assert.ok(isRetryable({ name: "Error", code: "ECONNRESET" }));
    assert.ok(!isRetryable({ name: "InvalidParameterException", message: "bad subnet", $metadata: { httpStatusCode: 400 } }));
  });
});

describe("log formatting", () => {
  it("formats events in UTC with the header and blank line", () => {
    assert.equal(streamHeader("ecs/main/abc"), "=== ecs/main/abc ===\n\n");
    assert.equal(
      formatEvent(Date.UTC(2023, 10, 11, 13, 45, 23, 999), "Starting application..."),
      "[2023-11-11 13:45:23] Starting application...\n",
    );
    assert.equal(formatEvent(Date.UTC(2024, 0, 2, 3, 4, 5), ""), "[2024-01-02 03:04:05] \n");
  });
  it("caps output at a line boundary with one notice", async () => {
    async function* chunks() {
      yield "=== h ===\n\n";
      yield "[t] aaaa\n[t] bbbb\n";
      yield "[t] cccc\n";
    }
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => (text += d.toString()));
    const n = await copyCapped(chunks(), out, 25);
    assert.equal(text, "=== h ===\n\n[t] aaaa\n[heimdall: ecs logs truncated at 25 bytes]\n");
    assert.equal(n, 20);
  });
});
