// A container as a host process: spawn without a shell in its own process group, line-split its output.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants as fsConstants, readFileSync, readdirSync, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, isAbsolute, join } from "node:path";
import { StringDecoder } from "node:string_decoder";

/** Max message length of one awslogs event (256 KiB minus the 26-byte event overhead). */
const MAX_LINE = 262_144 - 26;

/** Resolve argv[0] like execvp: a path is checked as is, a bare name is searched in PATH. */
export function resolveExecutable(cmd: string, cwd: string, path: string | undefined): string | undefined {
  const ok = (p: string): boolean => {
    try {
      accessSync(p, fsConstants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes("/")) {
    const p = isAbsolute(cmd) ? cmd : join(cwd, cmd);
    return ok(p) ? p : undefined;
  }
  for (const dir of (path ?? "").split(delimiter)) if (dir && ok(join(dir, cmd))) return join(dir, cmd);
  return undefined;
}

export type LineSink = (lines: string[], timestamp: number) => void;

/** Splits a byte stream into lines (without the newline); empty lines are dropped like awslogs does. */
export class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private partial = "";
  private sink: LineSink;
  constructor(sink: LineSink) {
    this.sink = sink;
  }
  write(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const parts = text.split("\n");
    this.partial = parts.pop() ?? "";
    const lines: string[] = [];
    for (const p of parts) pushLine(lines, p.endsWith("\r") ? p.slice(0, -1) : p);
    while (this.partial.length > MAX_LINE) {
      lines.push(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
    if (lines.length) this.sink(lines, Date.now());
  }
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    const lines: string[] = [];
    pushLine(lines, rest);
    if (lines.length) this.sink(lines, Date.now());
  }
}

function pushLine(out: string[], line: string): void {
  if (line.length === 0) return;
  for (let i = 0; i < line.length; i += MAX_LINE) out.push(line.slice(i, i + MAX_LINE));
}

/**
 * Start `argv` in `cwd` with exactly `env`. `onExit` gets the exit code (128+signal when killed) once the
 * process has exited and its output is drained (or 2 s after exit if something keeps the pipes open).
 */
export function spawnContainer(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  sink: LineSink | undefined,
  onExit: (code: number, error?: Error) => void,
): ChildProcess {
  const proc = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", sink ? "pipe" : "ignore", sink ? "pipe" : "ignore"],
  });
  let done = false;
  let code = 0;
  const finish = (err?: Error): void => {
    if (done) return;
    done = true;
    onExit(code, err);
  };
  if (sink) {
    const out = new LineSplitter(sink);
    const err = new LineSplitter(sink);
    proc.stdout!.on("data", (c: Buffer) => out.write(c));
    proc.stderr!.on("data", (c: Buffer) => err.write(c));
    proc.stdout!.on("end", () => out.end());
    proc.stderr!.on("end", () => err.end());
  }
  proc.on("error", (e) => {
    code = 127;
    finish(e);
  });
  proc.on("exit", (c, signal) => {
    code = c ?? 128 + (signal ? (osConstants.signals[signal] ?? 9) : 9);
    // PID 1 of a container exited: everything else in the container goes with it.
    killGroup(proc, "SIGKILL");
    if (!sink) finish();
    else setTimeout(finish, 2000).unref();
  });
  proc.on("close", () => finish());
  return proc;
}

export function killGroup(proc: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!proc?.pid) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    /* already gone */
  }
}

/** Resident set size (MiB) of every process group on the machine, by group id (one /proc scan). */
export function groupRssMiB(): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the parenthesised command: state ppid pgrp ...
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      const pages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
      out.set(pgrp, (out.get(pgrp) ?? 0) + (pages * 4096) / 1_048_576);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Resident set size of a process in MiB (Linux /proc), undefined when unknown. */
export function rssMiB(pid: number): number | undefined {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    return (pages * 4096) / 1_048_576;
  } catch {
    return undefined;
  }
}
