// One job's execution: launch a task per slot, watch them through the shared poller, retry failed slots,
// fail fast, time out, cancel, and resume from stored state without duplicating tasks.
import { errorMessage, formatDuration } from "../../core/index.ts";
import type { PluginLogger } from "../contract.ts";
import type { AbortReason } from "../contract.ts";
import { awsMessage, isRetryable } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { isSpotInterruption, judgeMissing, judgeStoppedTask, observeTask } from "./classify.ts";
import type { ClusterSettings } from "./cluster.ts";
import { buildRunTask, clientToken, isCapacityFailure, runTask } from "./launch.ts";
import { taskName } from "./overrides.ts";
import { dueAt } from "./poller.ts";
import type { Observation, TaskPoller } from "./poller.ts";
import type { JobPlan } from "./settings.ts";
import { abortError, backoffMs, linkedSignal } from "./sleep.ts";
import { attemptStrategy, interruptionNote, judgeInterruption, requestUsesSpot } from "./spot.ts";
import { isFinalAttempt, newAttempt, representativeAttempt } from "./state.ts";
import type { AttemptRecord, JobMeta, JobState, Outcome } from "./state.ts";
import { recordFinalStates, recordTask, settleAttempts, stopAttempts, stopForSure } from "./stop.ts";
import type { Template } from "./template.ts";

export interface RunDeps {
  jobId: string;
  plan: JobPlan;
  cluster: ClusterSettings;
  template: Template;
  ep: Endpoint;
  poller: TaskPoller;
  state: JobState;
  meta: JobMeta;
  attempts: AttemptRecord[];
  log: PluginLogger;
  /** Progress lines (to the job's stdout). */
  progress: (line: string) => Promise<void>;
}

interface Slot {
  index: number;
  attempts: AttemptRecord[];
  nextLaunchAt: number;
  /** MISSING answers in a row for the current attempt, and when it is next described (backoff while never seen). */
  missing: number;
  nextLookAt: number;
}

/** StopTask budget per call of stopAll / give-up (retries of transient errors and of "not found" included). */
const STOP_BUDGET_MS = 30_000;

export class JobRun {
  private readonly slots: Slot[] = [];
  /** When the last task was launched, until the job's next poll (its first look is one interval after that). */
  private launchedAt: number | undefined;
  constructor(private readonly d: RunDeps) {
    for (let i = 0; i < d.plan.taskCount; i++) this.slots.push({ index: i, attempts: [], nextLaunchAt: 0, missing: 0, nextLookAt: 0 });
    for (const a of d.attempts) this.slots[a.slot]?.attempts.push(a);
  }

  get allAttempts(): AttemptRecord[] {
    return this.slots.flatMap((s) => s.attempts);
  }

  private current(s: Slot): AttemptRecord | undefined {
    return s.attempts[s.attempts.length - 1];
  }
  private failures(s: Slot): number {
    return s.attempts.filter((a) => a.status === "FAILED").length;
  }

