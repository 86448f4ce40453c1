// Commands and clusters pages in real Chromium against the real server: lists with filters, detail pages,
// activate/deactivate (and the inline 401 for an anonymous browser), cluster health, keyboard navigation,
// the not-found page and the identity cookie.
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

const USER = "registry-admin";
const skip = chromiumMissing();
if (skip) console.log(`# skipping UI tests: ${skip}`);

describe("commands and clusters UI in Chromium", { skip }, () => {
  let srv: HeimdallServer;
  let browser: Browser;
  let client: ReturnType<typeof api>;
  const pages: WatchedPage[] = [];

  before(async () => {
    srv = await startServer({ auth: { plugin: "auth_header" }, commands: localCommands, clusters: [localhost] });
    client = api(srv.url, USER);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });
  const open = async (identity?: string): Promise<Page> => {
    const w = await openPage(browser, srv.url, identity);
    pages.push(w);
    return w.page;
  };
  const finish = async (): Promise<void> => {
    const errors = pages.flatMap((w) => w.errors());
    await Promise.all(pages.splice(0).map((w) => w.close()));
    assert.deepEqual(errors, [], "no console errors");
  };
  const rows = async (page: Page, name: string) => {
    await page.locator(`table[aria-label=${name}][aria-busy=false]`).waitFor();
    return page.locator(`table[aria-label=${name}] tbody tr`);
  };

  it("lists and filters commands, shows a command and toggles its status", async () => {
    const page = await open(USER);
    await page.goto("/commands");
    assert.equal(await (await rows(page, "Commands")).count(), localCommands.length);
    assert.equal(await page.getByTestId("account").textContent(), USER);
    await screenshots(page, "commands-list");
    await page.getByLabel("Plugin").fill("shell");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/plugin=shell/);
    await page
      .getByTestId("count")
      .filter({ hasText: /^3 commands$/ })
      .waitFor();
    assert.deepEqual((await (await rows(page, "Commands")).locator("td:nth-child(8)").allTextContents()).sort(), [
      "shell",
      "shell",
      "shell",
    ]);

    await page.getByLabel("Plugin").fill("");
    await page.getByLabel("Name").fill("spare%");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/name=spare/);
    await page
      .getByTestId("count")
      .filter({ hasText: /^1 commands$/ })
      .waitFor();
    await page.getByRole("link", { name: "Details of command spare-0.0.1" }).click();
    await page.waitForURL("**/commands/spare-0.0.1");
    await page.locator("h1 .status", { hasText: /^ACTIVE$/ }).waitFor();
    await page.getByText("A command to switch on and off").waitFor();
    await page.getByRole("list", { name: "Cluster tags" }).getByText("type:localhost").waitFor();
    assert.deepEqual(await page.getByRole("list", { name: "Allowed callers" }).getByRole("listitem").allTextContents(), [
      "registry-admin",
      "svc-.*",
    ]);
    assert.equal(await page.getByRole("link", { name: "Logs", exact: true }).getAttribute("href"), "https://logs.example.com/spare");
    assert.equal(await page.getByRole("link", { name: "Queries", exact: true }).count(), 0, "only links whose key is set");
    await page
      .locator("dl.fields .field", { hasText: "team" })
      .locator("dd", { hasText: /^platform$/ })
      .waitFor();

    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    await page.locator("h1 .status", { hasText: "INACTIVE" }).waitFor();
    const stored = await client.get<{ status: string; user: string }>("/command/spare-0.0.1");
    assert.equal(stored.status, "INACTIVE");
    assert.equal(stored.user, USER, "the proxy's identity is the last writer");
    await screenshots(page, "command-detail");
    await page.getByRole("button", { name: "Activate", exact: true }).click();
    await page.locator("h1 .status", { hasText: /^ACTIVE$/ }).waitFor();
    assert.equal((await client.get<{ status: string }>("/command/spare-0.0.1")).status, "ACTIVE");
    await finish();
  });

  it("shows the API's 401 inline when an anonymous browser toggles a status", async () => {
    const w = await openPage(browser, srv.url);
    pages.push(w);
    w.expectNetworkError(/\/api\/v1\/command\/spare-0\.0\.1\/status$/);
    const page = w.page;
    await page.goto("/commands?name=spare-0.0.1");
    assert.equal(await page.getByTestId("account").textContent(), "user@heimdall");
    await page.getByRole("link", { name: "Details of command spare-0.0.1" }).click();
    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    const err = page.getByTestId("status-error");
    await err.waitFor();
    assert.match((await err.textContent()) ?? "", /cannot identify caller -- access denied/);
    assert.equal((await client.get<{ status: string }>("/command/spare-0.0.1")).status, "ACTIVE");
    await screenshots(page, "command-toggle-401");
    await finish();
  });

  it("lists clusters, shows one with attributes and checks its health", async () => {
    const page = await open(USER);
    await page.goto("/clusters");
    assert.equal(await (await rows(page, "Clusters")).count(), 1);
    await page.getByRole("checkbox", { name: "INACTIVE" }).check();
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/status=INACTIVE/);
    await page
      .getByTestId("count")
      .filter({ hasText: /^0 clusters$/ })
      .waitFor();
    await page.getByRole("button", { name: "Reset" }).click();
    await page
      .getByTestId("count")
      .filter({ hasText: /^1 clusters$/ })
      .waitFor();
    await screenshots(page, "clusters-list");
    await page.getByRole("link", { name: "Details of cluster localhost-0.0.1" }).click();
    await page.waitForURL("**/clusters/localhost-0.0.1");
    await page.getByRole("table", { name: "Attributes" }).getByText("{{ .Job.User }}").waitFor();
    await page.locator("dl.fields dd", { hasText: /^data-platform$/ }).waitFor(); // context.properties
    await page.getByRole("button", { name: "Check health" }).click();
    await page.getByTestId("health").getByText("HEALTHY").waitFor();
    await page.getByTestId("health").locator("dd", { hasText: /^ok$/ }).waitFor();
    // Spec 7.1: the probe goes through the active command with the smallest id that fits the cluster.
    await page
      .getByTestId("health")
      .locator("dd", { hasText: /^shell$/ })
      .waitFor();
    await screenshots(page, "cluster-detail");
    await finish();
  });

  it("opens detail pages of ids containing dots from a direct link", async () => {
    const w = await openPage(browser, srv.url, USER);
    try {
      await w.page.goto("/commands/spare-0.0.1");
      await w.page.locator("h1 .status", { hasText: /^ACTIVE$/ }).waitFor({ timeout: 5000 });
      await w.page.goto("/clusters/localhost-0.0.1");
      await w.page.getByRole("button", { name: "Check health" }).waitFor({ timeout: 5000 });
      assert.deepEqual(w.errors(), []);
    } finally {
      await w.close();
    }
  });

  it("is keyboard reachable and shows a not-found page for unknown paths", async () => {
    const w = await openPage(browser, srv.url, USER);
    pages.push(w);
    const page = w.page;
    await page.goto("/jobs");
    await page.locator("table[aria-label=Jobs][aria-busy=false]").waitFor();
    const health = await client.get<{ version: string }>("/health");
    assert.equal(await page.locator("footer").textContent(), `© ${new Date().getFullYear()}, v${health.version}`);
    const focused = async (): Promise<string> => page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Skip to content");
    let reached = false;
    for (let i = 0; i < 8 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = (await focused()) === "Clusters";
    }
    assert.ok(reached, "the Clusters link is reachable with Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/clusters");
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
    // The keyboard-focused link keeps focus after navigating and shows the focus outline.
    const outline = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? `${el.textContent ?? ""}|${getComputedStyle(el).outlineStyle}` : "";
    });
    const [focusedText, style] = outline.split("|");
    assert.equal(focusedText, "Clusters");
    assert.notEqual(style, "none", "focused element shows an outline");

    await page.goto("/no/such/page");
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    w.expectNetworkError(/\/api\/v1\/job\/00000000-0000-4000-8000-000000000000$/);
    await page.goto("/jobs/00000000-0000-4000-8000-000000000000");
    await page.getByRole("heading", { name: "Job not found" }).waitFor();
    await screenshots(page, "not-found");
    await finish();
  });
});
