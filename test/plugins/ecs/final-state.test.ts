// Issue 8 item 7: tasks the plugin stops (timeout, cancel, fail-fast) show their final state in
// GET /job/{id}/tasks — last_status STOPPED, the essential container's exit code, stop code and time — not the
// RUNNING of the poll before StopTask. Through the REST API on local ECS (a stopped `sleep` exits 128+SIGTERM).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ecsServerSuite, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

const sh = (script: string) => [{ name: "main", command: ["sh", "-c", script] }];

describe("ecs plugin: final state of the tasks it stops", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeConfig(dir, ecs, [
      {
        name: "ecs",
        tag: "type:ecs",
        context: { task_definition_template: writeTemplate(dir, "td.json", templateDoc()), polling_interval: "200ms" },
      },
    ]),
  );

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
  const assertStopped = (a: any) => {
    const at = JSON.stringify(a);
    assert.equal(a.status, "STOPPED", at);
    assert.equal(a.last_status, "STOPPED", at);
    assert.equal(a.exit_code, 143, at); // sh killed by SIGTERM
    assert.deepEqual(
      a.containers.map((c: any) => [c.name, c.exit_code]),
      [["main", 143]],
      at,
    );
    assert.equal(a.stop_code, "UserInitiated", at);
    assert.ok(a.stopped_at !== null && a.stopped_at >= a.started_at, at);
  };

  it("timeout: every stopped task shows STOPPED with its exit code", async () => {
    const id = await submit({ task_count: 2, timeout: "2s", container_overrides: sh("sleep 30") });
    const job = await stack.server.waitFinal(id, 60_000);
    assert.equal(job.status, "FAILED");
    assert.match(job.error, /^timeout after 2s/);
    const tl = await timeline(id);
    assert.equal(tl.slots.length, 2);
    for (const s of tl.slots) {
      assert.equal(s.attempts.length, 1);
      assert.match(s.attempts[0].stopped_reason, /timed out/);
      assertStopped(s.attempts[0]);
    }
  });

  it("cancel: the canceled tasks show STOPPED with their exit code", async () => {
    const id = await submit({ task_count: 2, container_overrides: sh("sleep 30") });
    const end = Date.now() + 30_000;
    for (;;) {
      const tl = await timeline(id);
      if (tl.slots?.length === 2 && tl.slots.every((s: any) => s.attempts.at(-1)?.last_status === "RUNNING")) break;
      assert.ok(Date.now() < end, `tasks not RUNNING: ${JSON.stringify(tl)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const c = await stack.server.post(`/api/v1/job/${id}/cancel`, undefined, "alice");
    assert.equal(c.status, 200, c.text);
    const job = await stack.server.waitFinal(id, 60_000);
    assert.equal(job.status, "CANCELED");
    for (const s of (await timeline(id)).slots) {
      assert.match(s.attempts[0].stopped_reason, /canceled by alice/);
      assertStopped(s.attempts[0]);
    }
  });

  it("fail-fast: the sibling stopped because another slot failed shows STOPPED with its exit code", async () => {
    const id = await submit({ task_count: 2, container_overrides: sh('if [ "$TASK_NUM" = 1 ]; then sleep 1; exit 3; fi; sleep 30') });
    const job = await stack.server.waitFinal(id, 60_000);
    assert.equal(job.status, "FAILED");
    const [sibling, failed] = (await timeline(id)).slots.map((s: any) => s.attempts[0]);
    assert.deepEqual([failed.status, failed.last_status, failed.exit_code], ["FAILED", "STOPPED", 3]);
    assert.match(sibling.stopped_reason, /task slot 1 failed 1 times/);
    assertStopped(sibling);
  });
});
