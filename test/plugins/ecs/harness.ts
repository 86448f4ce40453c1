// End-to-end harness: the composed server (store + engine + REST API) in-process or as a child process, with a
// local ECS endpoint in the test process, all over HTTP on loopback.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import pino from "pino";
import { stringify } from "yaml";
import { buildApp, createMetrics } from "../../../src/api/index.ts";
import { configFromYaml } from "../../../src/config/index.ts";
import { createEngine } from "../../../src/engine/index.ts";
import { engineOptions } from "../../../src/cli/engine-options.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { startLocalEcs } from "../../../src/local-ecs/index.ts";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { builtinPlugins } from "../../../src/plugins/index.ts";
import { openStore } from "../../../src/store/index.ts";

export const ECS_CLUSTER = "test-cluster";
export const FINAL = ["SUCCEEDED", "FAILED", "KILLED", "CANCELED"];

export function tempDir(prefix = "ecs-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The spec's complete-example task definition, running a shell command. */
export function templateDoc(
  command: string[] = ["sh", "-c", 'echo "Task name: $TASK_NAME" && exit 0'],
  extra: Record<string, unknown> = {},
) {
  return {
    family: "batch-job-template",
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    taskRoleArn: "arn:aws:iam::123456789012:role/ecsTaskRole",
    containerDefinitions: [
      {
        name: "main",
        image: "alpine:latest",
        command,
        essential: true,
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": "/ecs/batch-jobs", "awslogs-region": "us-west-2", "awslogs-stream-prefix": "ecs" },
        },
        environment: [
          { name: "ENVIRONMENT", value: "production" },
          { name: "LOG_LEVEL", value: "info" },
        ],
      },
    ],
    ephemeralStorage: { sizeInGiB: 21 },
    runtimePlatform: { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" },
    ...extra,
  };
}

export function clusterContext(ecs: LocalEcs, extra: Record<string, unknown> = {}) {
  return {
    max_cpu: 4096,
    max_memory: 8192,
    max_task_count: 10,
    execution_role_arn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    task_role_arn: "arn:aws:iam::123456789012:role/ecsTaskRole",
    cluster_name: ECS_CLUSTER,
    launch_type: "FARGATE",
    region: "us-east-1",
    endpoint: ecs.url,
    vpc_config: { subnets: ["subnet-12345678", "subnet-87654321"], security_groups: ["sg-12345678"] },
    ...extra,
  };
}

export interface CommandSpec {
  name: string;
  tag: string;
  context: Record<string, unknown>;
}

/** Writes a config file: one ecs command per spec, one fargate cluster on the local ECS endpoint. */
export function writeConfig(
  dir: string,
  ecs: LocalEcs,
  commands: CommandSpec[],
  clusterExtra: Record<string, unknown> = {},
  janitor?: Record<string, number>,
  attributes?: Record<string, { kind: string; value: string }>,
  databaseUrl?: string,
): string {
  const doc: Record<string, unknown> = {
    server: { addr: "127.0.0.1:0", shutdown_timeout: 2 },
    database: { connection_string: databaseUrl ?? `sqlite:${join(dir, "heimdall.db")}` },
    jobs_directory: join(dir, "jobs"),
    pool: { size: 50 },
    log_level: "warn",
    auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" } },
    commands: commands.map((c) => ({
      name: c.name,
      status: "active",
      plugin: "ecs",
      version: "0.0.1",
      context: c.context,
      tags: [c.tag],
      cluster_tags: ["type:fargate"],
    })),
    clusters: [
      {
        name: "fargate-cluster",
        status: "active",
        version: "0.0.1",
        health_check: true,
        context: clusterContext(ecs, clusterExtra),
        tags: ["type:fargate"],
        ...(attributes === undefined ? {} : { attributes }),
      },
    ],
  };
  if (janitor !== undefined) doc.janitor = janitor;
  const file = join(dir, "heimdall.yaml");
  writeFileSync(file, stringify(doc));
  return file;
}

export async function startEcs(settings: Record<string, unknown> = {}): Promise<LocalEcs> {
  return startLocalEcs({ port: 0, settings: { pacing: "instant", clusters: ["default", ECS_CLUSTER], ...settings } });
}

export interface Api {
  url: string;
  submit(body: Record<string, unknown>, user?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  get(path: string): Promise<{ status: number; text: string; json: () => any }>;
  post(path: string, body?: unknown, user?: string): Promise<{ status: number; text: string }>;
  waitFinal(id: string, timeoutMs?: number): Promise<Record<string, any>>;
  waitFor(id: string, pred: (job: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
}

export function apiClient(url: string): Api {
  const get = async (path: string) => {
    const r = await fetch(`${url}${path}`, { headers: { "X-Heimdall-User": "tester" } });
    const text = await r.text();
    return { status: r.status, text, json: () => JSON.parse(text) };
  };
  const api: Api = {
    url,
    async submit(body, user = "tester") {
      const r = await fetch(`${url}/api/v1/job`, {
        method: "POST",
        headers: { "content-type": "application/json", "X-Heimdall-User": user },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    },
    get,
    async post(path, body, user = "tester") {
      const r = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "X-Heimdall-User": user },
        body: body === undefined ? "{}" : JSON.stringify(body),
      });
      return { status: r.status, text: await r.text() };
    },
    async waitFor(id, pred, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const r = await get(`/api/v1/job/${id}`);
        if (r.status === 200) {
          const job = r.json();
          if (pred(job)) return job;
          if (Date.now() > end) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
        } else if (Date.now() > end) throw new Error(`job ${id}: GET answered ${r.status}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    waitFinal(id, timeoutMs) {
      return api.waitFor(id, (j) => FINAL.includes(j.status), timeoutMs);
    },
  };
  return api;
}

export interface InProcessServer extends Api {
  engine: Engine;
  close(): Promise<void>;
}

/** The composed server in this process (store, engine, REST API) on a free port. */
export async function startServer(configFile: string, dir: string): Promise<InProcessServer> {
  const { readFileSync } = await import("node:fs");
  const config = configFromYaml(readFileSync(configFile, "utf8"), configFile, {}, { cwd: dir });
  const log = pino({ level: "warn" });
  const store = await openStore({ connectionString: config.database.connection_string });
  const metrics = createMetrics("test");
  const engine = createEngine({ options: engineOptions(config), store, plugins: builtinPlugins(), log, version: "test", metrics });
  await engine.start();
  const app = await buildApp({ config, store, engine, log, version: "test", metrics });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    ...apiClient(address),
    engine,
    async close() {
      await engine.drain();
      await app.close();
      await store.close();
    },
  };
}

export interface ChildServer extends Api {
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `heimdall serve` as a child process (extra `env` over this process's); resolves once it answers health. */
export async function spawnServer(configFile: string, port: number, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--config", configFile], {
    cwd: process.cwd(),
    env: { ...process.env, ...env, HEIMDALL_ADDR: `127.0.0.1:${port}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  // Generous: tsx compiles the server on start, slow on a loaded machine.
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    try {
      const r = await fetch(`${url}/api/v1/health`);
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) {
      child.kill("SIGKILL"); // not left running (it would keep the test process alive)
      throw new Error(`server did not start within 60 s: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ...apiClient(url),
    child,
    async kill(signal = "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
  };
}

/** A local ECS and an in-process server on it, set up once per describe block by `ecsServerSuite`. */
export interface EcsServerSuite {
  ecs: LocalEcs;
  dir: string;
  server: InProcessServer;
}

/**
 * Registers the describe block's before/after hooks: a local ECS (with `ecsSettings`), a temp dir, and a server
 * on the config file `configure(dir, ecs)` writes; all closed and removed after. Read the fields inside tests.
 */
export function ecsServerSuite(
  configure: (dir: string, ecs: LocalEcs) => string,
  ecsSettings: Record<string, unknown> = {},
): EcsServerSuite {
  const suite = {} as EcsServerSuite;
  before(async () => {
    suite.ecs = await startEcs(ecsSettings);
    suite.dir = tempDir();
    suite.server = await startServer(configure(suite.dir, suite.ecs), suite.dir);
  });
  after(async () => {
    await suite.server?.close();
    await suite.ecs?.close();
    if (suite.dir !== undefined) cleanupDir(suite.dir);
  });
  return suite;
}

/** Writes a task definition template as JSON into `dir`; returns its path. */
export function writeTemplate(dir: string, name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

export function cleanupDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Rows of the job's result as objects keyed by column name. */
export function resultRows(result: { columns: { name: string }[]; data: unknown[][] }): Record<string, any>[] {
  return result.data.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])));
}

/** One item of an NDJSON answer (GET /api/v1/job/{id}/logs): a log line, a heartbeat or the end line. */
export type NdjsonItem = Record<string, any>;

/**
 * Reads an NDJSON answer item by item, as user "tester". `stopWhen(item, itemsSoFar)` returning true stops reading
 * after that item (the request is aborted). A non-200 answer comes back as its status with its JSON body as the one item.
 */
export async function readNdjson(
  url: string,
  stopWhen: (item: NdjsonItem, all: NdjsonItem[]) => boolean = () => false,
): Promise<{ status: number; type: string | null; items: NdjsonItem[] }> {
  const ac = new AbortController();
  const r = await fetch(url, { headers: { "X-Heimdall-User": "tester" }, signal: ac.signal });
  const answer = (items: NdjsonItem[]) => ({ status: r.status, type: r.headers.get("content-type"), items });
  if (r.status !== 200) return answer([JSON.parse(await r.text())]);
  const items: NdjsonItem[] = [];
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const item = JSON.parse(buf.slice(0, nl)) as NdjsonItem;
        buf = buf.slice(nl + 1);
        items.push(item);
        if (stopWhen(item, items)) {
          ac.abort();
          return answer(items);
        }
      }
    }
  } catch (err) {
    // Leaving the loop after abort() rejects the body's return(): the items read are the answer.
    if (!ac.signal.aborted) throw err;
    return answer(items);
  }
  assert.equal(buf, "", "the stream ends with a complete line");
  return answer(items);
}
