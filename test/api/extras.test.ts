// OpenAPI coverage (every registered route documented, document valid, /docs served), web UI serving (cookies, SPA fallback, redirect), ECS-style task views through a plugin
// with a task timeline, and a sync job canceled by the client disconnecting (real listening port).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AddressInfo } from "node:net";
import { compileErrors, validate } from "@readme/openapi-parser";
import { HeimdallError } from "../../src/core/index.ts";
import type { PluginModule, TaskAttempt, TaskTimeline } from "../../src/plugins/index.ts";
import { call, startHarness, waitFinal } from "./harness.ts";
import type { Harness } from "./harness.ts";

const SPEC_ROUTES = [
  "GET /api/v1/job/statuses",
  "GET /api/v1/job/{id}/status",
  "POST /api/v1/job/{id}/cancel",
  "GET /api/v1/job/{id}/{file}",
  "GET /api/v1/job/{id}/logs",
  "GET /api/v1/job/{id}",
  "GET /api/v1/jobs",
  "POST /api/v1/job",
  "GET /api/v1/command/statuses",
  "GET /api/v1/command/{id}/status",
  "PUT /api/v1/command/{id}/status",
  "PUT /api/v1/command/{id}",
  "GET /api/v1/command/{id}",
  "GET /api/v1/commands",
  "GET /api/v1/cluster/statuses",
  "GET /api/v1/clusters/health",
  "GET /api/v1/cluster/{id}/health",
  "GET /api/v1/cluster/{id}/status",
  "PUT /api/v1/cluster/{id}/status",
  "PUT /api/v1/cluster/{id}",
  "GET /api/v1/cluster/{id}",
  "GET /api/v1/clusters",
  "GET /api/v1/health",
  "GET /api/v1/job/{id}/tasks",
  "GET /api/v1/job/{id}/tasks/{slot}/logs",
  "GET /api/v1/openapi.json",
  "GET /api/v1/stats",
  "GET /metrics",
];

/** One stopped attempt of slot 0, as the timeline plugin stores it. */
const STOPPED_ATTEMPT: TaskAttempt = {
  slot: 0,
  attempt: 1,
  task_name: "tl-0",
  client_token: "t",
  task_arn: "arn:aws:ecs:us-east-1:000000000000:task/c/0",
  status: "STOPPED",
  last_status: "STOPPED",
  exit_code: 0,
  containers: [{ name: "main", exit_code: 0, reason: null }],
  stop_code: "EssentialContainerExited",
  stopped_reason: null,
  failure: null,
  created_at: "2026-01-01T00:00:00.000Z",
  started_at: null,
  stopped_at: null,
  launch_errors: 0,
  last_launch_error: null,
  capacity_provider: null,
  spot_interruption: false,
};

/** A plugin with a task timeline (like ecs): tasks() and taskLogs() read what execute stored. */
const timelinePlugin: PluginModule = {
  name: "timeline",
  create(_ctx, _cmd, services) {
    return {
      async execute(_signal, rt, job) {
        await services.state.put(job.id, "task/0/1", { ...STOPPED_ATTEMPT, containers: [...STOPPED_ATTEMPT.containers] });
        rt.stdout.write("done\n");
      },
      async cleanup() {},
      async tasks(job): Promise<TaskTimeline> {
        const attempts = (await services.state.list(job.id, "task/")).map((r) => r.value as unknown as TaskAttempt);
        return {
          job_id: job.id,
          cluster_name: "c",
          task_definition_arn: null,
          task_count: 1,
          max_fail_count: 0,
          max_spot_interruptions: null,
          spot_fallback: null,
          spot_interruptions: 0,
          first_launch_at: null,
          outcome: { kind: "succeeded" },
          representative: { slot: 0, attempt: 1 },
          containers: [{ name: "main", log: null }],
          slots: [{ slot: 0, task_name: "tl-0", attempts }],
        };
      },
      async *taskLogs(job, _cluster, q) {
        const rows = await services.state.list(job.id, `task/${q.slot}/`);
        if (rows.length === 0) throw new HeimdallError("NOT_FOUND", `unknown task slot: ${q.slot}`);
        yield `slot ${q.slot} attempt ${q.attempt ?? 1}\n`;
        yield `follow=${q.follow}\n`;
      },
    };
  },
};

