// Fargate Spot through the REST API on the local ECS: interruptions retried without spending max_fail_count,
// the max_spot_interruptions limit, spot_fallback to FARGATE (after an interruption and after a Spot capacity
// error), a job's own strategy, and the validation errors (submit, PUT of a cluster, config load).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import pino from "pino";
import { stringify } from "yaml";
import { configFromYaml } from "../../../src/config/index.ts";
import { createEngine } from "../../../src/engine/index.ts";
import { engineOptions } from "../../../src/cli/engine-options.ts";
import { createMetrics } from "../../../src/api/index.ts";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { builtinPlugins } from "../../../src/plugins/index.ts";
import { openStore } from "../../../src/store/index.ts";
import { clusterContext, ecsServerSuite, resultRows, templateDoc, writeTemplate } from "./harness.ts";

const SPOT = [
  { capacity_provider: "FARGATE_SPOT", weight: 1 },
  { capacity_provider: "FARGATE", weight: 0 },
];
// Prints the SIGTERM of the Spot notice and exits 0: still an interruption (ECS decided the stop).
const SCRIPT = "trap 'echo got SIGTERM; exit 0' TERM; sleep 1 & wait; echo done $TASK_NUM";

function spotCluster(ecs: LocalEcs, name: string, tags: string[], extra: Record<string, unknown>) {
  const { launch_type: _lt, ...base } = clusterContext(ecs);
  return { name, status: "active", version: "0.0.1", context: { ...base, ...extra }, tags: ["type:ecs-cluster", ...tags] };
}

function writeSpotConfig(dir: string, ecs: LocalEcs, clusters: unknown[]): string {
  const tpl = writeTemplate(dir, "task-definition.json", templateDoc(["sh", "-c", SCRIPT]));
  const doc = {
    server: { addr: "127.0.0.1:0", shutdown_timeout: 2 },
    database: { connection_string: `sqlite:${join(dir, "heimdall.db")}` },
    jobs_directory: join(dir, "jobs"),
    pool: { size: 20 },
    log_level: "warn",
    auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" } },
    commands: [
      {
        name: "ecs-spot",
        status: "active",
        plugin: "ecs",
        version: "0.0.1",
        context: { task_definition_template: tpl, polling_interval: "100ms", cpu: 256, memory: 512 },
        tags: ["type:ecs"],
        cluster_tags: ["type:ecs-cluster"],
      },
    ],
    clusters,
  };
  const file = join(dir, "heimdall.yaml");
  writeFileSync(file, stringify(doc));
  return file;
}

