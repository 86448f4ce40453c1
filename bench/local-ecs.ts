// Local ECS benchmarks: trivial-task throughput, endpoint RSS with 1,000 running tasks, GetLogEvents over a
// 1 GiB stream. `run()` returns a markdown section; run directly with `node --import tsx bench/local-ecs.ts`.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CloudWatchLogsClient, DescribeLogGroupsCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, type Task } from "@aws-sdk/client-ecs";

const here = fileURLToPath(new URL(".", import.meta.url));

interface Endpoint {
  url: string;
  pid: number;
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  stop(): Promise<void>;
}

async function startEndpoint(settings: Record<string, unknown>): Promise<Endpoint> {
  const child = spawn(process.execPath, ["--import", "tsx", `${here}local-ecs-server.ts`, JSON.stringify(settings)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (c) => reject(new Error(`endpoint exited ${c}`)));
  });
  const { url, pid } = JSON.parse(line) as { url: string; pid: number };
  const cfg = { endpoint: url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" }, maxAttempts: 3 };
  const ecs = new ECSClient(cfg);
  const logs = new CloudWatchLogsClient(cfg);
  return {
    url,
    pid,
    ecs,
    logs,
    stop: async () => {
      ecs.destroy();
      logs.destroy();
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Resident set size (MiB) of a process, from /proc. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Samples RSS every 50 ms; returns the peak seen since start. */
function rssSampler(pid: number): { peak(): number; stop(): void } {
  let peak = rss(pid);
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, rss(pid));
    } catch {
      /* process gone */
    }
  }, 50);
  return { peak: () => peak, stop: () => clearInterval(t) };
}

const def = (family: string, command: string[], extra: Record<string, unknown> = {}) => ({
  family,
  requiresCompatibilities: ["FARGATE" as const],
  networkMode: "awsvpc" as const,
  cpu: "256",
  memory: "512",
  executionRoleArn: "arn:aws:iam::000000000000:role/exec",
  containerDefinitions: [{ name: "main", image: "bench", command, ...extra }],
});
const NET = { awsvpcConfiguration: { subnets: ["subnet-1"] } };

async function runMany(e: Endpoint, family: string, total: number, concurrency = 8): Promise<string[]> {
  const arns: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const n = Math.min(10, total - next);
        next += n;
        const r = await e.ecs.send(
          new RunTaskCommand({ taskDefinition: family, count: n, launchType: "FARGATE", networkConfiguration: NET }),
        );
        arns.push(...(r.tasks ?? []).map((t) => t.taskArn!));
      }
    }),
  );
  return arns;
}

async function waitAll(e: Endpoint, arns: string[], pred: (t: Task) => boolean): Promise<void> {
  let pending = arns;
  while (pending.length) {
    const still: string[] = [];
    for (let i = 0; i < pending.length; i += 100) {
      const r = await e.ecs.send(new DescribeTasksCommand({ tasks: pending.slice(i, i + 100) }));
      for (const t of r.tasks ?? []) if (!pred(t)) still.push(t.taskArn!);
    }
    pending = still;
    if (pending.length) await new Promise((r) => setTimeout(r, 50));
  }
}

const fmt = (n: number, d = 1): string => n.toFixed(d);

async function trivialTasks(): Promise<string[]> {
  const e = await startEndpoint({ pacing: "instant", throttling: false });
  try {
    await e.ecs.send(new RegisterTaskDefinitionCommand(def("trivial", ["true"])));
    const sampler = rssSampler(e.pid);
    const t0 = performance.now();
    const arns = await runMany(e, "trivial", 1000);
    const launched = performance.now();
    await waitAll(e, arns, (t) => t.lastStatus === "STOPPED");
    const secs = (performance.now() - t0) / 1000;
    sampler.stop();
    return [
      `| 1,000 trivial tasks (\`true\`), RunTask (10 per call, 8 callers) → all STOPPED | ${fmt(secs, 2)} s → **${fmt(1000 / secs, 0)} tasks/s** (RunTask calls done after ${fmt((launched - t0) / 1000, 2)} s); endpoint peak RSS ${fmt(sampler.peak(), 0)} MiB |`,
    ];
  } finally {
    await e.stop();
  }
}

async function runningTasks(): Promise<string[]> {
  const e = await startEndpoint({ pacing: "instant", throttling: false });
  try {
    await e.ecs.send(new RegisterTaskDefinitionCommand(def("sleeper", ["sleep", "30"])));
    const idle = rss(e.pid);
    const t0 = performance.now();
    const arns = await runMany(e, "sleeper", 1000);
    await waitAll(e, arns, (t) => t.lastStatus === "RUNNING");
    const secs = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    const busy = rss(e.pid);
    return [
      `| endpoint RSS, idle | ${fmt(idle, 0)} MiB |`,
      `| endpoint RSS with 1,000 concurrently RUNNING \`sleep 30\` tasks (1,000 host processes; launched in ${fmt(secs, 1)} s) | **${fmt(busy, 0)} MiB** (+${fmt(((busy - idle) * 1024) / 1000, 0)} KiB per task) |`,
    ];
  } finally {
    await e.stop();
  }
}

