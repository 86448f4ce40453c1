// UI test harness: the real Heimdall server (`heimdall serve --config <tmp yaml>`, SQLite in a temp dir) and
// Debian's Chromium driven by playwright-core. Console errors fail the test unless explicitly expected.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from "playwright-core";
import { ensureUiBuilt } from "../../src/ui/index.ts";
import { freePort, launchServer } from "../cli/server-process.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CHROMIUM = process.env["HEIMDALL_CHROMIUM"] ?? "/usr/bin/chromium";
export const SHOTS = join(ROOT, "test-output", "screenshots");
export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

export const chromiumMissing = (): string | undefined =>
  existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;

export interface HeimdallServer {
  url: string;
  dir: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `heimdall serve` with the given config document (server, database, jobs_directory are filled in). */
export async function startServer(config: Record<string, unknown>): Promise<HeimdallServer> {
  await ensureUiBuilt();
  const dir = mkdtempSync(join(tmpdir(), "heimdall-ui-"));
  const port = await freePort();
  const doc = {
    server: { addr: `127.0.0.1:${port}`, shutdown_timeout: 5 },
    database: { connection_string: `sqlite:${join(dir, "heimdall.db")}` },
    jobs_directory: join(dir, "jobs"),
    pool: { size: 8, sleep: 250 },
    log_level: "warn",
    ...config,
  };
  const srv = await launchServer(doc, { dir, port, env: { NODE_ENV: "test" } });
  return {
    url: srv.url,
    dir,
    output: srv.output,
    stop: async () => {
      if (srv.running()) {
        srv.proc.kill("SIGTERM");
        const t = setTimeout(() => srv.proc.kill("SIGKILL"), 10_000);
        await srv.exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small REST client for arranging data (the browser is what is under test). */
export function api(base: string, user = "ui-tester") {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { "X-Heimdall-User": user, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    get: <T>(path: string) => call<T>("GET", path),
    post: <T>(path: string, body?: unknown) => call<T>("POST", path, body),
    put: <T>(path: string, body?: unknown) => call<T>("PUT", path, body),
    /** Polls GET /job/{id} until its status is one of `statuses`. */
    async waitJob(id: string, statuses: string[], timeoutMs = 30_000): Promise<{ status: string; error?: string }> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const j = await call<{ status: string; error?: string }>("GET", `/job/${id}`);
        if (statuses.includes(j.status)) return j;
        if (Date.now() > end) throw new Error(`job ${id} is ${j.status}, expected ${statuses.join("|")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors so far, minus the expected ones. */
  errors: () => string[];
  /** Declares network failures (console "Failed to load resource") for URLs matching `re` as expected. */
  expectNetworkError: (re: RegExp) => void;
  close: () => Promise<void>;
}

/**
 * A page in a fresh context. `identity` plays the fronting proxy: it is sent as X-Heimdall-User on every request
 * the browser makes (the UI itself sends no credentials).
 */
export async function openPage(
  browser: Browser,
  base: string,
  identity?: string,
  opts: { timezoneId?: string } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL: base,
    viewport: DESKTOP,
    extraHTTPHeaders: identity ? { "X-Heimdall-User": identity } : {},
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId, locale: "en-US" } : {}),
  });
  const page = await context.newPage();
  const errors: string[] = [];
  // Spec 12: the job page shows a Result table "when GET P/job/{id}/result succeeds", so a 404 there is the API's
  // way of saying "no result" (shown as "No result stored."); Chromium logs every 4xx as a console error.
  const expected: RegExp[] = [/\/api\/v1\/job\/[^/]+\/result$/];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() !== "error") return;
    const where = m.location().url;
    if (m.text().startsWith("Failed to load resource") && expected.some((re) => re.test(where))) return;
    errors.push(`${m.text()} @ ${where}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  return {
    page,
    context,
    errors: () => [...errors],
    expectNetworkError: (re) => expected.push(re),
    close: () => context.close(),
  };
}

/** Width of the page's content beyond the viewport (wide tables must scroll inside their own box). */
async function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Saves full-page screenshots at 1440×900 and at phone width; the page itself must never scroll sideways. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SHOTS, `${name}-${DESKTOP.width}.png`), fullPage: true });
  const wide = await overflowX(page);
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  await page.screenshot({ path: join(SHOTS, `${name}-${PHONE.width}.png`), fullPage: true });
  const narrow = await overflowX(page);
  await page.setViewportSize(DESKTOP);
  if (wide > 0 || narrow > 0)
    throw new Error(`${name}: the page scrolls sideways (${wide}px at ${DESKTOP.width}, ${narrow}px at ${PHONE.width})`);
  await checkA11y(page, name);
}

/** axe-core's source, read once from the `axe-core` devDependency. */
let axeSrc: string | undefined;
function axeSource(): string {
  axeSrc ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  return axeSrc;
}

/**
 * Runs axe-core (WCAG 2 A/AA rules and best practices) on the page at desktop and phone widths and fails with
 * every violation's rule, impact and nodes.
 */
export async function checkA11y(page: Page, name: string): Promise<void> {
  const src = axeSource();
  const problems: string[] = [];
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(50);
    if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: src });
    const found = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run: (
              ctx: Document,
              opts: unknown,
            ) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
          };
        }
      ).axe;
      const r = await axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    });
    for (const f of found) problems.push(`${size.width}px ${f}`);
  }
  await page.setViewportSize(DESKTOP);
  if (problems.length) throw new Error(`${name}: axe-core violations:\n${problems.join("\n")}`);
}