  /** Runs to an outcome; rejects only with the abort reason when `signal` aborts (after cancel handling). */
  async run(signal: AbortSignal): Promise<Outcome> {
    const { meta, plan } = this.d;
    try {
      for (;;) {
        const now = Date.now();
        const deadline = meta.first_launch_at === null ? Infinity : meta.first_launch_at + plan.timeoutMs;
        if (now >= deadline) return await this.timeout();
        const exhausted = this.slots.find((s) => this.current(s)?.status === "FAILED" && this.failures(s) > plan.maxFailCount);
        if (exhausted !== undefined) return await this.failFast(exhausted);
        if (this.slots.every((s) => this.current(s)?.status === "SUCCEEDED")) return { kind: "succeeded" };

        const fatal = await this.launchDue(signal);
        if (fatal !== undefined) return fatal;

        const active = this.slots.filter((s) => this.current(s)?.status === "ACTIVE");
        // Tasks not visible yet are described with backoff: only those whose next look is due by this poll.
        const lookAt = dueAt(Date.now(), plan.pollingMs, this.launchedAt);
        const look = active.filter((s) => s.nextLookAt <= lookAt);
        const nextLook = look.length > 0 ? Infinity : Math.min(...active.map((s) => s.nextLookAt), Infinity);
        const nextLaunch = Math.min(...this.slots.filter((s) => this.needsLaunch(s)).map((s) => s.nextLaunchAt), Infinity);
        const dl = meta.first_launch_at === null ? Infinity : meta.first_launch_at + plan.timeoutMs;
        const waitMs = Math.min(dl, nextLaunch, nextLook) - Date.now();
        if (look.length === 0 && waitMs === Infinity) continue; // something to launch right away
        const w = linkedSignal(signal, waitMs);
        try {
          if (look.length === 0) await new Promise<void>((resolve) => w.signal.addEventListener("abort", () => resolve(), { once: true }));
          else {
            const obs = await this.d.poller.poll(
              look.map((s) => this.current(s)!.task_arn!),
              plan.pollingMs,
              w.signal,
              this.launchedAt,
            );
            this.launchedAt = undefined;
            const fatal = await this.observe(look, obs, signal);
            if (fatal !== undefined) {
              await this.stopAll(`heimdall: job ${this.d.jobId} failed: ${fatal}`);
              return { kind: "error", error: fatal };
            }
          }
        } catch (err) {
          if (signal.aborted) throw err;
          if (!w.timedOut()) throw err;
        } finally {
          w.dispose();
        }
        if (signal.aborted) throw abortError(signal);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
      await this.onAbort(signal.reason as AbortReason | undefined);
      throw err;
    }
  }

  private needsLaunch(s: Slot): boolean {
    const a = this.current(s);
    if (a === undefined) return true;
    if (a.status === "LAUNCHING") return true;
    return (a.status === "FAILED" && this.failures(s) <= this.d.plan.maxFailCount) || a.status === "STOPPED" || a.status === "INTERRUPTED";
  }

  /** Launches every slot that is due; returns an outcome when RunTask fails permanently. */
  private async launchDue(signal: AbortSignal): Promise<Outcome | undefined> {
    const now = Date.now();
    const due = this.slots.filter((s) => this.needsLaunch(s) && s.nextLaunchAt <= now);
    if (due.length === 0) return undefined;
    // The timeout origin is stored with (not before) the attempts: both are durable before any RunTask is sent.
    let metaWrite: Promise<void> | undefined;
    if (this.d.meta.first_launch_at === null) {
      this.d.meta.first_launch_at = now;
      metaWrite = this.d.state.putMeta(this.d.meta);
    }
    // allSettled: when one slot's launch throws (e.g. its attempt cannot be stored), the RunTasks of the other
    // slots are still in flight; wait for them so the tasks they start are stopped instead of left running.
    const settled = await Promise.allSettled(due.map((s) => this.launch(s, signal, metaWrite)));
    const thrown = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (thrown !== undefined) {
      if (!signal.aborted) {
        await this.stopAll(`heimdall: job ${this.d.jobId} failed: ${errorMessage(thrown.reason)}`).catch((err: unknown) => {
          this.d.log.warn({ err, job: this.d.jobId }, "ecs: stopping tasks after a failed launch failed");
        });
      }
      throw thrown.reason;
    }
    const results = settled.map((r) => (r as PromiseFulfilledResult<string | undefined>).value);
    const fatal = results.find((r) => r !== undefined);
    if (fatal === undefined) return undefined;
    await this.stopAll(`heimdall: job ${this.d.jobId} failed: ${fatal}`);
    return { kind: "error", error: fatal };
  }

  /** One RunTask for a slot (a new attempt, or the stored one re-sent with its clientToken). Returns a fatal error text. */
  private async launch(s: Slot, signal: AbortSignal, metaWrite: Promise<void> | undefined): Promise<string | undefined> {
    const { jobId, plan, cluster, meta, template } = this.d;
    let a = this.current(s);
    if (a === undefined || a.status !== "LAUNCHING") {
      const attempt = (a?.attempt ?? 0) + 1;
      a = newAttempt(taskName(jobId, s.index), s.index, attempt);
      s.attempts.push(a);
    }
    s.missing = 0;
    s.nextLookAt = 0;
    let attemptWrite: Promise<void> | undefined;
    if (a.request === null) {
      a.client_token = clientToken(jobId, s.index, a.attempt, a.launch_errors);
      const strategy = attemptStrategy(plan, cluster, s.attempts);
      a.request = buildRunTask(jobId, s.index, a.client_token, plan, cluster, meta.task_definition_arn, template, strategy);
      attemptWrite = this.d.state.putAttempt(a); // stored before RunTask: a resumed job re-sends the same token
    }
    await Promise.all([metaWrite, attemptWrite]);
    try {
      const out = await runTask(this.d.ep, a.request, signal);
      if (out.kind === "task") {
        this.launchedAt = Date.now();
        this.ranTask(a);
        a.task_arn = out.task.taskArn!;
        a.status = "ACTIVE";
        a.request = null;
        observeTask(a, out.task);
        a.seen = false;
        await this.d.state.putAttempt(a);
        await this.d.progress(`ecs: started ${a.task_name} attempt ${a.attempt} ${a.task_arn}`);
        return undefined;
      }
      return await this.launchRetry(s, a, out.reason, true);
    } catch (err) {
      if (signal.aborted) throw err;
      const conflict = (err as { resourceIds?: string[] }).resourceIds?.[0];
      if ((err as Error).name === "ConflictException" && conflict !== undefined) {
        this.launchedAt = Date.now();
        this.ranTask(a);
        a.task_arn = conflict;
        a.status = "ACTIVE";
        a.request = null;
        await this.d.state.putAttempt(a);
        return undefined;
      }
      if (isRetryable(err)) return await this.launchRetry(s, a, awsMessage(err), false);
      return `RunTask for ${a.task_name} failed: ${awsMessage(err)}`;
    }
  }

  /** Capacity failures (new clientToken next time) and persistent API errors (same token) are retried with backoff. */
  private async launchRetry(s: Slot, a: AttemptRecord, reason: string, newToken: boolean): Promise<undefined> {
    a.launch_errors++;
    a.last_launch_error = reason;
    const spotUnavailable = newToken && isCapacityFailure(reason) && requestUsesSpot(a.request);
    if (spotUnavailable) a.spot_unavailable = true;
    if (newToken) a.request = null;
    s.nextLaunchAt = Date.now() + backoffMs(a.launch_errors, 500, 30_000, 250);
    await this.d.state.putAttempt(a);
    const where = spotUnavailable && this.d.plan.spotFallback ? " on FARGATE (spot_fallback)" : "";
    await this.d.progress(`ecs: RunTask for ${a.task_name} attempt ${a.attempt} not placed (${reason}); retrying${where}`);
    return undefined;
  }

  /** RunTask answered with the task: the origin of its MISSING grace (stored with the ARN, kept on resume). */
  private ranTask(a: AttemptRecord): void {
    const now = Date.now();
    a.run_task_at = new Date(now).toISOString();
    a.visible_by = new Date(now + this.d.plan.missingGraceMs).toISOString();
  }

  /** Records what the poll saw; gives up tasks ECS does not know. Returns a fatal error text. */
  private async observe(active: Slot[], obs: Map<string, Observation>, signal: AbortSignal): Promise<string | undefined> {
    const giveUps: Promise<string | undefined>[] = [];
    for (const s of active) {
      const a = this.current(s)!;
      const o = obs.get(a.task_arn!);
      if (o === undefined || o.kind === "error") continue;
      if (o.kind === "missing") {
        const v = judgeMissing(a, o.reason, ++s.missing, Date.now(), this.d.plan.pollingMs, this.d.plan.missingGraceMs);
        if (v.kind === "wait") s.nextLookAt = v.nextLookAt;
        else giveUps.push(this.giveUp(s, a, v.why, signal));
        continue;
      }
      s.missing = 0;
      s.nextLookAt = 0;
      const noticed = a.stop_code === "SpotInterruption";
      const changed = observeTask(a, o.task);
      if (o.task.lastStatus === "STOPPED") {
        const v = judgeStoppedTask(o.task, this.d.template.containers);
        if (isSpotInterruption(o.task)) await this.interrupted(s, a, o.task, v.exitCode);
        else await this.finish(s, a, v.status, v.exitCode, v.failure);
      } else if (changed) {
        await this.d.state.putAttempt(a);
        if (!noticed && isSpotInterruption(o.task)) {
          await this.d.progress(
            `ecs: ${a.task_name} attempt ${a.attempt} got a Fargate Spot interruption notice (${o.task.stoppedReason ?? "no reason"}); containers have received SIGTERM`,
          );
        }
      }
    }
    const fatal = await Promise.all(giveUps);
    return fatal.find((f) => f !== undefined);
  }

  /**
   * Gives up an attempt ECS does not report (it may still run, invisibly): StopTask — retried on transient
   * errors and, for a task never seen, on "not found" — then its final state; only then may the slot retry.
   * Returns a fatal error text when the task could not be stopped (the slot must not run twice).
   */
  private async giveUp(s: Slot, a: AttemptRecord, why: string, signal: AbortSignal): Promise<string | undefined> {
    const { jobId, cluster, ep } = this.d;
    const w = linkedSignal(signal, STOP_BUDGET_MS);
    let stopped: string;
    try {
      const reason = `heimdall: job ${jobId} gave up ${a.task_name} attempt ${a.attempt}: ${why}`;
      const r = await stopForSure(ep, cluster.clusterName, a.task_arn!, reason, this.notFoundMs(a), w.signal);
      stopped = r.kind === "stopped" ? "StopTask sent" : "StopTask: task not found";
      if (r.kind === "stopped" && r.task !== undefined) recordTask(a, r.task, this.d.template.containers);
    } catch (err) {
      if (signal.aborted) throw err;
      return `could not stop ${a.task_name} attempt ${a.attempt} (${a.task_arn}) after giving it up (${why}): ${awsMessage(err)}; not retrying the slot while it may still run`;
    } finally {
      w.dispose();
    }
    if (stopped === "StopTask sent") {
      a.stop_code ??= "UserInitiated";
      await recordFinalStates(ep, cluster.clusterName, [a], this.d.template.containers, this.finalBudgetMs(), 500);
    }
    await this.finish(s, a, "FAILED", a.exit_code, `${why}; ${stopped}`);
    return undefined;
  }

  /** How long StopTask's "not found" is retried: for a task never seen, missing_grace (at most 30 s) more. */
  private notFoundMs(a: AttemptRecord): number {
    return a.seen ? 0 : Math.min(this.d.plan.missingGraceMs, STOP_BUDGET_MS);
  }

  /** How long to wait for stopped tasks to reach STOPPED: a few polls, 2 to 10 seconds. */
  private finalBudgetMs(): number {
    return Math.min(10_000, Math.max(2_000, 3 * this.d.plan.pollingMs));
  }

  private async finish(
    s: Slot,
    a: AttemptRecord,
    status: "SUCCEEDED" | "FAILED",
    exitCode: number | null,
    failure: string | null,
  ): Promise<void> {
    a.status = status;
    a.exit_code = exitCode;
    a.failure = failure;
    a.stopped_at ??= new Date().toISOString();
    await this.d.state.putAttempt(a);
    if (status === "SUCCEEDED") await this.d.progress(`ecs: ${a.task_name} attempt ${a.attempt} succeeded`);
    else {
      const left = this.d.plan.maxFailCount + 1 - this.failures(s);
      await this.d.progress(`ecs: ${a.task_name} attempt ${a.attempt} failed: ${failure}${left > 0 ? `; retrying (${left} left)` : ""}`);
    }
  }

  /** A task stopped by a Spot interruption: a free retry within max_spot_interruptions, else a failure. */
  private async interrupted(
    s: Slot,
    a: AttemptRecord,
    task: Parameters<typeof judgeInterruption>[1],
    exitCode: number | null,
  ): Promise<void> {
    const v = judgeInterruption(a, task, s.attempts, this.d.plan);
    a.spot_interruption = true;
    if (v.status === "FAILED") return this.finish(s, a, "FAILED", exitCode, v.failure);
    a.status = "INTERRUPTED";
    a.exit_code = exitCode;
    a.failure = v.failure;
    a.stopped_at ??= new Date().toISOString();
    await this.d.state.putAttempt(a);
    await this.d.progress(v.line);
  }

  private async failFast(s: Slot): Promise<Outcome> {
    const { plan, jobId } = this.d;
    const last = this.current(s)!;
    const n = this.failures(s);
    const spot = interruptionNote(s.attempts);
    const limits = `max_fail_count ${plan.maxFailCount}${spot === "" ? "" : `, max_spot_interruptions ${plan.maxSpotInterruptions}`}`;
    const error = `task slot ${s.index} (${last.task_name}) failed ${n} attempt${n === 1 ? "" : "s"}${spot} (${limits}); last: ${last.failure ?? "unknown"} [${last.task_arn ?? "no task"}]`;
    await this.stopAll(
      `heimdall: job ${jobId} failed: task slot ${s.index} failed ${n} times (max_fail_count ${plan.maxFailCount}): ${last.failure ?? ""}`,
    );
    return { kind: "failed", slot: s.index, error };
  }

  private async timeout(): Promise<Outcome> {
    const unfinished = this.slots.filter((s) => this.current(s)?.status !== "SUCCEEDED");
    const list = unfinished.map((s) => {
      const a = this.current(s);
      return `${s.index} (${taskName(this.d.jobId, s.index)}${a?.task_arn ? `, ${a.task_arn}` : ", not started"})`;
    });
    const error = `timeout after ${formatDuration(BigInt(Math.round(this.d.plan.timeoutMs * 1e6)))}: unfinished task slots ${list.join(", ")}`;
    await this.stopAll(`heimdall: job ${this.d.jobId} timed out; unfinished slots ${unfinished.map((s) => s.index).join(", ")}`);
    return { kind: "timeout", error };
  }

  private async onAbort(reason: AbortReason | undefined): Promise<void> {
    const kind = reason?.kind;
    if (kind !== "cancel" && kind !== "shutdown") return; // handback / lost: leave the tasks running
    const why = kind === "cancel" ? `canceled${reason?.by ? ` by ${reason.by}` : ""}` : "stopped: server shutting down";
    // A shutdown has little time: one DescribeTasks at most for the final state.
    await this.stopAll(`heimdall: job ${this.d.jobId} ${why}`, kind === "cancel" ? this.finalBudgetMs() : 1_000).catch((err: unknown) => {
      this.d.log.warn({ err: awsMessage(err), jobId: this.d.jobId }, "ecs: stopping tasks after abort failed");
    });
  }

  /**
   * StopTask for every running attempt (its own time budget: the job signal may already be aborted), then their
   * final state (one more DescribeTasks until STOPPED, bounded by `finalMs`).
   */
  async stopAll(reason: string, finalMs = this.finalBudgetMs()): Promise<void> {
    const { ep, cluster, template, log, state } = this.d;
    const targets = this.slots.map((s) => this.current(s)).filter((a): a is AttemptRecord => a?.status === "ACTIVE");
    const where = {
      ep,
      cluster: cluster.clusterName,
      containers: template.containers,
      log,
      put: (a: AttemptRecord) => state.putAttempt(a),
    };
    await stopAttempts(where, targets, reason, (a) => this.notFoundMs(a), STOP_BUDGET_MS, finalMs);
  }

  /** Representative attempt for logs (see representativeAttempt). */
  representative(outcome: Outcome): AttemptRecord | undefined {
    return representativeAttempt(
      outcome,
      this.slots.map((s) => this.current(s)),
    );
  }

  /** Waits (bounded) until the given attempts are STOPPED at ECS, recording their final state. */
  settle(attempts: AttemptRecord[], maxMs: number, signal: AbortSignal): Promise<void> {
    return settleAttempts(this.d.poller, this.d.state, attempts, Math.min(this.d.plan.pollingMs, 1_000), maxMs, signal);
  }

  isDone(): boolean {
    return this.slots.every((s) => {
      const a = this.current(s);
      return a !== undefined && isFinalAttempt(a);
    });
  }
}
