// Starting a task's containers: failure injection, secrets/endpoint decoration, driver preparation, awslogs
// sinks, then each container through the driver once its dependsOn conditions hold. Also the driver callbacks
// (exit code, reason, essential rule) shared with adoption after a restart. Used by task-runner.ts only.
import type { ContainerRecord, TaskRecord } from "../ecs/model.ts";
import type { LogStore } from "../logs/store.ts";
import type { LocalEcsSettings } from "../settings.ts";
import type { ContainerDriver, StartHooks } from "./driver.ts";
import type { LineSink } from "./process.ts";

/** Per-task coordination between the lifecycle (task-runner.ts) and its containers. */
export interface Control {
  stopRequested: Promise<void>;
  signalStop: () => void;
  exited: Promise<void>;
  containerDone: () => void;
  remaining: number;
  /** Gives up containers still waiting for their dependsOn conditions. */
  cancelPending: () => void;
}

/** Runs before a task's containers are prepared: resolves secrets, environment files and endpoint variables. */
export type TaskDecorator = (task: TaskRecord) => Promise<string | undefined>;

/** What container starting needs from the task runner. */
export interface StartContext {
  readonly settings: LocalEcsSettings;
  readonly logs: LogStore;
  readonly driver: ContainerDriver;
  readonly decorate: TaskDecorator | undefined;
  /** Containers whose start succeeded (dependsOn START/COMPLETE/SUCCESS look here, not at runtimeId). */
  readonly began: WeakSet<ContainerRecord>;
  isClosed(): boolean;
  requestStop(task: TaskRecord, stopCode: string, reason: string): void;
}

/**
 * dependsOn: "go" once every condition of `c` holds, "wait" while one may still hold, else the reason it never
 * will. HEALTHY needs the driver's health checks (docker); without them (process runtime) it counts as START.
 */
function dependsOnVerdict(ctx: StartContext, task: TaskRecord, c: ContainerRecord): "go" | "wait" | string {
  let verdict: "go" | "wait" | string = "go";
  for (const d of c.dependsOn) {
    const dep = task.containers.find((x) => x.name === d.containerName);
    if (!dep) continue;
    const started = ctx.began.has(dep);
    const exited = started && dep.lastStatus === "STOPPED";
    if (!started && dep.lastStatus === "STOPPED") return `DependencyConditionFailed: container ${dep.name} never started`;
    if (d.condition === "HEALTHY" && ctx.driver.healthChecks) {
      if (dep.healthStatus === "UNHEALTHY" || (exited && dep.healthStatus !== "HEALTHY"))
        return `DependencyConditionFailed: container ${dep.name} is not healthy`;
      if (dep.healthStatus !== "HEALTHY") verdict = "wait";
    } else if (d.condition === "START" || d.condition === "HEALTHY") {
      if (!started) verdict = "wait";
    } else if (!exited) verdict = "wait";
    else if (d.condition === "SUCCESS" && dep.exitCode !== 0)
      return `DependencyConditionFailed: container ${dep.name} exited with ${dep.exitCode}`;
  }
  return verdict;
}

/** An awslogs sink per container (undefined without a log configuration); a string is the failure reason. */
function logSinks(ctx: StartContext, task: TaskRecord): Array<LineSink | undefined> | { container: ContainerRecord; reason: string } {
  const sinks: Array<LineSink | undefined> = [];
  for (const c of task.containers) {
    if (!c.log) {
      sinks.push(undefined);
      continue;
    }
    try {
      const stream = ctx.logs.ensureStream(c.log.group, c.log.stream, c.log.createGroup || ctx.settings.logs.autoCreateGroups);
      sinks.push((lines: string[], ts: number) =>
        stream.append(
          lines.map((message) => ({ timestamp: ts, message })),
          ts,
        ),
      );
    } catch (e) {
      return {
        container: c,
        reason: `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: ${(e as Error).message} : exit status 1`,
      };
    }
  }
  return sinks;
}

