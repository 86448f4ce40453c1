// Runs `heimdall serve` as a child process with a temp YAML config: launchServer (shared with the UI tests and
// the benchmarks) and startServer, the CLI and multi-instance tests' server.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

export const ROOT = new URL("../..", import.meta.url).pathname;
/** The `heimdall` command run from the TypeScript sources (bin/heimdall.js runs dist/, which tests do not build). */
export const BIN = join(ROOT, "test", "cli", "heimdall-from-source.mjs");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface LaunchOptions {
  /** Working directory; the YAML file is written here. */
  dir: string;
  port: number;
  env?: Record<string, string>;
  /** Own process group (so kill(-pid) also reaches job processes). */
  detached?: boolean;
  timeoutMs?: number;
  /** The `heimdall` entry point to run (default BIN: the TypeScript sources). */
  bin?: string;
}

export interface LaunchedServer {
  url: string;
  proc: ChildProcess;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  running(): boolean;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/**
 * Writes `config` as YAML into `dir`, runs `heimdall serve --config` on it (no config: plain `heimdall serve`, the
 * demo; `port` must then match HEIMDALL_ADDR) and waits until /api/v1/health answers 200. Shared by the CLI, UI
 * and benchmark harnesses, which each bring their own config.
 */
export async function launchServer(config: Record<string, unknown> | undefined, opts: LaunchOptions): Promise<LaunchedServer> {
  // freePort's port can be taken by another process before the server binds it (seen in CI: EADDRINUSE). When the
  // config listens on exactly that port, try again on a fresh one (the answer's url says which).
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(config, opts);
    } catch (e) {
      const server = config?.["server"] as { addr?: string } | undefined;
      const ours = server?.addr === `127.0.0.1:${opts.port}`;
      if (attempt >= 3 || !ours || !/EADDRINUSE/.test((e as Error).message)) throw e;
      const port = await freePort();
      config = { ...config, server: { ...server, addr: `127.0.0.1:${port}` } };
      opts = { ...opts, port };
    }
  }
}

async function launchOnce(config: Record<string, unknown> | undefined, opts: LaunchOptions): Promise<LaunchedServer> {
  const args = [opts.bin ?? BIN, "serve"];
  if (config) {
    const file = join(opts.dir, `heimdall-${opts.port}.yaml`);
    writeFileSync(file, stringify(config));
    args.push("--config", file);
  }
  const proc = spawn(process.execPath, args, {
    cwd: opts.dir,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.detached ?? false,
  });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${opts.port}`;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`heimdall serve exited ${proc.exitCode}: ${out}`);
    try {
      const r = await fetch(`${url}/api/v1/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`heimdall serve did not become healthy within ${timeoutMs / 1000} s: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, proc, exited, running: () => proc.exitCode === null && proc.signalCode === null, output: () => out };
}

export interface ServerOptions {
  databaseUrl?: string;
  /** Extra top-level YAML keys (merged over the defaults). */
  extra?: Record<string, unknown>;
  dir?: string;
}

export interface ServerProcess {
  url: string;
  dir: string;
  proc: ChildProcess;
  running(): boolean;
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL the process group (server and its job processes). */
  kill(): Promise<void>;
}

/** `heimdall serve` with ping and shell commands, in its own process group, for the CLI and multi-instance tests. */
export async function startServer(opts: ServerOptions = {}): Promise<ServerProcess> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "heimdall-srv-"));
  const port = await freePort();
  const config = {
    server: { addr: `127.0.0.1:${port}`, shutdown_timeout: 5 },
    database: { connection_string: opts.databaseUrl ?? `sqlite:${join(dir, "heimdall.db")}`, max_connections: 5 },
    jobs_directory: join(dir, "jobs"),
    pool: { size: 4 },
    auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" } },
    log_level: "info",
    local_ecs: { enabled: false },
    commands: [
      { name: "ping-0.0.1", plugin: "ping", version: "0.0.1", tags: ["type:ping"], cluster_tags: ["type:localhost"] },
      {
        name: "shell-0.0.1",
        plugin: "shell",
        tags: ["type:shell"],
        cluster_tags: ["type:localhost"],
        context: { command: ["/bin/sh", "-c", 'for a in "$@"; do echo "$a"; sleep 0.3; done', "sh"] },
      },
    ],
    clusters: [{ name: "localhost-0.0.1", version: "0.0.1", tags: ["type:localhost"] }],
    ...opts.extra,
  };
  const srv = await launchServer(config, { dir, port, env: { HEIMDALL_LOCAL_ECS_PORT: "0" }, detached: true });
  const { proc, running } = srv;
  return {
    url: srv.url,
    dir,
    proc,
    running,
    output: srv.output,
    async stop() {
      if (running() && proc.pid) process.kill(proc.pid, "SIGTERM");
      return srv.exited;
    },
    async kill() {
      if (running() && proc.pid) process.kill(-proc.pid, "SIGKILL");
      await srv.exited;
      killJobProcesses(join(dir, "jobs"));
    },
  };
}

/** SIGKILLs the job processes this server started (their working directory is under `jobsDir`; Linux /proc). */
function killJobProcesses(jobsDir: string): void {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(`${jobsDir}/`)) process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone or not ours
    }
  }
}

/** Runs the CLI asynchronously (for commands that wait, e.g. --follow). */
export function cliAsync(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
