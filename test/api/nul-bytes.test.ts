// NUL characters (U+0000, issue 8 item 6): PostgreSQL text cannot hold them, SQLite can, so without a rule the two
// stores answered differently (500 vs 200). Now, on both stores: identifiers, names, versions, descriptions, tags,
// criteria, plugin names and every list filter with NUL get a 400 naming the field; context values (and keys) with
// NUL are stored and read back exactly.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, startHarness, waitFinal } from "./harness.ts";
import type { Harness, StoreKind } from "./harness.ts";

const U = "test_user";
const N = "\u0000";
const NUL = "must not contain NUL characters";
const b64 = (s: string) => encodeURIComponent(Buffer.from(s).toString("base64"));
const PING = { command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] };

/** [name, method, url, body, expected error] — every one a 400. */
const CASES: [string, string, string, unknown, string][] = [
  ["job name", "POST", "/api/v1/job", { ...PING, name: `a${N}b` }, `name: ${NUL}`],
  ["job version", "POST", "/api/v1/job", { ...PING, version: `1${N}` }, `version: ${NUL}`],
  ["job description", "POST", "/api/v1/job", { ...PING, description: `d${N}` }, `description: ${NUL}`],
  ["job tag", "POST", "/api/v1/job", { ...PING, tags: ["ok", `a${N}b`] }, `tags[1]: ${NUL}`],
  [
    "command criteria",
    "POST",
    "/api/v1/job",
    { command_criteria: [`type:${N}`], cluster_criteria: ["type:localhost"] },
    `command_criteria[0]: ${NUL}`,
  ],
  [
    "cluster criteria",
    "POST",
    "/api/v1/job",
    { command_criteria: ["type:ping"], cluster_criteria: [`${N}`] },
    `cluster_criteria[0]: ${NUL}`,
  ],
  ["several fields at once", "POST", "/api/v1/job", { ...PING, name: N, tags: [N] }, `name: ${NUL}; tags[0]: ${NUL}`],
  ["command id in the path", "PUT", "/api/v1/command/a%00b", { plugin: "ping" }, `id: ${NUL}`],
  ["command name", "PUT", "/api/v1/command/n1", { plugin: "ping", name: `n${N}` }, "name: must not contain control characters"],
  ["command version", "PUT", "/api/v1/command/n1", { plugin: "ping", version: `1${N}` }, `version: ${NUL}`],
  ["command description", "PUT", "/api/v1/command/n1", { plugin: "ping", description: N }, `description: ${NUL}`],
  ["command tag", "PUT", "/api/v1/command/n1", { plugin: "ping", tags: [`t${N}`] }, `tags[0]: ${NUL}`],
  ["command cluster tag", "PUT", "/api/v1/command/n1", { plugin: "ping", cluster_tags: [`t${N}`] }, `cluster_tags[0]: ${NUL}`],
  ["allowed_callers pattern", "PUT", "/api/v1/command/n1", { plugin: "ping", allowed_callers: [`a${N}`] }, `allowed_callers[0]: ${NUL}`],
  ["plugin name", "PUT", "/api/v1/command/n1", { plugin: `ping${N}` }, `plugin: ${NUL}`],
  ["cluster version", "PUT", "/api/v1/cluster/c1", { version: N }, `version: ${NUL}`],
  ["cluster tag", "PUT", "/api/v1/cluster/c1", { tags: [N] }, `tags[0]: ${NUL}`],
  ["cluster id in the path", "PUT", "/api/v1/cluster/c%00", {}, `id: ${NUL}`],
  ["job by id", "GET", "/api/v1/job/a%00b", undefined, `id: ${NUL}`],
  ["job status by id", "GET", "/api/v1/job/a%00b/status", undefined, `id: ${NUL}`],
  ["job file by id", "GET", "/api/v1/job/a%00b/stdout", undefined, `id: ${NUL}`],
  ["cancel by id", "POST", "/api/v1/job/a%00b/cancel", {}, `id: ${NUL}`],
  ["command by id", "GET", "/api/v1/command/a%00b", undefined, `id: ${NUL}`],
  ["command status by id", "GET", "/api/v1/command/a%00b/status", undefined, `id: ${NUL}`],
  ["command status PUT by id", "PUT", "/api/v1/command/a%00b/status?status=active", {}, `id: ${NUL}`],
  ["cluster by id", "GET", "/api/v1/cluster/a%00b", undefined, `id: ${NUL}`],
  ["cluster health by id", "GET", "/api/v1/cluster/a%00b/health", undefined, `id: ${NUL}`],
  ["jobs name filter", "GET", "/api/v1/jobs?name=a%00b", undefined, `name: ${NUL}`],
  ["jobs tags filter", "GET", "/api/v1/jobs?tags=a%00b", undefined, `tags: ${NUL}`],
  ["jobs user filter", "GET", "/api/v1/jobs?username=%00", undefined, `username: ${NUL}`],
  ["jobs id filter", "GET", "/api/v1/jobs?id=%00%25", undefined, `id: ${NUL}`],
  ["jobs version filter", "GET", "/api/v1/jobs?version=%00", undefined, `version: ${NUL}`],
  ["jobs command filter", "GET", "/api/v1/jobs?command=%00", undefined, `command: ${NUL}`],
  ["jobs cluster filter", "GET", "/api/v1/jobs?cluster=x%00", undefined, `cluster: ${NUL}`],
  ["jobs status filter", "GET", "/api/v1/jobs?status=RUNNING%00", undefined, `status: ${NUL}`],
  ["commands name filter", "GET", "/api/v1/commands?name=%00", undefined, `name: ${NUL}`],
  ["commands plugin filter", "GET", "/api/v1/commands?plugin=%00", undefined, `plugin: ${NUL}`],
  ["clusters id filter", "GET", "/api/v1/clusters?id=a%00", undefined, `id: ${NUL}`],
  [
    "cursor with NUL in its key",
    "GET",
    `/api/v1/jobs?order_by=id&cursor=${b64(JSON.stringify({ v: `a${N}`, i: 1 }))}`,
    undefined,
    "invalid pagination cursor",
  ],
];

