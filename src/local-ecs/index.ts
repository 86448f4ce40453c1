// Local ECS: an ECS + CloudWatch Logs endpoint (AWS JSON 1.1) that runs task containers as local processes or,
// with `runtime: docker`, as real images through Docker/Podman.
// Public surface of src/local-ecs. Documentation: docs/local-ecs.md.
import { mkdtempSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newCluster } from "./ecs/clusters.ts";
import { type ContainerRecord, EcsState } from "./ecs/model.ts";
import type { TaskDeps } from "./ecs/tasks.ts";
import { FaultEngine, type FaultRule, parseFaultRule } from "./faults.ts";
import { LogStore } from "./logs/store.ts";
import { StatePersistence } from "./persist.ts";
import { resumeTasks } from "./resume.ts";
import { addEndpointEnv, handleMetadata, settingsCredentials } from "./metadata.ts";
import type { DockerDriver } from "./runtime/docker-driver.ts";
import type { ContainerDriver } from "./runtime/driver.ts";
import { ProcessDriver } from "./runtime/process-driver.ts";
import { resolveTaskEnvironment } from "./runtime/secrets.ts";
import { TaskRunner } from "./runtime/task-runner.ts";
import { type Stats, createHandler } from "./server.ts";
import { type LocalEcsSettings, applySettings, defaultSettings, localEcsConfigFromYaml } from "./settings.ts";
import { Throttler } from "./throttle.ts";

export type { FaultRule } from "./faults.ts";
export type { LocalEcsSettings } from "./settings.ts";
export { SettingsError, localEcsConfigFromYaml, DEFAULT_BUCKETS } from "./settings.ts";

export interface LocalEcsOptions {
  /** Port to listen on; 0 (default) = any free port. The CLI uses 4566. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Path of a local-ecs YAML config file. */
  config?: string;
  /** Same keys as the config file, applied over it. */
  settings?: Record<string, unknown>;
}

export interface LocalEcsStats {
  calls: Record<string, number>;
  throttled: Record<string, number>;
  errors: Record<string, number>;
  tasks: number;
  runningProcesses: number;
}

export interface LocalEcs {
  /** e.g. http://127.0.0.1:4566 — use as the SDK `endpoint` / AWS_ENDPOINT_URL. */
  url: string;
  port: number;
  host: string;
  /** Where task working directories and log files live. */
  dataDir: string;
  settings: LocalEcsSettings;
  stats(): LocalEcsStats;
  resetStats(): void;
  /** Add a fault rule (same shape as POST /_local/faults); returns the stored rule with its id. */
  addFault(rule: Record<string, unknown>): FaultRule;
  clearFaults(): void;
  setThrottling(enabled: boolean): void;
  /**
   * Stops the server and flushes the state database. Process runtime: kills every task process (SIGKILL to each
   * process group). Docker runtime: running containers are left for the next start to adopt when dataDir is
   * kept, and removed when it was a temp dir.
   */
  close(): Promise<void>;
}

