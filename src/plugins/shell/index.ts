// `shell` plugin (spec 10.8): runs the command context's executable, never through a shell string, in its own
// process group recorded in the job's working directory (so a restart can find and kill it).
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { clusterToJson, jobToJson, type Cluster, type Job, type JsonObject } from "../../core/index.ts";
import type { Handler, PluginModule, PluginServices, Runtime } from "../contract.ts";
import { killRecordedGroup, removeProcessRecord, writeProcessRecord } from "./process-group.ts";
import { readResultFile } from "./result-file.ts";

export { PROCESS_RECORD, killRecordedGroup, readProcessRecord, recordOwner, type ProcessRecord } from "./process-group.ts";

/** Grace period between SIGTERM and SIGKILL of the process group on abort (spec 10.8: 10 seconds). */
export const KILL_GRACE_MS = 10_000;

const COMMAND_ERROR = 'shell: "command" must be a non-empty array of strings';

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** The job's arguments, or the problem (`arguments: must be an array of strings`). */
function jobArguments(ctx: JsonObject | undefined): { args: string[] } | { problem: string } {
  const a = ctx?.["arguments"];
  if (a === undefined || a === null) return { args: [] };
  if (!isStringArray(a)) return { problem: "arguments: must be an array of strings" };
  return { args: a };
}

function signalName(signal: NodeJS.Signals | null): string {
  if (signal === null) return "SIGKILL";
  return signal;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function writeContext(rt: Runtime, job: Readonly<Job>, command: JsonObject, cluster: Readonly<Cluster>): Promise<void> {
  const doc = {
    job: jobToJson(job),
    command,
    cluster: clusterToJson(cluster),
    runtime: { WorkingDirectory: rt.workingDirectory, Version: rt.version, UserAgent: rt.userAgent },
  };
  await writeFile(join(rt.workingDirectory, "context.json"), `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}

interface RunOptions {
  killGraceMs: number;
  services: PluginServices;
  jobId: string;
}

/** Set once the "no /proc" warning was logged (once per process, not per job). */
let warnedNoProc = false;

/**
 * Records the child's process group in the working directory (issue 8 item 5), so a later instance can kill it
 * when this one dies; resolves when written (never rejects).
 */
async function recordGroup(rt: Runtime, pid: number, o: RunOptions): Promise<void> {
  try {
    const rec = await writeProcessRecord(rt.workingDirectory, pid, o.services.instanceName ?? "", o.jobId);
    if (rec.start_time === null && !warnedNoProc) {
      warnedNoProc = true;
      o.services.log.warn({ job: o.jobId, pid }, "no /proc: the process groups of shell jobs cannot be killed after a crash");
    }
  } catch (err) {
    o.services.log.warn({ err, job: o.jobId, pid }, "cannot record the job's process group");
  }
}

/** Spawns argv in the working directory; resolves with the exit code or signal once the child has exited. */
function run(
  argv: string[],
  rt: Runtime,
  signal: AbortSignal,
  o: RunOptions,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const { killGraceMs } = o;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: rt.workingDirectory,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group, so an abort reaches grandchildren too
      shell: false,
    });
    const recorded = child.pid === undefined ? Promise.resolve() : recordGroup(rt, child.pid, o);
    // The record goes when the child is gone (the runner deletes the working directory right after anyway).
    let finished = false;
    /** The first of 'error' and 'close' decides the outcome (a spawn error is followed by 'close'). */
    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      void recorded
        .then(() => removeProcessRecord(rt.workingDirectory))
        .catch(() => undefined)
        .then(settle);
    };
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      // Not skipped when the child itself has exited: a background grandchild may still hold its output open.
      if (child.pid === undefined) return;
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => {
        if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      }, killGraceMs);
      killTimer.unref();
    };
    child.stdout.pipe(rt.stdout, { end: false });
    child.stderr.pipe(rt.stderr, { end: false });
    child.once("error", (err) => {
      signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      finish(() => reject(err));
    });
    child.once("close", (code, sig) => {
      signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      finish(() => resolve({ code, signal: sig }));
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Extension (issue 8 item 5): kills the job's process group left by a dead instance on this host, if recorded. */
async function cleanupLeftover(jobId: string, signal: AbortSignal, services: PluginServices, killGraceMs: number): Promise<void> {
  const dir = services.jobsDirectory;
  if (dir === undefined || jobId === "" || jobId.includes("/") || jobId === "." || jobId === "..") return;
  const { outcome, record } = await killRecordedGroup(join(dir, jobId), { graceMs: killGraceMs, signal });
  const fields = { job: jobId, pid: record?.pid, instance: record?.instance, host: record?.hostname };
  if (outcome === "killed") services.log.warn(fields, "killed the leftover process group of the job");
  else if (outcome === "unverifiable")
    services.log.warn(fields, "cannot verify the job's recorded process group without /proc; not killed");
  else if (outcome === "elsewhere")
    services.log.info(fields, "the job's process group was recorded on another host or before a reboot; not killed");
  else if (outcome === "alive") throw new Error(`process group ${record?.pid} of job ${jobId} is still alive after SIGKILL`);
}

function shellHandler(argv: readonly string[], commandContext: JsonObject, killGraceMs: number, services: PluginServices): Handler {
  return {
    validateJobContext(jobContext) {
      const a = jobArguments(jobContext);
      if ("problem" in a) throw new Error(`context.${a.problem}`);
    },
    async execute(signal, rt, job, cluster) {
      const a = jobArguments(job.context);
      if ("problem" in a) throw new Error(`invalid context: ${a.problem}`);
      await writeContext(rt, job, commandContext, cluster);
      if (signal.aborted) throw new Error("aborted before start");
      const exit = await run([...argv, ...a.args], rt, signal, { killGraceMs, services, jobId: job.id });
      if (exit.code === 0) {
        const result = await readResultFile(join(rt.workingDirectory, "result.json"));
        if (result) rt.setResult(result);
        return;
      }
      if (exit.code !== null) throw new Error(`exit status ${exit.code}`);
      throw new Error(`signal: ${signalName(exit.signal)}`);
    },
    cleanup(jobId, _cluster, signal) {
      return cleanupLeftover(jobId, signal, services, killGraceMs);
    },
    async healthCheck() {},
  };
}

/** The shell plugin; `killGraceMs` (default 10 s) is only shortened by tests. */
export function createShellPlugin(opts: { killGraceMs?: number } = {}): PluginModule {
  const killGraceMs = opts.killGraceMs ?? KILL_GRACE_MS;
  return {
    name: "shell",
    resumable: false,
    workingDirectory: true,
    create(commandContext, _command, services) {
      const command = commandContext["command"];
      if (!isStringArray(command) || command.length === 0 || command[0] === "") throw new Error(COMMAND_ERROR);
      return shellHandler([...command], commandContext, killGraceMs, services);
    },
  };
}

export const shellPlugin: PluginModule = createShellPlugin();
