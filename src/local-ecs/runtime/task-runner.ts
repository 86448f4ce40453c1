// Task lifecycle: PROVISIONING → PENDING → [ACTIVATING] → RUNNING → [DEACTIVATING] → STOPPING → DEPROVISIONING
// → STOPPED, with configurable dwell per phase. What runs a container is a ContainerDriver (driver.ts):
// host processes (process-driver.ts) or Docker/Podman (docker-driver.ts); starting a task's containers is in
// container-start.ts.
import type { ContainerRecord, EcsState, TaskRecord, TaskStatus } from "../ecs/model.ts";
import type { TaskRuntime } from "../ecs/tasks.ts";
import type { LogStore } from "../logs/store.ts";
import { spotWarningMs } from "../settings.ts";
import { SPOT_REASON, interruptTask } from "../spot.ts";
import type { LocalEcsSettings } from "../settings.ts";
import { type Control, type StartContext, type TaskDecorator, containerHooks, startContainers } from "./container-start.ts";
import type { ContainerDriver, StartHooks } from "./driver.ts";
import type { LineSink } from "./process.ts";

export type { TaskDecorator } from "./container-start.ts";

export class TaskRunner implements TaskRuntime {
  private readonly settings: LocalEcsSettings;
  private readonly state: EcsState;
  private readonly logs: LogStore;
  readonly driver: ContainerDriver;
  private readonly controls = new WeakMap<TaskRecord, Control>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly starting: StartContext;
  private closed = false;
  /** Called whenever a task leaves the store (expired or vanished). */
  onExpire: (task: TaskRecord) => void = () => {};