export async function startLocalEcs(opts: LocalEcsOptions = {}): Promise<LocalEcs> {
  let settings = opts.config ? localEcsConfigFromYaml(opts.config) : defaultSettings();
  settings = applySettings(settings, opts.settings, "settings");
  const ownDir = settings.dataDir === undefined;
  const dataDir = settings.dataDir ?? mkdtempSync(join(tmpdir(), "local-ecs-"));
  const state = new EcsState();
  for (const name of settings.clusters)
    state.clusters.set(name, newCluster({ region: settings.region, accountId: settings.accountId, now: Date.now() }, name));
  const logs = new LogStore(join(dataDir, "logs"));
  const persist = new StatePersistence(join(dataDir, "state.sqlite"));
  const loaded = persist.load(state, logs);
  logs.onChange = () => persist.markCatalog();
  // dockerode (and the gRPC/ssh2 modules it loads) only for the docker runtime: the process runtime starts lighter.
  let docker: DockerDriver | undefined;
  if (settings.runtime === "docker") docker = new (await import("./runtime/docker-driver.ts")).DockerDriver(settings, dataDir);
  const driver: ContainerDriver = docker ?? new ProcessDriver(settings, join(dataDir, "tasks"));
  // How containers reach the metadata/credentials routes: the main URL for host processes; for containers a
  // second listener on docker.metadataBind, announced at the engine network's gateway (docker.hostAddress).
  let metadataBase = "";
  const runner = new TaskRunner(settings, state, logs, driver, async (task) => {
    addEndpointEnv(task, metadataBase);
    return resolveTaskEnvironment(settings, task);
  });
  const creds = settingsCredentials(settings);
  const containerStats = docker ? (c: ContainerRecord) => docker.stats(c) : undefined;
  const metadata = (req: Parameters<typeof handleMetadata>[2], res: Parameters<typeof handleMetadata>[3]): boolean =>
    handleMetadata(state, creds, req, res, containerStats);
  const faults = new FaultEngine(settings.faults);
  const throttler = new Throttler(settings.throttling.enabled, settings.throttling.buckets);
  const stats: Stats = { calls: {}, throttled: {}, errors: {} };
  const tasks: TaskDeps = { state, runtime: runner, faults, settings, allowLaunches: (n) => throttler.allowLaunches(n) };
  const extraStats = () => ({ tasks: state.tasks.size, runningProcesses: runner.runningProcesses() });
  await resumeTasks(loaded, runner, docker);
  persist.markCatalog();
  persist.start(state, logs, 200);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [k, v] of state.tokens) if (v.expiresAt <= now) state.tokens.delete(k);
  }, 60_000);
  sweep.unref();

  const server = createServer(
    { keepAliveTimeout: 65_000 },
    createHandler({ settings, tasks, logs, faults, throttler, stats, extraStats, metadata, onMutation: () => persist.markCatalog() }),
  );
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  metadataBase = url;
  let metaServer: Server | undefined;
  if (docker) {
    const ms = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      if (!metadata(req, res)) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "not a metadata route" }));
      }
    });
    // The same port as before a restart when free: adopted containers keep the URLs they were given.
    const portFile = join(dataDir, "metadata-port");
    const previous = Number(await readFile(portFile, "utf8").catch(() => "0")) || 0;
    const listen = (p: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        ms.once("error", reject);
        ms.listen(p, settings.docker.metadataBind, () => {
          ms.off("error", reject);
          resolve();
        });
      });
    await listen(previous).catch(() => listen(0));
    await writeFile(portFile, String((ms.address() as AddressInfo).port));
    metaServer = ms;
    const addr = await docker.hostAddress().catch(() => "host.docker.internal");
    metadataBase = `http://${addr.includes(":") ? `[${addr}]` : addr}:${(ms.address() as AddressInfo).port}`;
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    host,
    dataDir,
    settings,
    stats: () => ({ calls: { ...stats.calls }, throttled: { ...stats.throttled }, errors: { ...stats.errors }, ...extraStats() }),
    resetStats: () => {
      stats.calls = {};
      stats.throttled = {};
      stats.errors = {};
    },
    addFault: (rule) => faults.add(parseFaultRule(rule)),
    clearFaults: () => faults.clear(),
    setThrottling: (enabled) => {
      throttler.enabled = enabled;
      settings.throttling.enabled = enabled;
    },
    close: () =>
      (closing ??= (async () => {
        clearInterval(sweep);
        // The runner first: nothing reacts to containers any more, then the driver lets starts settle.
        await runner.close();
        if (docker && ownDir) await docker.removeAll();
        for (const srv of [server, metaServer]) {
          if (!srv) continue;
          await new Promise<void>((r) => {
            srv.close(() => r());
            srv.closeAllConnections();
          });
        }
        const deadline = Date.now() + 2000;
        while (runner.runningProcesses() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        persist.close(state, logs);
        logs.close();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      })()),
  };
}
