// Containers as real images through the Docker Engine API (Docker, or Podman's Docker-compatible service).
// One task = its containers (+ a pause container holding the network namespace when there are several), all
// labelled with cluster, task ARN and container name; removed when the task expires.
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import type { ContainerRecord, TaskRecord } from "../ecs/model.ts";
import type { LocalEcsSettings } from "../settings.ts";
import { dockerClient, engineMessage, retry, statusOf } from "./docker-client.ts";
import { waitForExit } from "./docker-exit.ts";
import { LABEL } from "./docker-labels.ts";
import type { ContainerDriver, PrepareFailure, StartHooks } from "./driver.ts";
import { startHealthChecks } from "./docker-health.ts";
import { LineSplitter } from "./process.ts";
import { OOM_REASON } from "./process-driver.ts";

/** Longest wait, after a container exited, for its attach stream to deliver the last log lines and end. */
const LOG_DRAIN_MS = 10_000;

/** At most `n` callers inside at once; the rest wait in FIFO order. */
class Gate {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private readonly n: number;
  constructor(n: number) {
    this.n = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export class DockerDriver implements ContainerDriver {
  readonly kind = "docker";
  readonly healthChecks = true;
  /** Short calls (create, start, inspect, kill, remove): bounded by docker.apiTimeoutSeconds. */
  readonly api: Docker;
  /** Long-lived calls (attach, wait, logs, pull): bounded by their own deadlines. */
  private readonly streams: Docker;
  private readonly settings: LocalEcsSettings;
  private readonly dataDir: string;
  private readonly pauses = new Map<string, string>();
  private readonly live = new Map<string, () => void>();
  /** Containers this driver sent SIGKILL (StopTask after stopTimeout, injected faults): their 137 is not an OOM. */
  private readonly killed = new Set<string>();
  private closed = false;
  /** Engines (Podman especially) slow down and time out under many parallel creates: a few at a time. */
  private readonly gate: Gate;
  /** Container starts under way; close() lets them settle so a restarted endpoint sees a quiet engine. */
  private readonly inflight = new Set<Promise<void>>();
  /** Ends every long-lived request (attach, wait, logs) on close. */
  private readonly abort = new AbortController();

  constructor(settings: LocalEcsSettings, dataDir: string) {
    this.settings = settings;
    this.dataDir = dataDir;
    this.api = dockerClient(settings.docker.host, settings.docker.apiTimeoutSeconds * 1000);
    this.streams = dockerClient(settings.docker.host);
    this.gate = new Gate(settings.docker.maxParallelStarts);
  }

  labels(task: TaskRecord, name: string): Record<string, string> {
    return { [LABEL.cluster]: task.cluster.name, [LABEL.taskArn]: task.arn, [LABEL.container]: name, [LABEL.dataDir]: this.dataDir };
  }

  /** The image is present locally, or pulled now (bounded by docker.pullTimeoutSeconds). */
  private async ensureImage(ref: string): Promise<string | undefined> {
    try {
      await retry(() => this.api.getImage(ref).inspect());
      return undefined;
    } catch (e) {
      if (statusOf(e) !== 404) return `CannotPullContainerError: ${engineMessage(e)}`;
    }
    const signal = AbortSignal.timeout(this.settings.docker.pullTimeoutSeconds * 1000);
    try {
      const stream = (await this.streams.pull(ref, { abortSignal: signal })) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        this.streams.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
      await this.api.getImage(ref).inspect();
      return undefined;
    } catch (e) {
      const msg = signal.aborted ? `pull image manifest timed out after ${this.settings.docker.pullTimeoutSeconds}s` : engineMessage(e);
      return `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${ref}: ${msg}`;
    }
  }

  async prepare(task: TaskRecord): Promise<PrepareFailure | undefined> {
    const multi = task.containers.length > 1;
    const images = new Map<string, ContainerRecord | undefined>(task.containers.map((c) => [c.image, c]));
    if (multi && !images.has(this.settings.docker.pauseImage)) images.set(this.settings.docker.pauseImage, undefined);
    const results = await Promise.all([...images].map(async ([ref, c]) => ({ c, reason: await this.ensureImage(ref) })));
    const bad = results.find((r) => r.reason) ?? undefined;
    if (bad?.reason) return { container: bad.c ?? task.containers.find((c) => c.essential), reason: bad.reason };
    if (!multi) return undefined;
    try {
      const pause = await this.gate.run(() =>
        retry(() =>
          this.api.createContainer({
            name: `heimdall-ecs-${task.id}-pause`,
            Image: this.settings.docker.pauseImage,
            ...(this.settings.docker.pauseCommand ? { Entrypoint: this.settings.docker.pauseCommand, Cmd: [] } : {}),
            Labels: this.labels(task, "~internal~ecs~pause"),
            HostConfig: { Init: false },
          }),
        ).then(async (p) => (await retry(() => p.start()), p)),
      );
      this.pauses.set(task.id, pause.id);
      return undefined;
    } catch (e) {
      return {
        container: task.containers.find((c) => c.essential),
        reason: `ResourceInitializationError: failed to set up the task network: ${engineMessage(e)}`,
      };
    }
  }

  private createOptions(task: TaskRecord, c: ContainerRecord): Docker.ContainerCreateOptions {
    const spec = c.spec ?? {};
    const taskMem = task.memory !== undefined ? Number(task.memory) : undefined;
    const memory = c.memory ?? taskMem;
    const taskCpu = task.cpu !== undefined ? Number(task.cpu) : undefined;
    const pause = this.pauses.get(task.id);
    return {
      name: `heimdall-ecs-${task.id}-${c.name}`,
      Image: c.image,
      ...(spec.entryPoint ? { Entrypoint: spec.entryPoint } : {}),
      ...(spec.command ? { Cmd: spec.command } : {}),
      ...(spec.workingDirectory ? { WorkingDir: spec.workingDirectory } : {}),
      ...(spec.user ? { User: spec.user } : {}),
      Env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
      Labels: this.labels(task, c.name),
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      StopTimeout: c.stopTimeoutSeconds,
      HostConfig: {
        ...(pause ? { NetworkMode: `container:${pause}` } : {}),
        ...(memory !== undefined && Number.isFinite(memory) ? { Memory: memory * 1_048_576 } : {}),
        ...(c.memoryReservation !== undefined ? { MemoryReservation: c.memoryReservation * 1_048_576 } : {}),
        ...(c.cpu > 0 ? { CpuShares: Math.max(2, c.cpu) } : {}),
        ...(taskCpu !== undefined && Number.isFinite(taskCpu) ? { NanoCpus: Math.round((taskCpu / 1024) * 1e9) } : {}),
      },
    };
  }

  start(task: TaskRecord, c: ContainerRecord, hooks: StartHooks): Promise<void> {
    const p = this.gate.run(() => this.startNow(task, c, hooks));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  private async startNow(task: TaskRecord, c: ContainerRecord, hooks: StartHooks): Promise<void> {
    if (this.closed) return;
    let container: Docker.Container;
    const opts = this.createOptions(task, c);
    try {
      container = await retry(() => this.api.createContainer(opts)).catch(async (e: unknown) => {
        if (statusOf(e) !== 409) throw e;
        // A leftover of this very task (a start interrupted by a restart): the name is ours, replace it.
        await this.api.getContainer(opts.name!).remove({ force: true });
        return retry(() => this.api.createContainer(opts));
      });
    } catch (e) {
      return hooks.exited(128, `CannotCreateContainerError: ${engineMessage(e)}`);
    }
    if (this.closed) return void (await container.remove({ force: true }).catch(() => undefined));
    hooks.created?.(container.id);
    let drained: Promise<void> = Promise.resolve();
    try {
      if (hooks.sink) {
        const stream = (await this.streams.getContainer(container.id).attach({
          stream: true,
          stdout: true,
          stderr: true,
          abortSignal: this.abort.signal,
        } as Docker.ContainerAttachOptions)) as NodeJS.ReadableStream;
        drained = this.pipeLogs(stream, hooks);
      }
      await retry(() => container.start());
    } catch (e) {
      return hooks.exited(128, `CannotStartContainerError: ${engineMessage(e)}`);
    }
    hooks.started(container.id);
    this.watch(task, c, container, hooks, drained);
  }

  /** Demultiplex stdout/stderr into awslogs lines; resolves when the stream ends. */
  private pipeLogs(stream: NodeJS.ReadableStream, hooks: StartHooks, after?: number): Promise<void> {
    const raw = hooks.sink!;
    // Resumed streams ask for timestamps: each line starts with RFC 3339 time; lines already stored are skipped.
    const sink =
      after === undefined
        ? raw
        : (lines: string[]): void => {
            const keep: string[] = [];
            let ts = Date.now();
            for (const l of lines) {
              const sp = l.indexOf(" ");
              const t = Date.parse(l.slice(0, sp));
              if (Number.isFinite(t) && t <= after) continue;
              if (Number.isFinite(t)) ts = t;
              keep.push(sp >= 0 ? l.slice(sp + 1) : l);
            }
            if (keep.length) raw(keep, ts);
          };
    const out = new LineSplitter(sink);
    const err = new LineSplitter(sink);
    const o = new PassThrough();
    const e = new PassThrough();
    o.on("data", (b: Buffer) => out.write(b));
    e.on("data", (b: Buffer) => err.write(b));
    this.streams.modem.demuxStream(stream, o, e);
    return new Promise((resolve) => {
      const end = (): void => {
        out.end();
        err.end();
        resolve();
      };
      stream.on("end", end);
      stream.on("close", end);
      stream.on("error", end);
    });
  }

  /** Wait for the container's exit, then report its code (OOM kills get the Fargate reason). */
  private watch(task: TaskRecord, c: ContainerRecord, container: Docker.Container, hooks: StartHooks, drained: Promise<void>): void {
    const stopHealth = c.spec?.healthCheck ? startHealthChecks(this.streams, container.id, c.spec.healthCheck, hooks.health) : () => {};
    this.live.set(container.id, stopHealth);
    void (async () => {
      let code = 137;
      let reason: string | undefined;
      const exit = await waitForExit(this.streams, this.api, container.id, this.abort.signal, () => this.closed);
      if (exit.kind === "closed") return;
      if (exit.kind === "exited") code = exit.code;
      stopHealth();
      try {
        const info = await retry(() => container.inspect());
        code = info.State.ExitCode;
        // Podman on cgroup v1 does not report OOMKilled: a SIGKILL nobody here sent to a memory-limited
        // container is the kernel's OOM killer.
        const limited = (info.HostConfig.Memory ?? 0) > 0;
        if (info.State.OOMKilled || (code === 137 && limited && !this.killed.has(container.id))) reason = OOM_REASON;
      } catch {
        /* removed meanwhile */
      }
      // The attach stream ends when the container exits; a loaded engine may deliver its last lines late.
      await Promise.race([drained, new Promise((r) => setTimeout(r, LOG_DRAIN_MS).unref())]);
      this.live.delete(container.id);
      this.killed.delete(container.id);
      if (!this.closed) hooks.exited(code, reason);
    })();
  }

  /** Re-attach to a container of a task found after a restart (by label); false when it is gone. */
  async reattach(task: TaskRecord, c: ContainerRecord, hooks: StartHooks): Promise<boolean> {
    const found = await retry(() =>
      this.api.listContainers({ all: true, filters: { label: [`${LABEL.taskArn}=${task.arn}`, `${LABEL.container}=${c.name}`] } }),
    );
    const info = found[0];
    if (!info) return false;
    const container = this.api.getContainer(info.Id);
    let drained: Promise<void> = Promise.resolve();
    if (info.State === "created" || info.State === "initialized" || info.State === "configured") {
      // Interrupted between create and start: start it now, as the old endpoint would have.
      if (hooks.sink) {
        const stream = (await this.streams.getContainer(info.Id).attach({
          stream: true,
          stdout: true,
          stderr: true,
          abortSignal: this.abort.signal,
        } as Docker.ContainerAttachOptions)) as NodeJS.ReadableStream;
        drained = this.pipeLogs(stream, hooks);
      }
      await retry(() => container.start());
      hooks.started(info.Id);
      this.watch(task, c, container, hooks, drained);
      return true;
    }
    hooks.started(info.Id);
    // Also for a container that exited while the endpoint was down: its output since the last stored line.
    if (hooks.sink) {
      const after = hooks.resumeAfter ?? 0;
      try {
        const stream = (await this.streams.getContainer(info.Id).logs({
          follow: true,
          stdout: true,
          stderr: true,
          timestamps: true,
          since: Math.floor(after / 1000),
          abortSignal: this.abort.signal,
        } as Docker.ContainerLogsOptions & { follow: true })) as NodeJS.ReadableStream;
        drained = this.pipeLogs(stream, hooks, after);
      } catch {
        /* no output to resume; the lifecycle still is */
      }
    }
    const pause = (
      await retry(() =>
        this.api.listContainers({
          all: true,
          filters: { label: [`${LABEL.taskArn}=${task.arn}`, `${LABEL.container}=~internal~ecs~pause`] },
        }),
      )
    )[0];
    if (pause) this.pauses.set(task.id, pause.Id);
    this.watch(task, c, container, hooks, drained);
    return true;
  }

  signal(_task: TaskRecord, c: ContainerRecord, signal: "SIGTERM" | "SIGKILL"): void {
    if (!c.runtimeId) return;
    if (signal === "SIGKILL") this.killed.add(c.runtimeId);
    void retry(() => this.api.getContainer(c.runtimeId!).kill({ signal })).catch(() => undefined);
  }

  async finished(task: TaskRecord): Promise<void> {
    const pause = this.pauses.get(task.id);
    this.pauses.delete(task.id);
    if (pause) await retry(() => this.api.getContainer(pause).kill({ signal: "SIGKILL" })).catch(() => undefined);
  }

  /** Remove every container labelled with this task (force: also a pause container still running). */
  async expire(task: TaskRecord): Promise<void> {
    const found = await retry(() => this.api.listContainers({ all: true, filters: { label: [`${LABEL.taskArn}=${task.arn}`] } }));
    await Promise.all(found.map((f) => retry(() => this.api.getContainer(f.Id).remove({ force: true })).catch(() => undefined)));
  }

  /** Containers of this data dir still known to the engine (for adoption after a restart). */
  async labelled(): Promise<Docker.ContainerInfo[]> {
    return retry(() => this.api.listContainers({ all: true, filters: { label: [`${LABEL.dataDir}=${this.dataDir}`] } }));
  }

  /** The address containers use to reach the host (docker.hostAddress, else the default network's gateway). */
  async hostAddress(): Promise<string> {
    if (this.settings.docker.hostAddress) return this.settings.docker.hostAddress;
    for (const name of ["bridge", "podman"]) {
      try {
        const net = (await retry(() => this.api.getNetwork(name).inspect())) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
        const gw = net.IPAM?.Config?.find((x) => x.Gateway)?.Gateway;
        if (gw) return gw;
      } catch {
        /* next */
      }
    }
    return "host.docker.internal";
  }

  /** One `docker stats` sample of a container (the v4 metadata /stats document), undefined when not running. */
  async stats(c: ContainerRecord): Promise<unknown> {
    if (!c.runtimeId || c.lastStatus !== "RUNNING") return undefined;
    return this.api.getContainer(c.runtimeId).stats({ stream: false });
  }

  running(): number {
    return this.live.size;
  }

  /** Stop watching (running containers keep running, for adoption by the next start); waits for starts under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    const deadline = new Promise((r) => setTimeout(r, this.settings.docker.apiTimeoutSeconds * 1000).unref());
    await Promise.race([Promise.allSettled([...this.inflight]), deadline]);
    for (const stop of this.live.values()) stop();
    this.live.clear();
  }

  /** Remove every container of this data dir (a temp data dir cannot be resumed). */
  async removeAll(): Promise<void> {
    const all = await this.labelled().catch(() => []);
    await Promise.all(all.map((f) => retry(() => this.api.getContainer(f.Id).remove({ force: true })).catch(() => undefined)));
  }
}
