// Table-driven malformed requests (issue 2): each gets its exact 4xx status and message; none is a 500;
// the server keeps serving afterwards.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, startHarness, waitFinal } from "./harness.ts";
import type { Harness, StoreKind } from "./harness.ts";

interface Case {
  name: string;
  method: string;
  url: string;
  user?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  error: string | RegExp;
  /** The error body must carry the job id. */
  withId?: boolean;
}

const U = "test_user";
const long = (n: number, c = "x") => c.repeat(n);
const b64 = (s: string) => Buffer.from(s).toString("base64");
const NO_ID = "cannot identify caller -- access denied";
const NOT_OBJECT = "request body: must be a JSON object";

const CASES: Case[] = [
  // identity (401 before anything else, 400 when too long)
  { name: "submit without identity", method: "POST", url: "/api/v1/job", body: {}, status: 401, error: NO_ID },
  { name: "submit with empty identity", method: "POST", url: "/api/v1/job", user: "", body: {}, status: 401, error: NO_ID },
  { name: "cancel without identity", method: "POST", url: "/api/v1/job/{DONE}/cancel", status: 401, error: NO_ID },
  { name: "PUT command without identity", method: "PUT", url: "/api/v1/command/x", body: { plugin: "ping" }, status: 401, error: NO_ID },
  {
    name: "PUT cluster status without identity",
    method: "PUT",
    url: "/api/v1/cluster/localhost-0.0.1/status?status=active",
    status: 401,
    error: NO_ID,
  },
  { name: "401 wins over 413", method: "POST", url: "/api/v1/job", raw: long(1_048_577), status: 401, error: NO_ID },
  {
    name: "identity longer than 64",
    method: "POST",
    url: "/api/v1/job",
    user: long(65, "u"),
    body: {},
    status: 400,
    error: "user: must be at most 64 characters",
  },
  // body shape and size
  { name: "invalid JSON", method: "POST", url: "/api/v1/job", user: U, raw: "{", status: 400, error: /^invalid JSON: / },
  { name: "trailing garbage", method: "POST", url: "/api/v1/job", user: U, raw: '{"name":"a"} x', status: 400, error: /^invalid JSON: / },
  { name: "array body", method: "POST", url: "/api/v1/job", user: U, raw: "[]", status: 400, error: NOT_OBJECT },
  { name: "string body", method: "POST", url: "/api/v1/job", user: U, raw: '"hello"', status: 400, error: NOT_OBJECT },
  { name: "null body", method: "POST", url: "/api/v1/job", user: U, raw: "null", status: 400, error: NOT_OBJECT },
  {
    name: "body over 1 MiB",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    raw: `{"name":"${long(1_048_576)}"}`,
    status: 413,
    error: "request body too large (limit 1048576 bytes)",
  },
  {
    name: "PUT body over 1 MiB",
    method: "PUT",
    url: "/api/v1/command/big",
    user: U,
    raw: long(1_048_577, " "),
    status: 413,
    error: "request body too large (limit 1048576 bytes)",
  },
  // submit validation (D7)
  {
    name: "job name too long",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { name: long(301) },
    status: 400,
    error: "name: must be at most 300 characters",
  },
  {
    name: "name and tag errors joined",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { name: long(301), tags: ["a", 2] },
    status: 400,
    error: "name: must be at most 300 characters; tags[1]: must be a string",
  },
  {
    name: "name not a string",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { name: 5 },
    status: 400,
    error: "name: must be a string",
  },
  {
    name: "tags not an array",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { tags: "a" },
    status: 400,
    error: "tags: must be an array of strings",
  },
  {
    name: "tag too long",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { tags: [long(129)] },
    status: 400,
    error: "tags[0]: must be at most 128 characters",
  },
  {
    name: "too many tags",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { tags: Array.from({ length: 101 }, (_, i) => `t${i}`) },
    status: 400,
    error: "tags: must have at most 100 entries",
  },
  {
    name: "criteria entry not a string",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { command_criteria: [true] },
    status: 400,
    error: "command_criteria[0]: must be a string",
  },
  {
    name: "version too long",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { version: long(65) },
    status: 400,
    error: "version: must be at most 64 characters",
  },
  {
    name: "description too long",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { description: long(256) },
    status: 400,
    error: "description: must be at most 255 characters",
  },
  {
    name: "context is an array",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { context: [] },
    status: 400,
    error: "context: must be an object or null",
  },
  {
    name: "context over 128 KiB",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { context: { a: long(131_072) } },
    status: 400,
    error: "context: must be at most 131072 bytes",
  },
  {
    name: "store_result_sync not boolean",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { store_result_sync: "yes" },
    status: 400,
    error: "store_result_sync: must be a boolean",
  },
  // routing
  {
    name: "no matching pair",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { command_criteria: ["type:nope"], cluster_criteria: ["type:localhost"] },
    status: 404,
    error: "command-cluster pair is not found",
    withId: true,
  },
  {
    name: "missing criteria match nothing",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { name: "x" },
    status: 404,
    error: "command-cluster pair is not found",
    withId: true,
  },
  {
    name: "caller not allowed",
    method: "POST",
    url: "/api/v1/job",
    user: "bob",
    body: { command_criteria: ["type:restricted"], cluster_criteria: ["type:localhost"] },
    status: 403,
    error: "caller is not allowed to run this command",
    withId: true,
  },
  {
    name: "job context rejected by plugin",
    method: "POST",
    url: "/api/v1/job",
    user: U,
    body: { command_criteria: ["type:shell"], cluster_criteria: ["type:localhost"], context: { arguments: "x" } },
    status: 400,
    error: "context.arguments: must be an array of strings",
    withId: true,
  },
  // unknown objects
  { name: "unknown job", method: "GET", url: "/api/v1/job/00000000-0000-4000-8000-000000000000", status: 404, error: "unknown job_id" },
  { name: "unknown job status", method: "GET", url: "/api/v1/job/nope/status", status: 404, error: "unknown job_id" },
  { name: "cancel unknown job", method: "POST", url: "/api/v1/job/nope/cancel", user: U, status: 404, error: "unknown job_id" },
  {
    name: "cancel final job",
    method: "POST",
    url: "/api/v1/job/{DONE}/cancel",
    user: U,
    status: 409,
    error: "job is already in a final state: SUCCEEDED",
  },
  { name: "unknown command", method: "GET", url: "/api/v1/command/nope", status: 404, error: "unknown command_id" },
  { name: "unknown command status", method: "GET", url: "/api/v1/command/nope/status", status: 404, error: "unknown command_id" },
  { name: "unknown cluster", method: "GET", url: "/api/v1/cluster/nope", status: 404, error: "unknown cluster_id" },
  {
    name: "PUT status of unknown cluster",
    method: "PUT",
    url: "/api/v1/cluster/nope/status",
    user: U,
    body: { status: "active" },
    status: 404,
    error: "unknown cluster_id",
  },
  { name: "health of unknown cluster", method: "GET", url: "/api/v1/cluster/nope/health", status: 404, error: "unknown cluster_id: nope" },
  // files
  { name: "file not in allow-list", method: "GET", url: "/api/v1/job/{DONE}/cancel", status: 404, error: "unknown file: cancel" },
  { name: "allow-list checked before the job", method: "GET", url: "/api/v1/job/nope/secret", status: 404, error: "unknown file: secret" },
  { name: "stdout of unknown job", method: "GET", url: "/api/v1/job/nope/stdout", status: 404, error: "unknown job_id" },
  { name: "result never stored", method: "GET", url: "/api/v1/job/{SHELL}/result", status: 404, error: "file not found: result" },
  {
    name: "range beyond the end",
    method: "GET",
    url: "/api/v1/job/{SHELL}/stdout",
    headers: { range: "bytes=100000-" },
    status: 416,
    error: "range not satisfiable",
  },
  {
    name: "suffix range of zero",
    method: "GET",
    url: "/api/v1/job/{SHELL}/stdout",
    headers: { range: "bytes=-0" },
    status: 416,
    error: "range not satisfiable",
  },
  {
    name: "offset not an integer",
    method: "GET",
    url: "/api/v1/job/{SHELL}/stdout?offset=abc",
    status: 400,
    error: "offset: must be an integer",
  },
  { name: "no task timeline", method: "GET", url: "/api/v1/job/{DONE}/tasks", status: 404, error: "job has no task timeline" },
  // lists
  { name: "cursor not base64", method: "GET", url: "/api/v1/jobs?cursor=***", status: 400, error: "invalid pagination cursor" },
  {
    name: "cursor not JSON",
    method: "GET",
    url: `/api/v1/jobs?cursor=${encodeURIComponent(b64("nope"))}`,
    status: 400,
    error: "invalid pagination cursor",
  },
  {
    name: "cursor missing i",
    method: "GET",
    url: `/api/v1/jobs?cursor=${encodeURIComponent(b64('{"v":1}'))}`,
    status: 400,
    error: "invalid pagination cursor",
  },
  {
    name: "cursor v of wrong type",
    method: "GET",
    url: `/api/v1/jobs?order_by=id&cursor=${encodeURIComponent(b64('{"v":1,"i":2}'))}`,
    status: 400,
    error: "invalid pagination cursor",
  },
  { name: "commands cursor invalid", method: "GET", url: "/api/v1/commands?cursor=%7B", status: 400, error: "invalid pagination cursor" },
  {
    name: "unknown job status filter",
    method: "GET",
    url: "/api/v1/jobs?status=RUNNING,RUNING",
    status: 400,
    error: "unknown status: RUNING",
  },
  {
    name: "unknown command status filter",
    method: "GET",
    url: "/api/v1/commands?status=paused",
    status: 400,
    error: "unknown status: paused",
  },
  { name: "unknown cluster status filter", method: "GET", url: "/api/v1/clusters?status=gone", status: 400, error: "unknown status: gone" },
  // registry writes
  {
    name: "reserved command id",
    method: "PUT",
    url: "/api/v1/command/statuses",
    user: U,
    body: { plugin: "ping" },
    status: 400,
    error: 'id: "statuses" is reserved',
  },
  {
    name: "command id too long",
    method: "PUT",
    url: `/api/v1/command/${long(129)}`,
    user: U,
    body: { plugin: "ping" },
    status: 400,
    error: "id: must be at most 128 characters",
  },
  {
    name: "unknown plugin",
    method: "PUT",
    url: "/api/v1/command/x",
    user: U,
    body: { plugin: "sparkk" },
    status: 400,
    error: "unknown plugin: sparkk",
  },
  {
    name: "is_sync not boolean",
    method: "PUT",
    url: "/api/v1/command/x",
    user: U,
    body: { plugin: "ping", is_sync: 1 },
    status: 400,
    error: "is_sync: must be a boolean",
  },
  {
    name: "bad allowed_callers pattern",
    method: "PUT",
    url: "/api/v1/command/export-0.0.1",
    user: U,
    body: { plugin: "ping", allowed_callers: ["svc-("] },
    status: 400,
    error: 'command export-0.0.1: invalid allowed_callers pattern "svc-(": missing closing )',
  },
  {
    name: "empty allowed_callers pattern",
    method: "PUT",
    url: "/api/v1/command/export-0.0.1",
    user: U,
    body: { plugin: "ping", allowed_callers: [""] },
    status: 400,
    error: "command export-0.0.1: allowed_callers contains empty pattern",
  },
  {
    name: "command status unknown in body",
    method: "PUT",
    url: "/api/v1/command/x",
    user: U,
    body: { plugin: "ping", status: "paused" },
    status: 400,
    error: "unknown status: paused",
  },
  {
    name: "shell command without command",
    method: "PUT",
    url: "/api/v1/command/sh",
    user: U,
    body: { plugin: "shell", context: {} },
    status: 400,
    error: /^context: /,
  },
  {
    name: "status PUT without status",
    method: "PUT",
    url: "/api/v1/command/ping-0.0.1/status",
    user: U,
    body: {},
    status: 400,
    error: "status is required",
  },
  {
    name: "status PUT unknown status",
    method: "PUT",
    url: "/api/v1/command/ping-0.0.1/status?status=paused",
    user: U,
    status: 400,
    error: "unknown status: paused",
  },
  {
    name: "status PUT unknown command",
    method: "PUT",
    url: "/api/v1/command/nope/status",
    user: U,
    body: { status: "inactive" },
    status: 404,
    error: "unknown command_id",
  },
  {
    name: "bad attribute kind",
    method: "PUT",
    url: "/api/v1/cluster/c1",
    user: U,
    body: { attributes: { "Test Link Label": { kind: "url", value: "x" } } },
    status: 400,
    error: 'attributes.Test Link Label.kind: must be "link" or "text"',
  },
  {
    name: "unparsable attribute template",
    method: "PUT",
    url: "/api/v1/cluster/c1",
    user: U,
    body: { attributes: { "Spark History": { kind: "link", value: "{{ .Cluster.x" } } },
    status: 400,
    error: "attributes.Spark History.value: unclosed action",
  },
  {
    name: "health_check not boolean",
    method: "PUT",
    url: "/api/v1/cluster/c1",
    user: U,
    body: { health_check: "yes" },
    status: 400,
    error: "health_check: must be a boolean",
  },
  {
    name: "reserved cluster id",
    method: "PUT",
    url: "/api/v1/cluster/statuses",
    user: U,
    body: {},
    status: 400,
    error: 'id: "statuses" is reserved',
  },
  // unknown endpoints and methods
  { name: "DELETE a job", method: "DELETE", url: "/api/v1/job/abc", status: 404, error: "unknown endpoint: DELETE /api/v1/job/abc" },
  {
    name: "POST jobs is not submit",
    method: "POST",
    url: "/api/v1/jobs",
    user: U,
    status: 404,
    error: "unknown endpoint: POST /api/v1/jobs",
  },
  {
    name: "POST job/<x> is not submit",
    method: "POST",
    url: "/api/v1/job/abc",
    user: U,
    status: 404,
    error: "unknown endpoint: POST /api/v1/job/abc",
  },
  { name: "unknown path", method: "GET", url: "/api/v1/nope?x=1", status: 404, error: "unknown endpoint: GET /api/v1/nope" },
  { name: "API root", method: "GET", url: "/api/v1", status: 404, error: "unknown endpoint: GET /api/v1" },
  { name: "too many segments", method: "GET", url: "/api/v1/job/a/b/c", status: 404, error: "unknown endpoint: GET /api/v1/job/a/b/c" },
  {
    name: "PATCH a command",
    method: "PATCH",
    url: "/api/v1/command/ping-0.0.1",
    user: U,
    status: 404,
    error: "unknown endpoint: PATCH /api/v1/command/ping-0.0.1",
  },
  {
    name: "malformed percent-encoding",
    method: "GET",
    url: "/api/v1/job/%E0%A4%A",
    status: 400,
    error: "invalid URL: malformed percent-encoding",
  },
  {
    name: "GET ignores an oversized body",
    method: "GET",
    url: "/api/v1/job/nope",
    raw: long(1_048_577),
    status: 404,
    error: "unknown job_id",
  },
  {
    name: "DELETE ignores an oversized body",
    method: "DELETE",
    url: "/api/v1/job/nope",
    raw: long(1_048_577),
    status: 404,
    error: "unknown endpoint: DELETE /api/v1/job/nope",
  },
  {
    name: "PATCH ignores an oversized body",
    method: "PATCH",
    url: "/api/v1/jobs",
    raw: long(1_048_577),
    status: 404,
    error: "unknown endpoint: PATCH /api/v1/jobs",
  },
  { name: "GET cancel is a file", method: "GET", url: "/api/v1/job/abc/cancel", status: 404, error: "unknown file: cancel" },
];

