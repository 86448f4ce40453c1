// Eventual consistency (issue 8 item 4): a task RunTask started but DescribeTasks does not show yet is waited
// for (missing_grace after RunTask, with backoff), never run twice; a task given up is stopped before its slot
// is retried. Through the REST API on local ECS with its `invisible` / `vanish` faults.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import pino from "pino";
import { ecsPlugin } from "../../../src/plugins/ecs/index.ts";
import { ECS_CLUSTER, ecsServerSuite, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

const main = (fault: string, script: string) => [
  { name: "main", command: ["sh", "-c", script], environment: [{ name: "FAULT", value: fault }] },
];

describe("ecs plugin: tasks not visible yet after RunTask", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: { task_definition_template: writeTemplate(dir, "td.json", templateDoc()), polling_interval: "500ms" },
      },
    ]),
  );
  let client: ECSClient;
  before(() => {
    client = new ECSClient({ endpoint: stack.ecs.url, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  });
  after(() => client?.destroy());

  const submit = async (context: Record<string, unknown>) => {
    const r = await stack.server.submit({
      name: "t",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const timeline = async (id: string) => (await stack.server.get(`/api/v1/job/${id}/tasks`)).json();
  const tasksOf = async (startedBy: string, desiredStatus: "RUNNING" | "STOPPED") =>
    (await client.send(new ListTasksCommand({ cluster: ECS_CLUSTER, startedBy, desiredStatus }))).taskArns ?? [];

  it("a task invisible for 5 s after RunTask (polling 2s, max_fail_count 1) is waited for: one RunTask, one attempt, success", async () => {
    stack.ecs.addFault({ kind: "invisible", count: 1, afterMs: 5_000, match: { env: { FAULT: "late" } } });
    const id = await submit({ polling_interval: "2s", max_fail_count: 1, container_overrides: main("late", "sleep 7; echo done") });
    const job = await stack.server.waitFinal(id, 90_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const tl = await timeline(id);
    assert.deepEqual(
      tl.slots[0].attempts.map((a: any) => [a.attempt, a.status, a.last_status, a.exit_code]),
      [[1, "SUCCEEDED", "STOPPED", 0]],
    );
    // Exactly one task was ever started for the slot.
    const name = `heimdall-job-${id}-0`;
    assert.deepEqual([...(await tasksOf(name, "STOPPED")), ...(await tasksOf(name, "RUNNING"))], [tl.slots[0].attempts[0].task_arn]);
  });

  it("a task never visible within missing_grace is stopped before its slot is retried, and the job says why", async () => {
    // Both attempts stay invisible for 4.5 s (StopTask answers "not found" meanwhile); the grace is 3 s, and
    // StopTask's "not found" is retried for another grace.
    stack.ecs.addFault({ kind: "invisible", count: 2, afterMs: 4_500, match: { env: { FAULT: "hidden" } } });
    const id = await submit({ missing_grace: "3s", max_fail_count: 1, container_overrides: main("hidden", "sleep 60") });
    const job = await stack.server.waitFinal(id, 120_000);
    assert.equal(job.status, "FAILED");
    assert.match(
      job.error,
      /^task slot 0 \(heimdall-job-.*-0\) failed 2 attempts \(max_fail_count 1\); last: task not visible in DescribeTasks 3s after RunTask \(MISSING\); StopTask sent \[arn:aws:ecs:/,
    );
    const attempts = (await timeline(id)).slots[0].attempts;
    assert.equal(attempts.length, 2);
    for (const a of attempts) {
      assert.equal(a.status, "FAILED");
      assert.match(a.failure, /^task not visible in DescribeTasks 3s after RunTask \(MISSING\); StopTask sent$/);
      assert.equal(a.stop_code, "UserInitiated");
      assert.equal(a.last_status, "STOPPED", JSON.stringify(a));
      // The grace origin is stored with the attempt (a resumed job keeps it).
      assert.equal(Date.parse(a.visible_by) - Date.parse(a.run_task_at), 3_000);
    }
    const arns = attempts.map((a: any) => a.task_arn as string);
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: arns }));
    const [first, second] = arns.map((arn: string) => d.tasks!.find((t) => t.taskArn === arn)!);
    for (const t of [first!, second!]) {
      assert.equal(t.desiredStatus, "STOPPED");
      assert.equal(t.stopCode, "UserInitiated");
      assert.match(t.stoppedReason ?? "", /gave up heimdall-job-.*-0 attempt \d: task not visible in DescribeTasks 3s after RunTask/);
    }
    // The retry was launched only after ECS had accepted the first task's StopTask: they never ran together.
    assert.ok(
      second!.createdAt!.getTime() >= first!.stoppingAt!.getTime(),
      `${second!.createdAt?.toISOString()} < ${first!.stoppingAt?.toISOString()}`,
    );
    assert.ok(second!.createdAt!.getTime() >= first!.stoppedAt!.getTime(), "the first task had reached STOPPED before the retry");
    assert.deepEqual(await tasksOf(`heimdall-job-${id}-0`, "RUNNING"), []);
  });

  it("a task seen running that then disappears is given up at once with the reason", async () => {
    stack.ecs.addFault({ kind: "vanish", count: 1, afterMs: 3_000, match: { env: { FAULT: "gone" } } });
    const id = await submit({ polling_interval: "200ms", container_overrides: main("gone", "sleep 30") });
    const job = await stack.server.waitFinal(id, 60_000);
    assert.equal(job.status, "FAILED");
    assert.match(
      job.error,
      /last: task disappeared: DescribeTasks answers MISSING for a task seen before; StopTask: task not found \[arn:/,
    );
  });

  it("missing_grace is validated like polling_interval, in the command and in the job", async () => {
    const bad = await stack.server.submit({
      name: "t",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { missing_grace: "soon" },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /missing_grace: invalid duration \\"soon\\"/);
    const zero = await stack.server.submit({
      name: "t",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { missing_grace: "0s" },
    });
    assert.equal(zero.status, 400);
    assert.match(JSON.stringify(zero.body), /missing_grace: must be a positive duration/);
    const services = { state: { put: async () => undefined, list: async () => [] }, log: pino({ level: "silent" }), version: "test" };
    const tpl = writeTemplate(stack.dir, "td-grace.json", templateDoc());
    await assert.rejects(
      async () => ecsPlugin.create({ task_definition_template: tpl, missing_grace: 120 }, {} as never, services as never),
      /missing_grace: must be a duration string such as "30s"/,
    );
  });
});
