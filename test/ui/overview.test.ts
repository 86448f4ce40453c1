// The overview page `/` and the jobs list at a glance (issue 9 items 2-4) in real Chromium against the real server:
// the overview from one /api/v1/stats call (counts, the per-hour chart, slowest, recent failures, each linked), old
// list links `/?status=…` landing on `/jobs?…`, Duration/Started/Finished columns with a ticking duration, the
// failed job's error in the list, Status on screen at 390 px, substring filters, auto-refresh on by default and
// paused while the tab is hidden, time zones on timestamps, copying a job id and "Submit again".
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page, Request } from "playwright-core";
import {
  api,
  chromiumMissing,
  launchBrowser,
  openPage,
  PHONE,
  screenshots,
  startServer,
  type HeimdallServer,
  type WatchedPage,
} from "./harness.ts";
import { localCommands, localhost } from "./fixtures.ts";

const USER = "ui-tester";
const skip = chromiumMissing();
if (skip) console.log(`# skipping UI tests: ${skip}`);

interface Stats {
  counts: Record<string, number>;
  finished_per_hour: { hour: number; succeeded: number; failed: number; canceled: number }[];
  recent_failures: { id: string }[];
  slowest: { id: string }[];
}

describe("overview and jobs list at a glance", { skip }, () => {
  let srv: HeimdallServer;
  let browser: Browser;
  let client: ReturnType<typeof api>;
  let w: WatchedPage;
  let failed: { id: string };
  let ticker: { id: string };

  before(async () => {
    srv = await startServer({ auth: { plugin: "auth_header" }, commands: localCommands, clusters: [localhost] });
    client = api(srv.url, USER);
    browser = await launchBrowser();
    const pings = [];
    for (let i = 0; i < 3; i++)
      pings.push(
        await client.post<{ id: string }>("/job", {
          name: `overview-ping-${i}`,
          command_criteria: ["type:ping"],
          cluster_criteria: ["type:localhost"],
        }),
      );
    failed = await client.post<{ id: string }>("/job", {
      name: "Nightly-Export-Middle",
      version: "2.0.0",
      command_criteria: ["type:fail"],
      cluster_criteria: ["type:localhost"],
      context: { properties: { day: "2026-12-06" } },
    });
    ticker = await client.post<{ id: string }>("/job", {
      name: "the-ticker",
      command_criteria: ["type:ticker"],
      cluster_criteria: ["type:localhost"],
    });
    for (const p of pings) await client.waitJob(p.id, ["SUCCEEDED"]);
    await client.waitJob(failed.id, ["FAILED"]);
    await client.waitJob(ticker.id, ["RUNNING"]);
  });
  after(async () => {
    await client?.post(`/job/${ticker.id}/cancel`).catch(() => undefined);
    await browser?.close();
    await srv?.stop();
  });
  const open = async (): Promise<Page> => {
    w = await openPage(browser, srv.url, USER, { timezoneId: "Europe/Berlin" });
    return w.page;
  };
  const finish = async (): Promise<void> => {
    const errors = w.errors();
    await w.close();
    assert.deepEqual(errors, [], "no console errors");
  };

  it("shows the last 24 hours at / from one stats call, each item linked", async () => {
    const page = await open();
    const calls: string[] = [];
    page.on("request", (r: Request) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/api/v1/")) calls.push(u.pathname);
    });
    await page.goto("/");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const counts = page.getByTestId("status-counts");
    await counts.waitFor();
    const stats = await client.get<Stats>(`/stats?since=${Math.floor(Date.now() / 1000) - 86_400}`);
    assert.ok((stats.counts["SUCCEEDED"] ?? 0) >= 3 && (stats.counts["FAILED"] ?? 0) >= 1, JSON.stringify(stats.counts));
    for (const [status, n] of Object.entries(stats.counts)) {
      assert.equal(await counts.locator(`a[data-status='${status}'] .count-n`).textContent(), String(n), status);
    }
    assert.equal(await counts.locator("a[data-status='FAILED']").getAttribute("href"), "/jobs?status=FAILED");
    // The chart: one group per hour, the bars of this hour carry the numbers in their title.
    const chart = page.getByTestId("hour-chart");
    assert.equal(await chart.locator("g[data-hour]").count(), stats.finished_per_hour.length);
    const busiest = stats.finished_per_hour.reduce((a, b) => (a.succeeded + a.failed >= b.succeeded + b.failed ? a : b));
    const title = (await chart.locator(`g[data-hour='${busiest.hour}'] title`).textContent()) ?? "";
    assert.match(title, new RegExp(`${busiest.succeeded} succeeded, ${busiest.failed} failed`));
    assert.ok((await chart.locator("rect").count()) >= 2, "succeeded and failed bars");
    assert.ok(stats.slowest.length >= 1);
    await page.getByTestId("slowest").locator(`a[href='/jobs/${stats.slowest[0]?.id}']`).waitFor();
    await screenshots(page, "overview");
    assert.deepEqual([...new Set(calls)], ["/api/v1/stats"], "the overview reads one endpoint");
    await page.getByTestId("recent-failures").getByRole("link", { name: "Nightly-Export-Middle" }).click();
    await page.waitForURL(`**/jobs/${failed.id}`);
    await page.getByTestId("job-error").waitFor();
    await finish();
  });

  it("lands old list links on /jobs and shows timing, errors and Status at a glance", async () => {
    const page = await open();
    await page.goto("/?status=FAILED");
    await page.waitForURL(/\/jobs\?status=FAILED$/);
    const table = page.locator("table[aria-label=Jobs][aria-busy=false]");
    await table.waitFor();
    const row = table.locator("tbody tr", { hasText: "Nightly-Export-Middle" });
    assert.match((await row.locator("td[data-col=Error]").textContent()) ?? "", /exit status 3/);
    assert.match((await row.locator("td[data-col=Status] .status-cell").getAttribute("title")) ?? "", /^FAILED: exit status 3/);
    assert.match((await row.locator("td[data-col=Finished]").textContent()) ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+1$/);
    assert.match((await row.locator("td[data-col=Duration]").textContent()) ?? "", /^\d+s$/);

    // Substring filter: "ticker" finds "the-ticker"; the URL keeps what was typed.
    await page.getByRole("button", { name: "Reset" }).click();
    await page.getByLabel("Name").fill("ticker");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/name=ticker/);
    const running = page.locator("table[aria-label=Jobs] tbody tr", { hasText: "the-ticker" });
    await running.waitFor();
    // The list before the filter also holds the-ticker: wait for the filtered answer to replace it (a race seen in CI).
    await page
      .waitForFunction(() => document.querySelectorAll("table[aria-label=Jobs] tbody tr").length === 1, undefined, { timeout: 5_000 })
      .catch(() => undefined);
    assert.equal(await page.locator("table[aria-label=Jobs] tbody tr").count(), 1);
    assert.match((await running.locator("td[data-col=Started]").textContent()) ?? "", / GMT\+1$/);
    assert.equal((await running.locator("td[data-col=Finished]").textContent()) ?? "", "—");
    // The running job's duration ticks each second.
    const before = await running.getByTestId("duration").textContent();
    await page.waitForFunction((b) => document.querySelector("table[aria-label=Jobs] [data-testid=duration]")?.textContent !== b, before, {
      timeout: 5_000,
    });

    // On a 390 px phone Status stays on screen without scrolling the table.
    await page.setViewportSize(PHONE);
    const box = await running.locator("td[data-col=Status] .status").boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `status at ${JSON.stringify(box)}`);
    await screenshots(page, "jobs-list-running");
    await finish();
  });

  it("auto-refreshes every 5 s by default and pauses while the tab is hidden", async () => {
    const page = await open();
    await page.goto("/jobs?name=late-comer");
    await page.locator("table[aria-label=Jobs][aria-busy=false]").waitFor();
    assert.equal(await page.getByLabel("Auto Refresh").inputValue(), "5000");
    assert.equal(await page.evaluate(() => localStorage.getItem("heimdall-auto-refresh")), null, "no stored choice: the default");
    const late = await client.post<{ id: string }>("/job", {
      name: "late-comer",
      command_criteria: ["type:ping"],
      cluster_criteria: ["type:localhost"],
    });
    await page.getByRole("link", { name: late.id }).waitFor({ timeout: 12_000 });

    let listCalls = 0;
    page.on("request", (r: Request) => {
      if (new URL(r.url()).pathname === "/api/v1/jobs") listCalls++;
    });
    // A string, not a function: tsx's helpers must not leak into the page.
    const setHidden = (hidden: boolean): Promise<unknown> =>
      page.evaluate(
        `Object.defineProperty(document, "visibilityState", { configurable: true, value: "${hidden ? "hidden" : "visible"}" }); document.dispatchEvent(new Event("visibilitychange"));`,
      );
    await setHidden(true);
    listCalls = 0;
    await page.waitForTimeout(6_500);
    assert.equal(listCalls, 0, "no refresh while hidden");
    await setHidden(false);
    await page.waitForRequest((r) => new URL(r.url()).pathname === "/api/v1/jobs", { timeout: 3_000 });
    await finish();
  });

  it("copies the job id, says the time zone, and submits a job again", async () => {
    const page = await open();
    await w.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.goto(`/jobs/${failed.id}`);
    await page.getByTestId("job-error").waitFor();
    assert.match(
      (await page.locator(".field", { hasText: "Created At" }).locator("dd").textContent()) ?? "",
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+1$/,
    );
    assert.match((await page.locator(".field", { hasText: "Finished" }).locator("dd").textContent()) ?? "", / GMT\+1$/);
    await page.getByRole("button", { name: "Copy job ID" }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), failed.id);

    await page.getByRole("button", { name: "Submit again" }).click();
    await page.waitForURL((u) => /\/jobs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(failed.id));
    const newId = page.url().split("/").pop() ?? "";
    const [orig, again] = await Promise.all([
      client.get<Record<string, unknown>>(`/job/${failed.id}`),
      client.get<Record<string, unknown>>(`/job/${newId}`),
    ]);
    for (const k of ["name", "version", "command_criteria", "cluster_criteria", "context"]) assert.deepEqual(again[k], orig[k], k);
    await page.getByTestId("job-error").waitFor({ timeout: 20_000 });
    await screenshots(page, "job-submitted-again");
    await finish();
  });
});
