// The README's promise: with no config, `heimdall serve` (what `npm start` runs) serves the built-in demo —
// SQLite under ./.heimdall/, identity header with a local default user, ping/shell on localhost, and the ECS
// plugin's complete example on the embedded local ECS. Runs the README's curl walk-through with fetch.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, launchServer } from "./server-process.ts";
import type { LaunchedServer } from "./server-process.ts";
import { ecsExampleJob } from "../ui/fixtures.ts";

const FINAL = ["SUCCEEDED", "FAILED", "KILLED", "CANCELED"];

describe("heimdall serve with the built-in demo config", () => {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-demo-"));
  let srv: LaunchedServer | undefined;
  let url = "";

  before(async () => {
    const port = await freePort();
    const ecsPort = await freePort();
    srv = await launchServer(undefined, {
      dir,
      port,
      env: { HEIMDALL_ADDR: `127.0.0.1:${port}`, HEIMDALL_LOCAL_ECS_PORT: String(ecsPort) },
      timeoutMs: 60_000,
    });
    url = srv.url;
  });

  after(async () => {
    if (srv?.running()) {
      srv.proc.kill("SIGTERM");
      await srv.exited;
    }
  });

  async function submit(body: object, user?: string): Promise<{ id: string; status: string; user: string }> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (user) headers["X-Heimdall-User"] = user;
    const r = await fetch(`${url}/api/v1/job`, { method: "POST", headers, body: JSON.stringify(body) });
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as { id: string; status: string; user: string };
  }

  async function waitFinal(id: string, ms: number): Promise<{ status: string; error?: string }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = (await (await fetch(`${url}/api/v1/job/${id}/status`)).json()) as { status: string; error?: string };
      if (FINAL.includes(s.status)) return s;
      assert.ok(Date.now() < deadline, `job ${id} still ${s.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("keeps its data under ./.heimdall/ of the working directory", () => {
    assert.ok(existsSync(join(dir, ".heimdall", "heimdall.db")), "SQLite database created under ./.heimdall/");
  });

  it("runs the README's ping job to SUCCEEDED with the exact result body", async () => {
    const job = await submit(
      { name: "ping-test", version: "0.0.1", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
      "alice",
    );
    assert.equal(job.status, "NEW");
    assert.equal((await waitFinal(job.id, 20_000)).status, "SUCCEEDED");
    const res = await fetch(`${url}/api/v1/job/${job.id}/result`);
    assert.equal(await res.text(), '{"columns":[{"name":"message","type":"string"}],"data":[["Hello, alice!"]]}');
  });

  it("identifies a caller without the header as the local default user", async () => {
    const job = await submit({ command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] });
    assert.equal(job.user, "local-user");
  });

  it("runs the ECS plugin's complete example on the embedded local ECS", async () => {
    const job = await submit(ecsExampleJob);
    const final = await waitFinal(job.id, 90_000);
    assert.equal(final.status, "SUCCEEDED", final.error);
    const stdout = await (await fetch(`${url}/api/v1/job/${job.id}/stdout`)).text();
    assert.match(stdout, /^=== ecs\/main\/[0-9a-f]{32} ===\n\n\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] Task name: heimdall-job-/);
    assert.ok(stdout.includes(`Task name: heimdall-job-${job.id}-`), stdout);
    const tasks = await fetch(`${url}/api/v1/job/${job.id}/tasks`);
    assert.equal(tasks.status, 200);
  });
});
