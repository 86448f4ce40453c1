// After a restart (state loaded from <dataDir>/state.sqlite): stopped tasks keep their retention; with the docker
// runtime, tasks whose containers still exist are adopted (found by label) and continue their lifecycle; with
// the process runtime their processes are gone (or are killed now), so those tasks become STOPPED.
import { readlinkSync } from "node:fs";
import type { TaskRecord } from "./ecs/model.ts";
import { LABEL } from "./runtime/docker-labels.ts";
import type { DockerDriver } from "./runtime/docker-driver.ts";
import type { TaskRunner } from "./runtime/task-runner.ts";

export const RESTART_REASON = "local ECS restarted";

/** A process container left behind by a killed endpoint: its pid is in the runtime id, its cwd is the work dir. */
function killLeftover(runtimeId: string | undefined, workDir: string | undefined): void {
  const pid = Number(runtimeId?.split("-").pop());
  if (!Number.isInteger(pid) || pid <= 1 || !workDir) return;
  try {
    if (readlinkSync(`/proc/${pid}/cwd`) !== workDir) return;
    process.kill(-pid, "SIGKILL");
  } catch {
    /* gone */
  }
}

export async function resumeTasks(tasks: TaskRecord[], runner: TaskRunner, docker: DockerDriver | undefined): Promise<void> {
  const now = Date.now();
  // docker: what the engine still has for this data dir, by task ARN and container name.
  const found = new Map<string, Map<string, string>>();
  if (docker && tasks.some((t) => t.lastStatus !== "STOPPED"))
    for (const info of await docker.labelled()) {
      const arn = info.Labels[LABEL.taskArn];
      const name = info.Labels[LABEL.container];
      if (!arn || !name) continue;
      const m = found.get(arn) ?? new Map<string, string>();
      m.set(name, info.Id);
      found.set(arn, m);
    }
  for (const t of tasks) {
    if (t.lastStatus === "STOPPED") {
      runner.scheduleExpiry(t);
      continue;
    }
    const mine = found.get(t.arn);
    if (docker && mine && t.containers.some((c) => mine.has(c.name))) {
      for (const c of t.containers)
        if (mine.has(c.name) && c.lastStatus !== "STOPPED") {
          c.runtimeId = mine.get(c.name);
          c.lastStatus = "RUNNING";
        }
      runner.adopt(t, (c, hooks) => docker.reattach(t, c, hooks));
      continue;
    }
    if (docker && t.desiredStatus === "RUNNING" && !mine && ["PROVISIONING", "PENDING", "ACTIVATING"].includes(t.lastStatus)) {
      // Interrupted before it ran and nothing of it is left in the engine: provision it again.
      for (const c of t.containers)
        Object.assign(c, { lastStatus: "PENDING", runtimeId: undefined, exitCode: undefined, reason: undefined, healthStatus: undefined });
      t.lastStatus = "PROVISIONING";
      t.version++;
      runner.launch(t);
      continue;
    }
    for (const c of t.containers) {
      if (!docker && c.lastStatus === "RUNNING") killLeftover(c.runtimeId, c.workDir);
      if (c.lastStatus !== "STOPPED") {
        c.lastStatus = "STOPPED";
        c.reason ??= RESTART_REASON;
      }
    }
    if (t.desiredStatus !== "STOPPED") {
      t.desiredStatus = "STOPPED";
      t.stopCode = "TaskFailedToStart";
      t.stoppedReason = RESTART_REASON;
    }
    t.stoppingAt ??= now;
    t.executionStoppedAt ??= now;
    t.stoppedAt = now;
    t.lastStatus = "STOPPED";
    t.version++;
    runner.scheduleExpiry(t);
  }
}
