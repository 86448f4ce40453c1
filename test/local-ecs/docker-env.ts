// Shared setup for the docker-runtime tests: Podman's Docker-compatible service on a private socket (started once
// per test file by scripts/podman-test-setup.mjs) and a local ECS with `runtime: docker` pointed at it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTaskDefinitionCommand, type Task } from "@aws-sdk/client-ecs";
import { LABEL } from "../../src/local-ecs/runtime/docker-labels.ts";
import { dockerClient } from "../../src/local-ecs/runtime/docker-client.ts";
// @ts-expect-error -- plain ESM script without types
import { DEFAULT_IMAGE, IMAGE, PAUSE, nodeSdkImage, startPodman } from "../../scripts/podman-test-setup.mjs";
import { type Env, describe, setup, waitTask } from "./helpers.ts";

export { DEFAULT_IMAGE, IMAGE };

export interface Podman {
  dockerHost: string;
  /** Environment for the podman CLI (the private containers.conf). */
  env: NodeJS.ProcessEnv;
  /** host:port of the loopback registry the engine may pull from over plain http (see oci-registry.ts). */
  registry: string;
  stop(): Promise<void>;
}

/** Starts Podman, or returns the reason it cannot run here (printed; the caller skips). */
export async function podman(): Promise<Podman | string> {
  const r = (await startPodman()) as {
    skip?: string;
    dockerHost?: string;
    env?: NodeJS.ProcessEnv;
    registry?: string;
    stop?: () => Promise<void>;
  };
  if (r.skip) {
    console.log(`# docker-runtime tests skipped: ${r.skip}`);
    return r.skip;
  }
  return { dockerHost: r.dockerHost!, env: r.env!, registry: r.registry!, stop: r.stop! };
}

/**
 * The node test image running the AWS SDK probe (fixtures/sdk-probe.ts) as its CMD; built once by content hash
 * (this machine's node binary and libraries, no registry), then reused.
 */
export async function sdkProbeImage(p: Podman): Promise<string> {
  return (await nodeSdkImage(p.env, new URL("./fixtures/sdk-probe.ts", import.meta.url).pathname)) as string;
}

export function dockerSettings(p: Podman, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    runtime: "docker",
    docker: { host: p.dockerHost, ...PAUSE, ...((extra.docker as object | undefined) ?? {}) },
    ...extra,
    ...(extra.docker ? { docker: { host: p.dockerHost, ...PAUSE, ...(extra.docker as object) } } : {}),
  };
}

export async function dockerEnv(p: Podman, extra: Record<string, unknown> = {}): Promise<Env> {
  return setup(dockerSettings(p, extra));
}

/** Containers need seconds, not milliseconds: a generous deadline for real runtimes. */
export const waitStopped = (env: Env, arn: string, timeoutMs = 60_000): Promise<Task> => waitStatus(env, arn, "STOPPED", timeoutMs);
export const waitRunning = (env: Env, arn: string, timeoutMs = 60_000): Promise<Task> => waitStatus(env, arn, "RUNNING", timeoutMs);

const waitStatus = (env: Env, arn: string, status: string, timeoutMs: number): Promise<Task> =>
  explained(
    env,
    arn,
    waitTask(env, arn, (t) => t.lastStatus === status, timeoutMs),
  );

/**
 * A wait that timed out says what the engine saw: each container of the task (state, exit code, start/finish
 * times, its processes while running) and the task's log lines with their times, so a failure in CI (where the
 * machine is shared with the rest of the suite) shows which step hung.
 */
async function explained(env: Env, arn: string, wait: Promise<Task>): Promise<Task> {
  try {
    return await wait;
  } catch (e) {
    const engine = dockerClient(env.le.settings.docker.host, 10_000);
    const lines: string[] = [`${(e as Error).message} at ${new Date().toISOString()}`];
    try {
      const found = await engine.listContainers({ all: true, filters: { label: [`${LABEL.taskArn}=${arn}`] } });
      for (const f of found) {
        const c = engine.getContainer(f.Id);
        const s = (await c.inspect()).State;
        lines.push(`container ${f.Names.join(",")}: ${s.Status} exit ${s.ExitCode} started ${s.StartedAt} finished ${s.FinishedAt}`);
        if (s.Running && s.Pid) lines.push(...processes(s.Pid));
      }
      lines.push(...(await taskLogLines(env, arn)));
    } catch (x) {
      lines.push(`(engine: ${(x as Error).message})`);
    }
    throw new Error(lines.join("\n"), { cause: e });
  }
}

/** "<time> <container>: <line>" for each awslogs line of the task so far. */
async function taskLogLines(env: Env, arn: string): Promise<string[]> {
  const task = await describe(env, arn);
  const def = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn! }));
  const out: string[] = [];
  for (const c of def.taskDefinition?.containerDefinitions ?? []) {
    const o = c.logConfiguration?.options;
    if (!o?.["awslogs-group"]) continue;
    const stream = `${o["awslogs-stream-prefix"]}/${c.name}/${arn.split("/").pop()}`;
    const r = await env.logs.send(
      new GetLogEventsCommand({ logGroupName: o["awslogs-group"], logStreamName: stream, startFromHead: true }),
    );
    for (const ev of r.events ?? []) out.push(`${new Date(ev.timestamp ?? 0).toISOString()} ${c.name}: ${ev.message}`);
  }
  return out;
}

/** The container's processes (pid, state, seconds, kernel wait, command) and its network namespace's TCP sockets. */
function processes(pid: number): string[] {
  try {
    const rows = execFileSync("ps", ["-e", "-o", "pid=,ppid=,stat=,etimes=,wchan:24=,args="], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/));
    const tree = new Set([String(pid)]);
    let size = 0;
    while (size !== tree.size) {
      size = tree.size;
      for (const r of rows) if (tree.has(r[1]!)) tree.add(r[0]!);
    }
    const tcp = readFileSync(`/proc/${pid}/net/tcp`, "utf8").trim().split("\n").slice(1);
    return [
      ...rows.filter((r) => tree.has(r[0]!)).map((r) => `  ps ${r.join(" ")}`),
      ...tcp.map(
        (l) => `  tcp ${l.trim().split(/\s+/).slice(1, 4).join(" ")} (st 01 established, 02 syn-sent, 05 fin-wait2, 08 close-wait)`,
      ),
    ];
  } catch (e) {
    return [`  (processes: ${(e as Error).message})`];
  }
}