export function malformedSuite(kind: StoreKind): void {
  describe(`malformed requests (${kind})`, () => {
    let h: Harness | undefined;
    const ids: Record<string, string> = {};
    before(async () => {
      h = await startHarness(kind);
      if (!h) return;
      const ping = await call(h.app, "POST", "/api/v1/job", {
        user: U,
        body: { command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
      });
      assert.equal(ping.status, 200, ping.body);
      ids["DONE"] = ping.json.id;
      const shell = await call(h.app, "POST", "/api/v1/job", {
        user: U,
        body: { command_criteria: ["type:shell"], cluster_criteria: ["type:localhost"], context: { arguments: ["a", "b"] } },
      });
      assert.equal(shell.status, 200, shell.body);
      ids["SHELL"] = shell.json.id;
      assert.equal(await waitFinal(h.app, ids["DONE"]!), "SUCCEEDED");
      assert.equal(await waitFinal(h.app, ids["SHELL"]!), "SUCCEEDED");
    });
    after(async () => h?.close());

    it(`has at least 40 cases`, () => assert.ok(CASES.length >= 40, String(CASES.length)));

    for (const c of CASES) {
      it(`${c.name} → ${c.status}`, async (t) => {
        if (!h) return t.skip("no PostgreSQL (HEIMDALL_TEST_DATABASE_URL unset)");
        const url = c.url.replace(/\{(DONE|SHELL)\}/g, (_, k: string) => ids[k] ?? k);
        const opts: Parameters<typeof call>[3] = {};
        if (c.user !== undefined) opts.user = c.user;
        if (c.body !== undefined) opts.body = c.body;
        if (c.raw !== undefined) opts.raw = c.raw;
        if (c.headers) opts.headers = c.headers;
        const r = await call(h.app, c.method, url, opts);
        assert.equal(r.status, c.status, `${c.method} ${url}: ${r.body.slice(0, 300)}`);
        assert.match(String(r.headers["content-type"]), /^application\/json/);
        if (typeof c.error === "string") assert.equal(r.json?.error, c.error);
        else assert.match(String(r.json?.error), c.error);
        if (c.withId) assert.match(String(r.json?.id), /^[0-9a-f-]{36}$/);
        else assert.equal(r.json?.id, undefined);
        const keys = Object.keys(r.json ?? {}).sort();
        assert.deepEqual(keys, c.withId ? ["error", "id"] : ["error"]);
      });
    }

    it("keeps serving after all of them", async (t) => {
      if (!h) return t.skip("no PostgreSQL");
      const r = await call(h.app, "GET", "/api/v1/health");
      assert.equal(r.status, 200, r.body);
      const s = await call(h.app, "POST", "/api/v1/job", {
        user: U,
        body: { command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
      });
      assert.equal(s.status, 200);
      assert.equal(await waitFinal(h.app, s.json.id), "SUCCEEDED");
    });
  });
}
