// Local ECS docker runtime vs process runtime in the same run: 100 trivial tasks RunTask → all STOPPED (tasks/s)
// and the endpoint's peak RSS. The docker runtime uses Podman's Docker-compatible service on a private socket
// with the registry-free test image (scripts/podman-test-setup.mjs). `run()` returns a markdown section; run
// directly with `node --import tsx bench/local-ecs-docker.ts`.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, type Task } from "@aws-sdk/client-ecs";
// @ts-expect-error -- plain ESM script without types
import { IMAGE, PAUSE, startPodman } from "../scripts/podman-test-setup.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const TASKS = Number(process.env.BENCH_TASKS ?? 100);

async function endpoint(settings: Record<string, unknown>): Promise<{ pid: number; ecs: ECSClient; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", `${here}local-ecs-server.ts`, JSON.stringify(settings)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (c) => reject(new Error(`endpoint exited ${c}`)));
  });
  const { url, pid } = JSON.parse(line) as { url: string; pid: number };
  const ecs = new ECSClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: 3,
  });
  return {
    pid,
    ecs,
    stop: async () => {
      ecs.destroy();
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const rss = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

async function hundred(
  settings: Record<string, unknown>,
  image: string,
  command: string[],
): Promise<{ secs: number; peak: number; failed: number }> {
  const e = await endpoint({ pacing: "instant", throttling: false, stoppedRetentionSeconds: 600, ...settings });
  try {
    await e.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "bench",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        containerDefinitions: [{ name: "main", image, command }],
      }),
    );
    let peak = rss(e.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rss(e.pid))), 50);
    const t0 = performance.now();
    const arns: string[] = [];
    for (let i = 0; i < TASKS; i += 10) {
      const r = await e.ecs.send(
        new RunTaskCommand({
          taskDefinition: "bench",
          count: 10,
          launchType: "FARGATE",
          networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } },
        }),
      );
      arns.push(...(r.tasks ?? []).map((t) => t.taskArn!));
    }
    let pending = arns;
    const done: Task[] = [];
    while (pending.length) {
      const still: string[] = [];
      const r = await e.ecs.send(new DescribeTasksCommand({ tasks: pending }));
      for (const t of r.tasks ?? []) {
        if (t.lastStatus === "STOPPED") done.push(t);
        else still.push(t.taskArn!);
      }
      pending = still;
      if (pending.length) await new Promise((r) => setTimeout(r, 100));
    }
    const secs = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const bad = done.filter((t) => t.containers?.[0]?.exitCode !== 0);
    if (bad[0])
      process.stderr.write(
        `first failure: ${bad[0].containers?.[0]?.exitCode} ${bad[0].containers?.[0]?.reason ?? ""} ${bad[0].stoppedReason ?? ""}\n`,
      );
    return { secs, peak, failed: bad.length };
  } finally {
    await e.stop();
  }
}

export async function run(): Promise<string> {
  const head = `## Local ECS: docker runtime vs process runtime\n\nScript: \`bench/local-ecs-docker.ts\`. ${TASKS} tasks (10 per RunTask), each one container running \`true\`, RunTask → all STOPPED; endpoint in its own process (\`pacing: instant\`, throttling off), peak RSS sampled every 50 ms. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load ${loadavg()[0]!.toFixed(1)} at start.\n\n| Runtime | RunTask → STOPPED | tasks/s | endpoint peak RSS | non-zero exits |\n|---|---|---|---|---|\n`;
  const proc = await hundred({}, "bench", ["true"]);
  const row = (name: string, r: { secs: number; peak: number; failed: number }): string =>
    `| ${name} | ${r.secs.toFixed(2)} s | **${(TASKS / r.secs).toFixed(1)}** | ${r.peak.toFixed(0)} MiB | ${r.failed} |\n`;
  let out = head + row("process (host processes)", proc);
  const pm = (await startPodman()) as { skip?: string; dockerHost?: string; stop?: () => Promise<void> };
  if (pm.skip) return `${out}| docker | skipped: ${pm.skip} | | | |\n`;
  try {
    const docker = await hundred({ runtime: "docker", docker: { host: pm.dockerHost, ...PAUSE } }, IMAGE, ["/bin/true"]);
    out += row("docker (Podman, busybox image present)", docker);
  } finally {
    await pm.stop!();
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) console.log(await run());