/** Returns false (and stops the task with TaskFailedToStart) when any container cannot start. */
export async function startContainers(ctx: StartContext, task: TaskRecord, ctl: Control): Promise<boolean> {
  const fail = (c: ContainerRecord | undefined, reason: string): false => {
    if (c) c.reason = reason;
    ctx.requestStop(task, "TaskFailedToStart", reason);
    return false;
  };
  const injected = task.pendingFaults.find((f) => f.kind === "failToStart");
  if (injected) {
    const ess = task.containers.find((c) => c.essential);
    return fail(
      ess,
      injected.reason ??
        `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${ess?.image}: not found`,
    );
  }
  const problem = ctx.decorate ? await ctx.decorate(task) : undefined;
  if (problem)
    return fail(
      task.containers.find((c) => c.essential),
      problem,
    );
  if (ctx.isClosed() || task.desiredStatus !== "RUNNING") return false;
  const prep = await ctx.driver.prepare(task);
  if (prep) return fail(prep.container, prep.reason);
  if (ctx.isClosed() || task.desiredStatus !== "RUNNING") return false;
  const sinks = logSinks(ctx, task);
  if (!Array.isArray(sinks)) return fail(sinks.container, sinks.reason);
  ctl.remaining = task.containers.length;
  const finished = (): void => {
    if (--ctl.remaining === 0) ctl.containerDone();
  };
  const spawnOne = (i: number): Promise<void> => {
    const c = task.containers[i]!;
    c.lastStatus = "RUNNING";
    task.version++;
    return ctx.driver.start(
      task,
      c,
      containerHooks(ctx, task, c, sinks[i], () => release(), finished),
    );
  };
  // dependsOn: a container starts once every dependency condition holds (re-checked on every status change).
  const waiting = new Set(task.containers.flatMap((c, i) => (c.dependsOn.length ? [i] : [])));
  const release = (): void => {
    for (const i of [...waiting]) {
      const c = task.containers[i]!;
      if (!waiting.has(i)) continue;
      const verdict = dependsOnVerdict(ctx, task, c);
      if (verdict === "wait") continue;
      waiting.delete(i);
      if (verdict === "go" && task.desiredStatus === "RUNNING") void spawnOne(i);
      else {
        c.lastStatus = "STOPPED";
        if (verdict !== "go") c.reason = verdict;
        task.version++;
        if (c.essential) ctx.requestStop(task, "EssentialContainerExited", "Essential container in task exited");
        finished();
      }
    }
  };
  ctl.cancelPending = () => {
    for (const i of [...waiting]) {
      waiting.delete(i);
      task.containers[i]!.lastStatus = "STOPPED";
      finished();
    }
  };
  const first: Array<Promise<void>> = [];
  task.containers.forEach((c, i) => {
    if (!waiting.has(i) && c.lastStatus === "PENDING") first.push(spawnOne(i));
  });
  await Promise.all(first);
  return true;
}

/** Driver callbacks for one container: status, exit code and reason bookkeeping. */
export function containerHooks(
  ctx: StartContext,
  task: TaskRecord,
  c: ContainerRecord,
  sink: LineSink | undefined,
  changed: () => void,
  finished: () => void,
): StartHooks {
  let done = false;
  let running = false;
  return {
    sink,
    created: (runtimeId) => {
      c.runtimeId = runtimeId;
    },
    started: (runtimeId) => {
      running = true;
      ctx.began.add(c);
      c.runtimeId = runtimeId;
      task.version++;
      changed();
    },
    health: (status) => {
      if (c.healthStatus === status) return;
      c.healthStatus = status;
      task.version++;
      changed();
    },
    exited: (code, reason) => {
      // Killed by close(): the task stays as it was so that a restart can tell (resume.ts).
      if (done || ctx.isClosed()) return;
      done = true;
      c.lastStatus = "STOPPED";
      c.exitCode = c.forcedExit?.code ?? code;
      if (c.forcedExit?.reason) c.reason = c.forcedExit.reason;
      else if (reason) c.reason = reason;
      task.version++;
      if (c.essential)
        ctx.requestStop(
          task,
          running ? "EssentialContainerExited" : "TaskFailedToStart",
          !running && reason ? reason : "Essential container in task exited",
        );
      changed();
      finished();
    },
  };
}
