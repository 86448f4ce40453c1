// Chaos events on the stack of ./stack.ts: kill -9 of a serve process and restart, a PostgreSQL outage, local
// ECS faults and throttling for a while. Each is bounded in time; each returns a one-line description.
import { readdirSync, readlinkSync } from "node:fs";
import type { ChaosPostgres } from "./postgres.ts";
import { sleep } from "./stack.ts";
import type { EcsProcess, Serve } from "./stack.ts";

/** Seeded PRNG (mulberry32): the same seed gives the same schedule. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const between = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Starts `serve`, retrying a few times (the port of a killed process may take a moment to be free). */
export async function startServe(serve: Serve, tries = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await serve.start();
      return;
    } catch (err) {
      if (i >= tries) throw err;
      await sleep(2000);
    }
  }
}

/** kill -9 of one serve process; `downMs` later it is started again on the same config, port and directory. */
export async function killAndRestart(serve: Serve, downMs: number): Promise<string> {
  await serve.kill9();
  await sleep(downMs);
  await startServe(serve);
  return `kill -9 of serve ${serve.spec.label}, restarted after ${(downMs / 1000).toFixed(1)} s`;
}

/** PostgreSQL stopped for `downMs`, then started on the same port and data directory. */
export async function postgresOutage(pg: ChaosPostgres, downMs: number): Promise<string> {
  await pg.stop();
  try {
    await sleep(downMs);
  } finally {
    await pg.start();
  }
  return `PostgreSQL stopped for ${(downMs / 1000).toFixed(1)} s`;
}

export const ECS_FAULTS = ["throttle", "invisible", "serverError", "latency", "capacity"] as const;
export type EcsFault = (typeof ECS_FAULTS)[number];

/** The local ECS rule(s) for one fault kind: partial probabilities, so the plugin's retries get through. */
export function ecsFaultRules(kind: EcsFault): Array<Record<string, unknown>> {
  switch (kind) {
    case "throttle":
      return [{ kind: "throttle", probability: 0.3 }];
    case "invisible":
      // Eventual consistency (issue 8 item 4): new tasks are MISSING for 5 s after RunTask while they run.
      return [{ kind: "invisible", afterMs: 5000, probability: 0.7 }];
    case "serverError":
      return [{ kind: "serverError", probability: 0.2 }];
    case "latency":
      return [{ kind: "latency", latencyMs: 1500, probability: 0.5 }];
    case "capacity":
      return [{ kind: "capacity", probability: 0.5 }];
  }
}

/** Adds `kind`'s rules (throttle also shrinks the task buckets) for `forMs`, then removes them again. */
export async function ecsFaultWindow(ecs: EcsProcess, kind: EcsFault, forMs: number): Promise<string> {
  const ids: string[] = [];
  let buckets: Record<string, unknown> | undefined;
  try {
    for (const rule of ecsFaultRules(kind)) ids.push(await ecs.addFault(rule));
    if (kind === "throttle") {
      const all = await ecs.buckets();
      buckets = {
        clusterResourceRead: all.clusterResourceRead,
        clusterResourceModify: all.clusterResourceModify,
        logsGetLogEvents: all.logsGetLogEvents,
      };
      await ecs.throttle({
        buckets: {
          clusterResourceRead: { burst: 5, rate: 2 },
          clusterResourceModify: { burst: 5, rate: 2 },
          logsGetLogEvents: { burst: 3, rate: 2 },
        },
      });
    }
    await sleep(forMs);
  } finally {
    for (const id of ids) await ecs.removeFault(id).catch(() => undefined);
    if (buckets !== undefined) await ecs.throttle({ buckets }).catch(() => undefined);
  }
  return `local ECS ${kind} for ${(forMs / 1000).toFixed(1)} s`;
}

/** SIGKILLs every process whose working directory lies under `dir` (job and task processes left at the end). */
export function killProcessesUnder(dir: string): number {
  let n = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(`${dir}/`)) {
        process.kill(Number(pid), "SIGKILL");
        n++;
      }
    } catch {
      // gone or not ours
    }
  }
  return n;
}
