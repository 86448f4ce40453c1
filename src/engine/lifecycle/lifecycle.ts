// JobLifecycle: the one place that changes a job's status (the named transitions of transitions.ts) and the one
// owner of the execution records. Each method takes one transition for one actor, keeps the execution record in
// step, reports the metrics of a finished job and writes the job's log line (with `job_id`).
import type { Cluster, Command, Job, JobProgress, JobStatus } from "../../core/index.ts";
import type { AbortKind, PluginModule } from "../../plugins/index.ts";
import { dbErrorClass, type CancelOutcome, type NewJob } from "../../store/index.ts";
import { abortExecution, Executions, newExecution, type Execution, type ExecutionsView, type MutableExecution } from "./execution.ts";
import { GaveUp, jobError, retriedCas, retriedWrite, type LifecycleDeps } from "./job-writes.ts";
import { resolveJob, type ResolveDeps, type ResolvedJob } from "./resolve.ts";
import { AWOL_ERROR, casOf } from "./transitions.ts";

export class JobLifecycle {
  private readonly d: LifecycleDeps & ResolveDeps;
  private readonly running = new Executions();
  /** The last progress write of each execution (the next one waits for it). */
  private readonly progressWrites = new WeakMap<Execution, Promise<void>>();
  /**
   * Told when a runner's final write (finish, kill, failSetup, confirmCancel) is on its way to the database: the
   * worker pool then claims the worker's next job at once, so the claim shares the final write's commit.
   */
  onFinalWrite: ((exec: Execution) => void) | undefined;

  constructor(deps: LifecycleDeps & ResolveDeps) {
    this.d = deps;
  }

  /** The jobs this instance executes now (async workers and sync requests). */
  get executions(): ExecutionsView {
    return this.running;
  }

  // ---- submit and cancel ----

  /** enqueue: stores an async job NEW with an unowned claim. */
  async enqueue(job: NewJob): Promise<Job> {
    const stored = await this.d.store.insertJob(job);
    this.logSubmitted(stored);
    return stored;
  }

  /**
   * submitSync: stores a sync job RUNNING, owned by this instance. Its execution is registered before the insert,
   * so a cancel on this instance always finds it. Throws the store's error (nothing stays registered).
   */
  async submitSync(job: NewJob & { owner: string }): Promise<Execution> {
    const placeholder = { ...job, created_at: 0, updated_at: 0 } as Job;
    const exec = newExecution(placeholder, true, false, "pending");
    this.running.add(exec);
    try {
      exec.job = await this.d.store.insertJob(job);
    } catch (err) {
      this.running.remove(exec);
      throw err;
    }
    exec.since = performance.now();
    exec.phase = "claimed";
    this.logSubmitted(exec.job);
    return exec;
  }

  /** requestCancel: CANCELING (by = the caller; undefined for a disconnected sync client). */
  async requestCancel(jobId: string, by: string | undefined): Promise<CancelOutcome> {
    const o = await this.d.store.cancelJob(jobId, by);
    if (o.kind === "canceling") this.d.log.info({ job_id: jobId, by, owner: o.owner }, "job cancel requested");
    return o;
  }

  /** Aborts the plugin of an execution (first reason wins; nothing once execute settled). */
  abort(exec: Execution, kind: AbortKind, by?: string): void {
    abortExecution(exec, kind, by);
  }

  // ---- the pool ----

  /** claim / resumeClaim: up to `limit` jobs, each registered as an execution before anything else runs. */
  async claim(limit: number): Promise<Execution[]> {
    const claimed = await this.d.store.claimJobs(this.d.name, limit);
    return claimed.map((c) => {
      const exec = newExecution(c.job, false, c.resumed, "claimed");
      exec.registryRevision = c.registryRevision;
      this.running.add(exec);
      return exec;
    });
  }

  /** unclaim by the pool: an ACCEPTED job whose claim answer was lost goes back to NEW. */
  unclaimOrphan(jobId: string): Promise<boolean> {
    return this.d.store.transition(casOf("unclaim", "worker", { id: jobId, owner: this.d.name }));
  }

  // ---- the runner ----

  /** resolveJob with the registry read retried like a job-path write; records whether the job is resumable. */
  async resolve(exec: Execution): Promise<ResolvedJob> {
    const known = exec.registryRevision;
    const r = await resolveJob(this.d, exec.job, () => retriedWrite(this.d, exec, () => this.d.registry.snapshot(known), "registry"));
    this.mut(exec).resumable = r.resumable;
    return r;
  }