async function bigStream(): Promise<string[]> {
  const e = await startEndpoint({ pacing: "instant", throttling: false });
  try {
    const line = "x".repeat(999);
    await e.ecs.send(
      new RegisterTaskDefinitionCommand(
        def("writer", ["sh", "-c", `yes ${line} | head -c 1073741824`], {
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "/bench", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "b" },
          },
        }),
      ),
    );
    const genSampler = rssSampler(e.pid);
    const g0 = performance.now();
    const [arn] = await runMany(e, "writer", 1, 1);
    await waitAll(e, [arn!], (t) => t.lastStatus === "STOPPED");
    const genSecs = (performance.now() - g0) / 1000;
    genSampler.stop();
    const groups = await e.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/bench" }));
    const stored = groups.logGroups?.[0]?.storedBytes ?? 0;
    const stream = `b/main/${arn!.split("/").pop()}`;
    const readSampler = rssSampler(e.pid);
    const r0 = performance.now();
    let token: string | undefined;
    let events = 0;
    let bytes = 0;
    let calls = 0;
    for (;;) {
      const r = await e.logs.send(
        new GetLogEventsCommand({ logGroupName: "/bench", logStreamName: stream, startFromHead: true, nextToken: token }),
      );
      calls++;
      for (const ev of r.events ?? []) bytes += ev.message!.length;
      events += r.events?.length ?? 0;
      if (r.nextForwardToken === token) break;
      token = r.nextForwardToken;
    }
    const readSecs = (performance.now() - r0) / 1000;
    readSampler.stop();
    // Same paging over plain HTTP + JSON.parse (no SDK deserialisation), to separate endpoint cost from client cost.
    const h0 = performance.now();
    let rawToken: string | undefined;
    let rawBytes = 0;
    for (;;) {
      const res = await fetch(`${e.url}/`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.GetLogEvents" },
        body: JSON.stringify({
          logGroupName: "/bench",
          logStreamName: stream,
          startFromHead: true,
          ...(rawToken ? { nextToken: rawToken } : {}),
        }),
      });
      const page = (await res.json()) as { events: Array<{ message: string }>; nextForwardToken: string };
      for (const ev of page.events) rawBytes += ev.message.length;
      if (page.nextForwardToken === rawToken) break;
      rawToken = page.nextForwardToken;
    }
    const rawSecs = (performance.now() - h0) / 1000;
    return [
      `| 1 GiB stream written by a task (\`yes <1000-char line> \\| head -c 1GiB\`, awslogs) | ${fmt(stored / 2 ** 30, 2)} GiB stored in ${fmt(genSecs, 1)} s (${fmt(stored / 2 ** 20 / genSecs, 0)} MiB/s); endpoint peak RSS while ingesting ${fmt(genSampler.peak(), 0)} MiB |`,
      `| GetLogEvents paging the 1 GiB stream to the end (startFromHead, 1 MB pages) | ${events.toLocaleString("en")} events, ${fmt(bytes / 2 ** 30, 2)} GiB in ${calls} calls, ${fmt(readSecs, 1)} s → **${fmt(bytes / 2 ** 20 / readSecs, 0)} MiB/s**, ${fmt(events / readSecs, 0)} events/s; endpoint peak RSS while reading **${fmt(readSampler.peak(), 0)} MiB** |`,
      `| the same paging with plain \`fetch\` + \`JSON.parse\` (no SDK deserialisation) | ${fmt(rawBytes / 2 ** 30, 2)} GiB in ${fmt(rawSecs, 1)} s → **${fmt(rawBytes / 2 ** 20 / rawSecs, 0)} MiB/s** |`,
    ];
  } finally {
    await e.stop();
  }
}

export async function run(): Promise<string> {
  const mem =
    execFileSync("free", ["-h"], { encoding: "utf8" })
      .split("\n")
      .find((l) => l.startsWith("Mem:"))
      ?.replace(/\s+/g, " ")
      .trim() ?? "?";
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
  const rows = [...(await trivialTasks()), ...(await runningTasks()), ...(await bigStream())];
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), \`free -h\` ${mem}, Node ${process.version}, load average at start ${load} (machine shared with other builds), ${new Date().toISOString().slice(0, 10)}`;
  return [
    "## Local ECS",
    "",
    `Machine: ${machine}. Run: \`node --import tsx bench/local-ecs.ts\`. The endpoint runs in its own process`,
    "(bench/local-ecs-server.ts, `pacing: instant`, throttling off); clients are the AWS SDK v3 over loopback HTTP.",
    "RSS is the endpoint's node process only (task processes are separate).",
    "",
    "| benchmark | result |",
    "|---|---|",
    ...rows,
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.stdout.write(`${await run()}\n`);
