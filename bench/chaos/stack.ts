// The chaos stack (bench/chaos.ts, test/chaos/): a local ECS endpoint as its own process, `heimdall serve`
// processes on one PostgreSQL database with ping, shell and ecs commands, and the HTTP helpers to drive them.
// Shell jobs and ECS tasks append a side-effect line `<key> <epoch ms>` to a file per job in `sideDir`, so a
// job whose work ran twice (or after the job was already final) can be counted. Only 127.0.0.1 is used.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { stringify } from "yaml";
import { ROOT, freePort, launchServer } from "../../test/cli/server-process.ts";
import type { LaunchedServer } from "../../test/cli/server-process.ts";

export const ECS_CLUSTER = "chaos-cluster";
export const USER = "chaos";
const HEADERS = { "X-Heimdall-User": USER, "content-type": "application/json" };
export const FINAL = ["SUCCEEDED", "FAILED", "KILLED", "CANCELED"];
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Shell job: `arguments: [sleepSeconds, text]` → stdout `begin <text>\nend <text>\n`; side effect before `end`. */
export function shellCommand(sideDir: string): string[] {
  const script = `echo "begin $2"; sleep "$1"; echo "\${PWD##*/} $(date +%s%3N)" >> '${sideDir}'/"\${PWD##*/}"; echo "end $2"`;
  return ["/bin/sh", "-c", script, "sh"];
}

/**
 * ECS task: side effect first (any task that started counts as one execution of its slot), then CHAOS_LINES
 * lines `line <i>`, then sleep CHAOS_SLEEP seconds, exit CHAOS_EXIT (default 0).
 */
export function ecsTemplate(sideDir: string): Record<string, unknown> {
  const script =
    `echo "$TASK_NAME $(date +%s%3N)" >> '${sideDir}/'"$TASK_NAME"; ` +
    `seq 1 "\${CHAOS_LINES:-1}" | sed 's/^/line /'; sleep "\${CHAOS_SLEEP:-0}"; exit "\${CHAOS_EXIT:-0}"`;
  return {
    family: "chaos-job",
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    containerDefinitions: [
      {
        name: "main",
        image: "alpine:latest",
        command: ["sh", "-c", script],
        essential: true,
        stopTimeout: 2,
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": "/ecs/chaos", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
        },
      },
    ],
  };
}

export interface ServeSpec {
  /** Stable label ("a", "b"): the same directory, port and config are used on every restart. */
  label: string;
  dir: string;
  port: number;
  config: Record<string, unknown>;
}

export function serveSpec(label: string, baseDir: string, port: number, databaseUrl: string, ecsUrl: string, sideDir: string): ServeSpec {
  const dir = join(baseDir, `serve-${label}`);
  mkdirSync(dir, { recursive: true });
  const config = {
    server: { addr: `127.0.0.1:${port}`, shutdown_timeout: 2 },
    database: { connection_string: databaseUrl, max_connections: 10 },
    // One jobs_directory for the instances of this host, as docs/engine.md ("Leftover processes") recommends:
    // another instance's janitor then finds a dead instance's process records and kills the groups.
    jobs_directory: join(baseDir, "jobs"),
    pool: { size: 16 },
    janitor: { keepalive: 1, stale_job: 5, clean_interval: 1, cleanup_timeout: 20 },
    auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" } },
    log_level: "warn",
    local_ecs: { enabled: false },
    commands: [
      { name: "ping-0.0.1", plugin: "ping", version: "0.0.1", tags: ["type:ping"], cluster_tags: ["type:localhost"] },
      {
        name: "chaos-shell",
        plugin: "shell",
        version: "1",
        tags: ["type:chaos-shell"],
        cluster_tags: ["type:localhost"],
        context: { command: shellCommand(sideDir) },
      },
      {
        name: "chaos-ecs",
        plugin: "ecs",
        version: "1",
        tags: ["type:chaos-ecs"],
        cluster_tags: ["type:fargate"],
        // Inline template (no file path); issue 8 item 4's settings: 2 s polls, one retry per slot.
        context: { task_definition_template: ecsTemplate(sideDir), polling_interval: "2s", max_fail_count: 1, timeout: "15m" },
      },
    ],
    clusters: [
      { name: "localhost-0.0.1", version: "0.0.1", tags: ["type:localhost"] },
      {
        name: "fargate",
        version: "1",
        tags: ["type:fargate"],
        context: {
          cluster_name: ECS_CLUSTER,
          endpoint: ecsUrl,
          region: "us-east-1",
          max_task_count: 10,
          vpc_config: { subnets: ["subnet-1"] },
        },
      },
    ],
  };
  return { label, dir, port, config };
}

