// api/metrics registers prom-client's default metrics from their own files (and its own process_cpu_* counters,
// so that @opentelemetry/api is not loaded at start-up): the set must stay what prom-client's
// collectDefaultMetrics registers, in the same order, with the same help, types and label names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry, collectDefaultMetrics } from "prom-client";
import { createMetrics, registerDefaultMetrics } from "../../src/api/metrics.ts";

interface MetricShape {
  name: string;
  help: string;
  type: string;
  labels: string[];
}

async function shapes(registry: Registry): Promise<MetricShape[]> {
  const json = await registry.getMetricsAsJSON();
  return json.map((m) => ({
    name: m.name,
    help: m.help,
    type: String(m.type),
    labels: [...new Set(m.values.flatMap((v) => Object.keys(v.labels)))].sort(),
  }));
}

describe("default metrics", () => {
  it("are prom-client's collectDefaultMetrics set, in its order", async () => {
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs });
    const ours = new Registry();
    registerDefaultMetrics(ours);
    const expected = await shapes(theirs);
    assert.ok(expected.length >= 10, `prom-client registered ${expected.length} default metrics`);
    assert.deepEqual(await shapes(ours), expected);
  });

  it("process_cpu_seconds_total counts the CPU used since registration", async () => {
    const ours = new Registry();
    registerDefaultMetrics(ours);
    const before = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage().user - before.user < 50_000) x += Math.sqrt(x + 1); // 50 ms of user CPU
    const text = await ours.metrics();
    const user = Number(/^process_cpu_user_seconds_total (\S+)$/m.exec(text)?.[1]);
    const total = Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1]);
    assert.ok(user >= 0.05, `user CPU ${user} s, at least the 0.05 s spent`);
    assert.ok(total >= user, `total ${total} >= user ${user}`);
    assert.ok(x > 0);
  });

  it("createMetrics serves them beside Heimdall's own", async () => {
    const text = await createMetrics("1.2.3").registry.metrics();
    for (const name of [
      "process_cpu_seconds_total",
      "process_start_time_seconds",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds",
      "nodejs_version_info",
      "heimdall_build_info",
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
  });
});
