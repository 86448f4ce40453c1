// Registry behaviour on both engines: upsert, status, revision bumps, lists with filters and keyset pages.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { storeBackends } from "../helpers/db.ts";
import { HeimdallError } from "../../src/core/index.ts";
import { cluster, command, newJob, page, walkPages } from "./fixtures.ts";

for (const backend of storeBackends()) {
  void describe(`registry on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("insertJob with a registry guard stores the job only while the revision is the one it names", async () => {
      const s = await backend.open();
      await s.putCommand(command("guard-1"));
      const rev = await s.registryRevision();
      const ok = await s.insertJob(newJob({ registryRevision: rev }));
      assert.equal((await s.getJob(ok.id))?.status, "NEW");
      assert.equal("registryRevision" in ok, false, "the guard is not part of the job");
      await s.putCluster(cluster("guard-2")); // any registry write, here or on another instance
      assert.equal(await s.registryRevision(), rev + 1, "the revision read after a write is the new one");
      const stale = newJob({ registryRevision: rev });
      await assert.rejects(s.insertJob(stale), (err: HeimdallError) => err.code === "CONFLICT" && /registry changed/.test(err.message));
      assert.equal(await s.getJob(stale.id), undefined, "nothing stored");
      assert.deepEqual(await s.claimJobs("x", 10).then((c) => c.map((j) => j.job.id)), [ok.id], "no claim either");
      const fresh = await s.insertJob(newJob({ registryRevision: rev + 1 }));
      assert.equal((await s.getJob(fresh.id))?.status, "NEW");
    });

    void test("put/get commands and clusters; every write bumps the revision", async () => {
      const s = await backend.open();
      assert.equal(await s.registryRevision(), 0);
      assert.equal(await s.getCommand("nope"), undefined);

      const c = await s.putCommand(command("ping-1", { context: { a: [1, "x"] }, allowed_callers: ["al%"] }));
      assert.equal(await s.registryRevision(), 1);
      assert.deepEqual(c.context, { a: [1, "x"] });
      assert.deepEqual(c.allowed_callers, ["al%"]);
      assert.deepEqual(c.cluster_tags, ["type:localhost"]);
      assert.equal(typeof c.created_at, "number");
      assert.deepEqual(await s.getCommand("ping-1"), c);

      const k = await s.putCluster(
        cluster("local", {
          health_check: true,
          attributes: { L: { kind: "link", value: "http://x/{{ .Job.id }}" } },
        }),
      );
      assert.equal(await s.registryRevision(), 2);
      assert.equal(k.context, undefined, "no context stays absent");
      assert.equal(k.health_check, true);
      assert.deepEqual(await s.getCluster("local"), k);

      // Full replace keeps created_at and replaces tags; empty context object is kept as {}.
      const c2 = await s.putCommand(
        command("ping-1", {
          name: "renamed",
          tags: ["_id:ping-1", "_name:renamed", "_version:1.0", "b", "a"],
          cluster_tags: [],
          context: {},
          is_sync: true,
        }),
      );
      assert.equal(c2.created_at, c.created_at);
      assert.equal(c2.name, "renamed");
      assert.deepEqual(c2.tags, ["_id:ping-1", "_name:renamed", "_version:1.0", "a", "b"]);
      assert.deepEqual(c2.cluster_tags, []);
      assert.deepEqual(c2.context, {});
      assert.equal(c2.is_sync, true);
      assert.equal(await s.registryRevision(), 3);

      const st = await s.setCommandStatus("ping-1", "INACTIVE", "bob");
      assert.equal(st?.status, "INACTIVE");
      assert.equal(st?.user, "bob");
      assert.equal(await s.registryRevision(), 4);
      assert.equal(await s.setClusterStatus("missing", "DELETED", "bob"), undefined);
      assert.equal(await s.registryRevision(), 4, "a status change of nothing does not bump");
      assert.equal((await s.setClusterStatus("local", "DELETED", "bob"))?.status, "DELETED");

      const all = await s.loadRegistry();
      assert.equal(all.revision, 5);
      assert.deepEqual(
        all.commands.map((x) => x.id),
        ["ping-1"],
      );
      assert.deepEqual(
        all.clusters.map((x) => [x.id, x.status]),
        [["local", "DELETED"]],
      );
      assert.deepEqual(all.commands[0], await s.getCommand("ping-1"));
    });

    void test("command lists: filters, order, direction and keyset pages", async () => {
      const s = await backend.open();
      const ids = ["b-shell", "a-ping", "C-ecs", "d_ping", "e%ping", "aa-ping"];
      for (const id of ids) {
        await s.putCommand(command(id, { plugin: id.endsWith("ping") ? "ping" : "shell", user: id.startsWith("a") ? "al" : "bo" }));
      }
      await s.setCommandStatus("C-ecs", "INACTIVE", "bo");

      const seqDesc = await walkPages((p) => s.listCommands({}, p), page({ limit: 2 }));
      assert.deepEqual(
        seqDesc.items.map((c) => c.id),
        [...ids].reverse(),
      );
      assert.equal(seqDesc.pages, 3);

      const byIdAsc = await walkPages((p) => s.listCommands({}, p), page({ limit: 4, order_by: "id", direction: "asc" }));
      // Code point order: uppercase before lowercase, '%' '-' '_' by their code points.
      assert.deepEqual(
        byIdAsc.items.map((c) => c.id),
        ["C-ecs", "a-ping", "aa-ping", "b-shell", "d_ping", "e%ping"],
      );

      const ping = await s.listCommands({ plugin: "ping" }, page({ order_by: "id", direction: "asc" }));
      assert.deepEqual(
        ping.data.map((c) => c.id),
        ["a-ping", "aa-ping", "d_ping", "e%ping"],
      );
      assert.equal(ping.next_cursor, undefined);

      const pat = await s.listCommands({ id: "a_-%" }, page({ order_by: "id", direction: "asc" }));
      assert.deepEqual(
        pat.data.map((c) => c.id),
        ["aa-ping"],
        "_ matches exactly one character",
      );
      const caseSensitive = await s.listCommands({ id: "c%" }, page());
      assert.deepEqual(caseSensitive.data, []);
      const inactive = await s.listCommands({ status: ["INACTIVE"] }, page());
      assert.deepEqual(
        inactive.data.map((c) => c.id),
        ["C-ecs"],
      );
      const users = await s.listCommands({ username: "al", status: ["ACTIVE", "INACTIVE"] }, page());
      assert.deepEqual(
        users.data.map((c) => c.id),
        ["aa-ping", "a-ping"],
      );

      const clusters = ["z", "y", "x"];
      for (const id of clusters) await s.putCluster(cluster(id, { version: id === "y" ? "2.0" : "1.0" }));
      const cl = await walkPages((p) => s.listClusters({ version: "1._" }, p), page({ limit: 1, order_by: "id", direction: "asc" }));
      assert.deepEqual(
        cl.items.map((c) => c.id),
        ["x", "z"],
      );
    });
  });
}
