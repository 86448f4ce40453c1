// Task outcome: success only when every essential container exited 0; a task stopped without an essential
// exit code (TaskFailedToStart, CannotPullContainerError, ResourceInitializationError, …) is a failure.
import type { Task } from "@aws-sdk/client-ecs";
import { formatDuration } from "../../core/index.ts";
import type { AttemptRecord, ContainerExit } from "./state.ts";
import type { ContainerInfo } from "./template.ts";

export interface TaskVerdict {
  status: "SUCCEEDED" | "FAILED";
  exitCode: number | null;
  failure: string | null;
}

export function iso(d: Date | undefined): string | null {
  return d === undefined ? null : d.toISOString();
}

export function containerExits(task: Task): ContainerExit[] {
  return (task.containers ?? []).map((c) => ({ name: c.name ?? "", exit_code: c.exitCode ?? null, reason: c.reason ?? null }));
}

/** Judges a STOPPED task by its essential containers' exit codes. */
export function judgeStoppedTask(task: Task, containers: ContainerInfo[]): TaskVerdict {
  const exits = containerExits(task);
  const essential = containers.filter((c) => c.essential).map((c) => c.name);
  let firstExit: number | null = null;
  for (const name of essential) {
    const e = exits.find((x) => x.name === name);
    const code = e?.exit_code ?? null;
    if (code === null) {
      const why = [task.stopCode, task.stoppedReason].filter(Boolean).join(": ") || "no reason given";
      const creason = e?.reason ? ` (container reason: ${e.reason})` : "";
      return { status: "FAILED", exitCode: null, failure: `essential container ${name} has no exit code; task stopped: ${why}${creason}` };
    }
    if (code !== 0) {
      const creason = e?.reason ? ` (${e.reason})` : "";
      return { status: "FAILED", exitCode: code, failure: `essential container ${name} exited with code ${code}${creason}` };
    }
    firstExit ??= code;
  }
  return { status: "SUCCEEDED", exitCode: firstExit, failure: null };
}

/** The task was stopped (or is being stopped) by a Fargate Spot interruption. */
export function isSpotInterruption(task: Task): boolean {
  return task.stopCode === "SpotInterruption";
}

/** Longest backoff between DescribeTasks of a task not visible yet (AWS advises backing off up to minutes). */
export const MISSING_BACKOFF_CAP_MS = 30_000;

export type MissingVerdict = { kind: "wait"; nextLookAt: number } | { kind: "give-up"; why: string };

/**
 * A task DescribeTasks answered MISSING for (`missing` times in a row, `reason` from ECS) at `now`. A task seen
 * before has disappeared. One never seen may not be visible yet (ECS is eventually consistent): it is waited for
 * until `graceMs` after its RunTask (the stored `visible_by`), looked at again with exponential backoff from the
 * polling interval (capped at 30 s, or the interval when longer) and once more at the end of the grace.
 */
export function judgeMissing(
  a: AttemptRecord,
  reason: string,
  missing: number,
  now: number,
  pollingMs: number,
  graceMs: number,
): MissingVerdict {
  if (a.seen) return { kind: "give-up", why: `task disappeared: DescribeTasks answers ${reason} for a task seen before` };
  const ranAt = Date.parse(a.run_task_at ?? a.created_at);
  const visibleBy = a.visible_by ? Date.parse(a.visible_by) : ranAt + graceMs;
  if (now >= visibleBy) {
    const grace = formatDuration(BigInt(Math.round((visibleBy - ranAt) * 1e6)));
    return { kind: "give-up", why: `task not visible in DescribeTasks ${grace} after RunTask (${reason})` };
  }
  const backoff = Math.min(pollingMs * 2 ** Math.min(missing - 1, 20), Math.max(pollingMs, MISSING_BACKOFF_CAP_MS));
  return { kind: "wait", nextLookAt: Math.min(now + backoff, visibleBy) };
}

/** Copies what ECS reports about a task into the attempt; returns true when anything changed. */
export function observeTask(a: AttemptRecord, task: Task): boolean {
  let changed = false;
  const set = <K extends "last_status" | "started_at" | "stopped_at" | "stop_code" | "stopped_reason">(
    k: K,
    v: AttemptRecord[K] | undefined,
  ) => {
    if (v !== undefined && v !== null && a[k] !== v) {
      a[k] = v;
      changed = true;
    }
  };
  a.seen = true;
  set("last_status", task.lastStatus);
  set("started_at", iso(task.startedAt));
  set("stopped_at", iso(task.stoppedAt));
  set("stop_code", task.stopCode);
  set("stopped_reason", task.stoppedReason);
  if (task.capacityProviderName !== undefined && a.capacity_provider !== task.capacityProviderName) {
    a.capacity_provider = task.capacityProviderName;
    changed = true;
  }
  const exits = containerExits(task);
  const same =
    exits.length === a.containers.length &&
    exits.every((e, i) => {
      const o = a.containers[i]!;
      return o.name === e.name && o.exit_code === e.exit_code && o.reason === e.reason;
    });
  if (!same) {
    a.containers = exits;
    changed = true;
  }
  return changed;
}