  /** start (async jobs that are not resumed); the job counts as started here from now on. False: CAS failed. */
  async start(exec: Execution): Promise<boolean> {
    const e = this.mut(exec);
    e.startedAt = Date.now();
    if (!exec.sync && !exec.resumed && !(await this.cas(exec, casOf("start", "worker", { id: exec.job.id, owner: this.d.name }))))
      return false;
    e.phase = "started";
    return true;
  }

  /** recordSyncStart: a sync job's runtime is prepared. False: CAS failed. */
  recordSyncStart(exec: Execution): Promise<boolean> {
    return this.cas(exec, casOf("recordSyncStart", "worker", { id: exec.job.id, owner: this.d.name }));
  }

  /** The plugin is about to execute: metrics and the job's "started" line. */
  executing(exec: Execution, command: Command, cluster: Cluster, plugin: PluginModule | undefined): void {
    this.mut(exec).counted = true;
    const queueSeconds = exec.sync || exec.resumed ? undefined : Math.max(0, Date.now() / 1000 - exec.job.created_at);
    this.d.metrics?.jobStarted(command.id, cluster.id, queueSeconds);
    const fields = {
      job_id: exec.job.id,
      instance: this.d.name,
      plugin: plugin?.name ?? command.plugin,
      command: command.id,
      cluster: cluster.id,
    };
    this.d.log.info(exec.resumed ? { ...fields, resumed: true } : fields, exec.resumed ? "job resumed" : "job started");
  }

  /** execute has ended (or will not run): aborts no longer reach the plugin. */
  settle(exec: Execution): void {
    this.mut(exec).phase = "settled";
  }

  /**
   * The plugin's progress summary of the job, written in call order (each write waits for the one before) and
   * retried like other job-path writes. Never rejects: a failure is logged, the job goes on.
   */
  storeProgress(exec: Execution, progress: JobProgress | null): Promise<void> {
    const previous = this.progressWrites.get(exec) ?? Promise.resolve();
    const next = previous.then(() =>
      retriedWrite(this.d, exec, () => this.d.store.setJobProgress(exec.job.id, progress), "progress").catch((err: unknown) => {
        this.d.log.warn({ err, job_id: exec.job.id }, "cannot store the job's progress; the job goes on");
      }),
    );
    this.progressWrites.set(exec, next);
    return next;
  }

  /** The job as stored now, after a CAS that matched nothing. Throws GaveUp while the database stays unreachable. */
  async reread(exec: Execution): Promise<Job | undefined> {
    return retriedWrite(this.d, exec, () => this.d.store.getJob(exec.job.id), "getJob").catch((err: unknown) => {
      if (dbErrorClass(err) !== undefined) throw new GaveUp(`store getJob: ${jobError(err)}`, { cause: err });
      return undefined;
    });
  }

  /**
   * finish: SUCCEEDED or FAILED (the plugin's error) with the rendered attributes and the job's result (JSON
   * text; a failed ECS job keeps its attempt table), stored in the same write.
   */
  async finish(
    exec: Execution,
    to: "SUCCEEDED" | "FAILED",
    error: string | undefined,
    jobAttributes: Job["job_attributes"],
    result?: string,
  ): Promise<boolean> {
    const t = casOf("finish", "worker", {
      id: exec.job.id,
      owner: this.d.name,
      to,
      jobAttributes,
      ...(to === "FAILED" ? { error } : {}),
      ...(result === undefined ? {} : { result }),
    });
    return this.ended(exec, to, await this.finalCas(exec, t), to === "FAILED" ? error : undefined);
  }

  /** kill: the drain aborted the job (after the plugin's cleanup). */
  async kill(exec: Execution): Promise<boolean> {
    const t = casOf("kill", "shutdown", { id: exec.job.id, owner: this.d.name });
    return this.ended(exec, "KILLED", await this.finalCas(exec, t), t.error);
  }

  /** failSetup: the job cannot run here (resolve or runtime preparation failed). */
  async failSetup(exec: Execution, error: string): Promise<boolean> {
    this.settle(exec);
    const ok = await this.finalCas(exec, casOf("failSetup", "worker", { id: exec.job.id, owner: this.d.name, error }));
    return this.ended(exec, "FAILED", ok, error);
  }

  /** confirmCancel by the runner (after the plugin's cleanup). */
  async confirmCancel(exec: Execution): Promise<boolean> {
    const ok = await this.finalCas(exec, casOf("confirmCancel", "worker", { id: exec.job.id, owner: this.d.name }));
    return this.ended(exec, "CANCELED", ok, undefined);
  }

