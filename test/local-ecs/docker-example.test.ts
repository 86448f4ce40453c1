// The ECS plugin spec's complete example with `runtime: docker` (a real image through Podman), and a Heimdall ECS
// job that survives restarting both the server and the local ECS (state in dataDir, containers adopted).
// Skips with a printed reason where Podman cannot start.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startLocalEcs, type LocalEcs } from "../../src/local-ecs/index.ts";
import {
  ECS_CLUSTER,
  cleanupDir,
  resultRows,
  spawnServer,
  startServer,
  tempDir,
  templateDoc,
  writeConfig,
  writeTemplate,
} from "../plugins/ecs/harness.ts";
import { IMAGE, type Podman, dockerSettings, podman } from "./docker-env.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const withImage = (doc: ReturnType<typeof templateDoc>) => {
  doc.containerDefinitions[0]!.image = IMAGE;
  return doc;
};

describe("docker runtime: the spec's complete example and a restart of everything", () => {
  let pm: Podman | string;
  let dir: string;
  const closers: Array<() => Promise<unknown>> = [];
  before(async () => {
    pm = await podman();
    dir = tempDir("docker-example-");
  });
  after(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    if (typeof pm !== "string") await pm.stop();
    cleanupDir(dir);
  });

  it("runs the complete example's 2 tasks in containers with exactly the spec's variables", async (t) => {
    if (typeof pm === "string") return t.skip(pm);
    const ecs = await startLocalEcs({
      port: 0,
      settings: { pacing: "instant", clusters: ["default", ECS_CLUSTER], ...dockerSettings(pm) },
    });
    closers.push(() => ecs.close());
    const sub = join(dir, "example");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(sub);
    const tpl = writeTemplate(
      sub,
      "task-definition.json",
      withImage(
        templateDoc([
          "sh",
          "-c",
          'echo "Task name: $TASK_NAME" && env | grep -E "^(ENVIRONMENT|LOG_LEVEL|DATA_SOURCE|CUSTOM_VAR|TASK_NUM)=" | sort && exit 0',
        ]),
      ),
    );
    const cfg = writeConfig(sub, ecs, [
      {
        name: "ecs-batch-job-0.0.1",
        tag: "type:ecs",
        context: {
          task_definition_template: tpl,
          task_count: 2,
          container_overrides: [{ name: "main", environment: [{ name: "CUSTOM_VAR", value: "custom_value" }] }],
          polling_interval: "200ms",
          timeout: "1h",
          max_fail_count: 3,
          cpu: 256,
          memory: 512,
        },
      },
    ]);
    const server = await startServer(cfg, sub);
    closers.push(() => server.close());
    const r = await server.submit({
      name: "run-batch-job",
      version: "0.0.1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: {
        task_count: 2,
        container_overrides: [{ name: "main", environment: [{ name: "DATA_SOURCE", value: "s3://my-bucket/data/" }] }],
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.id as string;
    const job = await server.waitFinal(id, 90_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = resultRows((await server.get(`/api/v1/job/${id}/result`)).json());
    assert.deepEqual(
      rows.map((x) => [x.task_name, x.status, x.exit_code]),
      [
        [`heimdall-job-${id}-0`, "SUCCEEDED", 0],
        [`heimdall-job-${id}-1`, "SUCCEEDED", 0],
      ],
    );
    const stdout = (await server.get(`/api/v1/job/${id}/stdout`)).text;
    const lines = stdout.split("\n");
    assert.match(lines[0]!, /^=== ecs\/main\/[0-9a-f]{32} ===$/);
    const body = lines.filter((l) => /^\[/.test(l)).map((l) => l.replace(/^\[[^\]]+\] /, ""));
    const n = body.find((l) => l.startsWith("TASK_NUM="))!.slice("TASK_NUM=".length);
    assert.deepEqual(body, [
      `Task name: heimdall-job-${id}-${n}`,
      "DATA_SOURCE=s3://my-bucket/data/",
      "ENVIRONMENT=production",
      "LOG_LEVEL=info",
      `TASK_NUM=${n}`,
    ]);
    for (const arn of rows.map((x) => x.task_arn as string))
      assert.match(arn, /^arn:aws:ecs:us-east-1:000000000000:task\/test-cluster\/[0-9a-f]{32}$/);
  });

  it("a job resumed after restarting both serve and the local ECS ends correctly", async (t) => {
    if (typeof pm === "string") return t.skip(pm);
    const sub = join(dir, "restart");
    const dataDir = join(sub, "local-ecs");
    const port = await freePort();
    const settings = { pacing: "instant", clusters: ["default", ECS_CLUSTER], throttling: false, dataDir, ...dockerSettings(pm) };
    let ecs: LocalEcs = await startLocalEcs({ port, settings });
    closers.push(async () => {
      // dataDir is kept, so close() leaves containers for adoption: remove this test's.
      const { default: Docker } = await import("dockerode");
      const engine = new Docker({ socketPath: (pm as Podman).dockerHost.slice("unix://".length) });
      for (const c of await engine.listContainers({ all: true, filters: { label: [`heimdall.local-ecs.data-dir=${dataDir}`] } }))
        await engine.getContainer(c.Id).remove({ force: true });
    });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(sub, { recursive: true });
    const tpl = writeTemplate(
      sub,
      "td.json",
      withImage(templateDoc(["sh", "-c", "echo started $TASK_NUM; sleep 5; echo finished $TASK_NUM"])),
    );
    const cfg = writeConfig(
      sub,
      ecs,
      [{ name: "ecs", tag: "type:ecs", context: { task_definition_template: tpl, polling_interval: "200ms" } }],
      {},
      {
        keepalive: 1,
        stale_job: 2,
        clean_interval: 1,
      },
    );
    const a = await spawnServer(cfg, await freePort());
    closers.push(() => a.kill("SIGKILL"));
    const r = await a.submit({
      name: "restart",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { task_count: 2 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.id as string;
    await a.waitFor(id, (j) => j.status === "RUNNING", 60_000);
    // Both tasks are running in containers: take everything down.
    const end = Date.now() + 60_000;
    for (;;) {
      const tl = (await a.get(`/api/v1/job/${id}/tasks`)).json();
      const arns = (tl?.slots ?? []).map((x: { attempts: Array<{ task_arn?: string }> }) => x.attempts.at(-1)?.task_arn).filter(Boolean);
      if (arns.length === 2) break;
      assert.ok(Date.now() < end, "tasks never started");
      await new Promise((res) => setTimeout(res, 100));
    }
    await a.kill("SIGKILL");
    await ecs.close();
    ecs = await startLocalEcs({ port, settings });
    closers.push(() => ecs.close());
    const b = await spawnServer(cfg, await freePort());
    closers.push(() => b.kill("SIGKILL"));
    const job = await b.waitFinal(id, 90_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = resultRows((await b.get(`/api/v1/job/${id}/result`)).json());
    assert.deepEqual(
      rows.map((x) => [x.attempt, x.status, x.exit_code]),
      [
        [1, "SUCCEEDED", 0],
        [1, "SUCCEEDED", 0],
      ],
    );
    const stdout = (await b.get(`/api/v1/job/${id}/stdout`)).text;
    // The job's stdout is one task's stream: its lines from before and after the restart, each once.
    const body = stdout
      .split("\n")
      .filter((l) => /^\[/.test(l))
      .map((l) => l.replace(/^\[[^\]]+\] /, ""));
    assert.equal(body.length, 2, stdout);
    assert.match(body[0]!, /^started [01]$/);
    assert.equal(body[1], body[0]!.replace("started", "finished"));
  });
});