function nulSuite(kind: StoreKind): void {
  describe(`NUL characters (${kind})`, () => {
    let h: Harness | undefined;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h?.close());

    for (const [name, method, url, body, error] of CASES) {
      it(`${name} → 400`, async (t) => {
        if (!h) return t.skip("no PostgreSQL (HEIMDALL_TEST_DATABASE_URL unset)");
        const r = await call(h.app, method, url, { user: U, ...(body === undefined ? {} : { body }) });
        assert.equal(r.status, 400, `${method} ${url}: ${r.body.slice(0, 300)}`);
        assert.deepEqual(r.json, { error });
      });
    }

    it("context values and keys with NUL are stored and read back exactly (job, command, cluster)", async (t) => {
      if (!h) return t.skip("no PostgreSQL");
      const context = { [`k${N}`]: `v${N}w`, list: [N, { deep: `${N}${N}` }], plain: "x" };
      const cmd = await call(h.app, "PUT", "/api/v1/command/nul-ctx", {
        user: U,
        body: { plugin: "ping", tags: ["type:nul"], cluster_tags: ["type:nul-cl"], context },
      });
      assert.equal(cmd.status, 200, cmd.body);
      assert.deepEqual((await call(h.app, "GET", "/api/v1/command/nul-ctx")).json.context, context);
      const cl = await call(h.app, "PUT", "/api/v1/cluster/nul-cl", { user: U, body: { tags: ["type:nul-cl"], context } });
      assert.equal(cl.status, 200, cl.body);
      assert.deepEqual((await call(h.app, "GET", "/api/v1/cluster/nul-cl")).json.context, context);
      const job = await call(h.app, "POST", "/api/v1/job", {
        user: U,
        body: { command_criteria: ["type:nul"], cluster_criteria: ["type:nul-cl"], context },
      });
      assert.equal(job.status, 200, job.body);
      assert.equal(await waitFinal(h.app, job.json.id), "SUCCEEDED");
      const got = await call(h.app, "GET", `/api/v1/job/${job.json.id}`);
      assert.deepEqual(got.json.context, context);
      const listed = await call(h.app, "GET", `/api/v1/jobs?id=${job.json.id}`);
      assert.deepEqual(listed.json.data[0].context, context);
    });

    it("a plugin failing on a NUL in the job context fails the job the same way on both stores", async (t) => {
      if (!h) return t.skip("no PostgreSQL");
      const body = { command_criteria: ["type:shell"], cluster_criteria: ["type:localhost"], context: { arguments: [`a${N}b`] } };
      const job = await call(h.app, "POST", "/api/v1/job", { user: U, body });
      assert.equal(job.status, 200, job.body);
      assert.equal(await waitFinal(h.app, job.json.id), "FAILED");
      const got = await call(h.app, "GET", `/api/v1/job/${job.json.id}`);
      assert.deepEqual(got.json.context, body.context);
      assert.equal(String(got.json.error).includes(N), false, got.json.error);
    });

    it("keeps serving afterwards", async (t) => {
      if (!h) return t.skip("no PostgreSQL");
      assert.equal((await call(h.app, "GET", "/api/v1/jobs?name=a")).status, 200);
      const s = await call(h.app, "POST", "/api/v1/job", { user: U, body: PING });
      assert.equal(s.status, 200, s.body);
      assert.equal(await waitFinal(h.app, s.json.id), "SUCCEEDED");
    });
  });
}

nulSuite("sqlite");
nulSuite("postgres");
