// Plugin cleanup calls, bounded by janitor.cleanup_timeout and isolated from the caller (spec 9.4 b, 9.8).
import type { Cluster } from "../core/index.ts";
import type { Handler } from "../plugins/index.ts";
import type { EngineState } from "./engine-state.ts";
import { callBounded } from "./waits.ts";

/** Calls handler.cleanup; never throws. A missing handler is a successful no-op. */
export async function runCleanup(
  state: EngineState,
  plugin: string,
  handler: Handler | undefined,
  jobId: string,
  cluster: Cluster | undefined,
): Promise<"ok" | "error" | "timeout"> {
  if (!handler) return "ok";
  const ms = state.options.cleanupTimeoutMs;
  const call = await callBounded((signal) => handler.cleanup(jobId, cluster, signal), ms, { kind: "shutdown" });
  const outcome = call === "timeout" ? "timeout" : call.ok ? "ok" : "error";
  if (call === "timeout") state.log.warn({ job_id: jobId, plugin, seconds: ms / 1000 }, "plugin cleanup timed out");
  else if (!call.ok) state.log.warn({ err: call.err, job_id: jobId, plugin }, "plugin cleanup failed");
  state.metrics?.pluginCleanup(plugin, outcome);
  return outcome;
}
