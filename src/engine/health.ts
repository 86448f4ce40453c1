// Cluster health probes (spec 7.1, 7.2): one command per cluster (smallest id), bounded, ≤ 10 concurrent.
import type { Cluster, Command } from "../core/index.ts";
import { compareCodePoints, errorMessage, notFound } from "../core/index.ts";
import type { HealthCheckItem, HealthReport } from "./contract.ts";
import type { EngineState } from "./engine-state.ts";
import type { RegistrySnapshot } from "./registry.ts";
import { callBounded } from "./waits.ts";

const MAX_CONCURRENT_PROBES = 10;

/** The ACTIVE command with the smallest id whose cluster_tags are all in the cluster's tags. */
export function probeCommand(snap: RegistrySnapshot, cluster: Cluster): Command | undefined {
  const tags = new Set(cluster.tags);
  let best: Command | undefined;
  for (const c of snap.commands) {
    if (c.status !== "ACTIVE" || !c.cluster_tags.every((t) => tags.has(t))) continue;
    if (!best || compareCodePoints(c.id, best.id) < 0) best = c;
  }
  return best;
}

export async function probe(state: EngineState, cluster: Cluster, command: Command): Promise<HealthCheckItem> {
  const seconds = state.options.healthCheckTimeoutMs / 1000;
  const item = (status: HealthCheckItem["status"], latency: number, error?: string): HealthCheckItem => {
    const out: HealthCheckItem = {
      cluster_id: cluster.id,
      cluster_name: cluster.name,
      plugin: command.plugin,
      status,
      latency_ms: latency,
    };
    if (error) out.error = error;
    state.metrics?.clusterHealthCheck(cluster.id, status);
    return out;
  };
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  let handler;
  try {
    handler = await state.handlers.get(command);
  } catch (err) {
    return item("error", elapsed(), errorMessage(err));
  }
  if (!handler.healthCheck) return item("unchecked", elapsed());
  const check = handler.healthCheck;
  const outcome = await callBounded((signal) => check.call(handler, cluster, signal), state.options.healthCheckTimeoutMs, {
    kind: "cancel",
  });
  if (outcome === "timeout") return item("error", elapsed(), `health check timed out after ${seconds}s`);
  if (!outcome.ok) return item("error", elapsed(), errorMessage(outcome.err) || "health check failed");
  return item("ok", elapsed());
}

/** 7.1: every ACTIVE cluster with health_check that has a matching command. */
export async function clustersHealth(state: EngineState): Promise<HealthReport> {
  const snap = await state.registry.snapshot();
  const targets: { cluster: Cluster; command: Command }[] = [];
  for (const cluster of [...snap.clusters].sort((a, b) => compareCodePoints(a.id, b.id))) {
    if (cluster.status !== "ACTIVE" || !cluster.health_check) continue;
    const command = probeCommand(snap, cluster);
    if (command) targets.push({ cluster, command });
  }
  const checks: HealthCheckItem[] = new Array<HealthCheckItem>(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i]!;
      checks[i] = await probe(state, t.cluster, t.command);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_PROBES, targets.length) }, worker));
  return { healthy: checks.every((c) => c.status !== "error"), checks };
}

/** 7.2: one cluster; 404 as specified, otherwise always a report. */
export async function clusterHealth(state: EngineState, clusterId: string): Promise<HealthReport> {
  const snap = await state.registry.snapshot();
  const cluster = snap.clusterById.get(clusterId);
  if (!cluster) throw notFound(`unknown cluster_id: ${clusterId}`);
  if (!cluster.health_check) throw notFound(`health check is not enabled for cluster ${clusterId}`);
  const command = cluster.status === "ACTIVE" ? probeCommand(snap, cluster) : undefined;
  if (!command) throw notFound(`no active command matched cluster ${clusterId}`);
  const check = await probe(state, cluster, command);
  return { healthy: check.status !== "error", checks: [check] };
}
