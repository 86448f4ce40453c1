// Retries, fail-fast, timeout, start failures, MISSING, cancel and override precedence — through the REST API
// on local ECS, asserting what the API and the ECS endpoint report.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeTasksCommand, ECSClient } from "@aws-sdk/client-ecs";
import { ECS_CLUSTER, ecsServerSuite, resultRows, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

const sh = (script: string) => [{ name: "main", command: ["sh", "-c", script] }];

describe("ecs plugin scenarios through the API", () => {
  const stack = ecsServerSuite((dir, ecs) => {
    const tpl = writeTemplate(dir, "task-definition.json", templateDoc());
    const two = templateDoc(["sh", "-c", "echo main CUSTOM_VAR=$CUSTOM_VAR JOB_VAR=$JOB_VAR ENVIRONMENT=$ENVIRONMENT"]);
    two.containerDefinitions.push({
      ...two.containerDefinitions[0]!,
      name: "sidecar",
      essential: false,
      command: ["sh", "-c", "echo sidecar SIDE=$SIDE TASK_NUM=$TASK_NUM"],
    } as (typeof two.containerDefinitions)[0]);
    // main (essential) starts once the sidecar has exited, so the task cannot stop before the sidecar printed.
    Object.assign(two.containerDefinitions[0]!, { dependsOn: [{ containerName: "sidecar", condition: "COMPLETE" }] });
    const tpl2 = writeTemplate(dir, "two-containers.json", two);
    return writeConfig(dir, ecs, [
      {
        name: "ecs-generic",
        tag: "type:ecs",
        context: { task_definition_template: tpl, polling_interval: "100ms", cpu: 256, memory: 512 },
      },
      {
        name: "ecs-two",
        tag: "type:ecs-two",
        context: {
          task_definition_template: tpl2,
          polling_interval: "100ms",
          container_overrides: [
            { name: "main", command: ["sh", "-c", "echo from-command"], environment: [{ name: "CUSTOM_VAR", value: "custom_value" }] },
            { name: "sidecar", environment: [{ name: "SIDE", value: "from-command" }] },
          ],
        },
      },
    ]);
  });
  let client: ECSClient;
  before(() => {
    client = new ECSClient({ endpoint: stack.ecs.url, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  });
  after(() => client?.destroy());

  const submit = async (context: Record<string, unknown>, tag = "type:ecs") => {
    const r = await stack.server.submit({ name: "t", version: "1", command_criteria: [tag], cluster_criteria: ["type:fargate"], context });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const rowsOf = async (id: string) => resultRows((await stack.server.get(`/api/v1/job/${id}/result`)).json());
  const timeline = async (id: string) => (await stack.server.get(`/api/v1/job/${id}/tasks`)).json();

  it("runs 2 tasks in parallel", async () => {
    const id = await submit({ task_count: 2, container_overrides: sh("sleep 1; echo done $TASK_NUM") });
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = await rowsOf(id);
    assert.equal(rows.length, 2);
    const [a, b] = rows as [Record<string, string>, Record<string, string>];
    // Each started before the other stopped: they overlapped in time.
    assert.ok(a.started_at! < b.stopped_at! && b.started_at! < a.stopped_at!, JSON.stringify(rows));
  });

  it("job override replaces the command's override per container; other containers keep the command's", async () => {
    const id = await submit(
      { task_count: 1, container_overrides: [{ name: "main", environment: [{ name: "JOB_VAR", value: "from-job" }] }] },
      "type:ecs-two",
    );
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const out = (await stack.server.get(`/api/v1/job/${id}/stdout`)).text;
    // main: template command (the command's override with its command and CUSTOM_VAR was replaced), template env kept.
    assert.match(out, /\] main CUSTOM_VAR= JOB_VAR=from-job ENVIRONMENT=production\n/);
    assert.match(out, /\] sidecar SIDE=from-command TASK_NUM=0\n/);
    assert.doesNotMatch(out, /from-command\n.*main/);
  });

  it("a slot failing twice then succeeding with max_fail_count 2 succeeds with 2 failed ARNs in the result", async () => {
    const counter = join(stack.dir, "counter");
    const script = `f=${counter}-$TASK_NUM; n=$(cat $f 2>/dev/null || echo 0); n=$((n+1)); echo $n > $f; echo attempt $n; [ $n -ge 3 ] || exit 7`;
    const id = await submit({ task_count: 1, max_fail_count: 2, container_overrides: sh(script) });
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = await rowsOf(id);
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.status, r.exit_code]),
      [
        [1, "FAILED", 7],
        [2, "FAILED", 7],
        [3, "SUCCEEDED", 0],
      ],
    );
    const arns = rows.map((r) => r.task_arn as string);
    assert.equal(new Set(arns).size, 3);
    assert.equal(readFileSync(`${counter}-0`, "utf8").trim(), "3");
  });

  it("a slot exhausting its retries stops its siblings (UserInitiated) and fails the job naming the slot", async () => {
    const script = 'if [ "$TASK_NUM" = 1 ]; then echo boom; exit 3; fi; sleep 30';
    const id = await submit({ task_count: 3, max_fail_count: 1, container_overrides: sh(script) });
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "FAILED");
    assert.match(
      job.error,
      /^task slot 1 \(heimdall-job-.*-1\) failed 2 attempts \(max_fail_count 1\); last: essential container main exited with code 3/,
    );
    const tl = await timeline(id);
    const siblings = tl.slots.filter((s: any) => s.slot !== 1).map((s: any) => s.attempts.at(-1).task_arn as string);
    assert.equal(siblings.length, 2);
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: siblings }));
    for (const t of d.tasks ?? []) {
      assert.equal(t.stopCode, "UserInitiated");
      assert.equal(t.desiredStatus, "STOPPED");
      assert.match(t.stoppedReason ?? "", /task slot 1 failed 2 times/);
    }
    assert.match((await stack.server.get(`/api/v1/job/${id}/stderr`)).text, /^=== ecs\/main\/[0-9a-f]{32} ===\n\n\[.{19}\] boom\n$/);
    assert.equal((await stack.server.get(`/api/v1/job/${id}/stdout`)).text, "");
  });

  it("timeout stops every running task and lists the unfinished slots", async () => {
    const id = await submit({ task_count: 2, timeout: "1s", container_overrides: sh("echo waiting; sleep 30") });
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "FAILED");
    assert.match(job.error, /^timeout after 1s: unfinished task slots 0 \(heimdall-job-.*-0, arn:aws:ecs:.*\), 1 \(/);
    // The ecs plugin stores its attempt table for timed-out jobs too (spec 10.5): one row per attempt.
    const result = await stack.server.get(`/api/v1/job/${id}/result`);
    assert.equal(result.status, 200);
    const table = result.json() as { columns: { name: string }[]; data: unknown[][] };
    const col = (name: string) => table.columns.findIndex((c) => c.name === name);
    assert.equal(table.data.length, 2);
    const tl = await timeline(id);
    assert.deepEqual(
      tl.slots.map((s: any) => s.attempts.length),
      [1, 1],
    );
    const arns = tl.slots.map((s: any) => s.attempts.at(-1).task_arn as string);
    assert.deepEqual(
      table.data.map((r) => r[col("task_arn")]),
      arns,
    );
    assert.deepEqual(
      table.data.map((r) => r[col("status")]),
      ["STOPPED", "STOPPED"],
    );
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: arns }));
    assert.deepEqual(
      d.tasks?.map((t) => t.desiredStatus),
      ["STOPPED", "STOPPED"],
    );
    assert.match((await stack.server.get(`/api/v1/job/${id}/stderr`)).text, /^=== ecs\/main\/[0-9a-f]{32} ===\n\n\[.{19}\] waiting\n/);
  });

  it("a task that fails to start fails the job with ECS's reason", async () => {
    stack.ecs.addFault({
      kind: "failToStart",
      match: { env: { FAULT: "nostart" } },
      reason: "CannotPullContainerError: pull access denied for alpine",
    });
    const id = await submit({ container_overrides: [{ name: "main", environment: [{ name: "FAULT", value: "nostart" }] }] });
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "FAILED");
    assert.match(
      job.error,
      /failed 1 attempt .*no exit code; task stopped: TaskFailedToStart: CannotPullContainerError: pull access denied/,
    );
  });

  it("a task ECS reports MISSING fails (never seen: once missing_grace after RunTask has passed)", async () => {
    stack.ecs.addFault({ kind: "vanish", match: { env: { FAULT: "vanish" } }, afterMs: 0 });
    const id = await submit({
      missing_grace: "1s",
      container_overrides: [{ name: "main", command: ["sleep", "20"], environment: [{ name: "FAULT", value: "vanish" }] }],
    });
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "FAILED");
    assert.match(job.error, /last: task not visible in DescribeTasks 1s after RunTask \(MISSING\)/);
  });

  it("cancel stops the running tasks with a reason naming who canceled", async () => {
    const id = await submit({ task_count: 2, container_overrides: sh("sleep 30") });
    const tl = await waitForArns(id, 2);
    const c = await stack.server.post(`/api/v1/job/${id}/cancel`, undefined, "alice");
    assert.equal(c.status, 200, c.text);
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "CANCELED");
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: tl }));
    for (const t of d.tasks ?? []) {
      assert.equal(t.desiredStatus, "STOPPED");
      assert.equal(t.stopCode, "UserInitiated");
      assert.match(t.stoppedReason ?? "", /canceled by alice/);
    }
  });

  async function waitForArns(id: string, n: number): Promise<string[]> {
    const end = Date.now() + 15_000;
    for (;;) {
      const r = await stack.server.get(`/api/v1/job/${id}/tasks`);
      if (r.status === 200) {
        const arns = r
          .json()
          .slots.map((s: any) => s.attempts.at(-1)?.task_arn)
          .filter(Boolean);
        if (arns.length === n) return arns;
      }
      if (Date.now() > end) throw new Error(`no ${n} task ARNs: ${r.text}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
});
