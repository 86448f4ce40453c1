// Registry writes through the engine (D2), startup upsert (11.3), live registry for routing, health probes (7.1/7.2).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HeimdallError } from "../../src/core/index.ts";
import type { PluginModule } from "../../src/plugins/index.ts";
import { backends, cluster, command, harness, input, never, registry, untilFinal, type Harness } from "./helpers.ts";

const healthPlugin = (name: string, check: "none" | "ok" | "fail" | "hang"): PluginModule => ({
  name,
  create: () => ({
    async execute() {},
    async cleanup() {},
    ...(check === "none"
      ? {}
      : {
          async healthCheck(_cl, signal) {
            if (check === "fail") throw new Error("cluster unreachable");
            if (check === "hang") await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
          },
        }),
  }),
});

describe("registry and health", { concurrency: true }, () => {
  for (const backend of backends()) {
    describe(`registry and health (${backend.name})`, { concurrency: 1 }, () => {
      let h: Harness;
      before(async () => {
        h = await harness(backend, registry(healthPlugin("hnone", "none"), healthPlugin("hfail", "fail"), healthPlugin("hhang", "hang")));
      });
      after(() => h.dispose());

      it("PUT command: unknown plugin and a context the plugin rejects are 400", async () => {
        const e = h.engine();
        await assert.rejects(
          e.putCommand(command("x", "nope")),
          (err: HeimdallError) => err.status === 400 && err.message === "unknown plugin: nope",
        );
        await assert.rejects(e.putCommand(command("x", "shell", { context: { command: [] } })), (err: HeimdallError) => {
          assert.equal(err.status, 400);
          assert.equal(err.message, 'context: shell: "command" must be a non-empty array of strings');
          return true;
        });
        await assert.rejects(
          e.putCommand(command("x", "ping", { allowed_callers: [" "] })),
          (err: HeimdallError) => err.status === 400 && err.message === "command x: allowed_callers contains empty pattern",
        );
        assert.equal(await h.store.getCommand("x"), undefined);
      });

      it("routing sees registry writes of another instance at once", async () => {
        const a = h.engine();
        const b = h.engine();
        await a.putCluster(cluster("local"));
        await a.putCommand(command("live", "ping", { is_sync: true }));
        assert.equal((await b.submit(input("live"), "u", never)).job.status, "SUCCEEDED");
        await h.store.setCommandStatus("live", "INACTIVE", "admin");
        await assert.rejects(b.submit(input("live"), "u", never), (err: HeimdallError) => err.status === 404);
        await h.store.setCommandStatus("live", "ACTIVE", "admin");
        assert.equal((await b.submit(input("live"), "u", never)).job.status, "SUCCEEDED");
        // A new definition gets a new handler: switch the command to shell.
        await a.putCommand(command("live", "shell", { is_sync: true, context: { command: ["/bin/false"] } }));
        await assert.rejects(
          b.submit(input("live"), "u", never),
          (err: HeimdallError) => err.status === 502 && err.message === "exit status 1",
        );
      });

      it("start upserts configured commands and clusters only when they differ, and cleans working dirs", async () => {
        mkdirSync(join(h.jobsDir, "leftover-job"), { recursive: true });
        writeFileSync(join(h.jobsDir, "leftover-job", "f"), "x");
        const config = {
          commands: [
            {
              id: "cfg",
              name: "cfg",
              status: "ACTIVE" as const,
              plugin: "ping",
              version: "1",
              description: "",
              is_sync: true,
              user: "heimdall",
              tags: ["type:cfg"],
              cluster_tags: [],
              allowed_callers: [],
            },
          ],
          clusters: [
            {
              id: "cfgc",
              name: "cfgc",
              status: "ACTIVE" as const,
              version: "1",
              description: "",
              user: "heimdall",
              tags: ["type:local"],
              health_check: false,
              attributes: {},
            },
          ],
        };
        const a = h.engine(config);
        await a.start();
        assert.ok(!existsSync(join(h.jobsDir, "leftover-job")), '!existsSync(join(h.jobsDir, "leftover-job"))');
        const cmd = await h.store.getCommand("cfg");
        assert.equal(cmd?.user, "heimdall");
        assert.ok(cmd?.tags.includes("_id:cfg"), 'cmd?.tags.includes("_id:cfg")');
        const rev = await h.store.registryRevision();
        await a.stop();
        const b = h.engine(config);
        await b.start();
        assert.equal(await h.store.registryRevision(), rev, "identical definitions are not rewritten");
        await h.store.setCommandStatus("cfg", "INACTIVE", "api-user");
        await b.stop();
        const c = h.engine(config);
        await c.start();
        assert.equal((await h.store.getCommand("cfg"))?.status, "ACTIVE", "configuration is authoritative");
        await c.stop();
        const bad = h.engine({ commands: [{ ...config.commands[0]!, id: "bad", plugin: "nope" }] });
        await assert.rejects(bad.start(), /unknown plugin: nope/);
      });

      it("probes clusters: ok, unchecked, error, timeout; 404s of one-cluster health", async () => {
        const e = h.engine({ health_check: { timeout_seconds: 1 } });
        await e.putCluster(cluster("c-ok", { tags: ["hc:ok"], health_check: true }));
        await e.putCluster(cluster("c-none", { tags: ["hc:none"], health_check: true }));
        await e.putCluster(cluster("c-fail", { tags: ["hc:fail"], health_check: true }));
        await e.putCluster(cluster("c-hang", { tags: ["hc:hang"], health_check: true }));
        await e.putCluster(cluster("c-off", { tags: ["hc:ok"] }));
        await e.putCluster(cluster("c-orphan", { tags: ["hc:orphan"], health_check: true, status: "INACTIVE" }));
        // Smallest id wins: "00-ping" < "09-fail" for c-ok.
        await e.putCommand(command("00-ping", "ping", { cluster_tags: ["hc:ok"] }));
        await e.putCommand(command("09-fail", "hfail", { cluster_tags: ["hc:ok"] }));
        await e.putCommand(command("01-none", "hnone", { cluster_tags: ["hc:none"] }));
        await e.putCommand(command("02-fail", "hfail", { cluster_tags: ["hc:fail"] }));
        await e.putCommand(command("03-hang", "hhang", { cluster_tags: ["hc:hang"] }));
        const report = await e.clustersHealth();
        const byId = Object.fromEntries(report.checks.map((c) => [c.cluster_id, c]));
        assert.equal(report.healthy, false);
        assert.deepEqual(
          report.checks.map((c) => c.cluster_id),
          ["c-fail", "c-hang", "c-none", "c-ok"],
        );
        assert.equal(byId["c-ok"]?.status, "ok");
        assert.equal(byId["c-ok"]?.plugin, "ping");
        assert.equal(byId["c-none"]?.status, "unchecked");
        assert.equal(byId["c-fail"]?.status, "error");
        assert.equal(byId["c-fail"]?.error, "cluster unreachable");
        assert.equal(byId["c-hang"]?.error, "health check timed out after 1s");
        assert.ok((byId["c-hang"]?.latency_ms ?? 0) >= 990, '(byId["c-hang"]?.latency_ms ?? 0) >= 990');
        const one = await e.clusterHealth("c-fail");
        assert.equal(one.healthy, false);
        assert.equal(one.checks.length, 1);
        await assert.rejects(
          e.clusterHealth("nope"),
          (err: HeimdallError) => err.status === 404 && err.message === "unknown cluster_id: nope",
        );
        await assert.rejects(
          e.clusterHealth("c-off"),
          (err: HeimdallError) => err.message === "health check is not enabled for cluster c-off",
        );
        await assert.rejects(
          e.clusterHealth("c-orphan"),
          (err: HeimdallError) => err.message === "no active command matched cluster c-orphan",
        );
      });

      it("handlerFor returns the job's handler and cluster", async () => {
        const e = h.engine();
        await e.start();
        const { job } = await e
          .submit(input("live"), "u", never)
          .catch(async () => e.submit(input("00-ping", undefined, { cluster_criteria: ["hc:ok"] }), "u", never));
        await untilFinal(h.store, job.id);
        const hf = await e.handlerFor(job);
        assert.ok(hf?.handler, "hf?.handler");
        assert.equal(hf?.cluster?.id, job.cluster_id);
      });
    });
  }
});
