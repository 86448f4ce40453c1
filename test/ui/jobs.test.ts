// Jobs pages in real Chromium against the real server: filter and page through 50 jobs, a failed job's error and
// stderr, cancelling a running job while its stdout follows live, and the Submit page (inline validation errors,
// choosing a command, landing on the job page). The browser plays a proxy that sets X-Heimdall-User.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  api,
  chromiumMissing,
  launchBrowser,
  openPage,
  screenshots,
  startServer,
  type HeimdallServer,
  type WatchedPage,
} from "./harness.ts";
import { localCommands, localhost } from "./fixtures.ts";

const USER = "ui-tester";
const skip = chromiumMissing();
if (skip) console.log(`# skipping UI tests: ${skip}`);

async function rowIds(page: Page): Promise<string[]> {
  return page.locator("table[aria-label=Jobs] tbody tr td:first-child code").allTextContents();
}

/** Waits until the rows on screen belong to the URL's filters, sort and page. */
async function settled(page: Page): Promise<void> {
  await page.locator("table[aria-label=Jobs][aria-busy=false]").waitFor();
}

async function headerStatus(page: Page): Promise<string> {
  return (await page.locator("h1 .status").textContent()) ?? "";
}

describe("jobs UI in Chromium", { skip }, () => {
  let srv: HeimdallServer;
  let browser: Browser;
  let client: ReturnType<typeof api>;
  let w: WatchedPage;

  before(async () => {
    srv = await startServer({ auth: { plugin: "auth_header" }, commands: localCommands, clusters: [localhost] });
    client = api(srv.url, USER);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });
  const open = async (): Promise<Page> => {
    w = await openPage(browser, srv.url, USER);
    return w.page;
  };
  const finish = async (): Promise<void> => {
    const errors = w.errors();
    await w.close();
    assert.deepEqual(errors, [], "no console errors");
  };

  it("filters and pages through 50 jobs with the filters kept in the URL", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const j = await client.post<{ id: string }>("/job", {
        name: `bulk-${String(i).padStart(2, "0")}`,
        version: "1.0.0",
        tags: ["batch:b50", `parity:${i % 2 ? "odd" : "even"}`],
        command_criteria: ["type:ping"],
        cluster_criteria: ["type:localhost"],
      });
      ids.push(j.id);
    }
    await client.post("/job", {
      name: "bulk-outsider",
      tags: ["batch:other"],
      command_criteria: ["type:ping"],
      cluster_criteria: ["type:localhost"],
    });
    for (const id of ids) await client.waitJob(id, ["SUCCEEDED"]);

    const page = await open();
    await page.goto("/jobs");
    await page.getByRole("button", { name: "+ Add tag" }).click();
    await page.getByLabel("Tag 1 key").fill("batch");
    await page.getByLabel("Tag 1 value").fill("b50");
    await page.getByLabel("Name").fill("bulk-%");
    await page.getByRole("checkbox", { name: "SUCCEEDED" }).check();
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/tags=batch%3Ab50/);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get("name"), "bulk-%");
    assert.equal(url.searchParams.get("status"), "SUCCEEDED");
    await settled(page);
    assert.equal(await page.getByTestId("count").textContent(), "20+ jobs");

    const seen: string[][] = [];
    seen.push(await rowIds(page));
    assert.equal(seen[0]?.length, 20);
    await screenshots(page, "jobs-list");
    await page.getByRole("button", { name: "Next →" }).click();
    await page.waitForURL(/page=2/);
    await settled(page);
    assert.equal(await page.getByTestId("page").textContent(), "Page 2");
    assert.equal(await page.getByTestId("count").textContent(), "40+ jobs");
    seen.push(await rowIds(page));
    await page.getByRole("button", { name: "Next →" }).click();
    await page.waitForURL(/page=3/);
    await settled(page);
    assert.equal(await page.getByTestId("count").textContent(), "50 jobs");
    seen.push(await rowIds(page));
    assert.equal(seen[2]?.length, 10);
    assert.ok(await page.getByRole("button", { name: "Next →" }).isDisabled(), "no page after the last");
    assert.deepEqual(new Set(seen.flat()), new Set(ids), "the three pages hold exactly the 50 jobs");
    const names = await page.locator("table[aria-label=Jobs] tbody tr td[data-col=Name]").allTextContents();
    assert.ok(names.every((n) => n.startsWith("bulk-") && n !== "bulk-outsider"));

    // Previous uses the remembered cursor of page 2.
    await page.getByRole("button", { name: "← Previous" }).click();
    await page.waitForURL(/page=2/);
    await settled(page);
    assert.equal(await page.getByTestId("page").textContent(), "Page 2");
    assert.deepEqual(await rowIds(page), seen[1]);

    // Server-side sort on Job ID, both directions; the sort is in the URL and resets to page 1.
    await page.getByRole("button", { name: /^Job ID/ }).click();
    await page.waitForURL(/order_by=id/);
    await settled(page);
    assert.equal(await page.getByTestId("page").textContent(), "Page 1");
    const sorted = [...ids].sort();
    await page
      .locator("table[aria-label=Jobs] tbody tr:first-child td:first-child")
      .filter({ hasText: sorted[49] ?? "" })
      .waitFor();
    await page.getByRole("button", { name: /^Job ID/ }).click();
    await page.waitForURL(/direction=asc/);
    await settled(page);
    await page
      .locator("table[aria-label=Jobs] tbody tr:first-child td:first-child")
      .filter({ hasText: sorted[0] ?? "" })
      .waitFor();
    assert.deepEqual(await rowIds(page), sorted.slice(0, 20));

    // A shared link restores the filters into the form.
    await page.reload();
    assert.equal(await page.getByLabel("Name").inputValue(), "bulk-%");
    assert.equal(await page.getByLabel("Tag 1 value").inputValue(), "b50");
    assert.ok(await page.getByRole("checkbox", { name: "SUCCEEDED" }).isChecked());
    await finish();
  });

  it("auto-refreshes the list at the chosen interval", async () => {
    const page = await open();
    await page.goto("/jobs?name=late-arrival");
    await settled(page);
    assert.equal(await page.getByTestId("count").textContent(), "0 jobs");
    await page.getByLabel("Auto Refresh").selectOption({ label: "5 s" });
    const job = await client.post<{ id: string }>("/job", {
      name: "late-arrival",
      command_criteria: ["type:ping"],
      cluster_criteria: ["type:localhost"],
    });
    // No reload and no click: the 5 s tick refetches the page.
    await page.getByRole("link", { name: job.id }).waitFor({ timeout: 12_000 });
    assert.equal(await page.evaluate(() => localStorage.getItem("heimdall-auto-refresh")), "5000");
    await page.getByLabel("Auto Refresh").selectOption({ label: "Off" });
    await finish();
  });

  it("shows a failed job's error and stderr", async () => {
    const job = await client.post<{ id: string }>("/job", {
      name: "nightly-export",
      version: "1.2.0",
      tags: ["env:test"],
      command_criteria: ["type:fail"],
      cluster_criteria: ["type:localhost"],
      context: { query: "SELECT id FROM exports WHERE day = '2024-07-03' -- nightly", properties: { "spark.executor.memory": "4g" } },
    });
    const page = await open();
    await page.goto(`/jobs/${job.id}`);
    const alert = page.getByTestId("job-error");
    await alert.waitFor({ timeout: 20_000 });
    assert.match((await alert.textContent()) ?? "", /FAILED: exit status 3/);
    assert.equal(await headerStatus(page), "FAILED");
    await page.getByTestId("stderr-text").filter({ hasText: "boom: disk on fire" }).waitFor();
    await page.getByTestId("stdout-text").filter({ hasText: "starting the export" }).waitFor();
    assert.ok(await page.getByRole("button", { name: "Cancel Job" }).isDisabled(), "a failed job cannot be canceled");
    await page.getByText("Ran as:").waitFor();
    // context.query as a highlighted SQL block, context.properties as key: value rows.
    const sql = page.getByTestId("sql");
    assert.equal(await sql.textContent(), "SELECT id FROM exports WHERE day = '2024-07-03' -- nightly");
    assert.deepEqual(await sql.locator(".sql-kw").allTextContents(), ["SELECT", "FROM", "WHERE"]);
    assert.deepEqual(await sql.locator(".sql-str").allTextContents(), ["'2024-07-03'"]);
    await page.locator("dl.fields .field", { hasText: "spark.executor.memory" }).locator("dd", { hasText: /^4g$/ }).waitFor();
    assert.equal(await page.getByRole("link", { name: "fail-0.0.1" }).getAttribute("href"), "/commands/fail-0.0.1");
    await screenshots(page, "job-failed");
    await finish();
  });

  it("cancels a running job after confirmation while stdout follows live", async () => {
    const job = await client.post<{ id: string }>("/job", {
      name: "ticker",
      command_criteria: ["type:ticker"],
      cluster_criteria: ["type:localhost"],
    });
    const page = await open();
    await page.goto(`/jobs/${job.id}`);
    await page.locator("h1 .status", { hasText: "RUNNING" }).waitFor({ timeout: 20_000 });
    await page.getByTestId("stdout-text").filter({ hasText: "tick-3" }).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId("stdout-state").textContent(), "● live");
    await page.getByRole("button", { name: "Cancel Job" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this job?" });
    await dialog.waitFor();
    await screenshots(page, "job-cancel-dialog");
    await dialog.getByRole("button", { name: "Yes, cancel job" }).click();
    await page.getByText("Job is being canceled...").waitFor();
    await page.locator("h1 .status", { hasText: "CANCELED" }).waitFor({ timeout: 30_000 });
    await page.getByTestId("stdout-state").filter({ hasText: "complete" }).waitFor({ timeout: 10_000 });
    assert.ok(await page.getByRole("button", { name: "Cancel Job" }).isDisabled());
    assert.equal((await client.get<{ status: string; canceled_by?: string }>(`/job/${job.id}`)).canceled_by, USER);
    await page.getByText("Canceled by").waitFor();
    await screenshots(page, "job-canceled");
    await finish();
  });

  it("submits from the Submit page: inline validation errors, then lands on the job page", async () => {
    const page = await open();
    await page.goto("/jobs");
    await page.getByRole("link", { name: "Submit a job" }).click();
    await page.waitForURL("**/submit");
    await page.getByLabel("Name").fill("echo-from-ui");
    await page.getByLabel("Version").fill("0.0.1");
    await page.getByRole("radio", { name: "Match by criteria" }).check();
    await page.getByLabel("Command criteria (tags, comma-separated)").fill("type:shell");
    await page.getByLabel("Cluster criteria (tags, comma-separated)").fill("type:localhost");
    const context = page.getByLabel("Context (JSON object)");
    await context.fill('{"arguments": ["from"');
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.locator("#err-context").filter({ hasText: "invalid JSON" }).waitFor();
    assert.equal(await context.getAttribute("aria-invalid"), "true");

    // The API rejects the context (400, plugin validation); its message is shown next to the context field.
    w.expectNetworkError(/\/api\/v1\/job$/);
    await context.fill('{"arguments": "from the ui"}');
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.locator("#err-context").filter({ hasText: "arguments" }).waitFor();
    assert.match(page.url(), /\/submit$/);
    await context.fill('{"arguments": ["from", "the", "ui"]}');
    await screenshots(page, "submit");
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.locator("h1 .status", { hasText: "SUCCEEDED" }).waitFor({ timeout: 20_000 });
    await page.getByTestId("stdout-text").filter({ hasText: "hello from the shell plugin: from the ui" }).waitFor();

    // Choosing a command (ping) instead of criteria; the result table shows its message.
    await page.getByRole("link", { name: "Submit" }).click();
    await page.getByRole("radio", { name: "Choose a command" }).check();
    await page.getByLabel("Command", { exact: true }).selectOption("ping-0.0.1");
    await page.getByLabel("Cluster", { exact: true }).selectOption("localhost-0.0.1");
    await page.getByLabel("Name").fill("ping-from-ui");
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.locator("h1 .status", { hasText: "SUCCEEDED" }).waitFor({ timeout: 20_000 });
    await page.getByRole("table", { name: "Result" }).getByText(`Hello, ${USER}!`).waitFor();
    const id = page.url().split("/").pop() ?? "";
    const stored = await client.get<{ command_criteria: string[]; cluster_criteria: string[]; user: string }>(`/job/${id}`);
    assert.deepEqual(stored.command_criteria, ["_id:ping-0.0.1"]);
    assert.deepEqual(stored.cluster_criteria, ["_id:localhost-0.0.1"]);
    assert.equal(stored.user, USER);
    await screenshots(page, "job-succeeded");

    // A synchronous command: the job already finished when the submit answers; the page shows it as such.
    await page.getByRole("link", { name: "Submit" }).click();
    await page.getByRole("radio", { name: "Choose a command" }).check();
    await page.getByLabel("Command", { exact: true }).selectOption("ping-sync-0.0.1");
    await page.getByLabel("Name").fill("sync-from-ui");
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    assert.equal(await headerStatus(page), "SUCCEEDED");
    await page.locator(".field", { hasText: "Synchronous" }).locator("dd", { hasText: "yes" }).waitFor();
    await page.getByRole("table", { name: "Result" }).getByText(`Hello, ${USER}!`).waitFor();
    await finish();
  });
});
