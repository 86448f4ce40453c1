// Log output byte for byte: header, blank line, `[YYYY-MM-DD HH:MM:SS] message` (UTC) per event; stdout on
// success, stderr on failure; every awslogs container of the representative task; the per-job cap; task logs API.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ecsServerSuite, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

describe("ecs plugin: job logs", () => {
  const stack = ecsServerSuite((dir, ecs) => {
    const two = templateDoc(["sh", "-c", "echo first line; echo 'second  line  with  spaces'; echo ünïcödé"]);
    two.containerDefinitions.push({
      ...two.containerDefinitions[0]!,
      name: "helper",
      essential: false,
      command: ["sh", "-c", "echo helper says hi"],
    } as (typeof two.containerDefinitions)[0]);
    const tpl = writeTemplate(dir, "td.json", two);
    return writeConfig(dir, ecs, [
      { name: "ecs", tag: "type:ecs", context: { task_definition_template: tpl, polling_interval: "100ms" } },
      { name: "ecs-capped", tag: "type:capped", context: { task_definition_template: tpl, polling_interval: "100ms", log_max_bytes: 120 } },
    ]);
  });
  let logs: CloudWatchLogsClient;
  before(() => {
    logs = new CloudWatchLogsClient({
      endpoint: stack.ecs.url,
      region: "us-west-2",
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
  });
  after(() => logs?.destroy());

  async function expected(taskId: string): Promise<string> {
    let text = "";
    for (const container of ["main", "helper"]) {
      const stream = `ecs/${container}/${taskId}`;
      const r = await logs.send(new GetLogEventsCommand({ logGroupName: "/ecs/batch-jobs", logStreamName: stream, startFromHead: true }));
      text += `=== ${stream} ===\n\n`;
      for (const e of r.events ?? []) text += `[${stamp(e.timestamp!)}] ${e.message}\n`;
    }
    return text;
  }
  const run = async (tag: string, context: Record<string, unknown>) => {
    const r = await stack.server.submit({
      name: "logs",
      version: "1",
      command_criteria: [tag],
      cluster_criteria: ["type:fargate"],
      context,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.id as string;
    const job = await stack.server.waitFinal(id);
    const tl = (await stack.server.get(`/api/v1/job/${id}/tasks`)).json();
    const arn: string = tl.slots[0].attempts.at(-1).task_arn;
    return { id, job, taskId: arn.slice(arn.lastIndexOf("/") + 1) };
  };

  it("success: every awslogs container of the task to stdout, exactly", async () => {
    const { id, job, taskId } = await run("type:ecs", {});
    assert.equal(job.status, "SUCCEEDED", job.error);
    const want = await expected(taskId);
    assert.match(want, /\] first line\n\[.{19}\] second  line  with  spaces\n\[.{19}\] ünïcödé\n=== ecs\/helper\//);
    assert.equal((await stack.server.get(`/api/v1/job/${id}/stdout`)).text, want);
    assert.equal((await stack.server.get(`/api/v1/job/${id}/stderr`)).text, "");
  });

  it("failure: the failed task's logs to stderr, exactly, stdout empty", async () => {
    const { id, job, taskId } = await run("type:ecs", {
      container_overrides: [{ name: "main", command: ["sh", "-c", "echo failing now; exit 2"] }],
    });
    assert.equal(job.status, "FAILED");
    const want = await expected(taskId);
    assert.match(want, /\] failing now\n/);
    assert.equal((await stack.server.get(`/api/v1/job/${id}/stderr`)).text, want);
    assert.equal((await stack.server.get(`/api/v1/job/${id}/stdout`)).text, "");
  });

  it("reads a stream longer than one GetLogEvents page (10,000 events) to the end, in order", async () => {
    const before = stack.ecs.stats().calls.GetLogEvents ?? 0;
    const { id, job, taskId } = await run("type:ecs", { container_overrides: [{ name: "main", command: ["seq", "1", "25000"] }] });
    assert.equal(job.status, "SUCCEEDED", job.error);
    const out = (await stack.server.get(`/api/v1/job/${id}/stdout`)).text;
    const main = out.slice(0, out.indexOf("=== ecs/helper/"));
    const lines = main.split("\n");
    assert.equal(lines[0], `=== ecs/main/${taskId} ===`);
    const events = lines.slice(2, -1);
    assert.equal(events.length, 25000);
    events.forEach((l, i) => assert.ok(l.endsWith(`] ${i + 1}`), `event ${i}: ${l}`));
    // main: 3 pages (10,000 + 10,000 + 5,000) + 1 call that repeats the token; helper: 1 page + 1 repeat.
    assert.equal((stack.ecs.stats().calls.GetLogEvents ?? 0) - before, 6);
  });

  it("output beyond log_max_bytes is cut at a line with one truncation notice", async () => {
    const { id, job } = await run("type:capped", {
      container_overrides: [{ name: "main", command: ["sh", "-c", "i=0; while [ $i -lt 50 ]; do echo line $i; i=$((i+1)); done"] }],
    });
    assert.equal(job.status, "SUCCEEDED", job.error);
    const out = (await stack.server.get(`/api/v1/job/${id}/stdout`)).text;
    const notice = "[heimdall: ecs logs truncated at 120 bytes]\n";
    assert.ok(out.endsWith(notice), out);
    const kept = out.slice(0, -notice.length);
    assert.ok(Buffer.byteLength(kept) <= 120 && kept.endsWith("\n"), kept);
    assert.match(kept, /^=== ecs\/main\/[0-9a-f]{32} ===\n\n\[.{19}\] line 0\n/);
  });

  it("GET …/tasks/{slot}/logs?follow=true streams a running task's logs until it ends", async () => {
    const r = await stack.server.submit({
      name: "follow",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { container_overrides: [{ name: "main", command: ["sh", "-c", "for i in 1 2 3 4; do echo tick $i; sleep 0.4; done"] }] },
    });
    const id = r.body.id as string;
    const running = await stack.server.waitFor(id, (j) => j.status === "RUNNING" || j.status === "SUCCEEDED");
    assert.equal(running.status, "RUNNING", "followed while running");
    const followed = await stack.server.get(`/api/v1/job/${id}/tasks/0/logs?follow=true`);
    assert.equal(followed.status, 200);
    assert.match(
      followed.text,
      /^=== ecs\/main\/[0-9a-f]{32} ===\n\n\[.{19}\] tick 1\n\[.{19}\] tick 2\n\[.{19}\] tick 3\n\[.{19}\] tick 4\n=== ecs\/helper\//,
    );
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
  });

  it("GET …/tasks/{slot}/logs?follow=true asked before the task is launched waits for it", async () => {
    // A size of its own gives the job a task definition of its own, looked up (ListTaskDefinitions) before the
    // plugin records anything: that call answers 1.5 s late, so the job is RUNNING with no task when the follower comes.
    stack.ecs.addFault({ kind: "latency", latencyMs: 1_500, count: 1, match: { action: "ListTaskDefinitions" } });
    const r = await stack.server.submit({
      name: "follow-early",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: {
        cpu: 512,
        memory: 1024,
        container_overrides: [{ name: "main", command: ["sh", "-c", "echo early 1; sleep 0.3; echo early 2"] }],
      },
    });
    const id = r.body.id as string;
    await stack.server.waitFor(id, (j) => j.status === "RUNNING");
    assert.equal((await stack.server.get(`/api/v1/job/${id}/tasks`)).json().slots.length, 0);
    const followed = await stack.server.get(`/api/v1/job/${id}/tasks/0/logs?follow=true`);
    assert.equal(followed.status, 200);
    assert.match(followed.text, /^=== ecs\/main\/[0-9a-f]{32} ===\n\n\[.{19}\] early 1\n\[.{19}\] early 2\n/);
    assert.equal((await stack.server.waitFinal(id)).status, "SUCCEEDED");
    // Once the job is final, a slot it never had is unknown at once.
    assert.equal((await stack.server.get(`/api/v1/job/${id}/tasks/3/logs?follow=true`)).status, 404);
  });

  it("GET …/tasks/{slot}/logs streams any attempt's logs", async () => {
    const script = 'echo "attempt of slot $TASK_NUM"; exit 1';
    const { id, job } = await run("type:ecs", {
      max_fail_count: 1,
      container_overrides: [{ name: "main", command: ["sh", "-c", script] }],
    });
    assert.equal(job.status, "FAILED");
    const tl = (await stack.server.get(`/api/v1/job/${id}/tasks`)).json();
    assert.equal(tl.slots[0].attempts.length, 2);
    for (const attempt of [1, 2]) {
      const r = await stack.server.get(`/api/v1/job/${id}/tasks/0/logs?attempt=${attempt}`);
      assert.equal(r.status, 200);
      const arn: string = tl.slots[0].attempts[attempt - 1].task_arn;
      assert.equal(r.text, await expected(arn.slice(arn.lastIndexOf("/") + 1)));
    }
    const missing = await stack.server.get(`/api/v1/job/${id}/tasks/5/logs`);
    assert.equal(missing.status, 404);
  });
});
