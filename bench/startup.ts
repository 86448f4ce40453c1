// Start-up of the compiled command (issue 11 item 3): `heimdall --help`, `heimdall job list` against a running
// server and `heimdall serve` (built-in demo, fresh working directory) to the first 200 on /api/v1/health, each
// beside its floor measured in the same run: `node -e 0` for the client commands and a bare Fastify +
// better-sqlite3 app (bench/_bare-app.mjs) for serve. Runs `npm run build` first so dist/ is current.
// Targets: --help and job list under 0.25 s, serve under 0.8 s (medians). STARTUP_RUNS (default 5) per figure.
// STARTUP_BEFORE_BIN=<path of another build's bin/heimdall.js> adds that build's serve as a before figure; the
// serve, before and bare cold starts are interleaved (one of each per round) so load changes hit all alike.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/cli/server-process.ts";
import { compiledBin, percentile } from "./_server.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin", "heimdall.js");
const RUNS = Number(process.env["STARTUP_RUNS"] ?? 5);
const BEFORE_BIN = process.env["STARTUP_BEFORE_BIN"];

function median(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

const TIME = "/usr/bin/time"; // GNU time: the CPU a command used, a figure the machine's load disturbs less than wall time
const CLK_TCK = 100;

interface Sample {
  wallMs: number;
  /** user + system CPU of the process (until exit, or until the first 200 for a server); NaN if unknown. */
  cpuMs: number;
}

/** Wall time (and CPU time, with GNU time) of a process from spawn to exit; throws on a non-zero exit. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Sample {
  const cpuFile = join(tmpdir(), `heimdall-startup-cpu-${process.pid}`);
  const [cmd, argv] = existsSync(TIME) ? [TIME, ["-f", "%U %S", "-o", cpuFile, process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  let cpuMs = NaN;
  if (existsSync(cpuFile)) {
    const [u, s] = readFileSync(cpuFile, "utf8").trim().split(/\s+/).slice(-2).map(Number);
    cpuMs = ((u ?? NaN) + (s ?? NaN)) * 1000;
    rmSync(cpuFile, { force: true });
  }
  return { wallMs, cpuMs };
}

/** CPU time a running process has used so far (/proc/<pid>/stat utime + stime). */
function cpuSoFar(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1000;
  } catch {
    return NaN;
  }
}

async function waitHealthy(url: string, proc: ChildProcess, deadlineMs = 60_000): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const ok = await fetch(`${url}/api/v1/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (proc.exitCode !== null || performance.now() > deadline) throw new Error(`no 200 from ${url}/api/v1/health`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

interface Started extends Sample {
  url: string;
  proc: ChildProcess;
  dir: string;
}

/** Spawns `args` (+ port, dir as the command needs) in a fresh directory; ms from spawn to the first 200. */
type ColdKind = "serve" | "before" | "bare";

async function coldStart(kind: ColdKind): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), `heimdall-startup-${kind}-`));
  const [port, ecsPort] = [await freePort(), await freePort()];
  const env = { ...process.env, HEIMDALL_ADDR: `127.0.0.1:${port}`, HEIMDALL_LOCAL_ECS_PORT: String(ecsPort), HEIMDALL_LOG_LEVEL: "warn" };
  const args =
    kind === "bare"
      ? [join(ROOT, "bench", "_bare-app.mjs"), String(port), dir]
      : [kind === "before" && BEFORE_BIN ? BEFORE_BIN : BIN, "serve"];
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { cwd: dir, env, stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, proc);
  return { wallMs: performance.now() - t0, cpuMs: cpuSoFar(proc.pid), url, proc, dir };
}

/** RUNS rounds; each round cold-starts every kind once, in order. */
async function coldStarts(kinds: ColdKind[]): Promise<Map<ColdKind, Sample[]>> {
  const out = new Map<ColdKind, Sample[]>(kinds.map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const kind of kinds) {
      const s = await coldStart(kind);
      out.get(kind)?.push({ wallMs: s.wallMs, cpuMs: s.cpuMs });
      await stop(s.proc);
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
  return out;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

export async function run(): Promise<string> {
  compiledBin(); // npm run build, so dist/ is current
  const loadBefore = loadavg()[0]!;

  // The server `job list` talks to: the demo, started once (one job in it).
  const server = await coldStart("serve");
  try {
    await fetch(`${server.url}/api/v1/job`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] }),
    });
    const nodeE: Sample[] = [];
    const help: Sample[] = [];
    const list: Sample[] = [];
    const tsxHelp: Sample[] = [];
    timeProcess([BIN, "--help"]); // warm the file cache once
    for (let i = 0; i < RUNS; i++) {
      nodeE.push(timeProcess(["-e", "0"]));
      help.push(timeProcess([BIN, "--help"]));
      list.push(timeProcess([BIN, "job", "list", "--server", server.url]));
      tsxHelp.push(timeProcess([join(ROOT, "test", "cli", "heimdall-from-source.mjs"), "--help"]));
    }
    const cold = await coldStarts(BEFORE_BIN ? ["serve", "before", "bare"] : ["serve", "bare"]);
    const serve = cold.get("serve") ?? [];
    const bare = cold.get("bare") ?? [];
    const before = cold.get("before");
    const loadAfter = loadavg()[0]!;
    const wall = (xs: Sample[]) => median(xs.map((x) => x.wallMs));
    const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpuMs));
    const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}x` : "—");
    const row = (name: string, xs: Sample[], floor: Sample[] | undefined, target: string) =>
      `| ${name} | ${fmt(wall(xs))} | ${fmt(Math.min(...xs.map((x) => x.wallMs)))} | ${floor ? ratio(wall(xs), wall(floor)) : "—"} | ` +
      `${Number.isFinite(cpu(xs)) ? fmt(cpu(xs)) : "n/a"} | ${floor ? ratio(cpu(xs), cpu(floor)) : "—"} | ${target} |`;
    return [
      "## Start-up of the compiled command (bench/startup.ts)",
      "",
      `${RUNS} runs each, wall time from spawn (to exit, or to the first 200); CPU time (user + system) of the same`,
      `processes, which the machine's load disturbs less. Load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after.`,
      "",
      "| what | wall median | wall min | wall ratio to its floor | CPU median | CPU ratio to its floor | target (wall) |",
      "|---|---|---|---|---|---|---|",
      row("`node -e 0` (floor of the client commands)", nodeE, undefined, ""),
      row("`heimdall --help`", help, nodeE, "< 0.25 s"),
      row("`heimdall job list` (demo server running)", list, nodeE, "< 0.25 s"),
      row("`heimdall --help` from the sources through tsx (how bin/ ran before; ratio to compiled)", tsxHelp, help, ""),
      row("bare Fastify + better-sqlite3 to first 200 (floor of serve)", bare, undefined, ""),
      ...(before ? [row(`\`heimdall serve\` of ${BEFORE_BIN} (before) to first 200`, before, bare, "")] : []),
      row("`heimdall serve` (demo, fresh directory) to first 200 on /api/v1/health", serve, bare, "< 0.8 s"),
      ...(before ? [row("`heimdall serve`, ratio to the before build (floor column)", serve, before, "")] : []),
      "",
    ].join("\n");
  } finally {
    await stop(server.proc);
    rmSync(server.dir, { recursive: true, force: true });
  }
}
