// Bad job input is a 400 at submit naming the field and the rule (validateJobContext), before any AWS call.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ecsServerSuite, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

const env = (name: string, value: unknown) => [{ name: "main", environment: [{ name, value }] }];

const CASES: [string, Record<string, unknown>, RegExp][] = [
  ["task_count zero", { task_count: 0 }, /^task_count: must be at least 1$/],
  ["task_count above the cluster max", { task_count: 11 }, /^task_count: must be at most 10 \(the cluster's max_task_count\)$/],
  ["task_count as a string", { task_count: "2" }, /^task_count: must be an integer$/],
  ["task_count fractional", { task_count: 1.5 }, /^task_count: must be an integer$/],
  ["cpu zero", { cpu: 0 }, /^cpu: must be greater than 0$/],
  ["cpu above max_cpu", { cpu: 8192, memory: 16384 }, /cpu: 8192 exceeds the cluster's max_cpu \(4096\)/],
  ["memory above max_memory", { cpu: 4096, memory: 16384 }, /^memory: 16384 exceeds the cluster's max_memory \(8192\)$/],
  ["invalid Fargate pair", { cpu: 256, memory: 4096 }, /^cpu\/memory: no Fargate configuration for cpu 256 and memory 4096/],
  ["cpu not a Fargate size", { cpu: 300 }, /^cpu\/memory: cpu 300 is not a Fargate size/],
  ["memory not a number", { memory: "lots" }, /^memory: must be an integer$/],
  ["duration without unit", { polling_interval: "30" }, /^polling_interval: invalid duration "30"$/],
  ["duration as a number", { polling_interval: 30 }, /^polling_interval: must be a duration string such as "30s"$/],
  ["negative timeout", { timeout: "-1m" }, /^timeout: must be a positive duration$/],
  ["zero timeout", { timeout: "0" }, /^timeout: must be a positive duration$/],
  ["negative max_fail_count", { max_fail_count: -1 }, /^max_fail_count: must be at least 0$/],
  ["max_fail_count above the limit", { max_fail_count: 101 }, /^max_fail_count: must be at most 100/],
  ["overrides not an array", { container_overrides: {} }, /^container_overrides: must be an array of container overrides$/],
  [
    "override for an unknown container",
    { container_overrides: [{ name: "nope" }] },
    /^container_overrides\[0\]\.name: container "nope" is not in the task definition/,
  ],
  [
    "override of TASK_NAME",
    { container_overrides: env("TASK_NAME", "x") },
    /^container_overrides\[0\]\.environment\[0\]\.name: TASK_NAME is set by heimdall/,
  ],
  ["override of TASK_NUM", { container_overrides: env("TASK_NUM", "9") }, /TASK_NUM is set by heimdall and cannot be overridden/],
  [
    "command not an array",
    { container_overrides: [{ name: "main", command: "echo" }] },
    /^container_overrides\[0\]\.command: must be an array of strings$/,
  ],
  [
    "environment value not a string",
    { container_overrides: env("A", 5) },
    /^container_overrides\[0\]\.environment\[0\]\.value: must be a string$/,
  ],
  ["unknown override field", { container_overrides: [{ name: "main", image: "evil" }] }, /^container_overrides\[0\]\.image: unknown field/],
  [
    "task_revision with use_latest_revision",
    { task_revision: 3, use_latest_revision: true },
    /^task_revision: cannot be combined with use_latest_revision$/,
  ],
  ["use_latest_revision not boolean", { use_latest_revision: "yes" }, /^use_latest_revision: must be a boolean$/],
  ["task_revision zero", { task_revision: 0 }, /^task_revision: must be a positive integer$/],
  ["bad task_family", { task_family: "bad name!" }, /^task_family: must be 1-255 letters, digits, hyphens or underscores$/],
  [
    "template path from a job",
    { task_definition_template: "/etc/passwd" },
    /^task_definition_template: cannot be set by a job \(command setting\)$/,
  ],
  [
    "execution role from a job",
    { execution_role_arn: "arn:aws:iam::1:role/x" },
    /^execution_role_arn: cannot be set by a job \(cluster setting\)$/,
  ],
  ["subnets from a job", { vpc_config: { subnets: ["subnet-1"] } }, /^vpc_config: cannot be set by a job \(cluster setting\)$/],
  ["cluster name from a job", { cluster_name: "prod" }, /^cluster_name: cannot be set by a job \(cluster setting\)$/],
  ["launch type from a job", { launch_type: "EC2" }, /^launch_type: cannot be set by a job \(cluster setting\)$/],
  ["job_id tag", { tags: { job_id: "x" } }, /^tags\.job_id: is reserved/],
  ["tag value not a string", { tags: { team: 5 } }, /^tags\.team: must be a string$/],
  [
    "overrides beyond 8192 characters",
    { container_overrides: env("BIG", "x".repeat(9000)) },
    /^container_overrides: RunTask overrides would be \d+ characters; ECS allows at most 8192$/,
  ],
  ["several problems at once", { task_count: 0, timeout: "soon" }, /^task_count: must be at least 1; timeout: invalid duration "soon"$/],
];

describe("ecs plugin: bad job input is rejected at submit", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: { task_definition_template: writeTemplate(dir, "task-definition.json", templateDoc()), polling_interval: "100ms" },
      },
    ]),
  );

  for (const [name, context, message] of CASES) {
    it(`${name} → 400`, async () => {
      const r = await stack.server.submit({
        name: "bad",
        version: "1",
        command_criteria: ["type:ecs"],
        cluster_criteria: ["type:fargate"],
        context,
      });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(String(r.body.error), message);
    });
  }

  it("nothing reached ECS", () => {
    const calls = stack.ecs.stats().calls;
    assert.equal(calls.RunTask ?? 0, 0);
    assert.equal(calls.RegisterTaskDefinition ?? 0, 0);
  });

  it("a valid context is accepted", async () => {
    const r = await stack.server.submit({
      name: "ok",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { task_count: 10, cpu: 4096, memory: 8192 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const job = await stack.server.waitFinal(r.body.id as string);
    assert.equal(job.status, "SUCCEEDED", job.error);
  });
});
