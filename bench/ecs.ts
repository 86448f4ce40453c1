// ECS plugin benchmarks (issue 4): AWS API calls per job, 1,000 jobs × 10 tasks in flight (server RSS and CPU
// per poll tick), and control-plane overhead of trivial jobs through the server versus a bare SDK script.
// Run: `npm run bench -- ecs` (or `node --import tsx bench/ecs.ts`).
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import type { RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { startLocalEcs } from "../src/local-ecs/index.ts";
import type { LocalEcs } from "../src/local-ecs/index.ts";
import { ECS_CLUSTER, cpuMs, jobStatus, rssBytes, startEcsServer, submit, templateDoc, waitAll } from "./ecs-stack.ts";

const creds = { accessKeyId: "bench", secretAccessKey: "bench" };

async function localEcs(pacing: unknown): Promise<LocalEcs> {
  return startLocalEcs({ port: 0, settings: { pacing, clusters: [ECS_CLUSTER], throttling: { enabled: false } } });
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** 1. Calls per job: a first job and a repeat job, 10 tasks each. */
async function callsPerJob(): Promise<string> {
  const ecs = await localEcs("instant");
  const server = await startEcsServer({ ecsUrl: ecs.url, command: ["true"], poolSize: 10, polling: "1s", rateLimitScale: 1 });
  try {
    const rows: string[] = [];
    const actions = [
      "RegisterTaskDefinition",
      "ListTaskDefinitions",
      "DescribeTaskDefinition",
      "RunTask",
      "DescribeTasks",
      "GetLogEvents",
      "StopTask",
    ];
    for (const label of ["first job", "repeat job", "repeat job"]) {
      const before = ecs.stats().calls;
      const id = await submit(server.url, { task_count: 10 });
      const st = await waitAll(server.url, [id], 60_000);
      if (st.get(id) !== "SUCCEEDED") throw new Error(`job ${id} ${st.get(id)}: ${(await jobStatus(server.url, id)).error ?? ""}`);
      const d = delta(ecs.stats().calls, before);
      rows.push(`| ${label} | ${actions.map((a) => d[a] ?? 0).join(" | ")} |`);
    }
    return [
      "### API calls per job (10 tasks of `true`, polling 1 s, local ECS, instant pacing)",
      "",
      `| job | ${actions.join(" | ")} |`,
      `|---|${actions.map(() => "---:").join("|")}|`,
      ...rows,
      "",
      "A repeat job registers and describes no task definition (process cache by content hash). DescribeTasks",
      "per job is the number of poll ticks the job lived through (one call for its 10 tasks per tick).",
    ].join("\n");
  } finally {
    await server.stop();
    await ecs.close();
  }
}

/** 2. 1,000 jobs × 10 tasks in flight (tasks held in PROVISIONING by the endpoint's pacing: no processes). */
async function manyInFlight(jobs: number, tasksPerJob: number): Promise<string> {
  const pollSeconds = 5;
  const ecs = await localEcs({ provisioning: 3_600_000, pending: 0, activating: 0, deactivating: 0, deprovisioning: 0 });
  const server = await startEcsServer({
    ecsUrl: ecs.url,
    command: ["true"],
    poolSize: jobs + 10,
    polling: `${pollSeconds}s`,
    rateLimitScale: 0,
  });
  const pid = server.proc.pid!;
  try {
    const rssIdle = rssBytes(pid);
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < jobs; i += 50) {
      ids.push(
        ...(await Promise.all(Array.from({ length: Math.min(50, jobs - i) }, () => submit(server.url, { task_count: tasksPerJob })))),
      );
    }
    const total = jobs * tasksPerJob;
    while (ecs.stats().tasks < total) {
      if (Date.now() - t0 > 600_000) throw new Error(`only ${ecs.stats().tasks} of ${total} tasks launched`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const launchSeconds = (Date.now() - t0) / 1000;
    // Let every job reach its polling loop, then measure whole ticks.
    await new Promise((r) => setTimeout(r, 2 * pollSeconds * 1000));
    const ticks = 4;
    const calls0 = ecs.stats().calls.DescribeTasks ?? 0;
    const cpu0 = cpuMs(pid);
    let rssMax = 0;
    const end = Date.now() + ticks * pollSeconds * 1000;
    while (Date.now() < end) {
      rssMax = Math.max(rssMax, rssBytes(pid));
      await new Promise((r) => setTimeout(r, 250));
    }
    const calls = (ecs.stats().calls.DescribeTasks ?? 0) - calls0;
    const cpu = cpuMs(pid) - cpu0;
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    return [
      `### ${jobs.toLocaleString("en")} jobs × ${tasksPerJob} tasks in flight (polling ${pollSeconds} s)`,
      "",
      "| measure | value | target |",
      "|---|---:|---:|",
      `| tasks in flight | ${total} | |`,
      `| submit + launch of all tasks | ${launchSeconds.toFixed(1)} s | |`,
      `| server RSS idle → peak with all jobs running | ${mib(rssIdle)} MiB → ${mib(rssMax)} MiB | ≤ 400 MiB |`,
      `| DescribeTasks calls per poll tick | ${(calls / ticks).toFixed(1)} | ceil(${total}/100) = ${Math.ceil(total / 100)} |`,
      `| server CPU per poll tick (whole process) | ${(cpu / ticks).toFixed(0)} ms | |`,
      `| server CPU share while polling | ${((cpu / (ticks * pollSeconds * 1000)) * 100).toFixed(1)} % of one core | |`,
    ].join("\n");
  } finally {
    await server.stop();
    await ecs.close();
  }
}

/** 3. N trivial jobs through the server versus a bare SDK script doing the minimal calls, same endpoint and interval. */
async function overheadRound(
  n: number,
  pollMs: number,
): Promise<{ serverMs: number; bareMs: number; serverCalls: Record<string, number>; bareCalls: Record<string, number> }> {
  const ecs = await localEcs("instant");
  let serverMs = 0;
  let serverCalls: Record<string, number> = {};
  // The plugin's client-side rate limiter is off here (the bare script has none): this measures the control plane.
  const server = await startEcsServer({
    ecsUrl: ecs.url,
    command: ["sh", "-c", "echo hello"],
    poolSize: n + 10,
    polling: `${pollMs}ms`,
    rateLimitScale: 0,
  });
  try {
    await waitAll(server.url, [await submit(server.url, {})], 30_000); // warm-up: registers the definition
    const before = ecs.stats().calls;
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: n }, () => submit(server.url, {})));
    const st = await waitAll(server.url, ids, 120_000);
    serverMs = performance.now() - t0;
    if ([...st.values()].some((s) => s !== "SUCCEEDED")) throw new Error("a job did not succeed");
    serverCalls = delta(ecs.stats().calls, before);
  } finally {
    await server.stop();
  }
  const ecsClient = new ECSClient({ endpoint: ecs.url, region: "us-east-1", credentials: creds });
  const logs = new CloudWatchLogsClient({ endpoint: ecs.url, region: "us-east-1", credentials: creds });
  try {
    const td = await ecsClient.send(
      new RegisterTaskDefinitionCommand(templateDoc(["sh", "-c", "echo hello"]) as unknown as RegisterTaskDefinitionCommandInput),
    );
    const arn = td.taskDefinition!.taskDefinitionArn!;
    const before = ecs.stats().calls;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, async () => {
        const r = await ecsClient.send(
          new RunTaskCommand({
            cluster: ECS_CLUSTER,
            taskDefinition: arn,
            count: 1,
            launchType: "FARGATE",
            networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } },
          }),
        );
        const taskArn = r.tasks![0]!.taskArn!;
        for (;;) {
          await new Promise((res) => setTimeout(res, pollMs));
          const d = await ecsClient.send(new DescribeTasksCommand({ cluster: ECS_CLUSTER, tasks: [taskArn] }));
          if (d.tasks?.[0]?.lastStatus === "STOPPED") break;
        }
        const id = taskArn.slice(taskArn.lastIndexOf("/") + 1);
        await logs.send(
          new GetLogEventsCommand({ logGroupName: "/ecs/bench", logStreamName: `ecs/main/${id}`, startFromHead: true, limit: 10_000 }),
        );
      }),
    );
    const bareMs = performance.now() - t0;
    return { serverMs, bareMs, serverCalls, bareCalls: delta(ecs.stats().calls, before) };
  } finally {
    ecsClient.destroy();
    logs.destroy();
    await ecs.close();
  }
}

