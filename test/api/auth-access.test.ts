// Owner-only cancel and admin-only registry writes (auth.admins, auth.job_cancel, auth.registry_write).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { call, startHarness, type Harness } from "./harness.ts";

const P = "/api/v1";
const SHELL = {
  name: "n",
  version: "1",
  command_criteria: ["type:shell"],
  cluster_criteria: ["type:localhost"],
  context: { arguments: [] },
};

describe("auth policies", () => {
  let h: Harness;
  let open: Harness;
  before(async () => {
    const strict = await startHarness("sqlite", (c) => {
      c.auth = { plugin: "auth_header", header: "X-Heimdall-User", admins: ["carol"], job_cancel: "owner", registry_write: "admins" };
      // A job that stays RUNNING until canceled.
      c.commands = c.commands.map((cmd) =>
        cmd.id === "shell-0.0.1" ? { ...cmd, context: { command: ["/bin/sh", "-c", "sleep 60"] } } : cmd,
      );
    });
    const defaults = await startHarness("sqlite");
    assert.ok(strict && defaults);
    h = strict;
    open = defaults;
  });
  after(async () => {
    await h.close();
    await open.close();
  });

  async function runningJob(app: Harness["app"], user: string): Promise<string> {
    const r = await call(app, "POST", `${P}/job`, { user, body: SHELL });
    assert.equal(r.status, 200, r.body);
    return r.json.id as string;
  }

  it("job_cancel owner: others get 403 with the job id; the owner and admins may cancel", async () => {
    const id = await runningJob(h.app, "alice");
    const bob = await call(h.app, "POST", `${P}/job/${id}/cancel`, { user: "bob" });
    assert.equal(bob.status, 403);
    assert.deepEqual(bob.json, { error: "only the job's owner or an admin may cancel this job", id });
    assert.equal((await call(h.app, "GET", `${P}/job/${id}`)).json.canceled_by ?? "", "");
    const alice = await call(h.app, "POST", `${P}/job/${id}/cancel`, { user: "alice" });
    assert.equal(alice.status, 200, alice.body);

    const id2 = await runningJob(h.app, "alice");
    const carol = await call(h.app, "POST", `${P}/job/${id2}/cancel`, { user: "carol" });
    assert.equal(carol.status, 200, carol.body);
    assert.equal((await call(h.app, "POST", `${P}/job/no-such-job/cancel`, { user: "bob" })).status, 404);
  });

  it("registry_write admins: PUT of commands, clusters and statuses is admin-only", async () => {
    const cluster = { name: "c2", version: "1", status: "ACTIVE", tags: ["type:c2"] };
    const command = { name: "p2", version: "1", status: "ACTIVE", plugin: "ping", tags: ["type:p2"], cluster_tags: ["type:c2"] };
    const denied = "only admins may change commands and clusters";
    for (const [url, body] of [
      [`${P}/cluster/c2-1`, cluster],
      [`${P}/command/p2-1`, command],
      [`${P}/command/ping-0.0.1/status`, { status: "INACTIVE" }],
      [`${P}/cluster/localhost-0.0.1/status`, { status: "INACTIVE" }],
    ] as const) {
      const r = await call(h.app, "PUT", url, { user: "alice", body });
      assert.equal(r.status, 403, `${url}: ${r.body}`);
      assert.deepEqual(r.json, { error: denied });
    }
    assert.equal((await call(h.app, "GET", `${P}/command/ping-0.0.1/status`)).json.status, "ACTIVE");
    assert.equal((await call(h.app, "PUT", `${P}/cluster/c2-1`, { user: "carol", body: cluster })).status, 200);
    const put = await call(h.app, "PUT", `${P}/command/p2-1`, { user: "carol", body: command });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.json.user, "carol");
    // Still 401 before 403 for anonymous callers.
    assert.equal((await call(h.app, "PUT", `${P}/cluster/c2-1`, { body: cluster })).status, 401);
  });

  it("defaults stay as the spec says: anyone identified may cancel and write", async () => {
    const r = await call(open.app, "POST", `${P}/job`, { user: "alice", body: { ...SHELL, context: { arguments: ["x"] } } });
    assert.equal(r.status, 200);
    const c = await call(open.app, "POST", `${P}/job/${r.json.id}/cancel`, { user: "bob" });
    assert.ok(c.status === 200 || c.status === 409, c.body);
    assert.equal(
      (await call(open.app, "PUT", `${P}/command/ping-0.0.1/status`, { user: "bob", body: { status: "INACTIVE" } })).status,
      200,
    );
  });
});
