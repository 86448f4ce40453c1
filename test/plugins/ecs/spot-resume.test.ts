// Fargate Spot across a crash of `heimdall serve`: interruptions stored before a SIGKILL stay free retries for
// the restarted server, which keeps the max_spot_interruptions the job started with and sends no extra RunTask.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { cleanupDir, resultRows, spawnServer, startEcs, tempDir, templateDoc, writeConfig } from "./harness.ts";
import type { ChildServer } from "./harness.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("Fargate Spot: resume after a server crash", () => {
  let ecs: LocalEcs;
  let dir: string;
  const servers: ChildServer[] = [];
  // Attempts 1 and 2 run long (they are interrupted), attempt 3 finishes at once: a counter file on the host
  // (the process runtime runs containers as host processes).
  const cfgFor = (maxSpot: number) => {
    const tpl = join(dir, "td.json");
    const counter = join(dir, "runs");
    const script = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; if [ "$n" -ge 2 ]; then echo finished; exit 0; fi; sleep 30`;
    writeFileSync(tpl, JSON.stringify(templateDoc(["sh", "-c", script])));
    return writeConfig(
      dir,
      ecs,
      [
        {
          name: "ecs",
          tag: "type:ecs",
          context: { task_definition_template: tpl, polling_interval: "200ms", max_spot_interruptions: maxSpot },
        },
      ],
      { launch_type: null, capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT", weight: 1 }] },
      { keepalive: 1, stale_job: 2, clean_interval: 1 },
    );
  };
  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
    dir = tempDir();
  });
  after(async () => {
    for (const s of servers) await s.kill("SIGKILL");
    await ecs?.close();
    cleanupDir(dir);
  });
  const placedRunTasks = () => ecs.stats().calls.RunTask ?? 0;

  it("a stored interruption stays a free retry; the job keeps the max_spot_interruptions it started with", async () => {
    // Attempt 1: interrupted at once. Attempt 2: interrupted 8 s after it runs (after the crash, or while no
    // server runs: the restarted server then finds it STOPPED — the same judgement either way).
    ecs.addFault({ id: "first", kind: "spotInterruption", count: 1, afterMs: 200 });
    ecs.addFault({ id: "second", kind: "spotInterruption", count: 1, afterMs: 8_000 });
    const a = await spawnServer(cfgFor(2), await freePort());
    servers.push(a);
    const r = await a.submit({
      name: "spot-resume",
      version: "1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: {},
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.id as string;
    const end = Date.now() + 30_000;
    for (;;) {
      const att = (await a.get(`/api/v1/job/${id}/tasks`)).json().slots?.[0]?.attempts ?? [];
      if (att[0]?.status === "INTERRUPTED" && att[1]?.task_arn) break;
      assert.ok(Date.now() < end, `no interrupted attempt and running retry: ${JSON.stringify(att)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    const runTasks = placedRunTasks();
    await a.kill("SIGKILL");

    // The restarted server's command says max_spot_interruptions 0: were it applied, attempt 2's interruption
    // would fail the job (max_fail_count 0). The job keeps 2: attempt 2 is a free retry too, attempt 3 succeeds.
    const b = await spawnServer(cfgFor(0), await freePort());
    servers.push(b);
    const job = await b.waitFinal(id, 60_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = resultRows((await b.get(`/api/v1/job/${id}/result`)).json());
    assert.deepEqual(
      rows.map((x) => [x.attempt, x.status, x.capacity_provider]),
      [
        [1, "INTERRUPTED", "FARGATE_SPOT"],
        [2, "INTERRUPTED", "FARGATE_SPOT"],
        [3, "SUCCEEDED", "FARGATE_SPOT"],
      ],
    );
    assert.equal(placedRunTasks(), runTasks + 1, "after the restart only attempt 3's RunTask");
    const tl = (await b.get(`/api/v1/job/${id}/tasks`)).json();
    assert.equal(tl.max_spot_interruptions, 2);
    assert.equal(tl.spot_interruptions, 2);
    await b.kill("SIGKILL");
  });
});
