// Task lifecycle: PROVISIONING → PENDING → [ACTIVATING] → RUNNING → [DEACTIVATING] → STOPPING → DEPROVISIONING
// → STOPPED, with configurable dwell per phase; containers run as host processes (see process.ts).
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerRecord, EcsState, TaskRecord, TaskStatus } from "../ecs/model.ts";
import type { TaskRuntime } from "../ecs/tasks.ts";
import type { LogStore } from "../logs/store.ts";
import type { LocalEcsSettings } from "../settings.ts";
import { type LineSink, killGroup, resolveExecutable, rssMiB, spawnContainer } from "./process.ts";

interface Control {
  stopRequested: Promise<void>;
  signalStop: () => void;
  exited: Promise<void>;
  containerDone: () => void;
  remaining: number;
  /** Gives up containers still waiting for their dependsOn conditions. */
  cancelPending: () => void;
}

export class TaskRunner implements TaskRuntime {
  private readonly settings: LocalEcsSettings;
  private readonly state: EcsState;
  private readonly logs: LogStore;
  private readonly dir: string;
  private readonly controls = new WeakMap<TaskRecord, Control>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<{ task: TaskRecord; c: ContainerRecord }>();
  private closed = false;
  private memTimer: NodeJS.Timeout | undefined;

  constructor(settings: LocalEcsSettings, state: EcsState, logs: LogStore, dir: string) {
    this.settings = settings;
    this.state = state;
    this.logs = logs;
    this.dir = dir;
    if (settings.memory.enforce) {
      this.memTimer = setInterval(() => this.checkMemory(), settings.memory.pollMs);
      this.memTimer.unref();
    }
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

  launch(task: TaskRecord): void {
    let signalStop!: () => void;
    const stopRequested = new Promise<void>((r) => (signalStop = r));
    let containerDone!: () => void;
    const ctl: Control = { stopRequested, signalStop, exited: Promise.resolve(), containerDone: () => {}, remaining: 0, cancelPending: () => {} };
    ctl.exited = new Promise<void>((r) => (containerDone = r));
    ctl.containerDone = containerDone;
    this.controls.set(task, ctl);
    void this.run(task, ctl).catch((e: unknown) => {
      this.requestStop(task, "TaskFailedToStart", `InternalError: ${(e as Error).message}`);
    });
  }

  requestStop(task: TaskRecord, stopCode: string, reason: string): void {
    if (task.desiredStatus === "STOPPED") return;
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
      task.pullStoppedAt = Date.now();
    }
    if (this.closed) return;
    let started = false;
    if (task.desiredStatus === "RUNNING") {
      // Working directories are made off the event loop (fs/promises); spawning itself is synchronous.
      await Promise.all(task.containers.map((c) => mkdir((c.workDir = join(this.dir, task.id, c.name)), { recursive: true })));
      if (this.closed) return;
      if (task.desiredStatus === "RUNNING") started = this.startContainers(task, ctl);
    }
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
        killGroup(c.proc, "SIGTERM");
        const proc = c.proc;
        this.later(c.stopTimeoutSeconds * 1000, () => {
          if (c.lastStatus === "RUNNING" && c.proc === proc) killGroup(proc, "SIGKILL");
        });
      }
      await ctl.exited;
    }
    for (const c of task.containers) c.lastStatus = "STOPPED";
    task.executionStoppedAt = Date.now();
    if (this.closed) return;
    this.set(task, "DEPROVISIONING");
    await this.sleep(p.deprovisioning);
    this.set(task, "STOPPED");
    task.stoppedAt = Date.now();
    this.later(this.settings.stoppedRetentionMs, () => this.expire(task));
  }

  /** Returns false (and stops the task with TaskFailedToStart) when any container cannot start. */
  private startContainers(task: TaskRecord, ctl: Control): boolean {
    const fail = (c: ContainerRecord | undefined, reason: string): false => {
      if (c) c.reason = reason;
      this.requestStop(task, "TaskFailedToStart", reason);
      return false;
    };
    const injected = task.pendingFaults.find((f) => f.kind === "failToStart");
    if (injected) {
      const ess = task.containers.find((c) => c.essential);
      return fail(ess, injected.reason ?? `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${ess?.image}: not found`);
    }
    const resolved: string[][] = [];
    for (const c of task.containers) {
      if (!c.argv) return fail(c, "CannotStartContainerError: Error response from daemon: No command specified");
      c.env.HOME ??= c.workDir!;
      const exe = resolveExecutable(c.argv[0]!, c.workDir!, c.env.PATH);
      if (!exe)
        return fail(
          c,
          `CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: exec: "${c.argv[0]}": executable file not found in $PATH: unknown`,
        );
      resolved.push([exe, ...c.argv.slice(1)]);
    }
    const sinks: Array<LineSink | undefined> = [];
    for (const c of task.containers) {
      if (!c.log) {
        sinks.push(undefined);
        continue;
      }
      try {
        const stream = this.logs.ensureStream(c.log.group, c.log.stream, c.log.createGroup || this.settings.logs.autoCreateGroups);
        sinks.push((lines: string[], ts: number) => stream.append(lines.map((message) => ({ timestamp: ts, message })), ts));
      } catch (e) {
        return fail(
          c,
          `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: ${(e as Error).message} : exit status 1`,
        );
      }
    }
    ctl.remaining = task.containers.length;
    const finished = (): void => {
      if (--ctl.remaining === 0) ctl.containerDone();
    };
    const spawnOne = (i: number): void => {
      const c = task.containers[i]!;
      const entry = { task, c };
      c.lastStatus = "RUNNING";
      task.version++;
      c.proc = spawnContainer(resolved[i]!, c.workDir!, c.env, sinks[i], (code, err) => {
        this.running.delete(entry);
        c.proc = undefined;
        c.lastStatus = "STOPPED";
        c.exitCode = c.forcedExit?.code ?? code;
        if (c.forcedExit?.reason) c.reason = c.forcedExit.reason;
        else if (err) c.reason = `CannotStartContainerError: ${err.message}`;
        task.version++;
        if (c.essential) this.requestStop(task, "EssentialContainerExited", "Essential container in task exited");
        release();
        finished();
      });
      c.runtimeId = `${task.id}-${c.proc.pid ?? 0}`;
      this.running.add(entry);
      release();
    };
    // dependsOn: a container starts once every dependency condition holds (HEALTHY counts as START: no health checks).
    const waiting = new Set(task.containers.flatMap((c, i) => (c.dependsOn.length ? [i] : [])));
    const release = (): void => {
      for (const i of [...waiting]) {
        const c = task.containers[i]!;
        if (!waiting.has(i)) continue;
        let verdict: "go" | "wait" | string = "go";
        for (const d of c.dependsOn) {
          const dep = task.containers.find((x) => x.name === d.containerName);
          if (!dep) continue;
          const started = dep.runtimeId !== undefined;
          const exited = started && dep.lastStatus === "STOPPED";
          if (!started && dep.lastStatus === "STOPPED") {
            verdict = `DependencyConditionFailed: container ${dep.name} never started`;
            break;
          }
          if (d.condition === "START" || d.condition === "HEALTHY") {
            if (!started) verdict = "wait";
          } else if (!exited) verdict = "wait";
          else if (d.condition === "SUCCESS" && dep.exitCode !== 0) {
            verdict = `DependencyConditionFailed: container ${dep.name} exited with ${dep.exitCode}`;
            break;
          }
        }
        if (verdict === "wait") continue;
        waiting.delete(i);
        if (verdict === "go" && task.desiredStatus === "RUNNING") spawnOne(i);
        else {
          c.lastStatus = "STOPPED";
          if (verdict !== "go") c.reason = verdict;
          task.version++;
          if (c.essential) this.requestStop(task, "EssentialContainerExited", "Essential container in task exited");
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
    task.containers.forEach((c, i) => {
      if (!waiting.has(i) && c.lastStatus === "PENDING") spawnOne(i);
    });
    return true;
  }

  private scheduleFaults(task: TaskRecord, ctl: Control): void {
    for (const f of task.pendingFaults) {
      if (f.kind === "spotInterruption")
        this.later(f.afterMs, () => this.requestStop(task, "SpotInterruption", f.reason ?? "Your Spot Task was interrupted."));
      else if (f.kind === "exit")
        this.later(f.afterMs, () => {
          for (const c of task.containers)
            if (c.essential && c.lastStatus === "RUNNING") {
              c.forcedExit = { code: f.exitCode, ...(f.reason ? { reason: f.reason } : {}) };
              killGroup(c.proc, "SIGKILL");
            }
        });
      else if (f.kind === "vanish")
        this.later(f.afterMs, () => {
          for (const c of task.containers) killGroup(c.proc, "SIGKILL");
          this.expire(task);
          ctl.signalStop();
        });
    }
  }

  private expire(task: TaskRecord): void {
    if (this.state.tasks.get(task.id) === task) this.state.tasks.delete(task.id);
    void rm(join(this.dir, task.id), { recursive: true, force: true }).catch(() => undefined);
  }

  private checkMemory(): void {
    for (const { task, c } of this.running) {
      const limit = c.memory ?? (task.memory !== undefined ? Number(task.memory) : undefined);
      const pid = c.proc?.pid;
      if (limit === undefined || pid === undefined || c.forcedExit) continue;
      const rss = rssMiB(pid);
      if (rss !== undefined && rss > limit) {
        c.forcedExit = { code: 137, reason: "OutOfMemoryError: Container killed due to memory usage" };
        killGroup(c.proc, "SIGKILL");
      }
    }
  }

  /** Kill every process (SIGKILL to each group) and cancel all timers. */
  close(): void {
    this.closed = true;
    if (this.memTimer) clearInterval(this.memTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const { c } of this.running) killGroup(c.proc, "SIGKILL");
  }

  runningProcesses(): number {
    return this.running.size;
  }
}
