// Process-group records of running shell jobs (issue 8 item 5). A running job's `<workdir>/process.json` names
// its process group (pid = pgid, start time, boot id, pid namespace), so that after a crash an instance on the
// same host can kill exactly that group — and never an unrelated process that later got the same pid.
// Linux /proc only: without it a record cannot be verified and nothing is killed.
import { randomBytes } from "node:crypto";
import { readFile, readdir, readlink, realpath, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, sep } from "node:path";

export const PROCESS_RECORD = "process.json";

export interface ProcessRecord {
  /** Process id of the job's main process; it leads its own process group, so this is also the pgid. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); null without /proc. */
  start_time: number | null;
  /** /proc/sys/kernel/random/boot_id; a reboot or another host has a different one. */
  boot_id: string | null;
  /** readlink /proc/self/ns/pid: another container on the same host has a different one. */
  pid_namespace: string | null;
  hostname: string;
  instance: string;
  job_id: string;
  /** The server process that runs the job, and its start time: tells a later instance whether it is dead. */
  server_pid: number;
  server_start_time: number | null;
  recorded_at: string;
}

/** What killRecordedGroup found and did. */
export type KillOutcome =
  /** No (readable) record. */
  | "none"
  /** The record was written on another host, before a reboot or in another pid namespace: not ours to see. */
  | "elsewhere"
  /** No /proc or no start time in the record: nothing can be verified, nothing is killed. */
  | "unverifiable"
  /** The group no longer exists (the pid may belong to another process now). The record is removed. */
  | "gone"
  /** The group was signalled and is gone now. The record is removed. */
  | "killed"
  /** The group still exists after SIGKILL and the wait (or the wait was aborted). */
  | "alive";

interface Stat {
  state: string;
  pgrp: number;
  startTime: number;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
async function procStat(pid: number | string): Promise<Stat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const state = rest[0] ?? "";
  const pgrp = Number(rest[2]);
  const startTime = Number(rest[19]);
  if (!Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined;
  return { state, pgrp, startTime };
}

async function readTrimmed(path: string): Promise<string | null> {
  try {
    return (await readFile(path, "utf8")).trim() || null;
  } catch {
    return null;
  }
}

async function pidNamespace(): Promise<string | null> {
  try {
    return await readlink("/proc/self/ns/pid");
  } catch {
    return null;
  }
}

const bootId = () => readTrimmed("/proc/sys/kernel/random/boot_id");

/** Writes the record of a freshly spawned group leader atomically (temporary file, then rename). */
export async function writeProcessRecord(dir: string, pid: number, instance: string, jobId: string): Promise<ProcessRecord> {
  const stat = await procStat(pid);
  const record: ProcessRecord = {
    pid,
    start_time: stat?.startTime ?? null,
    boot_id: await bootId(),
    pid_namespace: await pidNamespace(),
    hostname: hostname(),
    instance,
    job_id: jobId,
    server_pid: process.pid,
    server_start_time: (await procStat(process.pid))?.startTime ?? null,
    recorded_at: new Date().toISOString(),
  };
  const tmp = join(dir, `.${PROCESS_RECORD}.${randomBytes(6).toString("hex")}`);
  await writeFile(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(tmp, join(dir, PROCESS_RECORD));
  return record;
}

function isRecord(v: unknown): v is ProcessRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  const nullable = (x: unknown, t: string) => x === null || typeof x === t;
  return (
    Number.isInteger(r["pid"]) &&
    (r["pid"] as number) > 1 &&
    nullable(r["start_time"], "number") &&
    nullable(r["boot_id"], "string") &&
    nullable(r["pid_namespace"], "string") &&
    typeof r["instance"] === "string" &&
    typeof r["job_id"] === "string" &&
    Number.isInteger(r["server_pid"]) &&
    nullable(r["server_start_time"], "number")
  );
}

/** The record in `dir`, or undefined when there is none or it is unreadable. */
export async function readProcessRecord(dir: string): Promise<ProcessRecord | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, PROCESS_RECORD), "utf8"));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function removeProcessRecord(dir: string): Promise<void> {
  await rm(join(dir, PROCESS_RECORD), { force: true });
}

/** Live (non-zombie) processes whose process group is `pgid`. */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = await procStat(name);
    if (s && s.pgrp === pgid && s.state !== "Z" && s.state !== "X") members.push(Number(name));
  }
  return members;
}