async function overhead(n: number, rounds: number, pollMs: number): Promise<string> {
  const results = [];
  for (let i = 0; i < rounds; i++) results.push(await overheadRound(n, pollMs));
  const ratios = results.map((r) => r.serverMs / r.bareMs).sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)]!;
  const last = results[results.length - 1]!;
  const perJob = (c: Record<string, number>) =>
    Object.entries(c)
      .sort()
      .map(([k, v]) => `${k} ${(v / n).toFixed(2)}`)
      .join(", ");
  const secs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");
  return [
    `### Control-plane overhead: ${n} trivial jobs (\`echo hello\`, 1 task, polling ${pollMs} ms), ${rounds} rounds`,
    "",
    "| | wall time for all jobs, per round | API calls per job |",
    "|---|---:|---|",
    `| through heimdall (submit → SUCCEEDED, logs fetched) | ${secs(results.map((r) => r.serverMs))} s | ${perJob(last.serverCalls)} |`,
    `| bare SDK script (RunTask, DescribeTasks per task, GetLogEvents) | ${secs(results.map((r) => r.bareMs))} s | ${perJob(last.bareCalls)} |`,
    `| **ratio heimdall / bare** (median of ${ratios.map((r) => r.toFixed(2)).join(", ")}) | **${median.toFixed(2)}** (target ≤ 1.3) | |`,
  ].join("\n");
}

export async function run(): Promise<string> {
  const jobs = Number(process.env.ECS_BENCH_JOBS ?? 1000);
  const only = (process.env.ECS_BENCH_ONLY ?? "calls,flight,overhead").split(",");
  const parts = [
    "## ECS plugin",
    "",
    "Server = `heimdall serve` child process (SQLite), ECS = local ECS endpoint in the benchmark process, all over",
    "loopback HTTP with the real AWS SDK clients.",
  ];
  if (only.includes("calls")) parts.push("", await callsPerJob());
  if (only.includes("flight")) parts.push("", await manyInFlight(jobs, 10));
  for (const pollMs of [500, 2000]) {
    if (only.includes("overhead"))
      parts.push("", await overhead(Number(process.env.ECS_BENCH_TRIVIAL ?? 50), Number(process.env.ECS_BENCH_ROUNDS ?? 5), pollMs));
  }
  return parts.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then(
    (md) => process.stdout.write(`${md}\n`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
