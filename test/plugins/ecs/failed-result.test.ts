// Issue 8 item 8: a FAILED ECS job (a slot out of retries) keeps its attempt table. GET /job/{id}/result has one
// row per attempt — ARN, status FAILED / STOPPED, exit code, stop code, reason — matching the timeline and what
// the ECS endpoint reports; the job's error and stderr are as before.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeTasksCommand, ECSClient } from "@aws-sdk/client-ecs";
import { ECS_CLUSTER, ecsServerSuite, resultRows, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

describe("ecs plugin: the result table of a failed job", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: { task_definition_template: writeTemplate(dir, "td.json", templateDoc()), polling_interval: "100ms" },
      },
    ]),
  );
  let client: ECSClient;
  before(() => {
    client = new ECSClient({ endpoint: stack.ecs.url, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  });
  after(() => client?.destroy());

  it("max_fail_count exhausted: one row per attempt with ARN, status, exit code, stop code and reason", async () => {
    // Slot 1 fails both of its attempts (exit 3); slot 0 is still running and is stopped by heimdall.
    const script = 'if [ "$TASK_NUM" = 1 ]; then echo boom; exit 3; fi; sleep 30';
    const context = { task_count: 2, max_fail_count: 1, container_overrides: [{ name: "main", command: ["sh", "-c", script] }] };
    const r = await stack.server.submit({
      name: "t",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.id as string;
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "FAILED");
    assert.match(
      job.error,
      /^task slot 1 \(heimdall-job-.*-1\) failed 2 attempts \(max_fail_count 1\); last: essential container main exited with code 3/,
    );
    assert.match((await stack.server.get(`/api/v1/job/${id}/stderr`)).text, /^=== ecs\/main\/[0-9a-f]{32} ===\n\n\[.{19}\] boom\n$/);

    const res = await stack.server.get(`/api/v1/job/${id}/result`);
    assert.equal(res.status, 200, res.text);
    const rows = resultRows(res.json());
    assert.deepEqual(
      rows.map((x) => [x.task_num, x.attempt, x.status]),
      [
        [0, 1, "STOPPED"],
        [1, 1, "FAILED"],
        [1, 2, "FAILED"],
      ],
    );
    // The rows agree with the job's timeline and with ECS.
    const tl = (await stack.server.get(`/api/v1/job/${id}/tasks`)).json();
    const arns: string[] = tl.slots.flatMap((s: any) => s.attempts.map((a: any) => a.task_arn));
    assert.deepEqual(
      rows.map((x) => x.task_arn),
      arns,
    );
    assert.equal(new Set(arns).size, 3);
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: arns }));
    const ecsTask = new Map((d.tasks ?? []).map((t) => [t.taskArn, t]));
    for (const row of rows) {
      const t = ecsTask.get(row.task_arn);
      assert.ok(t, `ECS knows ${row.task_arn}`);
      assert.equal(row.stop_code, t.stopCode, `stop code of ${row.task_arn}`);
      assert.equal(row.exit_code, t.containers?.[0]?.exitCode ?? null, `exit code of ${row.task_arn}`);
      assert.equal(typeof row.stopped_reason, "string");
      assert.ok(row.stopped_reason.length > 0, `reason of ${row.task_arn}`);
    }
    const [stopped, first, second] = rows as [Record<string, any>, Record<string, any>, Record<string, any>];
    for (const failed of [first, second]) {
      assert.equal(failed.exit_code, 3);
      assert.equal(failed.stop_code, "EssentialContainerExited");
    }
    assert.equal(stopped.stop_code, "UserInitiated");
    assert.match(stopped.stopped_reason, /task slot 1 failed 2 times/);
  });
});
