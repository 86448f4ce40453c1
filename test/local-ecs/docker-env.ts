// Shared setup for the docker-runtime tests: Podman's Docker-compatible service on a private socket (started once
// per test file by scripts/podman-test-setup.mjs) and a local ECS with `runtime: docker` pointed at it.
import type { Task } from "@aws-sdk/client-ecs";
// @ts-expect-error -- plain ESM script without types
import { DEFAULT_IMAGE, IMAGE, PAUSE, nodeSdkImage, startPodman } from "../../scripts/podman-test-setup.mjs";
import { type Env, setup, waitTask } from "./helpers.ts";

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
export const waitStopped = (env: Env, arn: string, timeoutMs = 60_000): Promise<Task> =>
  waitTask(env, arn, (t) => t.lastStatus === "STOPPED", timeoutMs);
export const waitRunning = (env: Env, arn: string, timeoutMs = 60_000): Promise<Task> =>
  waitTask(env, arn, (t) => t.lastStatus === "RUNNING", timeoutMs);
