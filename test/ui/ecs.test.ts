// The spec's complete ECS example submitted from the Submit page in real Chromium, against the real server with its
// embedded local ECS endpoint (demo-style identity: auth.default_user, no proxy header). The job must reach
// SUCCEEDED with the representative task's logs in stdout and a 2-slot task timeline whose attempts' logs open
// with one click.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { api, chromiumMissing, launchBrowser, openPage, screenshots, startServer, type HeimdallServer } from "./harness.ts";
import { ecsCommand, ecsExampleJob, fargateCluster, localCommands, localhost } from "./fixtures.ts";

const skip = chromiumMissing();
if (skip) console.log(`# skipping UI tests: ${skip}`);

describe("ECS job in the UI (local ECS)", { skip }, () => {
  let srv: HeimdallServer;
  let browser: Browser;

  before(async () => {
    srv = await startServer({
      auth: { plugin: "auth_header", default_user: "local-user" },
      // The local ECS starts with the cluster the fargate cluster's context names (cluster_name).
      local_ecs: {
        enabled: true,
        host: "127.0.0.1",
        port: 0,
        settings: { pacing: "instant", clusters: ["default", "my-fargate-cluster"] },
      },
      commands: [localCommands[0], ecsCommand],
      clusters: [localhost, fargateCluster],
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it("submits the spec's example ECS job and watches it succeed with logs and a task timeline", async () => {
    const w = await openPage(browser, srv.url);
    const page = w.page;
    await page.goto("/submit");
    assert.equal(await page.getByTestId("account").textContent(), "local-user");
    await page.getByLabel("Name").fill(ecsExampleJob.name);
    await page.getByLabel("Version").fill(ecsExampleJob.version);
    await page.getByRole("radio", { name: "Match by criteria" }).check();
    await page.getByLabel("Command criteria (tags, comma-separated)").fill(ecsExampleJob.command_criteria.join(", "));
    await page.getByLabel("Cluster criteria (tags, comma-separated)").fill(ecsExampleJob.cluster_criteria.join(", "));
    await page.getByLabel("Context (JSON object)").fill(JSON.stringify(ecsExampleJob.context, null, 2));
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    const id = page.url().split("/").pop() ?? "";

    const tasks = page.getByRole("table", { name: "ECS task attempts" });
    await tasks.waitFor({ timeout: 30_000 });
    await screenshots(page, "ecs-job-running");
    await page.locator("h1 .status", { hasText: /SUCCEEDED|FAILED/ }).waitFor({ timeout: 60_000 });
    const stored = await api(srv.url).get<{ status: string; error?: string; user: string }>(`/job/${id}`);
    assert.equal(stored.status, "SUCCEEDED", `job error: ${stored.error ?? ""}`);
    assert.equal(stored.user, "local-user");

    // The representative task's CloudWatch logs are the job's stdout.
    await page
      .getByTestId("stdout-text")
      .filter({ hasText: `Task name: heimdall-job-${id}-` })
      .waitFor({ timeout: 15_000 });
    // Two slots, each with a succeeded attempt, exit code 0 and an ARN.
    await tasks.locator("tr[data-slot='1'] [data-testid=attempt-status]", { hasText: "SUCCEEDED" }).waitFor({ timeout: 15_000 });
    for (const slot of [0, 1]) {
      const row = tasks.locator(`tr[data-slot='${slot}'][data-attempt='1']`);
      assert.match((await row.getByTestId("task-arn").textContent()) ?? "", /^arn:aws:ecs:.*:task\/my-fargate-cluster\//);
      assert.equal(await row.getByTestId("attempt-status").textContent(), "SUCCEEDED");
      assert.equal(await row.getByTestId("exit-code").textContent(), "0");
    }
    // The local ECS (account 000000000000) is not AWS: no console links.
    assert.equal(await tasks.getByTestId("aws-links").count(), 0);
    // One click shows an attempt's own logs.
    await page.getByRole("button", { name: "Logs #1.1" }).click();
    await page
      .getByTestId("task-logs-1-1")
      .locator("pre", { hasText: `Task name: heimdall-job-${id}-1` })
      .waitFor({ timeout: 15_000 });
    await screenshots(page, "ecs-job-succeeded");
    const errors = w.errors();
    await w.close();
    assert.deepEqual(errors, [], "no console errors");
  });

  it("shows every retry of a failing task and the failed task's logs in stderr", async () => {
    const failSlot1 = 'echo "attempt on $TASK_NAME"; case "$TASK_NAME" in *-1) echo "bad input" >&2; exit 2;; esac';
    const job = await api(srv.url).post<{ id: string }>("/job", {
      name: "flaky-batch",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: { task_count: 2, max_fail_count: 2, container_overrides: [{ name: "main", command: ["sh", "-c", failSlot1] }] },
    });
    const w = await openPage(browser, srv.url);
    const page = w.page;
    await page.goto("/jobs");
    await page.getByRole("link", { name: job.id }).click();
    await page.getByTestId("job-error").waitFor({ timeout: 60_000 });
    assert.equal(await page.locator("h1 .status").textContent(), "FAILED");
    const tasks = page.getByRole("table", { name: "ECS task attempts" });
    await tasks
      .locator("tr[data-slot='1'][data-attempt='2'] [data-testid=attempt-status]", { hasText: "FAILED" })
      .waitFor({ timeout: 15_000 });
    for (const attempt of [1, 2]) {
      const row = tasks.locator(`tr[data-slot='1'][data-attempt='${attempt}']`);
      assert.equal(await row.getByTestId("attempt-status").textContent(), "FAILED");
      assert.equal(await row.getByTestId("exit-code").textContent(), "2");
    }
    assert.notEqual(
      await tasks.locator("tr[data-slot='1'][data-attempt='1']").getByTestId("task-arn").textContent(),
      await tasks.locator("tr[data-slot='1'][data-attempt='2']").getByTestId("task-arn").textContent(),
      "each retry is a new task",
    );
    await tasks.locator("tr[data-slot='1'] .rep").waitFor();
    await page
      .getByTestId("stderr-text")
      .filter({ hasText: `attempt on heimdall-job-${job.id}-1` })
      .waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Logs #1.1" }).click();
    await page.getByTestId("task-logs-1-1").locator("pre", { hasText: "bad input" }).waitFor({ timeout: 15_000 });
    await screenshots(page, "ecs-job-failed");
    const errors = w.errors();
    await w.close();
    assert.deepEqual(errors, [], "no console errors");
  });
});
