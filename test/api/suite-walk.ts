// The API walk (issue 2): registry writes, async/sync submit outcomes, cancel, lists and pages, job files,
// health and metrics — against a real store, the real engine and the built-in plugins.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, startHarness, waitFinal } from "./harness.ts";
import type { Harness, StoreKind } from "./harness.ts";

const U = "test_user";
const sh = (script: string) => ({ command: ["/bin/sh", "-c", script, "sh"] });

async function submit(h: Harness, body: Record<string, unknown>, user = U) {
  return call(h.app, "POST", "/api/v1/job", { user, body });
}

async function waitStatus(h: Harness, id: string, want: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(h.app, "GET", `/api/v1/job/${id}/status`);
    if (r.json?.status === want) return;
    if (Date.now() > deadline) throw new Error(`job ${id}: ${r.body}, wanted ${want}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

export function walkSuite(kind: StoreKind): void {
  describe(`API walk (${kind})`, () => {
    let h: Harness | undefined;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h?.close());
    const need = (t: { skip: (m: string) => void }): Harness | undefined => {
      if (!h) t.skip("no PostgreSQL (HEIMDALL_TEST_DATABASE_URL unset)");
      return h;
    };

    it("PUTs a command and a cluster, then routes an async ping job to SUCCEEDED with its result", async (t) => {
      const x = need(t);
      if (!x) return;
      const cmd = await call(x.app, "PUT", "/api/v1/command/hello-0.0.1", {
        user: "alice",
        body: {
          id: "ignored",
          version: "0.0.1",
          plugin: "ping",
          tags: ["type:hello", "b", "a", "a"],
          cluster_tags: ["type:walk"],
          user: "mallory",
        },
      });
      assert.equal(cmd.status, 200, cmd.body);
      assert.equal(cmd.json.id, "hello-0.0.1");
      assert.equal(cmd.json.name, "hello-0.0.1");
      assert.equal(cmd.json.user, "alice");
      assert.equal(cmd.json.status, "ACTIVE");
      assert.deepEqual(cmd.json.tags, ["_id:hello-0.0.1", "_name:hello-0.0.1", "_version:0.0.1", "a", "b", "type:hello"]);
      assert.equal(cmd.json.is_sync, undefined);
      assert.deepEqual(Object.keys(cmd.json), [
        "id",
        "name",
        "version",
        "user",
        "tags",
        "created_at",
        "updated_at",
        "status",
        "plugin",
        "cluster_tags",
      ]);
      const cl = await call(x.app, "PUT", "/api/v1/cluster/walk-0.0.1/", {
        user: "alice",
        body: {
          version: "1",
          tags: ["type:walk"],
          context: { url: "http://h" },
          attributes: { Logs: { kind: "link", value: "{{ .Cluster.url }}/{{ .Job.ID }}" } },
        },
      });
      assert.equal(cl.status, 200, cl.body);
      assert.equal(cl.json.name, "walk-0.0.1");
      const got = await call(x.app, "GET", "/api/v1/cluster/walk-0.0.1");
      assert.deepEqual(got.json, cl.json);

      const s = await submit(x, {
        name: "ping-test",
        version: "0.0.1",
        tags: ["env:prod", "_id:fake"],
        context: {},
        command_criteria: ["type:hello"],
        cluster_criteria: ["type:walk"],
        status: "SUCCEEDED",
        user: "x",
      });
      assert.equal(s.status, 200, s.body);
      const id = s.json.id as string;
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(s.json.status, "NEW");
      assert.equal(s.json.user, U);
      assert.deepEqual(s.json.tags, [`_id:${id}`, "_name:ping-test", "_version:0.0.1", "env:prod"]);
      assert.equal(s.json.command_id, "hello-0.0.1");
      assert.equal(s.json.cluster_id, "walk-0.0.1");
      assert.equal(typeof s.json.created_at, "number");
      assert.equal(await waitFinal(x.app, id), "SUCCEEDED");
      const job = await call(x.app, "GET", `/api/v1/job/${id}`);
      assert.equal(job.json.status, "SUCCEEDED");
      assert.equal(job.json.result, undefined);
      assert.deepEqual(job.json.job_attributes, { Logs: { kind: "link", value: `http://h/${id}` } });
      const result = await call(x.app, "GET", `/api/v1/job/${id}/result`);
      assert.equal(result.status, 200);
      assert.equal(result.body, '{"columns":[{"name":"message","type":"string"}],"data":[["Hello, test_user!"]]}');
      assert.match(String(result.headers["content-type"]), /^application\/json/);
      assert.equal(result.headers["x-heimdall-job-status"], "SUCCEEDED");
      const st = await call(x.app, "GET", `/api/v1/job/${id}/status`);
      assert.deepEqual(Object.keys(st.json), ["updated_at", "status"]);
    });

    it("answers sync submits by outcome: 200 with result, 502 plugin failure, 409 canceled", async (t) => {
      const x = need(t);
      if (!x) return;
      const ok = await submit(x, { name: "s", command_criteria: ["type:ping-sync"], cluster_criteria: ["type:localhost"] });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.json.status, "SUCCEEDED");
      assert.equal(ok.json.is_sync, true);
      assert.deepEqual(ok.json.result, { columns: [{ name: "message", type: "string" }], data: [["Hello, test_user!"]] });
      assert.deepEqual(ok.json.job_attributes, { "Test Link Label": { kind: "link", value: "http://localhost:8080/path" } });
      assert.equal((await call(x.app, "GET", `/api/v1/job/${ok.json.id}`)).json.status, "SUCCEEDED");

      const put = await call(x.app, "PUT", "/api/v1/command/fail-sync", {
        user: "alice",
        body: { plugin: "shell", is_sync: true, tags: ["type:fail-sync"], cluster_tags: ["type:localhost"], context: sh("exit 2") },
      });
      assert.equal(put.status, 200, put.body);
      const failed = await submit(x, { command_criteria: ["type:fail-sync"], cluster_criteria: ["type:localhost"] });
      assert.equal(failed.status, 502, failed.body);
      assert.equal(failed.json.error, "exit status 2");
      assert.equal((await call(x.app, "GET", `/api/v1/job/${failed.json.id}/status`)).json.status, "FAILED");

      await call(x.app, "PUT", "/api/v1/command/slow-sync", {
        user: "alice",
        body: { plugin: "shell", is_sync: true, tags: ["type:slow-sync"], cluster_tags: ["type:localhost"], context: sh("sleep 20") },
      });
      const pending = submit(x, { name: "slow-sync-job", command_criteria: ["type:slow-sync"], cluster_criteria: ["type:localhost"] });
      let runningId: string | undefined;
      for (let i = 0; i < 200 && !runningId; i++) {
        const l = await call(x.app, "GET", "/api/v1/jobs?name=slow-sync-job&status=running");
        runningId = l.json.data[0]?.id;
        if (!runningId) await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(runningId, "sync job visible as RUNNING while it runs");
      const c = await call(x.app, "POST", `/api/v1/job/${runningId}/cancel`, { user: "alice" });
      assert.deepEqual(c.json, { status: "CANCELING" });
      const canceled = await pending;
      assert.equal(canceled.status, 409, canceled.body);
      assert.deepEqual(canceled.json, { error: "job was canceled by alice", id: runningId });
    });

    it("cancels a running async job", async (t) => {
      const x = need(t);
      if (!x) return;
      await call(x.app, "PUT", "/api/v1/command/sleep", {
        user: "alice",
        body: { plugin: "shell", tags: ["type:sleep"], cluster_tags: ["type:localhost"], context: sh("sleep 30") },
      });
      const s = await submit(x, { command_criteria: ["type:sleep"], cluster_criteria: ["type:localhost"] });
      await waitStatus(x, s.json.id, "RUNNING");
      const c = await call(x.app, "POST", `/api/v1/job/${s.json.id}/cancel`, { user: "alice", raw: "not json, ignored" });
      assert.equal(c.status, 200, c.body);
      assert.equal(await waitFinal(x.app, s.json.id), "CANCELED");
      assert.equal((await call(x.app, "GET", `/api/v1/job/${s.json.id}`)).json.canceled_by, "alice");
      const again = await call(x.app, "POST", `/api/v1/job/${s.json.id}/cancel`, { user: "alice" });
      assert.equal(again.status, 409);
      assert.equal(again.json.error, "job is already in a final state: CANCELED");
    });

    it("lists jobs with filters, sort and keyset pages", async (t) => {
      const x = need(t);
      if (!x) return;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const s = await submit(
          x,
          { name: `walk-${i}`, tags: ["batch:walk", `n:${i}`], command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
          i % 2 ? "bob" : "carol",
        );
        ids.push(s.json.id);
      }
      for (const id of ids) assert.equal(await waitFinal(x.app, id), "SUCCEEDED");
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const r = await call(x.app, "GET", `/api/v1/jobs?tags=batch:walk&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        assert.equal(r.status, 200, r.body);
        seen.push(...r.json.data.map((j: { id: string }) => j.id));
        if (!r.json.has_more) {
          assert.equal(r.json.next_cursor, undefined);
          break;
        }
        assert.equal(r.json.data.length, 2);
        cursor = r.json.next_cursor;
      }
      assert.deepEqual(seen, [...ids].reverse(), "default order: insertion sequence, descending");
      const byId = await call(x.app, "GET", "/api/v1/jobs?tags=batch:walk&order_by=id&direction=ASC");
      assert.deepEqual(
        byId.json.data.map((j: { id: string }) => j.id),
        [...ids].sort(),
      );
      assert.deepEqual(Object.keys(byId.json), ["data"]);
      const bob = await call(x.app, "GET", "/api/v1/jobs?username=bob&name=walk-_&status=succeeded,FAILED");
      assert.deepEqual(bob.json.data.map((j: { name: string }) => j.name).sort(), ["walk-1", "walk-3"]);
      const two = await call(x.app, "GET", "/api/v1/jobs?tags=batch:walk, n:2 ,&command=ping-%&cluster=localhost-0.0.1");
      assert.deepEqual(
        two.json.data.map((j: { name: string }) => j.name),
        ["walk-2"],
      );
      const none = await call(x.app, "GET", "/api/v1/jobs?tags=batch:walk&status=KILLED");
      assert.deepEqual(none.json, { data: [] });
      const cmds: string[] = [];
      cursor = undefined;
      for (let pages = 0; pages < 20; pages++) {
        const r = await call(
          x.app,
          "GET",
          `/api/v1/commands?limit=1&order_by=id&direction=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        cmds.push(...r.json.data.map((c: { id: string }) => c.id));
        if (!r.json.has_more) break;
        cursor = r.json.next_cursor;
      }
      assert.deepEqual(cmds, [...cmds].sort());
      assert.ok(cmds.includes("ping-0.0.1") && cmds.includes("shell-0.0.1"));
      const shells = await call(x.app, "GET", "/api/v1/commands?plugin=shell&status=active&id=shell-%");
      assert.deepEqual(
        shells.json.data.map((c: { id: string }) => c.id),
        ["shell-0.0.1"],
      );
      const clusters = await call(x.app, "GET", "/api/v1/clusters?name=localhost%25");
      assert.deepEqual(
        clusters.json.data.map((c: { id: string }) => c.id),
        ["localhost-0.0.1"],
      );
      assert.deepEqual((await call(x.app, "GET", "/api/v1/job/statuses/")).json, [
        "ACCEPTED",
        "CANCELED",
        "CANCELING",
        "FAILED",
        "KILLED",
        "NEW",
        "RUNNING",
        "SUCCEEDED",
      ]);
      assert.deepEqual((await call(x.app, "GET", "/api/v1/command/statuses")).json, ["ACTIVE", "DELETED", "INACTIVE"]);
      assert.deepEqual((await call(x.app, "GET", "/api/v1/cluster/statuses")).json, ["ACTIVE", "DELETED", "INACTIVE"]);
    });

    it("changes command status through the status route and routing follows", async (t) => {
      const x = need(t);
      if (!x) return;
      const off = await call(x.app, "PUT", "/api/v1/command/hello-0.0.1/status?status=inactive", {
        user: "alice",
        body: { status: "active" },
      });
      assert.equal(off.status, 200, off.body);
      assert.deepEqual(Object.keys(off.json), ["updated_at", "status"]);
      assert.equal(off.json.status, "INACTIVE");
      const s = await submit(x, { command_criteria: ["type:hello"], cluster_criteria: ["type:walk"] });
      assert.equal(s.status, 404);
      const on = await call(x.app, "PUT", "/api/v1/command/hello-0.0.1/status", { user: "alice", body: { status: "Active" } });
      assert.equal(on.json.status, "ACTIVE");
      assert.equal((await call(x.app, "GET", "/api/v1/command/hello-0.0.1/status")).json.status, "ACTIVE");
      assert.equal((await submit(x, { command_criteria: ["type:hello"], cluster_criteria: ["type:walk"] })).status, 200);
    });

    it("streams stdout/stderr with offset and Range", async (t) => {
      const x = need(t);
      if (!x) return;
      const s = await submit(x, {
        command_criteria: ["type:shell"],
        cluster_criteria: ["type:localhost"],
        context: { arguments: ["a", "b"] },
      });
      assert.equal(await waitFinal(x.app, s.json.id), "SUCCEEDED");
      const base = `/api/v1/job/${s.json.id}`;
      const out = await call(x.app, "GET", `${base}/stdout`);
      assert.equal(out.status, 200);
      assert.equal(out.body, "a\nb\n");
      assert.equal(out.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(out.headers["content-length"], "4");
      assert.equal(out.headers["accept-ranges"], "bytes");
      assert.equal(out.headers["x-heimdall-job-status"], "SUCCEEDED");
      assert.equal(out.headers["x-heimdall-file-size"], "4");
      assert.equal((await call(x.app, "GET", `${base}/stderr`)).body, "err\n");
      assert.equal((await call(x.app, "GET", `${base}/stdout?offset=2`)).body, "b\n");
      assert.equal((await call(x.app, "GET", `${base}/stdout?offset=-2`)).body, "b\n");
      assert.equal((await call(x.app, "GET", `${base}/stdout?offset=-99`)).body, "a\nb\n");
      const beyond = await call(x.app, "GET", `${base}/stdout?offset=99`);
      assert.equal(beyond.status, 200);
      assert.equal(beyond.body, "");
      const r1 = await call(x.app, "GET", `${base}/stdout`, { headers: { range: "bytes=0-0" } });
      assert.equal(r1.status, 206);
      assert.equal(r1.body, "a");
      assert.equal(r1.headers["content-range"], "bytes 0-0/4");
      const r2 = await call(x.app, "GET", `${base}/stdout?offset=3`, { headers: { range: "bytes=-2" } });
      assert.equal(r2.body, "b\n");
      assert.equal(r2.headers["content-range"], "bytes 2-3/4");
      const r3 = await call(x.app, "GET", `${base}/stdout`, { headers: { range: "bytes=1-99" } });
      assert.equal(r3.body, "\nb\n");
      const multi = await call(x.app, "GET", `${base}/stdout`, { headers: { range: "bytes=0-0,2-3" } });
      assert.equal(multi.status, 200);
      assert.equal(multi.body, "a\nb\n");
      const bad = await call(x.app, "GET", `${base}/stdout`, { headers: { range: "bytes=4-" } });
      assert.equal(bad.status, 416);
      assert.equal(bad.headers["content-range"], "bytes */4");

      // A multi-chunk file (> 64 KiB chunks) read whole and across a chunk boundary.
      await call(x.app, "PUT", "/api/v1/command/seq", {
        user: "alice",
        body: { plugin: "shell", tags: ["type:seq"], cluster_tags: ["type:localhost"], context: sh("seq 1 40000") },
      });
      const big = await submit(x, { command_criteria: ["type:seq"], cluster_criteria: ["type:localhost"] });
      assert.equal(await waitFinal(x.app, big.json.id), "SUCCEEDED");
      const expected = Array.from({ length: 40000 }, (_, i) => `${i + 1}\n`).join("");
      const whole = await call(x.app, "GET", `/api/v1/job/${big.json.id}/stdout`);
      assert.equal(whole.body.length, expected.length);
      assert.equal(whole.body, expected);
      const mid = await call(x.app, "GET", `/api/v1/job/${big.json.id}/stdout`, { headers: { range: "bytes=65530-65545" } });
      assert.equal(mid.status, 206);
      assert.equal(mid.body, expected.slice(65530, 65546));
      const tail = await call(x.app, "GET", `/api/v1/job/${big.json.id}/stdout?offset=-6`);
      assert.equal(tail.body, "40000\n");
    });

    it("reports instance and cluster health", async (t) => {
      const x = need(t);
      if (!x) return;
      const hl = await call(x.app, "GET", "/api/v1/health");
      assert.equal(hl.status, 200);
      assert.equal(hl.json.healthy, true);
      assert.equal(hl.json.version, "9.9.9-test");
      assert.equal(hl.json.instance, x.engine.instanceName);
      assert.equal(hl.json.checks[0].name, "database");
      assert.equal(hl.json.checks[0].status, "ok");
      const all = await call(x.app, "GET", "/api/v1/clusters/health");
      assert.equal(all.status, 200, all.body);
      assert.equal(all.json.healthy, true);
      assert.deepEqual(Object.keys(all.json.checks[0]), ["cluster_id", "cluster_name", "plugin", "status", "latency_ms"]);
      assert.equal(all.json.checks[0].cluster_id, "localhost-0.0.1");
      // Probe command = the ACTIVE matching command with the smallest id: "fail-sync" (shell) added above.
      assert.equal(all.json.checks[0].plugin, "shell");
      const one = await call(x.app, "GET", "/api/v1/cluster/localhost-0.0.1/health");
      assert.equal(one.status, 200);
      assert.equal(one.json.checks.length, 1);
      const off = await call(x.app, "GET", "/api/v1/cluster/walk-0.0.1/health");
      assert.equal(off.status, 404);
      assert.equal(off.json.error, "health check is not enabled for cluster walk-0.0.1");
    });

    it("exposes metrics with route templates and job labels", async (t) => {
      const x = need(t);
      if (!x) return;
      const m = await call(x.app, "GET", "/metrics");
      assert.equal(m.status, 200);
      assert.match(String(m.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
      assert.match(m.body, /heimdall_build_info\{version="9\.9\.9-test"\} 1/);
      assert.match(m.body, /heimdall_jobs_finished_total\{command="hello-0\.0\.1",cluster="walk-0\.0\.1",status="SUCCEEDED"\} [1-9]/);
      assert.match(m.body, /heimdall_jobs_submitted_total\{command="ping-sync-0\.0\.1",cluster="localhost-0\.0\.1",mode="sync"\} 1/);
      assert.match(m.body, /heimdall_http_requests_total\{method="GET",route="\/api\/v1\/job\/\{id\}\/status",code="200"\} \d+/);
      assert.match(m.body, /heimdall_http_requests_total\{method="POST",route="\/api\/v1\/job",code="200"\}/);
      assert.match(m.body, /heimdall_job_routing_failures_total\{reason="no_pair"\} [1-9]/);
      assert.match(m.body, /heimdall_pool_workers\{state="idle"\}/);
      assert.doesNotMatch(m.body, /route="\/api\/v1\/job\/[0-9a-f]{8}-/, "no raw job ids in route labels");
      assert.match(m.body, /process_cpu_user_seconds_total/);
    });
  });
}
