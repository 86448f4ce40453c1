// Containers as host processes: the command from the definition (or the `images` map) runs in a per-task
// working directory with exactly the container's environment; memory is polled from /proc when enforced.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerRecord, TaskRecord } from "../ecs/model.ts";
import type { LocalEcsSettings } from "../settings.ts";
import type { ContainerDriver, PrepareFailure, StartHooks } from "./driver.ts";
import { groupRssMiB, killGroup, resolveExecutable, rssMiB, spawnContainer } from "./process.ts";

export const OOM_REASON = "OutOfMemoryError: Container killed due to memory usage";

export class ProcessDriver implements ContainerDriver {
  readonly kind = "process";
  readonly healthChecks = false;
  private readonly settings: LocalEcsSettings;
  private readonly dir: string;
  private readonly resolved = new WeakMap<ContainerRecord, string[]>();
  private readonly live = new Set<{ task: TaskRecord; c: ContainerRecord }>();
  private memTimer: NodeJS.Timeout | undefined;

  constructor(settings: LocalEcsSettings, dir: string) {
    this.settings = settings;
    this.dir = dir;
    if (settings.memory.enforce) {
      this.memTimer = setInterval(() => this.checkMemory(), settings.memory.pollMs);
      this.memTimer.unref();
    }
  }

  async prepare(task: TaskRecord): Promise<PrepareFailure | undefined> {
    // Working directories are made off the event loop (fs/promises); spawning itself is synchronous.
    await Promise.all(task.containers.map((c) => mkdir((c.workDir = join(this.dir, task.id, c.name)), { recursive: true })));
    for (const c of task.containers) {
      if (!c.argv) return { container: c, reason: "CannotStartContainerError: Error response from daemon: No command specified" };
      c.env.HOME ??= c.workDir!;
      const exe = resolveExecutable(c.argv[0]!, c.workDir!, c.env.PATH);
      if (!exe)
        return {
          container: c,
          reason: `CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: exec: "${c.argv[0]}": executable file not found in $PATH: unknown`,
        };
      this.resolved.set(c, [exe, ...c.argv.slice(1)]);
    }
    return undefined;
  }

  start(task: TaskRecord, c: ContainerRecord, hooks: StartHooks): Promise<void> {
    const entry = { task, c };
    c.proc = spawnContainer(this.resolved.get(c)!, c.workDir!, c.env, hooks.sink, (code, err) => {
      this.live.delete(entry);
      c.proc = undefined;
      hooks.exited(code, err ? `CannotStartContainerError: ${err.message}` : undefined);
    });
    this.live.add(entry);
    hooks.started(`${task.id}-${c.proc.pid ?? 0}`);
    return Promise.resolve();
  }

  signal(_task: TaskRecord, c: ContainerRecord, signal: "SIGTERM" | "SIGKILL"): void {
    killGroup(c.proc, signal);
  }

  finished(): Promise<void> {
    return Promise.resolve();
  }

  async expire(task: TaskRecord): Promise<void> {
    await rm(join(this.dir, task.id), { recursive: true, force: true }).catch(() => undefined);
  }

  /** A container's memory is its whole process group (children included), like a cgroup. */
  private checkMemory(): void {
    if (this.live.size === 0) return;
    const groups = groupRssMiB();
    for (const { task, c } of this.live) {
      const limit = c.memory ?? (task.memory !== undefined ? Number(task.memory) : undefined);
      const pid = c.proc?.pid;
      if (limit === undefined || pid === undefined || c.forcedExit) continue;
      const rss = groups.get(pid) ?? rssMiB(pid);
      if (rss !== undefined && rss > limit) {
        c.forcedExit = { code: 137, reason: OOM_REASON };
        killGroup(c.proc, "SIGKILL");
      }
    }
  }

  running(): number {
    return this.live.size;
  }

  close(): Promise<void> {
    if (this.memTimer) clearInterval(this.memTimer);
    for (const { c } of this.live) killGroup(c.proc, "SIGKILL");
    return Promise.resolve();
  }
}