async function cwdWithin(pid: number, dir: string): Promise<boolean> {
  try {
    const [cwd, real] = [await readlink(`/proc/${pid}/cwd`), await realpath(dir).catch(() => dir)];
    return cwd === real || cwd.startsWith(real + sep);
  } catch {
    return false;
  }
}

/**
 * Whether the recorded group still exists as the same group. A pid number stays allocated while it is some
 * group's pgid, so a leader with another start time means our group is gone and the pid was reused. When the
 * leader itself has exited, a member counts only if it started no earlier and still works in the job's directory
 * (another group may have taken the number since).
 */
async function sameGroupAlive(rec: ProcessRecord & { start_time: number }, dir: string): Promise<boolean> {
  const leader = await procStat(rec.pid);
  if (leader && leader.startTime !== rec.start_time) return false;
  if (leader && leader.state !== "Z" && leader.state !== "X") return leader.pgrp === rec.pid;
  const members = await groupMembers(rec.pid);
  if (leader) return members.length > 0; // our leader, a zombie nobody reaped yet
  for (const pid of members) {
    const s = await procStat(pid);
    if (s && s.startTime >= rec.start_time && (await cwdWithin(pid, dir))) return true;
  }
  return false;
}

/** A record of this host (same boot, same pid namespace) with start times; undefined when it cannot be told. */
async function localRecord(record: ProcessRecord): Promise<(ProcessRecord & { start_time: number }) | "elsewhere" | undefined> {
  const [boot, ns] = [await bootId(), await pidNamespace()];
  if (record.start_time === null || boot === null || ns === null) return undefined;
  if (record.boot_id !== boot || record.pid_namespace !== ns) return "elsewhere";
  return { ...record, start_time: record.start_time };
}

/**
 * Whether the server process that wrote the record still runs: "alive" / "dead" on this host (pid and start
 * time), "unknown" for a record of another host or boot, or without /proc.
 */
export async function recordOwner(record: ProcessRecord): Promise<"alive" | "dead" | "unknown"> {
  const local = await localRecord(record);
  if (local === undefined || local === "elsewhere" || record.server_start_time === null) return "unknown";
  const s = await procStat(record.server_pid);
  return s && s.startTime === record.server_start_time && s.state !== "Z" && s.state !== "X" ? "alive" : "dead";
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls every 100 ms until the group has no live member; false when `ms` passed or `signal` aborted first. */
async function waitGone(pgid: number, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if ((await groupMembers(pgid)).length === 0) return true;
    if (Date.now() >= end || signal?.aborted) return false;
    await sleep(Math.min(100, Math.max(1, end - Date.now())));
  }
}

export interface KillOptions {
  /** Wait between SIGTERM and SIGKILL. */
  graceMs: number;
  /** Wait after SIGKILL (default 5 s). */
  killWaitMs?: number;
  /** Aborting skips the rest of the grace period (SIGKILL at once) and stops waiting. */
  signal?: AbortSignal;
}

/**
 * Kills the process group recorded in `dir` when it is verifiably the same group on this host: SIGTERM, SIGKILL
 * after the grace period, then waits until no member is left. Removes the record once the group is gone.
 */
export async function killRecordedGroup(dir: string, opts: KillOptions): Promise<{ outcome: KillOutcome; record?: ProcessRecord }> {
  const record = await readProcessRecord(dir);
  if (!record) return { outcome: "none" };
  const rec = await localRecord(record);
  if (rec === undefined) return { outcome: "unverifiable", record };
  if (rec === "elsewhere") return { outcome: "elsewhere", record };
  if (!(await sameGroupAlive(rec, dir))) {
    await removeProcessRecord(dir);
    return { outcome: "gone", record };
  }
  signalGroup(rec.pid, "SIGTERM");
  // While members are seen every 100 ms the pgid cannot have been freed and reused in between.
  if (!(await waitGone(rec.pid, opts.graceMs, opts.signal))) {
    signalGroup(rec.pid, "SIGKILL");
    if (!(await waitGone(rec.pid, opts.killWaitMs ?? 5000, undefined))) return { outcome: "alive", record };
  }
  await removeProcessRecord(dir);
  return { outcome: "killed", record };
}
