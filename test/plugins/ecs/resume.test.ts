// Durable and resumable: a server SIGKILLed mid-job and restarted continues the job from stored state —
// same task ARNs, no extra RunTask, and a RunTask in flight at the crash is re-sent with the same clientToken.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { ECS_CLUSTER, cleanupDir, resultRows, spawnServer, startEcs, tempDir, templateDoc, writeConfig } from "./harness.ts";
import type { ChildServer } from "./harness.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("ecs plugin: resume after a server crash", () => {
  let ecs: LocalEcs;
  let dir: string;
  let cfg: string;
  let client: ECSClient;
  const servers: ChildServer[] = [];
  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
    client = new ECSClient({ endpoint: ecs.url, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
    dir = tempDir();
    const tpl = join(dir, "td.json");
    writeFileSync(tpl, JSON.stringify(templateDoc(["sh", "-c", "sleep 4; echo finished $TASK_NUM"])));
    cfg = writeConfig(
      dir,
      ecs,
      [{ name: "ecs", tag: "type:ecs", context: { task_definition_template: tpl, polling_interval: "200ms" } }],
      {},
      {
        keepalive: 1,
        stale_job: 2,
        clean_interval: 1,
      },
    );
  });
  after(async () => {
    for (const s of servers) await s.kill("SIGKILL");
    client?.destroy();
    await ecs?.close();
    cleanupDir(dir);
  });
  const placedRunTasks = () => (ecs.stats().calls.RunTask ?? 0) - (ecs.stats().throttled.RunTask ?? 0);
  const start = async () => {
    const s = await spawnServer(cfg, await freePort());
    servers.push(s);
    return s;
  };
  const submit = async (s: ChildServer, context: Record<string, unknown>) => {
    const r = await s.submit({ name: "resume", version: "1", command_criteria: ["type:ecs"], cluster_criteria: ["type:fargate"], context });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const timeline = async (s: ChildServer, id: string) => (await s.get(`/api/v1/job/${id}/tasks`)).json();
  /** The task ARNs of the job's slots once all `n` have one (from its timeline). */
  const startedArns = async (s: ChildServer, id: string, n: number): Promise<string[]> => {
    const end = Date.now() + 20_000;
    for (;;) {
      const tl = await timeline(s, id).catch(() => undefined);
      const arns: string[] = (tl?.slots ?? []).map((x: any) => x.attempts.at(-1)?.task_arn).filter(Boolean);
      if (arns.length >= n) return arns;
      assert.ok(Date.now() < end, "tasks never started");
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("continues with the same ARNs and no extra RunTask", async () => {
    const a = await start();
    const id = await submit(a, { task_count: 3 });
    const arns = await startedArns(a, id, 3);
    const runTasks = placedRunTasks();
    await a.kill("SIGKILL");

    const b = await start();
    const job = await b.waitFinal(id, 40_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = resultRows((await b.get(`/api/v1/job/${id}/result`)).json());
    assert.deepEqual(
      rows.map((r) => r.task_arn),
      arns,
    );
    assert.deepEqual(
      rows.map((r) => r.attempt),
      [1, 1, 1],
    );
    assert.equal(placedRunTasks(), runTasks, "no RunTask after the restart");
    assert.match((await b.get(`/api/v1/job/${id}/stdout`)).text, /\] finished [0-2]\n$/);
    await b.kill("SIGKILL");
  });

  it("a graceful shutdown hands the job back without stopping its tasks; the next server finishes it", async () => {
    const a = await start();
    const id = await submit(a, { task_count: 2 });
    const arns = await startedArns(a, id, 2);
    await a.kill("SIGTERM"); // shutdown_timeout 2 s < task duration: handed back
    const d = await client.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: arns }));
    assert.deepEqual(
      d.tasks?.map((t) => t.desiredStatus),
      ["RUNNING", "RUNNING"],
      "tasks left running",
    );
    const b = await start();
    const job = await b.waitFinal(id, 40_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = resultRows((await b.get(`/api/v1/job/${id}/result`)).json());
    assert.deepEqual(
      rows.map((r) => r.task_arn),
      arns,
    );
    await b.kill("SIGKILL");
  });

  it("a RunTask in flight at the crash is re-sent with the same clientToken: one task per slot", async () => {
    ecs.addFault({ kind: "latency", latencyMs: 3_000, match: { action: "RunTask" } });
    const a = await start();
    const id = await submit(a, { task_count: 2 });
    // The attempts are stored (with their clientToken) before RunTask; the answers are delayed by 3 s.
    const end = Date.now() + 20_000;
    for (;;) {
      assert.ok(Date.now() < end, "attempts never stored");
      const tl = await timeline(a, id).catch(() => undefined);
      if ((tl?.slots ?? []).length === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await a.kill("SIGKILL");
    ecs.clearFaults();

    const b = await start();
    const job = await b.waitFinal(id, 40_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = resultRows((await b.get(`/api/v1/job/${id}/result`)).json());
    assert.deepEqual(
      rows.map((r) => r.attempt),
      [1, 1],
    );
    for (const slot of [0, 1]) {
      const all = await client.send(
        new ListTasksCommand({ cluster: ECS_CLUSTER, startedBy: `heimdall-job-${id}-${slot}`, desiredStatus: "STOPPED" }),
      );
      assert.deepEqual(all.taskArns, [rows[slot]!.task_arn], `slot ${slot} has exactly one task`);
    }
    await b.kill("SIGKILL");
  });
});