  constructor(settings: LocalEcsSettings, state: EcsState, logs: LogStore, driver: ContainerDriver, decorate?: TaskDecorator) {
    this.settings = settings;
    this.state = state;
    this.logs = logs;
    this.driver = driver;
    this.starting = {
      settings,
      logs,
      driver,
      decorate,
      began: new WeakSet<ContainerRecord>(),
      isClosed: () => this.closed,
      requestStop: (task, stopCode, reason) => this.requestStop(task, stopCode, reason),
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (ms <= 0) return void setImmediate(resolve);
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private set(task: TaskRecord, status: TaskStatus): void {
    task.lastStatus = status;
    task.version++;
  }

  private control(task: TaskRecord): Control {
    let signalStop!: () => void;
    const stopRequested = new Promise<void>((r) => (signalStop = r));
    let containerDone!: () => void;
    const ctl: Control = {
      stopRequested,
      signalStop,
      exited: Promise.resolve(),
      containerDone: () => {},
      remaining: 0,
      cancelPending: () => {},
    };
    ctl.exited = new Promise<void>((r) => (containerDone = r));
    ctl.containerDone = containerDone;
    this.controls.set(task, ctl);
    if (task.desiredStatus === "STOPPED") signalStop();
    return ctl;
  }

  launch(task: TaskRecord): void {
    const ctl = this.control(task);
    void this.run(task, ctl).catch((e: unknown) => {
      this.requestStop(task, "TaskFailedToStart", `InternalError: ${(e as Error).message}`);
    });
  }

  requestStop(task: TaskRecord, stopCode: string, reason: string): void {
    // Already stopping: a new cause (an essential container exited during a Spot warning) ends the wait now.
    if (task.desiredStatus === "STOPPED") return this.controls.get(task)?.signalStop();
    task.desiredStatus = "STOPPED";
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = Date.now();
    task.version++;
    this.controls.get(task)?.signalStop();
  }

  private async run(task: TaskRecord, ctl: Control): Promise<void> {
    const p = this.settings.pacing;
    await this.sleep(p.provisioning);
    if (this.closed || !this.state.tasks.has(task.id)) return;
    if (task.desiredStatus === "RUNNING") {
      this.set(task, "PENDING");
      task.pullStartedAt = Date.now();
      await this.sleep(p.pending);
    }
    if (this.closed) return;
    let started = false;
    if (task.desiredStatus === "RUNNING") started = await startContainers(this.starting, task, ctl);
    task.pullStoppedAt ??= Date.now();
    if (this.closed) return;
    if (started) {
      if (p.activating > 0) {
        this.set(task, "ACTIVATING");
        await this.sleep(p.activating);
      }
      if (this.closed) return;
      this.set(task, "RUNNING");
      task.startedAt = Date.now();
      task.connectivityAt = task.startedAt;
      this.scheduleFaults(task, ctl);
    }
    await this.finish(task, ctl, started);
  }

  /** From RUNNING to STOPPED: wait for the stop request, stop the containers, deprovision, expire later. */
  private async finish(task: TaskRecord, ctl: Control, started: boolean): Promise<void> {
    const p = this.settings.pacing;
    if (started) {
      await ctl.stopRequested;
      if (this.closed) return;
      if (p.deactivating > 0) {
        this.set(task, "DEACTIVATING");
        await this.sleep(p.deactivating);
      }
    }
    this.set(task, "STOPPING");
    if (started) {
      ctl.cancelPending();
      for (const c of task.containers) {
        if (c.lastStatus !== "RUNNING") continue;
        this.driver.signal(task, c, "SIGTERM");
        const id = c.runtimeId;
        this.later(c.stopTimeoutSeconds * 1000, () => {
          if (c.lastStatus === "RUNNING" && c.runtimeId === id) this.driver.signal(task, c, "SIGKILL");
        });
      }
      await ctl.exited;
    }
    if (this.closed) return;
    for (const c of task.containers) c.lastStatus = "STOPPED";
    task.executionStoppedAt = Date.now();
    await this.driver.finished(task).catch(() => undefined);
    if (this.closed) return;
    this.set(task, "DEPROVISIONING");
    await this.sleep(p.deprovisioning);
    this.set(task, "STOPPED");
    task.stoppedAt = Date.now();
    this.scheduleExpiry(task);
  }

  scheduleExpiry(task: TaskRecord): void {
    const at = (task.stoppedAt ?? Date.now()) + this.settings.stoppedRetentionMs;
    this.later(Math.max(0, at - Date.now()), () => this.expire(task));
  }

  /**
   * Takes over a task found running after a restart (docker runtime): `reattach` reconnects each container that
   * still runs; the task then continues its lifecycle from RUNNING.
   */
  adopt(task: TaskRecord, reattach: (c: ContainerRecord, hooks: StartHooks) => Promise<boolean>): void {
    const ctl = this.control(task);
    const sinkFor = (c: ContainerRecord): { sink: LineSink | undefined; after: number | undefined } => {
      if (!c.log) return { sink: undefined, after: undefined };
      try {
        const stream = this.logs.ensureStream(c.log.group, c.log.stream, true);
        const sink: LineSink = (lines, ts) =>
          stream.append(
            lines.map((message) => ({ timestamp: ts, message })),
            ts,
          );
        return { sink, after: stream.lastEventTimestamp ?? 0 };
      } catch {
        return { sink: undefined, after: undefined };
      }
    };
    void (async () => {
      const alive = task.containers.filter((c) => c.lastStatus === "RUNNING");
      ctl.remaining = alive.length;
      const finished = (): void => {
        if (--ctl.remaining === 0) ctl.containerDone();
      };
      if (alive.length === 0) ctl.containerDone();
      for (const c of alive) {
        const { sink, after } = sinkFor(c);
        const hooks = containerHooks(this.starting, task, c, sink, () => {}, finished);
        if (after !== undefined) hooks.resumeAfter = after;
        const ok = await reattach(c, hooks).catch(() => false);
        if (!ok) {
          c.lastStatus = "STOPPED";
          c.reason ??= "local ECS restarted: container gone";
          finished();
        }
      }
      if (task.lastStatus !== "RUNNING" && task.desiredStatus === "RUNNING") this.set(task, "RUNNING");
      if (!task.containers.some((c) => c.essential && c.lastStatus === "RUNNING"))
        this.requestStop(task, "EssentialContainerExited", "Essential container in task exited");
      await this.finish(task, ctl, true);
    })().catch((e: unknown) => this.requestStop(task, "TaskFailedToStart", `InternalError: ${(e as Error).message}`));
  }

  private scheduleFaults(task: TaskRecord, ctl: Control): void {
    for (const f of task.pendingFaults) {
      if (f.kind === "spotInterruption")
        this.later(f.afterMs, () =>
          interruptTask(task, f.reason ?? SPOT_REASON, spotWarningMs(this.settings), {
            term: (c) => this.driver.signal(task, c, "SIGTERM"),
            later: (ms, fn) => this.later(ms, fn),
            stop: () => this.controls.get(task)?.signalStop(),
          }),
        );
      else if (f.kind === "exit")
        this.later(f.afterMs, () => {
          for (const c of task.containers)
            if (c.essential && c.lastStatus === "RUNNING") {
              c.forcedExit = { code: f.exitCode, ...(f.reason ? { reason: f.reason } : {}) };
              this.driver.signal(task, c, "SIGKILL");
            }
        });
      else if (f.kind === "vanish")
        this.later(f.afterMs, () => {
          for (const c of task.containers) if (c.lastStatus === "RUNNING") this.driver.signal(task, c, "SIGKILL");
          this.expire(task);
          ctl.signalStop();
        });
    }
  }

  private expire(task: TaskRecord): void {
    if (this.state.tasks.get(task.id) === task) {
      this.state.tasks.delete(task.id);
      this.onExpire(task);
    }
    void this.driver.expire(task).catch(() => undefined);
  }

  /** Cancel all timers and let the driver kill (process) or let go of (docker) the containers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.driver.close();
  }

  runningProcesses(): number {
    return this.driver.running();
  }
}
