// Frugal and robust with the AWS API: repeat jobs register nothing, capacity failures are retried without
// counting as task failures, a throttling + ServerException storm causes no spurious failure, health check.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ecsServerSuite, resultRows, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

describe("ecs plugin: API calls", () => {
  // Tight buckets: the plugin's own limiter (published AWS rates) is faster, so ECS throttles it.
  const slow = { burst: 4, rate: 5 };
  const stack = ecsServerSuite(
    (dir, ecs) =>
      writeConfig(dir, ecs, [
        {
          name: "ecs",
          tag: "type:ecs",
          context: {
            task_definition_template: writeTemplate(dir, "td.json", templateDoc(["sh", "-c", "echo ok"])),
            polling_interval: "100ms",
          },
        },
      ]),
    {
      throttling: {
        enabled: true,
        buckets: { clusterResourceRead: slow, clusterResourceModify: slow, fargateTaskLaunch: { burst: 4, rate: 4 } },
      },
    },
  );
  const run = async (context: Record<string, unknown>) => {
    const r = await stack.server.submit({
      name: "calls",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const job = await stack.server.waitFinal(r.body.id as string, 60_000);
    return { id: r.body.id as string, job };
  };

  it("a repeat job registers no task definition and describes none", async () => {
    const first = await run({});
    assert.equal(first.job.status, "SUCCEEDED", first.job.error);
    const before = stack.ecs.stats().calls;
    assert.equal(before.RegisterTaskDefinition, 1);
    const second = await run({});
    assert.equal(second.job.status, "SUCCEEDED", second.job.error);
    const now = stack.ecs.stats().calls;
    for (const op of ["RegisterTaskDefinition", "ListTaskDefinitions", "DescribeTaskDefinition"])
      assert.equal(now[op] ?? 0, before[op] ?? 0, op);
    assert.equal((now.RunTask ?? 0) - (before.RunTask ?? 0), 1);
  });

  it("a different size registers a new revision; the same size again reuses it", async () => {
    const a = await run({ cpu: 512, memory: 1024 });
    assert.equal(a.job.status, "SUCCEEDED", a.job.error);
    const n = stack.ecs.stats().calls.RegisterTaskDefinition;
    const b = await run({ cpu: 512, memory: 1024 });
    assert.equal(b.job.status, "SUCCEEDED", b.job.error);
    assert.equal(stack.ecs.stats().calls.RegisterTaskDefinition, n);
    const tl = (await stack.server.get(`/api/v1/job/${b.id}/tasks`)).json();
    assert.match(tl.task_definition_arn, /task-definition\/batch-job-template:2$/);
  });

  it("task_revision / use_latest_revision adopt an existing revision; task_family renames", async () => {
    const registered = stack.ecs.stats().calls.RegisterTaskDefinition;
    const latest = await run({ use_latest_revision: true });
    assert.equal(latest.job.status, "SUCCEEDED", latest.job.error);
    assert.match((await stack.server.get(`/api/v1/job/${latest.id}/tasks`)).json().task_definition_arn, /batch-job-template:2$/);
    const pinned = await run({ task_revision: 1, cpu: 512, memory: 1024 });
    assert.equal(pinned.job.status, "SUCCEEDED", pinned.job.error);
    assert.match((await stack.server.get(`/api/v1/job/${pinned.id}/tasks`)).json().task_definition_arn, /batch-job-template:1$/);
    assert.equal(stack.ecs.stats().calls.RegisterTaskDefinition, registered, "adopting registers nothing");
    const missing = await run({ task_revision: 99 });
    assert.equal(missing.job.status, "FAILED");
    assert.match(missing.job.error, /task_revision: cannot describe task definition batch-job-template:99/);
    const renamed = await run({ task_family: "renamed-family" });
    assert.equal(renamed.job.status, "SUCCEEDED", renamed.job.error);
    assert.match((await stack.server.get(`/api/v1/job/${renamed.id}/tasks`)).json().task_definition_arn, /renamed-family:1$/);
  });

  it("RunTask capacity failures are retried and not counted as task failures", async () => {
    stack.ecs.addFault({ kind: "capacity", count: 2, match: { env: { FAULT: "capacity" } } });
    const placed = () => (stack.ecs.stats().calls.RunTask ?? 0) - (stack.ecs.stats().throttled.RunTask ?? 0);
    const runTasks = placed();
    const { id, job } = await run({ container_overrides: [{ name: "main", environment: [{ name: "FAULT", value: "capacity" }] }] });
    assert.equal(job.status, "SUCCEEDED", job.error);
    assert.equal(placed() - runTasks, 3, "two capacity failures, then the task");
    const rows = resultRows((await stack.server.get(`/api/v1/job/${id}/result`)).json());
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.status]),
      [[1, "SUCCEEDED"]],
    );
    const tl = (await stack.server.get(`/api/v1/job/${id}/tasks`)).json();
    assert.equal(tl.slots[0].attempts[0].launch_errors, 2);
  });

  it("a throttling and ServerException storm over several jobs causes no spurious failure", async () => {
    stack.ecs.addFault({ kind: "serverError", probability: 0.3, match: { action: "DescribeTasks" } });
    stack.ecs.addFault({ kind: "serverError", probability: 0.3, match: { action: "RunTask" } });
    // Throttling also from a fault: on a loaded machine the calls may be too slow to exceed the tight buckets.
    stack.ecs.addFault({ kind: "throttle", probability: 0.3, match: { action: "DescribeTasks" } });
    const tasksBefore = stack.ecs.stats().tasks;
    try {
      const jobs = await Promise.all(
        Array.from({ length: 4 }, () =>
          run({ task_count: 3, container_overrides: [{ name: "main", command: ["sh", "-c", "sleep 0.5"] }] }),
        ),
      );
      for (const { id, job } of jobs) {
        assert.equal(job.status, "SUCCEEDED", job.error);
        const rows = resultRows((await stack.server.get(`/api/v1/job/${id}/result`)).json());
        assert.deepEqual(
          rows.map((r) => r.attempt),
          [1, 1, 1],
          "no task was retried",
        );
      }
      const s = stack.ecs.stats();
      assert.ok((s.errors.ThrottlingException ?? 0) > 0, JSON.stringify(s.errors));
      assert.ok((s.errors.ServerException ?? 0) > 0, JSON.stringify(s.errors));
      // 12 tasks exactly: retried RunTask calls created no duplicates.
      assert.equal(s.tasks - tasksBefore, 12);
    } finally {
      stack.ecs.clearFaults();
    }
  });

  it("cluster health: ACTIVE is healthy", async () => {
    const r = await stack.server.get("/api/v1/cluster/fargate-cluster/health");
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().checks[0].status, "ok");
  });
});
