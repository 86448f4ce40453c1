// `shell` plugin, issue 8 item 5: a running job records its process group in `<workdir>/process.json`
// (pid, /proc start time, boot id); cleanup(jobId) kills a recorded group that is verifiably the same group on
// this host and never a process that merely got the same pid. Real child processes, Linux /proc.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { Cluster, Job } from "../../src/core/index.ts";
import { createShellPlugin, PROCESS_RECORD, type Handler, type Runtime } from "../../src/plugins/index.ts";
import { killRecordedGroup, writeProcessRecord } from "../../src/plugins/shell/process-group.ts";
import { silentLog } from "../engine/helpers.ts";

const HAS_PROC = existsSync("/proc/self/stat");
const SH = "/bin/sh";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cluster: Cluster = {
  id: "local",
  name: "local",
  version: "",
  user: "u",
  description: "",
  tags: ["_id:local"],
  created_at: 1,
  updated_at: 1,
  status: "ACTIVE",
  health_check: false,
  attributes: {},
};
function job(id: string): Job {
  return {
    id,
    name: "j",
    version: "",
    user: "u",
    description: "",
    tags: ["_id:x"],
    created_at: 1,
    updated_at: 2,
    status: "RUNNING",
    is_sync: false,
    store_result_sync: false,
    error: "",
    command_criteria: [],
    cluster_criteria: [],
    command_id: "c",
    command_name: "c",
    cluster_id: "local",
    cluster_name: "local",
    canceled_by: "",
    job_attributes: {},
  };
}

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    assert.ok(Date.now() < end, `timed out waiting for: ${what}`);
    await sleep(20);
  }
}

const devNull = () => new Writable({ write: (_c, _e, cb) => cb() });

