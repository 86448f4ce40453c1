// Test-only crash points. HEIMDALL_FAILPOINT=<name> SIGKILLs this process when execution reaches the point
// <name>; <name>:hold blocks there instead, for a test that kills the process itself at a moment it observes.
// Unset (always, outside tests) this does nothing.
import { abortableSleep } from "./sleep.ts";

export type FailpointName = "ecs-after-log-copy";

export async function failpoint(name: FailpointName, signal: AbortSignal): Promise<void> {
  const spec = process.env.HEIMDALL_FAILPOINT;
  if (spec === undefined || (spec !== name && !spec.startsWith(`${name}:`))) return;
  if (spec === `${name}:hold`) {
    for (;;) await abortableSleep(60_000, signal);
  }
  process.kill(process.pid, "SIGKILL");
}
