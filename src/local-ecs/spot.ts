// Fargate Spot interruption of one task, independent of what runs its containers (process or docker driver):
// the notice (desiredStatus STOPPED, stopCode SpotInterruption, SIGTERM to the running containers) while the task
// stays RUNNING, then — after the warning (settings spotWarningMs: ECS's 2 minutes scaled like the pacing) —
// the stop, killing what still runs. An essential container exiting during the warning stops the task then.
import type { ContainerRecord, TaskRecord } from "./ecs/model.ts";

export const SPOT_REASON = "Your Spot Task was interrupted.";

export interface SpotHooks {
  /** SIGTERM to one running container. */
  term(c: ContainerRecord): void;
  /** Runs `fn` after `ms` unless the runtime closed. */
  later(ms: number, fn: () => void): void;
  /** Lets the task's lifecycle go on to STOPPING/STOPPED (sends SIGKILL after each container's stop timeout). */
  stop(): void;
}

export function interruptTask(task: TaskRecord, reason: string, warningMs: number, hooks: SpotHooks): void {
  if (task.desiredStatus === "STOPPED" || task.lastStatus !== "RUNNING") return;
  task.desiredStatus = "STOPPED";
  task.stopCode = "SpotInterruption";
  task.stoppedReason = reason;
  task.stoppingAt = Date.now();
  task.version++;
  for (const c of task.containers) if (c.lastStatus === "RUNNING") hooks.term(c);
  hooks.later(warningMs, () => {
    for (const c of task.containers) c.stopTimeoutSeconds = 0; // the warning was their stop timeout
    hooks.stop();
  });
}
