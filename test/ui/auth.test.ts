// The UI over HTTPS (self-signed certificate, trusted for these browser contexts only via ignoreHTTPSErrors)
// with a jwt-authenticated server: the browser's Authorization header is the identity, and 401/403 answers are
// shown plainly ("Not signed in (401)", "Not allowed (403)").
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ensureUiBuilt } from "../../src/ui/index.ts";
import { makeKey, token, type TestKey } from "../api/auth-fixtures.ts";
import { hasOpenssl, selfSigned, startTlsServer, type TlsServer } from "../cli/tls-server.ts";
import { chromiumMissing, DESKTOP, launchBrowser, screenshots } from "./harness.ts";

const skip = chromiumMissing() ?? (hasOpenssl ? false : "openssl not installed");

describe("UI: HTTPS, tokens, 401 and 403", { skip }, () => {
  let dir: string;
  let srv: TlsServer;
  let browser: Browser;
  let key: TestKey;
  let ca: Buffer;

  before(async () => {
    await ensureUiBuilt();
    dir = mkdtempSync(join(tmpdir(), "heimdall-ui-tls-"));
    const tls = selfSigned(dir, "heimdall-ui");
    ca = readFileSync(tls.cert);
    key = await makeKey("ui-1", "RS256");
    writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [key.publicJwk] }));
    srv = await startTlsServer(dir, tls, {
      auth: {
        plugin: "jwt",
        admins: ["carol@example.com"],
        job_cancel: "owner",
        registry_write: "admins",
        context: { jwks_file: join(dir, "jwks.json"), issuer: "https://idp.test", audience: "heimdall", user_claim: "email" },
      },
      commands: [
        {
          name: "sleeper-0.0.1",
          plugin: "shell",
          version: "0.0.1",
          tags: ["type:sleeper"],
          cluster_tags: ["type:localhost"],
          context: { command: ["/bin/sh", "-c", "sleep 120"] },
        },
      ],
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A REST call as `email` over HTTPS trusting the test certificate. */
  async function apiAs(email: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const auth = `Bearer ${await token(key, { email })}`;
    return new Promise((resolve, reject) => {
      const req = request(
        `${srv.url}/api/v1${path}`,
        { method, ca, headers: { authorization: auth, "content-type": "application/json" } },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        },
      );
      req.once("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  async function pageWith(authorization: string | undefined): Promise<Page> {
    const context = await browser.newContext({
      baseURL: srv.url,
      viewport: DESKTOP,
      ignoreHTTPSErrors: true, // trusts the self-signed certificate for this context only
      extraHTTPHeaders: authorization ? { authorization } : {},
    });
    return context.newPage();
  }

  it("bob may not cancel alice's job: the 403 is shown as 'Not allowed'", async () => {
    const job = await apiAs("alice@example.com", "POST", "/job", {
      name: "sleepy",
      command_criteria: ["type:sleeper"],
      cluster_criteria: ["type:localhost"],
    });
    assert.equal(job.status, 200);
    const page = await pageWith(`Bearer ${await token(key, { email: "bob@example.com" })}`);
    await page.goto(`/jobs/${job.json.id}`);
    assert.match(page.url(), /^https:\/\//);
    await page.locator("h1 .status", { hasText: "RUNNING" }).waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "Cancel Job" }).click();
    await page.getByRole("dialog", { name: "Cancel this job?" }).getByRole("button", { name: "Yes, cancel job" }).click();
    await page.getByText("Not allowed (403): only the job's owner or an admin may cancel this job").waitFor();
    await screenshots(page, "auth-cancel-403");
    assert.equal((await apiAs("alice@example.com", "GET", `/job/${job.json.id}`)).json.status, "RUNNING");
    assert.equal((await apiAs("alice@example.com", "POST", `/job/${job.json.id}/cancel`)).status, 200);
    await page.context().close();
  });

  it("registry writes are admin-only: Deactivate shows 'Not allowed (403)'", async () => {
    const page = await pageWith(`Bearer ${await token(key, { email: "bob@example.com" })}`);
    await page.goto("/commands/sleeper-0.0.1");
    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    const err = page.getByTestId("status-error");
    await err.waitFor();
    assert.equal(await err.textContent(), "Not allowed (403): only admins may change commands and clusters");
    await page.context().close();
  });

  it("an expired token: the UI loads and says 'Not signed in (401)'", async () => {
    const page = await pageWith(`Bearer ${await token(key, { email: "bob@example.com", exp: Math.floor(Date.now() / 1000) - 600 })}`);
    const res = await page.goto("/jobs");
    assert.equal(res?.status(), 200);
    await page
      .getByText(/Not signed in \(401\): invalid credentials -- access denied/)
      .first()
      .waitFor({ timeout: 15_000 });
    await screenshots(page, "auth-expired-401");
    await page.context().close();
  });
});