describe("OpenAPI, UI, task views, client disconnect", () => {
  let h: Harness;
  let plain: Harness;
  const ui = mkdtempSync(join(tmpdir(), "heimdall-ui-"));
  before(async () => {
    mkdirSync(join(ui, "assets"));
    writeFileSync(join(ui, "index.html"), "<!doctype html><title>Heimdall UI</title>");
    writeFileSync(join(ui, "assets", "app.js"), "console.log(1)");
    const started = await startHarness(
      "sqlite",
      (c) => {
        c.commands.push({
          id: "tl",
          name: "tl",
          status: "ACTIVE",
          plugin: "timeline",
          version: "",
          description: "",
          is_sync: false,
          user: "heimdall",
          tags: ["type:tl"],
          cluster_tags: ["type:localhost"],
          allowed_callers: [],
        });
      },
      { uiRoot: ui, plugins: [timelinePlugin] },
    );
    assert.ok(started);
    h = started;
    const p = await startHarness("sqlite", (c) => {
      c.auth = { plugin: "auth_header", header: "X-Forwarded-User", default_user: "demo" };
    });
    assert.ok(p);
    plain = p;
  });
  after(async () => {
    await h.close();
    await plain.close();
  });

  it("documents every route in the OpenAPI document", async () => {
    const r = await call(h.app, "GET", "/api/v1/openapi.json");
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, "3.0.3");
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(r.json.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${path}`);
    }
    assert.deepEqual([...documented].sort(), [...SPEC_ROUTES].sort());
    // Every route the app registered (onRoute), except the hidden UI and /docs ones, is in the document.
    const registered = h.app.registeredRoutes.filter((x) => x.documented).map((x) => `${x.method} ${x.template}`);
    assert.deepEqual([...new Set(registered)].sort(), [...documented].sort());
    assert.ok(
      h.app.registeredRoutes.some((x) => !x.documented && x.template === "/docs"),
      "/docs is registered but not documented",
    );
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(r.json.paths as Record<string, Record<string, { operationId?: string; tags?: string[] }>>)) {
      for (const [m, op] of Object.entries(ops)) {
        assert.ok(op.operationId, `${m} ${path} has an operationId`);
        assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
        ids.add(op.operationId);
        assert.ok(op.tags && op.tags.length === 1, `${m} ${path} has a tag`);
      }
    }
    assert.deepEqual(r.json.paths["/api/v1/job/{id}"].get.responses["200"].content["application/json"].schema, {
      $ref: "#/components/schemas/Job",
    });
    assert.deepEqual(r.json.components.schemas.Job.properties.status.enum, [
      "NEW",
      "ACCEPTED",
      "RUNNING",
      "FAILED",
      "KILLED",
      "SUCCEEDED",
      "CANCELING",
      "CANCELED",
    ]);
    assert.deepEqual(r.json.servers, [{ url: "/", description: "This Heimdall instance" }]);
    assert.deepEqual(r.json.paths["/api/v1/job"].post.security, [{ auth_header: [] }]);
    assert.ok(r.json.components.schemas.SubmitJob.example, "examples");
    const result = await validate(structuredClone(r.json));
    assert.ok(result.valid, result.valid ? "" : compileErrors(result));
  });

  it("serves the interactive API reference at /docs with bundled assets", async () => {
    const page = await call(h.app, "GET", "/docs/");
    assert.equal(page.status, 200);
    assert.match(page.body, /swagger-ui/);
    assert.doesNotMatch(page.body, /https?:\/\/(?!127\.0\.0\.1)[a-z0-9.-]+\/[^"]*\.js/i, "no script from a CDN");
    const bundle = await call(h.app, "GET", "/docs/static/swagger-ui-bundle.js");
    assert.equal(bundle.status, 200);
    assert.ok(bundle.body.length > 100_000);
    const init = await call(h.app, "GET", "/docs/static/swagger-initializer.js");
    assert.equal(init.status, 200);
    const docJson = await call(h.app, "GET", "/docs/json");
    assert.equal(docJson.status, 200);
    assert.equal(docJson.json.openapi, "3.0.3");
  });

  it("serves the UI with cookies, SPA fallback and the old list links' redirect", async () => {
    const root = await call(h.app, "GET", "/");
    assert.equal(root.status, 200, "/ is the overview page");
    assert.match(root.body, /Heimdall UI/);
    const oldList = await call(h.app, "GET", "/?status=FAILED&name=a%25");
    assert.equal(oldList.status, 302);
    assert.equal(oldList.headers["location"], "/jobs?status=FAILED&name=a%25");
    const page = await call(h.app, "GET", "/jobs/abc?x=1", { user: "alice" });
    assert.equal(page.status, 200);
    assert.match(page.body, /Heimdall UI/);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    const cookies = ([] as string[]).concat(page.headers["set-cookie"] as string[]);
    assert.deepEqual(cookies, ["heimdall-user=alice; Path=/; SameSite=Strict", "heimdall-version=9.9.9-test; Path=/; SameSite=Strict"]);
    const anon = await call(h.app, "GET", "/commands");
    assert.match(String(anon.headers["set-cookie"]), /heimdall-user=user@heimdall;/);
    const js = await call(h.app, "GET", "/assets/app.js");
    assert.equal(js.body, "console.log(1)");
    assert.match(String(js.headers["content-type"]), /^text\/javascript/);
    assert.equal((await call(h.app, "GET", "/assets/missing.js")).status, 404);
    const escape = await call(h.app, "GET", "/%2e%2e/%2e%2e/etc/passwd");
    assert.doesNotMatch(escape.body, /root:/);
    assert.equal((await call(h.app, "GET", "/metrics/")).status, 200);
  });

  it("serves a placeholder page without a built UI and uses the configured header and default user", async () => {
    const page = await call(plain.app, "GET", "/jobs");
    assert.equal(page.status, 200);
    assert.match(page.body, /web UI is not built/);
    assert.match(String(page.headers["set-cookie"]), /heimdall-user=demo;/);
    const s = await call(plain.app, "POST", "/api/v1/job", {
      body: { command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
    });
    assert.equal(s.status, 200, s.body);
    assert.equal(s.json.user, "demo");
    const other = await call(plain.app, "POST", "/api/v1/job", {
      headers: { "x-forwarded-user": "erin" },
      body: { command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
    });
    assert.equal(other.json.user, "erin");
  });

  it("answers 401 for every write when there is no auth section", async () => {
    const anon = await startHarness("sqlite", (c) => {
      delete c.auth;
    });
    assert.ok(anon);
    try {
      const r = await call(anon.app, "POST", "/api/v1/job", { user: "alice", body: {} });
      assert.equal(r.status, 401);
      assert.equal(r.json.error, "cannot identify caller -- access denied");
      assert.equal((await call(anon.app, "GET", "/api/v1/jobs")).status, 200);
    } finally {
      await anon.close();
    }
  });

  it("serves a plugin's task timeline and task logs; literal `tasks` wins over {file}", async () => {
    const s = await call(h.app, "POST", "/api/v1/job", {
      user: "u",
      body: { command_criteria: ["type:tl"], cluster_criteria: ["type:localhost"] },
    });
    assert.equal(s.status, 200, s.body);
    assert.equal(await waitFinal(h.app, s.json.id), "SUCCEEDED");
    const tasks = await call(h.app, "GET", `/api/v1/job/${s.json.id}/tasks/`);
    assert.equal(tasks.status, 200, tasks.body);
    // The API serves the engine's answer (the plugin's typed TaskTimeline) as it is, stored attempts included.
    assert.equal(tasks.json.job_id, s.json.id);
    assert.deepEqual(tasks.json.outcome, { kind: "succeeded" });
    assert.deepEqual(tasks.json.slots, [{ slot: 0, task_name: "tl-0", attempts: [STOPPED_ATTEMPT] }]);
    assert.equal(tasks.json.task_count, 1);
    const logs = await call(h.app, "GET", `/api/v1/job/${s.json.id}/tasks/0/logs?attempt=1&follow=true`);
    assert.equal(logs.status, 200);
    assert.equal(logs.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(logs.body, "slot 0 attempt 1\nfollow=true\n");
    const bad = await call(h.app, "GET", `/api/v1/job/${s.json.id}/tasks/x/logs`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, "slot: must be a non-negative integer");
    const missing = await call(h.app, "GET", `/api/v1/job/${s.json.id}/tasks/7/logs`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error, "unknown task slot: 7");
    assert.equal((await call(h.app, "GET", `/api/v1/job/${s.json.id}/stdout`)).body, "done\n");
  });

  it("while draining: sync submit 503 with id, health 503 with a server check", async () => {
    const d = await startHarness("sqlite");
    assert.ok(d);
    try {
      await d.engine.drain();
      const s = await call(d.app, "POST", "/api/v1/job", {
        user: "u",
        body: { command_criteria: ["type:ping-sync"], cluster_criteria: ["type:localhost"] },
      });
      assert.equal(s.status, 503, s.body);
      assert.equal(s.json.error, "server is shutting down");
      assert.match(String(s.json.id), /^[0-9a-f-]{36}$/);
      const hl = await call(d.app, "GET", "/api/v1/health");
      assert.equal(hl.status, 503);
      assert.equal(hl.json.healthy, false);
      assert.deepEqual(hl.json.checks[1], { name: "server", status: "error", latency_ms: 0, error: "shutting down" });
      assert.equal((await call(d.app, "GET", `/api/v1/job/${s.json.id}`)).status, 404, "nothing stored");
    } finally {
      await d.close();
    }
  });

  it("closes the connection of an ordinary response that exceeds server.write_timeout", async () => {
    const slowHealth: PluginModule = {
      name: "slowhealth",
      create: () => ({
        async execute() {},
        async cleanup() {},
        healthCheck: (_cluster, signal) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 2500);
            signal.addEventListener("abort", () => clearTimeout(t));
          }),
      }),
    };
    const slow = await startHarness(
      "sqlite",
      (c) => {
        c.server.write_timeout = 1;
        c.commands = [
          {
            id: "a-slow",
            name: "a-slow",
            status: "ACTIVE",
            plugin: "slowhealth",
            version: "",
            description: "",
            is_sync: false,
            user: "heimdall",
            tags: [],
            cluster_tags: ["type:localhost"],
            allowed_callers: [],
          },
        ];
      },
      { plugins: [slowHealth] },
    );
    assert.ok(slow);
    try {
      await slow.app.listen({ port: 0, host: "127.0.0.1" });
      const base = `http://127.0.0.1:${(slow.app.server.address() as AddressInfo).port}`;
      const t0 = Date.now();
      const r = await fetch(`${base}/api/v1/clusters/health`).then(
        (x) => x.status,
        (e: unknown) => e,
      );
      assert.ok(r instanceof Error, `expected a closed connection, got ${String(r)}`);
      assert.ok(Date.now() - t0 < 2400, "cut off at write_timeout, before the probe finished");
      assert.equal((await fetch(`${base}/api/v1/health`)).status, 200);
    } finally {
      await slow.close();
    }
  });

  it("cancels a sync job when the client disconnects", async () => {
    await call(h.app, "PUT", "/api/v1/command/slow-sync", {
      user: "alice",
      body: {
        plugin: "shell",
        is_sync: true,
        tags: ["type:slow-sync"],
        cluster_tags: ["type:localhost"],
        context: { command: ["/bin/sh", "-c", "sleep 20"] },
      },
    });
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    const port = (h.app.server.address() as AddressInfo).port;
    const ac = new AbortController();
    const req = fetch(`http://127.0.0.1:${port}/api/v1/job`, {
      method: "POST",
      headers: { "X-Heimdall-User": "u", "content-type": "application/json" },
      body: JSON.stringify({ name: "disconnect-me", command_criteria: ["type:slow-sync"], cluster_criteria: ["type:localhost"] }),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      id = (await call(h.app, "GET", "/api/v1/jobs?name=disconnect-me&status=RUNNING")).json.data[0]?.id;
      if (!id) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(id);
    ac.abort();
    await req;
    assert.equal(await waitFinal(h.app, id), "CANCELED");
    const job = await call(h.app, "GET", `/api/v1/job/${id}`);
    assert.equal(job.json.canceled_by, undefined);
  });
});
