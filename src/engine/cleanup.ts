// Plugin cleanup calls, bounded by janitor.cleanup_timeout and isolated from the caller (spec 9.4 b, 9.8).
import type { Cluster } from "../core/index.ts";
import type { Handler } from "../plugins/index.ts";
import type { EngineCore } from "./core.ts";
import { callBounded } from "./util.ts";

/** Calls handler.cleanup; never throws. A missing handler is a successful no-op. */
export async function runCleanup(
  core: EngineCore,
  plugin: string,
  handler: Handler | undefined,
  jobId: string,
  cluster: Cluster | undefined,
): Promise<"ok" | "error" | "timeout"> {
  if (!handler) return "ok";
  const seconds = core.config.janitor.cleanup_timeout;
  const call = await callBounded((signal) => handler.cleanup(jobId, cluster, signal), seconds * 1000, { kind: "shutdown" });
  const outcome = call === "timeout" ? "timeout" : call.ok ? "ok" : "error";
  if (call === "timeout") core.log.warn({ job: jobId, plugin, seconds }, "plugin cleanup timed out");
  else if (!call.ok) core.log.warn({ err: call.err, job: jobId, plugin }, "plugin cleanup failed");
  core.metrics?.pluginCleanup(plugin, outcome);
  return outcome;
}
