// Crash tests of the ECS log copy (issue 8 item 3): a local ECS in this process, `heimdall serve` child processes
// SIGKILLed and restarted on the same database, and the byte-exact expected output of a task read back from the
// endpoint's CloudWatch Logs API (formatted here, independently of the plugin).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { parse, stringify } from "yaml";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { cleanupDir, spawnServer, startEcs, tempDir, templateDoc, writeConfig, writeTemplate } from "./harness.ts";
import type { ChildServer, CommandSpec } from "./harness.ts";
import { freePort } from "../../cli/server-process.ts";

export const LOG_GROUP = "/ecs/batch-jobs";
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The plugin's line format, written out here: `[YYYY-MM-DD HH:MM:SS] message` (UTC). */
function line(timestamp: number, message: string): string {
  return `[${new Date(timestamp).toISOString().replace("T", " ").slice(0, 19)}] ${message}\n`;
}

export interface RigOptions {
  /** Commands: name, tag and extra command context over the template and a 100 ms polling interval. */
  commands: { name: string; tag: string; script: string; context?: Record<string, unknown> }[];
  /** Extra top-level config keys (e.g. job_files). */
  extra?: Record<string, unknown>;
  /** Database of the servers (default a SQLite file in the rig's directory). */
  databaseUrl?: string;
}

export class CrashRig {
  ecs!: LocalEcs;
  private dir!: string;
  private cfg!: string;
  private logs!: CloudWatchLogsClient;
  private readonly servers: ChildServer[] = [];

  async setUp(o: RigOptions): Promise<void> {
    this.ecs = await startEcs({ throttling: { enabled: false } });
    this.logs = new CloudWatchLogsClient({
      endpoint: this.ecs.url,
      region: "us-west-2",
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
    this.dir = tempDir("ecs-crash-");
    const specs: CommandSpec[] = o.commands.map((c) => ({
      name: c.name,
      tag: c.tag,
      context: {
        task_definition_template: writeTemplate(this.dir, `${c.name}.json`, templateDoc(["sh", "-c", c.script])),
        polling_interval: "100ms",
        ...c.context,
      },
    }));
    // A crashed server's job is recovered (handed back and resumed) 2-3 s after its last heartbeat.
    this.cfg = writeConfig(this.dir, this.ecs, specs, {}, { keepalive: 1, stale_job: 2, clean_interval: 1 }, undefined, o.databaseUrl);
    if (o.extra !== undefined) writeFileSync(this.cfg, stringify({ ...parse(readFileSync(this.cfg, "utf8")), ...o.extra }));
  }

  async tearDown(): Promise<void> {
    for (const s of this.servers) await s.kill("SIGKILL");
    this.logs?.destroy();
    await this.ecs?.close();
    if (this.dir !== undefined) cleanupDir(this.dir);
  }

  async start(env: Record<string, string> = {}): Promise<ChildServer> {
    const s = await spawnServer(this.cfg, await freePort(), env);
    this.servers.push(s);
    return s;
  }

  /** Waits until `a` died (killed, or by a failpoint), then clears the endpoint's faults for the next server. */
  async awaitDeath(a: ChildServer): Promise<void> {
    await until("the server to die", async () => a.child.exitCode !== null || a.child.signalCode !== null);
    this.ecs.clearFaults();
  }

  async submit(s: ChildServer, tag: string): Promise<string> {
    const r = await s.submit({ name: "crash", version: "1", command_criteria: [tag], cluster_criteria: ["type:fargate"] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  }

  /** The representative task's id: the job's last attempt of slot 0 (from its timeline). */
  async taskId(s: ChildServer, id: string): Promise<string> {
    const tl = (await s.get(`/api/v1/job/${id}/tasks`)).json();
    const arn: string = tl.slots[0].attempts.at(-1).task_arn;
    return arn.slice(arn.lastIndexOf("/") + 1);
  }

  /** Exactly what the plugin must write for task `taskId`: the header and every event of its `main` stream. */
  async expectedLogs(taskId: string): Promise<string> {
    const stream = `ecs/main/${taskId}`;
    let text = `=== ${stream} ===\n\n`;
    let token: string | undefined;
    for (;;) {
      const r = await this.logs.send(
        new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: stream, startFromHead: true, nextToken: token }),
      );
      for (const e of r.events ?? []) text += line(e.timestamp!, e.message!);
      if (r.nextForwardToken === undefined || r.nextForwardToken === token) return text;
      token = r.nextForwardToken;
    }
  }
}

/** Runs `body` with a fresh rig (own local ECS, directory and database), torn down after. */
export async function withRig(o: RigOptions, body: (rig: CrashRig) => Promise<void>): Promise<void> {
  const rig = new CrashRig();
  try {
    await rig.setUp(o);
    await body(rig);
  } finally {
    await rig.tearDown();
  }
}

/** Stored bytes of a job file (X-Heimdall-File-Size of a 1-byte window). */
export async function storedSize(s: ChildServer, id: string, file: "stdout" | "stderr"): Promise<number> {
  const r = await fetch(`${s.url}/api/v1/job/${id}/${file}?offset=-1`, { headers: { "X-Heimdall-User": "tester" } });
  await r.arrayBuffer();
  return Number(r.headers.get("x-heimdall-file-size"));
}

/** Status of the job's slot-0 attempt in its timeline, once there is one. */
export async function slot0Status(s: ChildServer, id: string): Promise<string | undefined> {
  const r = await s.get(`/api/v1/job/${id}/tasks`);
  return r.status === 200 ? (r.json().slots?.[0]?.attempts?.at(-1)?.status as string | undefined) : undefined;
}

export async function jobStatus(s: ChildServer, id: string): Promise<string> {
  return (await s.get(`/api/v1/job/${id}`)).json().status as string;
}

/** Waits until `file` is partly stored while the job is still RUNNING, then SIGKILLs `s`; returns the bytes stored. */
export async function killDuringCopy(s: ChildServer, id: string, file: "stdout" | "stderr", below = Infinity): Promise<number> {
  let partial = 0;
  await until(`${file} to be partially stored`, async () => {
    partial = await storedSize(s, id, file);
    return partial > 0 && partial < below && (await jobStatus(s, id)) === "RUNNING";
  });
  await s.kill();
  return partial;
}

/** Polls `cond` every 25 ms until it returns true; fails after `timeoutMs`. */
export async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** `seq 1 n` as the plugin writes it: every number once, in order, one header — the structure, checked cheaply. */
export function assertSeqOutput(text: string, n: number): void {
  const lines = text.split("\n");
  assert.equal(lines.filter((l) => l.startsWith("=== ")).length, 1, "exactly one stream header");
  const numbers = lines.slice(2, -1).map((l) => l.slice(22));
  assert.equal(numbers.length, n, "one line per number");
  for (let i = 0; i < n; i++) if (numbers[i] !== String(i + 1)) assert.fail(`line ${i + 3} is "${lines[i + 2]}", expected number ${i + 1}`);
}
