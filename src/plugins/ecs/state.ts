// Durable per-job state (PluginState rows): one "meta" row and one row per task attempt, written as they change.
import type { Json, JsonObject } from "../../core/index.ts";
import type { PluginState, TaskAttempt, TaskOutcome } from "../contract.ts";
import { ecsStats } from "./stats.ts";
import type { ContainerInfo } from "./template.ts";

/** INTERRUPTED: stopped by a Fargate Spot interruption within max_spot_interruptions (retried, not a failure). */
export type AttemptStatus = "LAUNCHING" | "ACTIVE" | "SUCCEEDED" | "FAILED" | "STOPPED" | "INTERRUPTED";

export interface ContainerExit {
  name: string;
  exit_code: number | null;
  reason: string | null;
}

/**
 * A stored attempt: what GET …/tasks shows (the contract's TaskAttempt, see its field notes) plus the RunTask input
 * and whether DescribeTasks saw the task; records stored before Fargate Spot support lack the Spot fields.
 */
export interface AttemptRecord extends Omit<TaskAttempt, "status" | "containers" | "capacity_provider" | "spot_interruption"> {
  status: AttemptStatus;
  containers: ContainerExit[];
  /** The exact RunTask input (kept until the ARN is known, so a resumed job resends it with the same clientToken). */
  request: JsonObject | null;
  /** DescribeTasks saw the task at least once. */
  seen: boolean;
  /** The capacity provider ECS placed the task on (DescribeTasks capacityProviderName); null for a launch type. */
  capacity_provider?: string | null;
  /** The task was stopped by a Spot interruption (INTERRUPTED, or FAILED once past max_spot_interruptions). */
  spot_interruption?: boolean;
}

/** How the job ended (the plugin contract's TaskOutcome, shown as `outcome` by GET …/tasks). */
export type Outcome = TaskOutcome;

export interface JobMeta {
  job_id: string;
  cluster_name: string;
  endpoint: string | null;
  region: string;
  rate_limit_scale: number;
  task_count: number;
  max_fail_count: number;
  /** Absent in state stored before Fargate Spot support (then the plan's value is used). */
  max_spot_interruptions?: number;
  spot_fallback?: boolean;
  max_task_count: number;
  task_definition_arn: string;
  containers: ContainerInfo[];
  polling_ms: number;
  timeout_ms: number;
  /** Epoch ms of the first RunTask of the job (timeout origin). */
  first_launch_at: number | null;
  outcome: Outcome | null;
  /** Representative attempt whose logs were written, when any. */
  representative: { slot: number; attempt: number } | null;
}

/** A fresh attempt of a slot, before its RunTask request is built. */
export function newAttempt(taskName: string, slot: number, attempt: number): AttemptRecord {
  return {
    slot,
    attempt,
    task_name: taskName,
    client_token: "",
    task_arn: null,
    status: "LAUNCHING",
    last_status: null,
    exit_code: null,
    containers: [],
    stop_code: null,
    stopped_reason: null,
    failure: null,
    created_at: new Date().toISOString(),
    started_at: null,
    stopped_at: null,
    launch_errors: 0,
    last_launch_error: null,
    request: null,
    seen: false,
    run_task_at: null,
    visible_by: null,
    capacity_provider: null,
    spot_interruption: false,
    spot_unavailable: false,
  };
}

export const META_KEY = "meta";
export function attemptKey(slot: number, attempt: number): string {
  return `attempt/${String(slot).padStart(5, "0")}/${String(attempt).padStart(4, "0")}`;
}

export class JobState {
  /** Attempts this object has loaded or stored, and those it knows final (each counted once in the metrics). */
  private readonly known = new Set<string>();
  private readonly finalKnown = new Set<string>();
  /** Called after every stored attempt change (progress reporting). */
  onAttempt: (() => void) | undefined;
  constructor(
    readonly store: PluginState,
    readonly jobId: string,
  ) {}

  async putMeta(meta: JobMeta): Promise<void> {
    await this.store.put(this.jobId, META_KEY, meta as unknown as Json);
  }
  async putAttempt(a: AttemptRecord): Promise<void> {
    await this.store.put(this.jobId, attemptKey(a.slot, a.attempt), a as unknown as Json);
    this.count(a);
    this.onAttempt?.();
  }

  /** Metrics: a new attempt after the first of its slot is a retry; an attempt reaching a final status, its outcome. */
  private count(a: AttemptRecord): void {
    const key = attemptKey(a.slot, a.attempt);
    if (!this.known.has(key)) {
      this.known.add(key);
      if (a.attempt > 1) ecsStats.retry(this.lastStatus.get(a.slot) ?? "unknown");
    }
    if (isFinalAttempt(a) && !this.finalKnown.has(key)) {
      this.finalKnown.add(key);
      ecsStats.attemptFinished(a.status, a.stop_code);
    }
    this.lastStatus.set(a.slot, a.status);
  }
  private readonly lastStatus = new Map<number, string>();

  /** Stored meta and attempts (attempts ordered by slot, then attempt). */
  async load(): Promise<{ meta: JobMeta | undefined; attempts: AttemptRecord[] }> {
    const rows = await this.store.list(this.jobId);
    let meta: JobMeta | undefined;
    const attempts: AttemptRecord[] = [];
    for (const r of rows) {
      if (r.key === META_KEY) meta = r.value as unknown as JobMeta;
      else if (r.key.startsWith("attempt/")) attempts.push(r.value as unknown as AttemptRecord);
    }
    attempts.sort((a, b) => a.slot - b.slot || a.attempt - b.attempt);
    for (const a of attempts) {
      const key = attemptKey(a.slot, a.attempt);
      this.known.add(key);
      if (isFinalAttempt(a)) this.finalKnown.add(key);
      this.lastStatus.set(a.slot, a.status);
    }
    return { meta, attempts };
  }
}

export function isFinalAttempt(a: AttemptRecord): boolean {
  return a.status === "SUCCEEDED" || a.status === "FAILED" || a.status === "STOPPED" || a.status === "INTERRUPTED";
}

/** Representative attempt for logs: last success to complete / the exhausted slot's last / first unfinished. */
export function representativeAttempt(outcome: Outcome, current: (AttemptRecord | undefined)[]): AttemptRecord | undefined {
  if (outcome.kind === "succeeded") {
    const done = current.filter((a): a is AttemptRecord => a?.status === "SUCCEEDED");
    return done.sort((x, y) => (x.stopped_at ?? "").localeCompare(y.stopped_at ?? "") || x.slot - y.slot).at(-1);
  }
  if (outcome.kind === "failed") return current[outcome.slot];
  if (outcome.kind === "timeout") return current.find((a) => a !== undefined && a.status !== "SUCCEEDED" && a.task_arn);
  return undefined;
}
