// The ecs handler of one command definition (shared by all its jobs; no per-job state kept here).
import { setMaxListeners } from "node:events";
import { Problems } from "../../core/index.ts";
import type { Cluster, Job, JsonObject } from "../../core/index.ts";
import type { AbortReason, Handler, JobLogItem, JobLogsQuery, PluginServices, Runtime } from "../contract.ts";
import { awsMessage, endpointFor } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { failpoint } from "./failpoint.ts";
import { isFargate, readClusterContext } from "./cluster.ts";
import type { ClusterSettings } from "./cluster.ts";
import { ecsSdk } from "./sdk.ts";
import { attemptTable, setOutputs, writeRepresentativeLogs } from "./output.ts";
import { jobLogItems } from "./job-logs.ts";
import { pollerFor } from "./poller.ts";
import { ProgressReporter, progressOf } from "./progress.ts";
import { JobRun } from "./run.ts";
import { checkJobKeys, resolvePlan } from "./settings.ts";
import type { CommandSettings, JobPlan } from "./settings.ts";
import { JobState } from "./state.ts";
import type { JobMeta, Outcome } from "./state.ts";
import { adoptRevision, ensureDefinition } from "./taskdef.ts";
import type { Template } from "./template.ts";
import { cleanupJob, endpointOfMeta, taskLogs, taskTimeline } from "./views.ts";

/** A Template view of stored meta (containers and network mode are all that launching needs). */
function templateOfMeta(meta: JobMeta, fallback: Template): Template {
  return { ...fallback, containers: meta.containers };
}

export class EcsHandler implements Handler {
  constructor(
    private readonly cmd: CommandSettings,
    private readonly services: PluginServices,
  ) {}

  private resolve(
    jobContext: JsonObject | undefined,
    cluster: Readonly<Cluster>,
  ): { plan: JobPlan; cl: ClusterSettings; problems: Problems } {
    const problems = new Problems();
    checkJobKeys(jobContext, problems);
    const cl = readClusterContext(cluster.context, problems);
    const plan = resolvePlan(this.cmd, jobContext, cl, problems);
    return { plan, cl, problems };
  }