describe("Fargate Spot through the API", () => {
  const stack = ecsServerSuite((dir, ecs) =>
    writeSpotConfig(dir, ecs, [
      spotCluster(ecs, "spot", ["type:spot"], { capacity_provider_strategy: SPOT }),
      spotCluster(ecs, "spot-only", ["type:spot-only"], { capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT" }] }),
      spotCluster(ecs, "on-demand", ["type:on-demand"], { launch_type: "FARGATE" }),
    ]),
  );
  const submitRaw = (context: Record<string, unknown>, cluster = "type:spot") =>
    stack.server.submit({ name: "spot-job", version: "1", command_criteria: ["type:ecs"], cluster_criteria: [cluster], context });
  const submit = async (context: Record<string, unknown>, cluster?: string) => {
    const r = await submitRaw(context, cluster);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const marked = (mark: string, extra: Record<string, unknown> = {}) => ({
    container_overrides: [{ name: "main", environment: [{ name: "SPOT_CASE", value: mark }] }],
    ...extra,
  });
  const rowsOf = async (id: string) => resultRows((await stack.server.get(`/api/v1/job/${id}/result`)).json());
  const timeline = async (id: string) => (await stack.server.get(`/api/v1/job/${id}/tasks`)).json();
  const interruptOn = (mark: string, count?: number) =>
    stack.ecs.addFault({
      kind: "spotInterruption",
      afterMs: 150,
      ...(count === undefined ? {} : { count }),
      match: { env: { SPOT_CASE: mark } },
    });

  it("an interruption is retried without spending max_fail_count (0) and is named in the timeline and result", async () => {
    interruptOn("retry", 1);
    const id = await submit(marked("retry", { max_fail_count: 0 }));
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const rows = await rowsOf(id);
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.status, r.stop_code, r.capacity_provider]),
      [
        [1, "INTERRUPTED", "SpotInterruption", "FARGATE_SPOT"],
        [2, "SUCCEEDED", "EssentialContainerExited", "FARGATE_SPOT"],
      ],
    );
    const tl = await timeline(id);
    assert.equal(tl.spot_interruptions, 1);
    assert.equal(tl.max_spot_interruptions, 3);
    const [first] = tl.slots[0].attempts;
    assert.equal(first.spot_interruption, true);
    assert.match(first.failure, /^Spot interruption: Your Spot Task was interrupted\.$/);
    // The notice reached the container as SIGTERM (its log, attempt 1).
    const logs = await stack.server.get(`/api/v1/job/${id}/tasks/0/logs?attempt=1`);
    assert.match(logs.text, /got SIGTERM/);
  });

  it("past max_spot_interruptions an interruption counts as a failure; the job's error names the interruptions", async () => {
    interruptOn("limit");
    const id = await submit(marked("limit", { max_fail_count: 0, max_spot_interruptions: 1 }));
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "FAILED");
    assert.match(
      job.error,
      /^task slot 0 \(heimdall-job-[^)]+-0\) failed 1 attempt after 2 Spot interruptions \(max_fail_count 0, max_spot_interruptions 1\); last: Spot interruption: Your Spot Task was interrupted\. \(interruption 2, more than max_spot_interruptions 1: counted as a failure\)/,
    );
    assert.deepEqual(
      (await rowsOf(id)).map((r) => r.status),
      ["INTERRUPTED", "FAILED"],
    );
    stack.ecs.clearFaults();
  });

  it("spot_fallback: the retry after an interruption runs on FARGATE", async () => {
    interruptOn("fallback"); // every Spot task of this job: only the fallback can succeed
    const id = await submit(marked("fallback", { spot_fallback: true }));
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    assert.deepEqual(
      (await rowsOf(id)).map((r) => [r.status, r.capacity_provider]),
      [
        ["INTERRUPTED", "FARGATE_SPOT"],
        ["SUCCEEDED", "FARGATE"],
      ],
    );
    stack.ecs.clearFaults();
  });

  it("spot_fallback: no Spot capacity at RunTask moves the slot to FARGATE (not a task failure)", async () => {
    stack.ecs.addFault({ kind: "capacity", match: { capacityProvider: "FARGATE_SPOT", env: { SPOT_CASE: "capacity" } } });
    const id = await submit(marked("capacity", { spot_fallback: true }));
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const a = (await timeline(id)).slots[0].attempts;
    assert.equal(a.length, 1);
    assert.equal(a[0].launch_errors, 1);
    assert.match(a[0].last_launch_error, /^Capacity is unavailable at this time/);
    assert.equal(a[0].spot_unavailable, true);
    assert.equal(a[0].capacity_provider, "FARGATE");
    stack.ecs.clearFaults();
  });

  it("a job may choose among the cluster's providers", async () => {
    const id = await submit(marked("choose", { capacity_provider_strategy: [{ capacity_provider: "FARGATE", weight: 1 }] }));
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    assert.deepEqual(
      (await rowsOf(id)).map((r) => r.capacity_provider),
      ["FARGATE"],
    );
  });

  it("validation errors are 400s at submit naming the field and the rule", async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [
        { capacity_provider_strategy: [{ capacity_provider: "FARGATE" }] },
        "type:spot-only",
        /capacity_provider_strategy\[0\]\.capacity_provider: FARGATE is not one of the cluster's capacity providers \(FARGATE_SPOT\)/,
      ],
      [
        { spot_fallback: true },
        "type:spot-only",
        /spot_fallback: needs FARGATE among the cluster's capacity providers \(it has FARGATE_SPOT\)/,
      ],
      [
        { capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT" }] },
        "type:on-demand",
        /capacity_provider_strategy: the cluster runs tasks with launch_type FARGATE; it allows no capacity providers/,
      ],
      [{ max_spot_interruptions: -1 }, "type:spot", /max_spot_interruptions: must be at least 0/],
      [{ spot_fallback: "yes" }, "type:spot", /spot_fallback: must be a boolean/],
      [
        { capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT", weight: 2000 }] },
        "type:spot",
        /capacity_provider_strategy\[0\]\.weight: must be an integer from 0 to 1000/,
      ],
      [
        {
          capacity_provider_strategy: [
            { capacity_provider: "FARGATE_SPOT", base: 1, weight: 1 },
            { capacity_provider: "FARGATE", base: 1 },
          ],
        },
        "type:spot",
        /capacity_provider_strategy: at most one capacity provider may have a base/,
      ],
      [{ launch_type: "FARGATE" }, "type:spot", /launch_type: cannot be set by a job \(cluster setting\)/],
    ];
    for (const [context, cluster, message] of cases) {
      const r = await submitRaw(context, cluster);
      assert.equal(r.status, 400, `${JSON.stringify(context)}: ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body), message);
    }
  });

  it("a cluster with both launch_type and capacity_provider_strategy is a 400 at PUT", async () => {
    const body = spotCluster(stack.ecs, "both", [], { launch_type: "FARGATE", capacity_provider_strategy: SPOT });
    const r = await fetch(`${stack.server.url}/api/v1/cluster/both-0.0.1`, {
      method: "PUT",
      headers: { "content-type": "application/json", "X-Heimdall-User": "tester" },
      body: JSON.stringify({ ...body, status: "ACTIVE" }),
    });
    const text = await r.text();
    assert.equal(r.status, 400, text);
    assert.match(
      text,
      /context: cluster\.launch_type: cannot be combined with capacity_provider_strategy \(ECS refuses both in one RunTask\)/,
    );
    const ok = await fetch(`${stack.server.url}/api/v1/cluster/both-0.0.1`, {
      method: "PUT",
      headers: { "content-type": "application/json", "X-Heimdall-User": "tester" },
      body: JSON.stringify({ ...spotCluster(stack.ecs, "both", [], { capacity_provider_strategy: SPOT }), status: "ACTIVE" }),
    });
    assert.equal(ok.status, 200, await ok.text());
  });

  it("and a config error at load", async () => {
    const bad = writeSpotConfig(stack.dir, stack.ecs, [
      spotCluster(stack.ecs, "both", [], { launch_type: "FARGATE", capacity_provider_strategy: SPOT }),
    ]);
    const config = configFromYaml((await import("node:fs")).readFileSync(bad, "utf8"), bad, {}, { cwd: stack.dir });
    const store = await openStore({ connectionString: `sqlite:${join(stack.dir, "bad.db")}` });
    const engine = createEngine({
      options: engineOptions(config),
      store,
      plugins: builtinPlugins(),
      log: pino({ level: "silent" }),
      version: "test",
      metrics: createMetrics("test"),
    });
    try {
      await assert.rejects(
        engine.start(),
        /cluster both: context: cluster\.launch_type: cannot be combined with capacity_provider_strategy/,
      );
    } finally {
      await engine.drain().catch(() => undefined);
      await store.close();
    }
  });
});
