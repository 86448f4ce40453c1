// Plugin cleanup calls, bounded by janitor.cleanup_timeout and isolated from the caller (spec 9.4 b, 9.8).
import type { Cluster } from "../core/index.ts";
import type { Handler } from "../plugins/index.ts";
import type { EngineCore } from "./core.ts";

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
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      ac.abort({ kind: "shutdown" });
      resolve("timeout");
    }, seconds * 1000);
  });
  const call = Promise.resolve()
    .then(() => handler.cleanup(jobId, cluster, ac.signal))
    .then(
      () => "ok" as const,
      (err: unknown) => {
        core.log.warn({ err, job: jobId, plugin }, "plugin cleanup failed");
        return "error" as const;
      },
    );
  const outcome = await Promise.race([call, timeout]);
  clearTimeout(timer);
  if (outcome === "timeout") core.log.warn({ job: jobId, plugin, seconds }, "plugin cleanup timed out");
  core.metrics?.pluginCleanup(plugin, outcome);
  return outcome;
}