/** One `serve` process slot: start, SIGKILL (the server process only, not its job processes), restart. */
export class Serve {
  private srv: LaunchedServer | undefined;
  constructor(readonly spec: ServeSpec) {}
  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }
  running(): boolean {
    return this.srv?.running() ?? false;
  }
  output(): string {
    return this.srv?.output() ?? "";
  }
  async start(): Promise<void> {
    this.srv = await launchServer(this.spec.config, {
      dir: this.spec.dir,
      port: this.spec.port,
      env: { HEIMDALL_LOCAL_ECS_PORT: "0" },
      timeoutMs: 60_000,
    });
  }
  /** kill -9 of the server process alone: its shell jobs' process groups are left for the product to handle. */
  async kill9(): Promise<void> {
    const s = this.srv;
    if (!s || !s.running()) return;
    s.proc.kill("SIGKILL");
    await s.exited;
  }
  /** SIGTERM (bounded), then SIGKILL. */
  async stop(): Promise<void> {
    const s = this.srv;
    if (!s || !s.running()) return;
    s.proc.kill("SIGTERM");
    const t = setTimeout(() => s.proc.kill("SIGKILL"), 15_000);
    await s.exited;
    clearTimeout(t);
  }
  /** The instance name it reports on /api/v1/health (a new one on every start). */
  async instanceName(): Promise<string | undefined> {
    const r = await http(this.url, "GET", "/api/v1/health").catch(() => undefined);
    return r?.json?.instance as string | undefined;
  }
}

/** The local ECS endpoint as its own process (`heimdall local-ecs`), with the admin API helpers. */
export class EcsProcess {
  private constructor(
    readonly url: string,
    private readonly proc: ChildProcess,
  ) {}

  static async start(dir: string): Promise<EcsProcess> {
    const port = await freePort();
    const config = join(dir, "local-ecs.yaml");
    writeFileSync(
      config,
      stringify({
        clusters: ["default", ECS_CLUSTER],
        pacing: "instant",
        dataDir: join(dir, "local-ecs-data"),
        defaultStopTimeoutSeconds: 2,
      }),
    );
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "local-ecs", "--port", String(port), "--config", config],
      {
        cwd: ROOT, // `--import tsx` resolves from here
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const ecs = new EcsProcess(`http://127.0.0.1:${port}`, proc);
    const end = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`local-ecs exited ${proc.exitCode}`);
      const r = await http(ecs.url, "GET", "/_local/health").catch(() => undefined);
      if (r?.status === 200) return ecs;
      if (Date.now() > end) {
        proc.kill("SIGKILL");
        throw new Error("local-ecs did not answer /_local/health within 60 s");
      }
      await sleep(100);
    }
  }

  async addFault(rule: Record<string, unknown>): Promise<string> {
    const r = await http(this.url, "POST", "/_local/faults", rule);
    if (r.status !== 200) throw new Error(`add fault: ${r.status} ${r.text}`);
    return (r.json.faults as Array<{ id: string }>).at(-1)!.id;
  }
  async removeFault(id: string): Promise<void> {
    await http(this.url, "DELETE", `/_local/faults/${encodeURIComponent(id)}`);
  }
  async clearFaults(): Promise<void> {
    await http(this.url, "DELETE", "/_local/faults");
  }
  async throttle(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await http(this.url, "POST", "/_local/throttle", body);
    if (r.status !== 200) throw new Error(`throttle: ${r.status} ${r.text}`);
    return r.json as Record<string, unknown>;
  }
  async buckets(): Promise<Record<string, unknown>> {
    return (await http(this.url, "GET", "/_local/throttle")).json.buckets as Record<string, unknown>;
  }
  async stats(): Promise<{ calls: Record<string, number>; tasks: number; runningProcesses: number }> {
    return (await http(this.url, "GET", "/_local/stats")).json;
  }
  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  }
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any;
}

/** One request with a timeout (default 15 s); the body is parsed as JSON when it is JSON. */
export async function http(base: string, method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<HttpAnswer> {
  const init: RequestInit = { method, headers: HEADERS, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(`${base}${path}`, init);
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const headers: Record<string, string> = {};
  r.headers.forEach((v, k) => (headers[k] = v));
  return { status: r.status, headers, text, json };
}

/** The first running instance that answers the request with a status below 500 (bounded retries over time). */
export async function anyInstance(serves: Serve[], method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<HttpAnswer> {
  const end = Date.now() + timeoutMs;
  let last = "no instance running";
  for (;;) {
    for (const s of serves) {
      if (!s.running()) continue;
      try {
        const r = await http(s.url, method, path, body);
        if (r.status < 500) return r;
        last = `${s.spec.label}: ${r.status} ${r.text.slice(0, 200)}`;
      } catch (err) {
        last = `${s.spec.label}: ${(err as Error).message}`;
      }
    }
    if (Date.now() > end) throw new Error(`${method} ${path}: no answer within ${timeoutMs / 1000} s (${last})`);
    await sleep(500);
  }
}

/** The instance name owning a job's claim, read from the database (undefined: unowned or no claim). */
export async function claimOwner(databaseUrl: string, jobId: string): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
  await c.connect();
  try {
    const r = await c.query<{ owner: string | null }>("SELECT c.owner FROM claims c JOIN jobs j ON j.seq = c.job_seq WHERE j.id = $1", [
      jobId,
    ]);
    return r.rows[0]?.owner ?? undefined;
  } finally {
    await c.end();
  }
}