  /** handBack by the drain: flushed, owner cleared, handed-back flag set; a worker resumes it. Never throws. */
  async handBack(exec: Execution): Promise<boolean> {
    const ok = await retriedWrite(this.d, exec, () => this.d.store.handBack(exec.job.id, this.d.name)).catch((err: unknown) => {
      this.d.log.error({ err, job_id: exec.job.id }, "hand-back failed");
      return false;
    });
    this.d.log.info({ job_id: exec.job.id, ok }, "job handed back");
    return ok;
  }

  /** The runner is done with the execution (whatever happened). */
  release(exec: Execution): void {
    this.running.remove(exec);
  }

  // ---- the drain ----

  /** unclaim at shutdown: a claimed job not started yet goes back to NEW; its runner then drops it. */
  async unclaimForShutdown(exec: Execution): Promise<boolean> {
    const e = this.mut(exec);
    e.returned = true;
    const ok = await this.d.store.transition(casOf("unclaim", "shutdown", { id: exec.job.id, owner: this.d.name })).catch(() => false);
    if (ok) abortExecution(exec, "lost");
    else e.returned = false;
    return ok;
  }

  // ---- the janitor (after taking the claim over) ----

  /** A stale job of a resumable plugin: ACCEPTED → unclaim, RUNNING → handBack. */
  async handBackStale(job: Job): Promise<boolean> {
    const ok =
      job.status === "ACCEPTED"
        ? await this.d.store.transition(casOf("unclaim", "janitor", { id: job.id, owner: this.d.name }))
        : await this.d.store.handBack(job.id, this.d.name);
    this.d.log.info({ job_id: job.id, status: job.status, ok }, "stale job of a resumable plugin handed back for resumption");
    return ok;
  }

  /** failStale: FAILED `awol` (compare-and-set on the observed status). */
  async failStale(job: Job, observed: JobStatus, owner: string | null): Promise<boolean> {
    const ok = await this.d.store.transition(casOf("failStale", "janitor", { id: job.id, owner: this.d.name, from: [observed] }));
    if (ok) {
      this.d.metrics?.jobFinished(job.command_id, job.cluster_id, "FAILED", 0);
      this.d.log.warn({ job_id: job.id, status: "FAILED", error: AWOL_ERROR, owner }, "job failed");
    }
    return ok;
  }

  /** confirmCancel by the janitor (after the plugin's cleanup). */
  async confirmCancelStale(job: Job): Promise<boolean> {
    const ok = await this.d.store.transition(casOf("confirmCancel", "janitor", { id: job.id, owner: this.d.name }));
    if (ok) {
      this.d.metrics?.jobFinished(job.command_id, job.cluster_id, "CANCELED", 0);
      this.d.log.info({ job_id: job.id, status: "CANCELED" }, "job canceled");
    }
    return ok;
  }

  // ---- internals ----

  private logSubmitted(job: Job): void {
    const fields = { job_id: job.id, name: job.name, user: job.user, command: job.command_id, cluster: job.cluster_id, sync: job.is_sync };
    this.d.log.info(fields, "job submitted");
  }

  private mut(exec: Execution): MutableExecution {
    return exec as MutableExecution;
  }

  private cas(exec: Execution, t: ReturnType<typeof casOf>): Promise<boolean> {
    return retriedCas(this.d, exec, t);
  }

  /** A runner's last write for the job: the pool hears of it first (onFinalWrite), then the write goes out. */
  private finalCas(exec: Execution, t: ReturnType<typeof casOf>): Promise<boolean> {
    const write = this.cas(exec, t);
    this.onFinalWrite?.(exec);
    return write;
  }

  /** After a final transition of the runner: metrics and the job's last line. Returns ok. */
  private ended(exec: Execution, status: JobStatus, ok: boolean, error: string | undefined): boolean {
    if (!ok) return false;
    // A job whose plugin never ran here (setup failure, cancel before start) counts 0 s; its line has no duration.
    const ran = exec.counted && exec.startedAt > 0;
    const ms = ran ? Date.now() - exec.startedAt : 0;
    this.d.metrics?.jobFinished(exec.job.command_id, exec.job.cluster_id, status, ms / 1000);
    const fields: Record<string, unknown> = { job_id: exec.job.id, status };
    if (ran) fields["duration_ms"] = ms;
    if (error) fields["error"] = error;
    this.d.log.info(fields, `job ${status.toLowerCase()}`);
    return true;
  }
}
