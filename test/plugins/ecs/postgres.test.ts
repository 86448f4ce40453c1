// The plugin's durable state on PostgreSQL: retries recorded per attempt, and a job handed back by a draining
// server is finished by the next server from the stored attempts (same ARNs). Skipped without PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { POSTGRES_SKIP_REASON, freshDatabaseUrl, postgresBaseUrl } from "../../helpers/db.ts";
import { cleanupDir, resultRows, startEcs, startServer, tempDir, templateDoc, writeConfig } from "./harness.ts";

const skip = postgresBaseUrl() === undefined ? POSTGRES_SKIP_REASON : false;

describe("ecs plugin on PostgreSQL", { skip }, () => {
  let ecs: LocalEcs;
  let dir: string;
  let cfg: string;
  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
    dir = tempDir();
    const tpl = join(dir, "td.json");
    writeFileSync(tpl, JSON.stringify(templateDoc()));
    const db = await freshDatabaseUrl("postgres");
    cfg = writeConfig(
      dir,
      ecs,
      [{ name: "ecs", tag: "type:ecs", context: { task_definition_template: tpl, polling_interval: "100ms" } }],
      {},
      undefined,
      undefined,
      db,
    );
  });
  after(async () => {
    await ecs?.close();
    cleanupDir(dir);
  });
  const body = (context: Record<string, unknown>) => ({
    name: "pg",
    version: "1",
    command_criteria: ["type:ecs"],
    cluster_criteria: ["type:fargate"],
    context,
  });

  it("records every attempt of a retried slot", async () => {
    const server = await startServer(cfg, dir);
    try {
      const counter = join(dir, "n");
      const script = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 2 ]`;
      const r = await server.submit(body({ max_fail_count: 1, container_overrides: [{ name: "main", command: ["sh", "-c", script] }] }));
      const job = await server.waitFinal(r.body.id as string);
      assert.equal(job.status, "SUCCEEDED", job.error);
      const rows = resultRows((await server.get(`/api/v1/job/${job.id}/result`)).json());
      assert.deepEqual(
        rows.map((x) => [x.attempt, x.status, x.exit_code]),
        [
          [1, "FAILED", 1],
          [2, "SUCCEEDED", 0],
        ],
      );
    } finally {
      await server.close();
    }
  });

  it("a job handed back at shutdown is resumed by the next server with the same task ARNs", async () => {
    const a = await startServer(cfg, dir);
    const r = await a.submit(body({ task_count: 2, container_overrides: [{ name: "main", command: ["sh", "-c", "sleep 3; echo done"] }] }));
    const id = r.body.id as string;
    let arns: string[] = [];
    while (arns.length < 2) {
      const tl = await a.get(`/api/v1/job/${id}/tasks`);
      if (tl.status === 200)
        arns = tl
          .json()
          .slots.map((s: any) => s.attempts.at(-1)?.task_arn)
          .filter(Boolean);
      await new Promise((res) => setTimeout(res, 50));
    }
    const runTasks = ecs.stats().calls.RunTask;
    await a.close(); // drain: shutdown_timeout 2 s < 3 s tasks → handed back
    const b = await startServer(cfg, dir);
    try {
      const job = await b.waitFinal(id, 30_000);
      assert.equal(job.status, "SUCCEEDED", job.error);
      const rows = resultRows((await b.get(`/api/v1/job/${id}/result`)).json());
      assert.deepEqual(
        rows.map((x) => x.task_arn),
        arns,
      );
      assert.equal(ecs.stats().calls.RunTask, runTasks);
    } finally {
      await b.close();
    }
  });
});
