// After a restart (state loaded from <dataDir>/state.sqlite): stopped tasks keep their retention; with the docker
// runtime, tasks whose containers still exist are adopted (found by label) and continue their lifecycle; with
// the process runtime their processes are gone (or are killed now), so those tasks become STOPPED.
import { readlinkSync } from "node:fs";
import type { TaskRecord } from "./ecs/model.ts";
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

export function resumeTasks(tasks: TaskRecord[], runner: TaskRunner, docker: DockerDriver | undefined): void {
  const now = Date.now();
  for (const t of tasks) {
    if (t.lastStatus === "STOPPED") {
      runner.scheduleExpiry(t);
      continue;
    }
    if (docker && t.containers.some((c) => c.runtimeId !== undefined)) {
      runner.adopt(t, (c, hooks) => docker.reattach(t, c, hooks));
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
