// Template files through the API (issue 8 item 2), against `heimdall serve` as a child process so that a
// regression that blocks the event loop fails on deadlines instead of hanging this process: /dev/zero and a FIFO
// answer 400 while /health keeps answering; files outside template_roots are refused without content; commands of
// the configuration file are trusted; an API-created command is confined again after a restart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { freePort } from "../../cli/server-process.ts";
import { cleanupDir, spawnServer, startEcs, tempDir, templateDoc, writeConfig } from "./harness.ts";
import type { ChildServer } from "./harness.ts";

const USER = { "X-Heimdall-User": "tester" };

describe("ecs template files through the API", () => {
  let ecs: LocalEcs;
  let dir: string;
  let templates: string;
  let configured: string;
  let server: ChildServer | undefined;

  /** The configuration: one configured command whose template lies outside every root, and `roots`. */
  function config(roots: string[]): string {
    const file = writeConfig(dir, ecs, [
      { name: "ecs-configured", tag: "type:configured", context: { task_definition_template: configured, polling_interval: "100ms" } },
    ]);
    appendFileSync(file, stringify({ template_roots: roots }));
    return file;
  }
  async function start(roots: string[]): Promise<ChildServer> {
    await server?.kill();
    server = await spawnServer(config(roots), await freePort());
    return server;
  }
  async function putCommand(id: string, context: Record<string, unknown>, tag = `type:${id}`) {
    const r = await fetch(`${server!.url}/api/v1/command/${id}`, {
      method: "PUT",
      headers: { ...USER, "content-type": "application/json" },
      body: JSON.stringify({ plugin: "ecs", version: "1", tags: [tag], cluster_tags: ["type:fargate"], context }),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: r.status, error: String(((await r.json()) as { error?: string }).error) };
  }
  async function runJob(tag: string) {
    const r = await server!.submit({ name: "t", version: "1", command_criteria: [tag], cluster_criteria: ["type:fargate"] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return server!.waitFinal(r.body.id as string, 60_000);
  }

  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
    dir = tempDir("ecs-template-api-");
    templates = join(dir, "templates");
    mkdirSync(templates);
    mkdirSync(join(dir, "outside"));
    configured = join(dir, "outside", "configured.json");
    writeFileSync(configured, JSON.stringify(templateDoc()));
    writeFileSync(join(templates, "td.json"), JSON.stringify(templateDoc()));
    writeFileSync(join(templates, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
    symlinkSync("/etc/passwd", join(templates, "link.json"));
    const mk = spawnSync("mkfifo", [join(templates, "fifo.json")]);
    assert.equal(mk.status, 0, String(mk.stderr));
    await start([templates, "/dev"]);
  });
  after(async () => {
    await server?.kill();
    await ecs?.close();
    if (dir !== undefined) cleanupDir(dir);
  });

  for (const [what, path, kind] of [
    ["a FIFO", "templates/fifo.json", "a FIFO"],
    ["/dev/zero", "/dev/zero", "a character device"],
  ] as const) {
    it(`${what}: 400 "must be a regular file", and /health keeps answering meanwhile`, async () => {
      const file = path.startsWith("/") ? path : join(dir, path);
      const put = putCommand("c1", { task_definition_template: file });
      put.catch(() => undefined);
      for (let i = 0; i < 3; i++) {
        const h = await fetch(`${server!.url}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
        assert.equal(h.status, 200);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(await put, { status: 400, error: `context: task_definition_template: must be a regular file (${file} is ${kind})` });
    });
  }

  it("files outside template_roots are refused; JSON errors carry no file content", async () => {
    const outside = (f: string) =>
      `context: task_definition_template: must lie under a template root (template_roots in the configuration): ${f}`;
    assert.deepEqual(await putCommand("c1", { task_definition_template: "/etc/passwd" }), { status: 400, error: outside("/etc/passwd") });
    assert.deepEqual(await putCommand("c1", { task_definition_template: configured }), { status: 400, error: outside(configured) });
    const link = join(templates, "link.json");
    assert.deepEqual(await putCommand("c1", { task_definition_template: link }), { status: 400, error: outside(link) });
    const passwd = join(templates, "passwd");
    const r = await putCommand("c1", { task_definition_template: passwd });
    assert.deepEqual(r, { status: 400, error: `context: task_definition_template: file ${passwd} is not valid JSON at line 1 column 1` });
    assert.equal((await server!.get("/api/v1/command/c1")).status, 404);
  });

  it("a template under a root and an inline template work; the configured command is trusted", async () => {
    assert.equal(
      (await putCommand("api-file", { task_definition_template: join(templates, "td.json"), polling_interval: "100ms" })).status,
      200,
    );
    assert.equal((await putCommand("api-inline", { task_definition_template: templateDoc(), polling_interval: "100ms" })).status, 200);
    assert.equal((await runJob("type:api-file")).status, "SUCCEEDED");
    assert.equal((await runJob("type:api-inline")).status, "SUCCEEDED");
    assert.equal((await runJob("type:configured")).status, "SUCCEEDED");
    // the configuration's own definition, PUT unchanged, stays trusted; changed, it is confined
    const same = { task_definition_template: configured, polling_interval: "100ms" };
    const r = await fetch(`${server!.url}/api/v1/command/ecs-configured`, {
      method: "PUT",
      headers: { ...USER, "content-type": "application/json" },
      body: JSON.stringify({
        plugin: "ecs",
        version: "0.0.1",
        status: "active",
        tags: ["type:configured"],
        cluster_tags: ["type:fargate"],
        context: same,
      }),
    });
    assert.equal(r.status, 200, await r.text());
    const changed = await putCommand("ecs-configured", { ...same, polling_interval: "200ms" }, "type:configured");
    assert.equal(changed.status, 400, changed.error);
  });

  it("after a restart whose template_roots no longer hold its file, the API-created command is confined again", async () => {
    await start([join(dir, "elsewhere")]);
    const job = await runJob("type:api-file");
    assert.equal(job.status, "FAILED");
    assert.match(String(job.error), /task_definition_template: must lie under a template root/);
    assert.equal((await runJob("type:api-inline")).status, "SUCCEEDED");
    assert.equal((await runJob("type:configured")).status, "SUCCEEDED");
  });
});