  /** The task definition to run: an adopted revision, or the template's (reused by content hash or registered). */
  private async definition(ep: Endpoint, plan: JobPlan, cl: ClusterSettings, signal: AbortSignal) {
    if (plan.taskRevision !== undefined || plan.useLatestRevision) return adoptRevision(ep, plan.family, plan.taskRevision, signal);
    const build = {
      template: this.cmd.template,
      family: plan.family,
      cpu: plan.cpu,
      memory: plan.memory,
      executionRoleArn: cl.executionRoleArn,
      taskRoleArn: cl.taskRoleArn,
      fargate: isFargate(cl),
    };
    try {
      return await ensureDefinition(ep, build, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new Error(`task definition ${plan.family}: ${awsMessage(err)}`);
    }
  }

  validateJobContext(jobContext: JsonObject | undefined, cluster: Readonly<Cluster>): void {
    const { problems } = this.resolve(jobContext, cluster);
    problems.throwIfAny();
  }

  async execute(signal: AbortSignal, rt: Runtime, job: Readonly<Job>, cluster: Readonly<Cluster>): Promise<void> {
    const { plan, cl, problems } = this.resolve(job.context, cluster);
    if (!problems.empty) throw new Error(`invalid context: ${problems.messages.join("; ")}`);
    // Slots launch and stop concurrently, each call listening on the job's signal for a moment.
    setMaxListeners(0, signal);
    const log = this.services.log;
    const state = new JobState(this.services.state, job.id);
    const stored = await state.load();
    let meta = stored.meta;
    let template = this.cmd.template;
    if (meta === undefined) {
      const ep = endpointFor(cl);
      const def = await this.definition(ep, plan, cl, signal);
      template = def.template;
      meta = {
        job_id: job.id,
        cluster_name: cl.clusterName,
        endpoint: cl.endpoint ?? null,
        region: cl.region,
        rate_limit_scale: cl.rateLimitScale,
        task_count: plan.taskCount,
        max_fail_count: plan.maxFailCount,
        max_spot_interruptions: plan.maxSpotInterruptions,
        spot_fallback: plan.spotFallback,
        max_task_count: cl.maxTaskCount,
        task_definition_arn: def.arn,
        containers: template.containers,
        polling_ms: plan.pollingMs,
        timeout_ms: plan.timeoutMs,
        first_launch_at: null,
        outcome: null,
        representative: null,
      };
      await state.putMeta(meta);
      log.info({ jobId: job.id, taskDefinition: def.arn, registered: def.registered }, "ecs: task definition ready");
    } else {
      template = templateOfMeta(meta, template);
      // The stored plan shape wins on resume so that slots and limits match what was launched.
      plan.taskCount = meta.task_count;
      plan.maxFailCount = meta.max_fail_count;
      plan.maxSpotInterruptions = meta.max_spot_interruptions ?? plan.maxSpotInterruptions;
      plan.spotFallback = meta.spot_fallback ?? plan.spotFallback;
      plan.timeoutMs = meta.timeout_ms;
      plan.pollingMs = meta.polling_ms;
      log.info({ jobId: job.id, resumed: rt.resumed, attempts: stored.attempts.length }, "ecs: continuing from stored state");
    }
    const ep = endpointOfMeta(meta);
    const run = new JobRun({
      jobId: job.id,
      plan,
      cluster: { ...cl, clusterName: meta.cluster_name },
      template,
      ep,
      poller: pollerFor(ep, meta.cluster_name),
      state,
      meta,
      attempts: stored.attempts,
      log,
      progress: async (line) => log.info({ jobId: job.id }, line),
    });
    let over = meta.outcome !== null;
    const reporter = new ProgressReporter(rt, () =>
      progressOf(run.allAttempts, { taskCount: plan.taskCount, maxFailCount: plan.maxFailCount, done: over }),
    );
    state.onAttempt = () => reporter.changed();
    reporter.changed();
    try {
      await this.finishRun(signal, rt, { run, plan, meta, state, ep }, () => {
        over = true;
        reporter.finish();
      });
    } finally {
      state.onAttempt = undefined;
      const kind = signal.aborted ? (signal.reason as AbortReason | undefined)?.kind : undefined;
      if (kind === "cancel" || kind === "shutdown") over = true;
      reporter.finish();
    }
  }

  /** Runs (or takes the stored outcome), then writes the representative logs, the result and the outputs. */
  private async finishRun(
    signal: AbortSignal,
    rt: Runtime,
    { run, plan, meta, state, ep }: { run: JobRun; plan: JobPlan; meta: JobMeta; state: JobState; ep: Endpoint },
    decided: () => void,
  ): Promise<void> {
    const storedOutcome = meta.outcome;
    const outcome: Outcome = storedOutcome ?? (await run.run(signal));
    decided();
    const rep = run.representative(outcome);
    if (outcome.kind === "timeout" && rep !== undefined && storedOutcome === null)
      await run.settle([rep], Math.min(3 * plan.pollingMs, 30_000), signal);
    if (storedOutcome === null) {
      // The outcome and representative are stored before any log byte is written: a resumed execution then
      // regenerates exactly the same text and skips what is already stored (see writeRepresentativeLogs). A crash
      // before this write just re-derives both from the stored attempts.
      meta.outcome = outcome;
      meta.representative = rep === undefined ? null : { slot: rep.slot, attempt: rep.attempt };
      await state.putMeta(meta);
    }
    await writeRepresentativeLogs(rt, state, ep, meta, outcome, rep, this.cmd.logMaxBytes, signal);
    await failpoint("ecs-after-log-copy", signal);
    rt.setResult(attemptTable(run.allAttempts));
    setOutputs(rt, meta, run.allAttempts);
    if (outcome.kind !== "succeeded") throw new Error(outcome.error);
  }

  async cleanup(jobId: string, cluster: Readonly<Cluster> | undefined, signal: AbortSignal): Promise<void> {
    await cleanupJob(new JobState(this.services.state, jobId), cluster, signal, this.services.log);
  }

  async healthCheck(cluster: Readonly<Cluster>, signal: AbortSignal): Promise<void> {
    const problems = new Problems();
    const cl = readClusterContext(cluster.context, problems);
    problems.throwIfAny("invalid cluster context: ");
    const ep = endpointFor(cl);
    let status: string | undefined;
    try {
      const res = await ep.call("cluster-read", "DescribeClusters", signal, (abortSignal) =>
        ep.ecs.send(new (ecsSdk().DescribeClustersCommand)({ clusters: [cl.clusterName] }), { abortSignal }),
      );
      status = res.clusters?.[0]?.status;
      if (status === undefined) {
        const f = res.failures?.[0];
        throw new Error(`ECS cluster ${cl.clusterName} not found${f?.reason ? ` (${f.reason})` : ""}`);
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("ECS cluster")) throw err;
      throw new Error(`ECS cluster ${cl.clusterName}: DescribeClusters failed: ${awsMessage(err)}`);
    }
    if (status !== "ACTIVE") throw new Error(`ECS cluster ${cl.clusterName} is ${status}, not ACTIVE`);
  }

  tasks(job: Readonly<Job>) {
    return taskTimeline(new JobState(this.services.state, job.id));
  }

  taskLogs(
    job: Readonly<Job>,
    _cluster: Readonly<Cluster> | undefined,
    q: { slot: number; attempt?: number; follow: boolean },
    signal: AbortSignal,
  ) {
    return taskLogs(new JobState(this.services.state, job.id), q, signal);
  }

  jobLogs(job: Readonly<Job>, q: JobLogsQuery, signal: AbortSignal): AsyncIterable<JobLogItem> {
    return jobLogItems(new JobState(this.services.state, job.id), q, signal, this.services.log);
  }
}
