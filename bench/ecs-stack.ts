// Helpers for bench/ecs.ts (no `run` export, so the bench runner skips this file): a `heimdall serve` child
// process with an ecs command on a given local ECS endpoint, process RSS/CPU from /proc, job polling.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, launchServer } from "../test/cli/server-process.ts";
export const ECS_CLUSTER = "bench-cluster";
export const USER = { "X-Heimdall-User": "bench", "content-type": "application/json" };

export function templateDoc(command: string[]) {
  return {
    family: "bench-job",
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    containerDefinitions: [
      {
        name: "main",
        image: "alpine:latest",
        command,
        essential: true,
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": "/ecs/bench", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
        },
      },
    ],
  };
}

export interface EcsBenchServer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startEcsServer(opts: {
  ecsUrl: string;
  command: string[];
  poolSize: number;
  polling: string;
  rateLimitScale: number;
}): Promise<EcsBenchServer> {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-ecs-bench-"));
  const port = await freePort();
  const tpl = join(dir, "td.json");
  writeFileSync(tpl, JSON.stringify(templateDoc(opts.command)));
  const config = {
    server: { addr: `127.0.0.1:${port}` },
    database: { connection_string: `sqlite:${join(dir, "heimdall.db")}` },
    jobs_directory: join(dir, "jobs"),
    pool: { size: opts.poolSize },
    auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" } },
    log_level: "error",
    local_ecs: { enabled: false },
    commands: [
      {
        name: "ecs-bench",
        plugin: "ecs",
        version: "1",
        tags: ["type:ecs"],
        cluster_tags: ["type:fargate"],
        context: { task_definition_template: tpl, polling_interval: opts.polling, timeout: "1h" },
      },
    ],
    clusters: [
      {
        name: "fargate",
        version: "1",
        tags: ["type:fargate"],
        context: {
          cluster_name: ECS_CLUSTER,
          endpoint: opts.ecsUrl,
          region: "us-east-1",
          max_task_count: 10,
          rate_limit_scale: opts.rateLimitScale,
          vpc_config: { subnets: ["subnet-1"] },
        },
      },
    ],
  };
  const srv = await launchServer(config, { dir, port, timeoutMs: 60_000 });
  return {
    url: srv.url,
    proc: srv.proc,
    async stop() {
      srv.proc.kill("SIGKILL");
      await srv.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function submit(url: string, context: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${url}/api/v1/job`, {
    method: "POST",
    headers: USER,
    body: JSON.stringify({ name: "bench", version: "1", command_criteria: ["type:ecs"], cluster_criteria: ["type:fargate"], context }),
  });
  const body = (await r.json()) as { id?: string; error?: string };
  if (r.status !== 200 || body.id === undefined) throw new Error(`submit: ${r.status} ${JSON.stringify(body)}`);
  return body.id;
}

export async function jobStatus(url: string, id: string): Promise<{ status: string; error?: string }> {
  const r = await fetch(`${url}/api/v1/job/${id}/status`, { headers: USER });
  return (await r.json()) as { status: string; error?: string };
}

export async function waitAll(url: string, ids: string[], timeoutMs: number): Promise<Map<string, string>> {
  const end = Date.now() + timeoutMs;
  const done = new Map<string, string>();
  while (done.size < ids.length) {
    const open = ids.filter((id) => !done.has(id));
    for (let i = 0; i < open.length; i += 100) {
      const batch = open.slice(i, i + 100);
      const st = await Promise.all(batch.map((id) => jobStatus(url, id)));
      st.forEach((s, k) => {
        if (["SUCCEEDED", "FAILED", "KILLED", "CANCELED"].includes(s.status)) done.set(batch[k]!, s.status);
      });
    }
    if (done.size < ids.length) {
      if (Date.now() > end) throw new Error(`${ids.length - done.size} jobs not finished`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return done;
}

/** Resident set size of a process (bytes), from /proc. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** User + system CPU time of a process (ms), from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
