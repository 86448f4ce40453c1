// Fargate Spot in a job run: the strategy each attempt is launched with (spot_fallback) and how a Spot
// interruption counts (retried without spending max_fail_count, up to max_spot_interruptions per slot).
import type { Task } from "@aws-sdk/client-ecs";
import type { Json, JsonObject } from "../../core/index.ts";
import { usesSpot } from "./cluster.ts";
import type { CapacityProviderItem, ClusterSettings } from "./cluster.ts";
import type { JobPlan } from "./settings.ts";
import type { AttemptRecord } from "./state.ts";

/** Where a slot goes after a Spot interruption or a Spot capacity error when spot_fallback is set. */
export const FALLBACK_STRATEGY: readonly CapacityProviderItem[] = [{ capacityProvider: "FARGATE", weight: 1 }];
export const DEFAULT_SPOT_REASON = "Your Spot Task was interrupted.";

/** The job's strategy, or FARGATE once the slot was interrupted / found no Spot capacity (spot_fallback). */
export function attemptStrategy(plan: JobPlan, cluster: ClusterSettings, slot: AttemptRecord[]): CapacityProviderItem[] | undefined {
  const base = plan.capacityProviderStrategy ?? cluster.capacityProviderStrategy;
  if (!plan.spotFallback || !usesSpot(base) || !fellBack(slot)) return base;
  return FALLBACK_STRATEGY.map((s) => ({ ...s }));
}

function fellBack(slot: AttemptRecord[]): boolean {
  return slot.some((a) => a.spot_interruption === true || a.spot_unavailable === true);
}

/** True when a RunTask request may place its task on FARGATE_SPOT. */
export function requestUsesSpot(request: JsonObject | null): boolean {
  const s = request?.capacityProviderStrategy as Json[] | undefined;
  return Array.isArray(s) && s.some((x) => (x as { capacityProvider?: string } | null)?.capacityProvider === "FARGATE_SPOT");
}

/** Spot interruptions the slot has had retried for free so far. */
export function interruptionCount(slot: AttemptRecord[]): number {
  return slot.filter((a) => a.status === "INTERRUPTED").length;
}

export interface InterruptionVerdict {
  /** INTERRUPTED (free retry) within the limit, FAILED past it. */
  status: "INTERRUPTED" | "FAILED";
  failure: string;
  /** The progress line of the job's log. */
  line: string;
}

/**
 * Judges an attempt whose task ECS stopped with stopCode SpotInterruption. `slot` holds the slot's attempts,
 * this one included (not yet final).
 */
export function judgeInterruption(a: AttemptRecord, task: Task, slot: AttemptRecord[], plan: JobPlan): InterruptionVerdict {
  const n = interruptionCount(slot) + 1;
  const max = plan.maxSpotInterruptions;
  const reason = `Spot interruption: ${task.stoppedReason ?? DEFAULT_SPOT_REASON}`;
  const where = `${a.task_name} attempt ${a.attempt}${a.capacity_provider ? ` on ${a.capacity_provider}` : ""}`;
  if (n <= max) {
    const next = plan.spotFallback ? "; retrying on FARGATE (spot_fallback)" : "; retrying";
    return {
      status: "INTERRUPTED",
      failure: reason,
      line: `ecs: ${where} interrupted by Fargate Spot (${n} of max_spot_interruptions ${max}, not counted against max_fail_count)${next}`,
    };
  }
  const failure = `${reason} (interruption ${n}, more than max_spot_interruptions ${max}: counted as a failure)`;
  return { status: "FAILED", failure, line: "" };
}

/** "; after N Spot interruptions" for a slot's failure message, empty when it had none. */
export function interruptionNote(slot: AttemptRecord[]): string {
  const n = slot.filter((a) => a.spot_interruption === true).length;
  return n === 0 ? "" : ` after ${n} Spot interruption${n === 1 ? "" : "s"}`;
}
