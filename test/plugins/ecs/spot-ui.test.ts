// The demo's Fargate Spot command and cluster under `heimdall serve` with its embedded local ECS interrupting every
// Spot task (spot.rate 1): the job page's task timeline in real Chromium shows the interrupted attempt on
// FARGATE_SPOT and its spot_fallback retry on FARGATE.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { demoConfigDocument } from "../../../src/config/index.ts";
import { api, chromiumMissing, launchBrowser, openPage, startServer, type HeimdallServer } from "../../ui/harness.ts";

const skip = chromiumMissing();
type Entry = Record<string, unknown> & { name: string };
const demo = demoConfigDocument() as { commands: Entry[]; clusters: Entry[] };
const pick = (list: Entry[], name: string) => list.find((e) => e.name === name)!;

describe("Fargate Spot job in the UI (local ECS)", { skip }, () => {
  let srv: HeimdallServer;
  let browser: Browser;
  before(async () => {
    srv = await startServer({
      auth: { plugin: "auth_header", default_user: "local-user" },
      local_ecs: {
        enabled: true,
        host: "127.0.0.1",
        port: 0,
        settings: {
          pacing: "instant",
          clusters: ["default", "my-fargate-cluster"],
          spot: { rate: 1, afterSeconds: 0.3, warningSeconds: 0.5 },
        },
      },
      commands: [pick(demo.commands, "ecs-spot-batch-job-0.0.1")],
      clusters: [pick(demo.clusters, "fargate-spot-cluster")],
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it("the timeline names the Spot interruption and each attempt's capacity provider", async () => {
    const client = api(srv.url);
    const { id } = await client.post<{ id: string }>("/job", {
      name: "spot-ui",
      version: "1",
      command_criteria: ["type:ecs-spot"],
      cluster_criteria: ["type:fargate-spot"],
      context: { task_count: 1, container_overrides: [{ name: "main", command: ["sh", "-c", "sleep 1; echo done"] }] },
    });
    const job = await client.waitJob(id, ["SUCCEEDED", "FAILED"], 60_000);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const w = await openPage(browser, srv.url);
    await w.page.goto(`/jobs/${id}`);
    const tasks = w.page.getByRole("table", { name: "ECS task attempts" });
    await tasks.locator("tr[data-attempt='2'] [data-testid=attempt-status]", { hasText: "SUCCEEDED" }).waitFor({ timeout: 15_000 });
    const first = tasks.locator("tr[data-slot='0'][data-attempt='1']");
    assert.equal(await first.getByTestId("attempt-status").textContent(), "INTERRUPTED");
    assert.equal(await first.getByTestId("capacity-provider").textContent(), "FARGATE_SPOT");
    assert.equal(await first.getByTestId("spot-interruption").textContent(), "Spot interruption");
    assert.equal(await first.getByTestId("stop-code").textContent(), "SpotInterruption");
    const second = tasks.locator("tr[data-slot='0'][data-attempt='2']");
    assert.equal(await second.getByTestId("capacity-provider").textContent(), "FARGATE");
    assert.equal(await second.getByTestId("spot-interruption").count(), 0);
    assert.match(
      (await w.page.locator("#tasks").textContent()) ?? "",
      /Spot interruptions\s*1 \(each slot retries up to 2 without spending a retry\)/,
    );
    const errors = w.errors();
    await w.close();
    assert.deepEqual(errors, [], "no console errors");
  });
});
