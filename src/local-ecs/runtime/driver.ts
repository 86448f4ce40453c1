// The seam between the task lifecycle (task-runner.ts) and what actually runs a container: host processes
// (process-driver.ts) or a Docker Engine API (docker-driver.ts; Docker or Podman).
import type { ContainerRecord, TaskRecord } from "../ecs/model.ts";
import type { LineSink } from "./process.ts";

export interface StartHooks {
  /** Where the container's stdout/stderr lines go (awslogs), undefined = discarded. */
  sink: LineSink | undefined;
  /** Re-attached after a restart: output up to this time (ms) is already in the log stream. */
  resumeAfter?: number;
  /** The container exists but has not started (docker: the id is known to the metadata endpoint early). */
  created?(runtimeId: string): void;
  /** The container runs (runtimeId = process or container id). */
  started(runtimeId: string): void;
  /** Result of the definition's healthCheck (drivers without health checks never call this). */
  health(status: "HEALTHY" | "UNHEALTHY"): void;
  /** The container exited (code 128+n when killed by signal n); reason = why it could not run or was killed. */
  exited(code: number, reason?: string): void;
}

export interface PrepareFailure {
  container: ContainerRecord | undefined;
  reason: string;
}

export interface ContainerDriver {
  readonly kind: "process" | "docker";
  /** True when the driver runs the definition's healthCheck (dependsOn HEALTHY waits for it). */
  readonly healthChecks: boolean;
  /** Everything before the first container starts (working dirs, image pulls, the task's network). */
  prepare(task: TaskRecord): Promise<PrepareFailure | undefined>;
  /** Start one container; failures are reported through hooks.exited. Never rejects. */
  start(task: TaskRecord, c: ContainerRecord, hooks: StartHooks): Promise<void>;
  signal(task: TaskRecord, c: ContainerRecord, signal: "SIGTERM" | "SIGKILL"): void;
  /** Every container of the task has exited (remove the task's network holder). */
  finished(task: TaskRecord): Promise<void>;
  /** The stopped task leaves DescribeTasks: remove its containers / working directories. */
  expire(task: TaskRecord): Promise<void>;
  running(): number;
  /** Kill everything this driver started (process runtime) or stop watching (docker: containers keep running). */
  close(): Promise<void>;
}
