// `ignore_case=true` on the list routes (issue 9 item 3: the UI's substring filters ignore case), on both stores:
// without it patterns stay binary and case-sensitive (spec 3.5); with it `%value%` finds any case, including a
// non-ASCII name on SQLite (JavaScript case folding); commands and clusters take the flag too; a bad value is 400.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, startHarness, waitFinal } from "./harness.ts";
import type { Harness, StoreKind } from "./harness.ts";

const P = "/api/v1";
const ids = (r: { json: { data: { id: string }[] } }): string[] => r.json.data.map((j) => j.id).sort();

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  void describe(`ignore_case on list filters on ${kind}`, () => {
    let h: Harness | undefined;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      await h?.close();
    });

    it("jobs: a substring pattern matches any case only with ignore_case=true", async (t) => {
      if (!h) return t.skip("PostgreSQL not configured");
      const submitted: string[] = [];
      for (const [name, user] of [
        ["Nightly-Report", "Alice"],
        ["nightly-report", "bob"],
        ["weekly", "ALICE"],
      ]) {
        const r = await call(h.app, "POST", `${P}/job`, {
          user: user as string,
          body: { name, version: "1", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
        });
        assert.equal(r.status, 200, r.body);
        submitted.push(r.json.id);
        assert.equal(await waitFinal(h.app, r.json.id), "SUCCEEDED");
      }
      const [upper, lower, weekly] = submitted as [string, string, string];
      assert.deepEqual(ids(await call(h.app, "GET", `${P}/jobs?name=%25NIGHTLY%25`)), [], "case-sensitive by default");
      assert.deepEqual(ids(await call(h.app, "GET", `${P}/jobs?name=%25Nightly%25`)), [upper]);
      assert.deepEqual(ids(await call(h.app, "GET", `${P}/jobs?name=%25NIGHTLY%25&ignore_case=true`)), [upper, lower].sort());
      assert.deepEqual(ids(await call(h.app, "GET", `${P}/jobs?username=%25alice%25&ignore_case=true`)), [upper, weekly].sort());
      assert.deepEqual(
        ids(await call(h.app, "GET", `${P}/jobs?username=alice&ignore_case=true`)),
        [upper, weekly].sort(),
        "exact value ignoring case",
      );
      assert.deepEqual(ids(await call(h.app, "GET", `${P}/jobs?name=%25NIGHTLY%25&ignore_case=false`)), []);
    });

    it("SQLite folds non-ASCII letters too; commands take the flag; a bad value is 400 naming the field", async (t) => {
      if (!h) return t.skip("PostgreSQL not configured");
      const r = await call(h.app, "POST", `${P}/job`, {
        user: "zoë",
        body: { name: "Über-Job", version: "1", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] },
      });
      assert.equal(r.status, 200, r.body);
      if (kind === "sqlite") {
        assert.deepEqual(ids(await call(h.app, "GET", `${P}/jobs?name=${encodeURIComponent("%über%")}&ignore_case=true`)), [r.json.id]);
      }
      const cmds = await call(h.app, "GET", `${P}/commands?name=%25PING%25&ignore_case=true`);
      assert.equal(cmds.status, 200, cmds.body);
      const exact = await call(h.app, "GET", `${P}/commands?name=%25PING%25`);
      assert.ok(cmds.json.data.length > exact.json.data.length, "the demo's ping command is found only ignoring case");
      for (const path of ["jobs", "commands", "clusters"]) {
        const bad = await call(h.app, "GET", `${P}/${path}?ignore_case=yes`);
        assert.equal(bad.status, 400, path);
        assert.equal(bad.json.error, "ignore_case: must be true or false");
      }
    });
  });
}