describe("shell plugin process-group records", { skip: HAS_PROC ? false : "needs Linux /proc" }, () => {
  let jobsDir: string;
  const strays: number[] = [];
  before(() => {
    jobsDir = mkdtempSync(join(tmpdir(), "heimdall-shellproc-"));
  });
  after(async () => {
    for (const pid of strays) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await rm(jobsDir, { recursive: true, force: true });
  });

  const services = () => ({
    state: { put: async () => {}, list: async () => [] },
    log: silentLog,
    version: "1",
    instanceName: "host-a-1",
    jobsDirectory: jobsDir,
  });
  let n = 0;
  async function start(argv: string[], handler?: Handler) {
    const h = handler ?? (await createShellPlugin({ killGraceMs: 300 }).create({ command: argv }, {} as never, services()));
    const id = `job-${n++}`;
    const dir = join(jobsDir, id);
    mkdirSync(dir, { mode: 0o700 });
    const rt: Runtime = {
      workingDirectory: dir,
      version: "1",
      userAgent: "heimdall/1",
      resumed: false,
      stdout: devNull(),
      stderr: devNull(),
      setResult: () => {},
      setOutput: () => {},
    };
    const settled = h.execute(new AbortController().signal, rt, job(id), cluster).then(
      () => "ok",
      (e: Error) => e.message,
    );
    return { h, id, dir, settled, record: join(dir, PROCESS_RECORD) };
  }

  it("records pid, start time, boot id, instance, job and server process while the job runs, and removes the record at exit", async () => {
    const j = await start([SH, "-c", "echo $$ > leader.pid; sleep 30"]);
    await until("process.json and leader.pid", () => existsSync(j.record) && existsSync(join(j.dir, "leader.pid")));
    const rec = JSON.parse(readFileSync(j.record, "utf8"));
    const leader = Number(readFileSync(join(j.dir, "leader.pid"), "utf8"));
    strays.push(leader);
    assert.equal(rec.pid, leader, "the recorded pid is the child's (the group leader)");
    assert.equal(rec.start_time, startTime(leader));
    assert.equal(rec.boot_id, readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    assert.equal(rec.instance, "host-a-1");
    assert.equal(rec.job_id, j.id);
    assert.deepEqual([rec.server_pid, rec.server_start_time], [process.pid, startTime(process.pid)], "the server process that runs it");
    process.kill(-leader, "SIGTERM");
    assert.equal(await j.settled, "signal: SIGTERM");
    assert.ok(!existsSync(j.record), "the record is gone once the child exited");
  });

  it("cleanup(jobId) kills a job's process group left behind, SIGKILLing one that ignores SIGTERM", async () => {
    // The group of a job whose instance is 'dead': no abort ever reaches it; only its record is left.
    const j = await start([SH, "-c", "trap '' TERM; sleep 30 & echo $! > bg.pid; echo $$ > leader.pid; while :; do sleep 0.05; done"]);
    await until("pid files", () => existsSync(join(j.dir, "bg.pid")) && existsSync(join(j.dir, "leader.pid")) && existsSync(j.record));
    const leader = Number(readFileSync(join(j.dir, "leader.pid"), "utf8"));
    const bg = Number(readFileSync(join(j.dir, "bg.pid"), "utf8"));
    strays.push(leader);
    // Another handler (as on another instance of the same host) cleans the job up.
    const other = await createShellPlugin({ killGraceMs: 300 }).create({ command: ["/bin/true"] }, {} as never, services());
    await other.cleanup(j.id, cluster, new AbortController().signal);
    assert.ok(!alive(leader), "the leader is dead when cleanup resolves");
    assert.ok(!alive(bg), "the background member of the group is dead too");
    assert.equal(await j.settled, "signal: SIGKILL");
    assert.ok(!existsSync(j.record), "record removed");
  });

  it("a record whose pid now belongs to another process, or that comes from another boot, kills nothing", async () => {
    const j = await start([SH, "-c", "echo $$ > leader.pid; sleep 30"]);
    await until("process.json", () => existsSync(j.record) && existsSync(join(j.dir, "leader.pid")));
    const leader = Number(readFileSync(join(j.dir, "leader.pid"), "utf8"));
    strays.push(leader);
    const real = JSON.parse(readFileSync(j.record, "utf8"));
    const cleaner = await createShellPlugin({ killGraceMs: 300 }).create({ command: ["/bin/true"] }, {} as never, services());
    // Same pid, another start time: the pid was "reused" by an unrelated process.
    writeFileSync(j.record, JSON.stringify({ ...real, start_time: real.start_time - 1 }));
    await cleaner.cleanup(j.id, cluster, new AbortController().signal);
    assert.ok(alive(leader), "a process with another start time is not killed");
    assert.ok(!existsSync(j.record), "the stale record is dropped");
    // An unrelated detached process under a forged record with the right pid but another boot.
    const unrelated = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    strays.push(unrelated.pid!);
    writeFileSync(
      j.record,
      JSON.stringify({ ...real, pid: unrelated.pid, start_time: startTime(unrelated.pid!), boot_id: "another-boot" }),
    );
    await cleaner.cleanup(j.id, cluster, new AbortController().signal);
    assert.ok(alive(unrelated.pid!), "a record of another boot (or host) is not acted on");
    unrelated.kill("SIGKILL");
    // The genuine record still kills the real group (control: the cleanup above did act on nothing).
    writeFileSync(j.record, JSON.stringify(real));
    await cleaner.cleanup(j.id, cluster, new AbortController().signal);
    assert.ok(!alive(leader), "the genuine record kills the group");
    assert.equal(await j.settled, "signal: SIGTERM");
  });

  it("a group whose leader exited is killed through a member still in the job's directory, and only then", async () => {
    // Started as the plugin would (own group, cwd = working directory); the record outlives the leader as after a
    // crash. One group's member stays in the directory; the other's moved away, so it cannot be told from a
    // group that took the number later.
    const groups = [];
    for (const script of ["sleep 30 & echo $! > bg.pid; sleep 0.5", "cd / && sleep 30 & echo $! > bg.pid; sleep 0.5"]) {
      const dir = join(jobsDir, `orphan-${n++}`);
      mkdirSync(dir);
      const leader = spawn(SH, ["-c", script], { cwd: dir, detached: true, stdio: "ignore" });
      strays.push(leader.pid!);
      await writeProcessRecord(dir, leader.pid!, "dead-instance", "j");
      await until("bg.pid", () => existsSync(join(dir, "bg.pid")));
      await until("the leader's exit", () => !alive(leader.pid!));
      groups.push({ dir, bg: Number(readFileSync(join(dir, "bg.pid"), "utf8")) });
    }
    const [inDir, movedAway] = groups as [(typeof groups)[0], (typeof groups)[0]];
    assert.ok(alive(inDir.bg) && alive(movedAway.bg), "both members outlived their leader");
    assert.equal((await killRecordedGroup(inDir.dir, { graceMs: 300 })).outcome, "killed");
    assert.ok(!alive(inDir.bg), "the member in the job's directory was killed");
    assert.equal((await killRecordedGroup(movedAway.dir, { graceMs: 300 })).outcome, "gone");
    assert.ok(alive(movedAway.bg), "a member that cannot be tied to the job is left alone");
    process.kill(movedAway.bg, "SIGKILL");
  });
});
