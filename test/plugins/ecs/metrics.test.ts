// /metrics for ECS (issue 9 item 7): attempts by outcome and stop code, retries, AWS calls by operation and result
// (ok, throttled, error) and log bytes copied move when ECS jobs run against the local ECS (scraped over HTTP).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ecsServerSuite, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

/** The value of one sample of the Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const have = (m[1] ?? "").split(",").filter((x) => x !== "");
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(m[2]);
  }
  return 0;
}

describe("ecs plugin: metrics", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: {
          task_definition_template: writeTemplate(dir, "td.json", templateDoc(["sh", "-c", "echo hello from the task"])),
          polling_interval: "100ms",
        },
      },
    ]),
  );
  const scrape = async () => {
    const r = await stack.server.get("/metrics");
    assert.equal(r.status, 200);
    return r.text;
  };
  const run = async (context: Record<string, unknown>) => {
    const r = await stack.server.submit({
      name: "metrics",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return stack.server.waitFinal(r.body.id as string, 60_000);
  };

  it("declares the ECS metrics with help texts", async () => {
    const text = await scrape();
    for (const name of [
      "heimdall_ecs_task_attempts_total",
      "heimdall_ecs_task_retries_total",
      "heimdall_ecs_aws_calls_total",
      "heimdall_ecs_log_bytes_copied_total",
      "heimdall_ecs_log_bytes_read_total",
    ]) {
      assert.match(text, new RegExp(`# HELP ${name} \\S`), name);
      assert.match(text, new RegExp(`# TYPE ${name} counter`), name);
    }
  });

  it("a succeeding job: attempt outcome, AWS calls ok, log bytes copied", async () => {
    const before = await scrape();
    const job = await run({});
    assert.equal(job.status, "SUCCEEDED", job.error);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    assert.equal(delta("heimdall_ecs_task_attempts_total", { outcome: "succeeded", stop_code: "EssentialContainerExited" }), 1);
    assert.equal(delta("heimdall_ecs_aws_calls_total", { operation: "RunTask", result: "ok" }), 1);
    assert.ok(delta("heimdall_ecs_aws_calls_total", { operation: "DescribeTasks", result: "ok" }) >= 1);
    assert.ok(delta("heimdall_ecs_aws_calls_total", { operation: "GetLogEvents", result: "ok" }) >= 1);
    const stdout = (await stack.server.get(`/api/v1/job/${job.id}/stdout`)).text;
    assert.equal(delta("heimdall_ecs_log_bytes_copied_total"), Buffer.byteLength(stdout));
  });

  it("a failing job with a retry, throttled and failed AWS calls", async () => {
    stack.ecs.addFault({ kind: "throttle", count: 2, match: { action: "DescribeTasks" } });
    stack.ecs.addFault({ kind: "serverError", count: 1, match: { action: "RunTask" } });
    try {
      const before = await scrape();
      const job = await run({ max_fail_count: 1, container_overrides: [{ name: "main", command: ["sh", "-c", "echo failing; exit 3"] }] });
      assert.equal(job.status, "FAILED");
      const after = await scrape();
      const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
      assert.equal(delta("heimdall_ecs_task_attempts_total", { outcome: "failed", stop_code: "EssentialContainerExited" }), 2);
      assert.equal(delta("heimdall_ecs_task_retries_total", { reason: "failed" }), 1);
      assert.equal(delta("heimdall_ecs_aws_calls_total", { operation: "DescribeTasks", result: "throttled" }), 2);
      assert.equal(delta("heimdall_ecs_aws_calls_total", { operation: "RunTask", result: "error" }), 1);
      assert.equal(delta("heimdall_ecs_aws_calls_total", { operation: "RunTask", result: "ok" }), 2);
      assert.ok(delta("heimdall_ecs_log_bytes_copied_total") > 0);
    } finally {
      stack.ecs.clearFaults();
    }
  });

  it("live log streams count the bytes they read", async () => {
    const job = await run({});
    const before = await scrape();
    const r = await stack.server.get(`/api/v1/job/${job.id}/logs`);
    assert.equal(r.status, 200);
    const lines = r.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { message?: string });
    const bytes = lines.reduce((n, l) => n + (l.message === undefined ? 0 : Buffer.byteLength(l.message)), 0);
    assert.ok(bytes > 0);
    assert.equal(sample(await scrape(), "heimdall_ecs_log_bytes_read_total") - sample(before, "heimdall_ecs_log_bytes_read_total"), bytes);
  });
});
