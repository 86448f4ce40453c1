// Local ECS settings: defaults, YAML loading and validation. Keys are documented in docs/local-ecs.md.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { FaultRule } from "./faults.ts";
import { parseFaultRule } from "./faults.ts";
import type { BucketSpec } from "./throttle.ts";

export interface PhaseDelays {
  provisioning: number;
  pending: number;
  activating: number;
  deactivating: number;
  deprovisioning: number;
}

export interface ImageDefaults {
  entryPoint?: string[];
  command?: string[];
}

export interface DockerSettings {
  /** Engine API address: unix:///path or tcp://host:port; default $DOCKER_HOST, else unix:///var/run/docker.sock. */
  host: string | undefined;
  /** Image of the container that holds a multi-container task's network namespace. */
  pauseImage: string;
  /** Command for the pause image (none = the image's own). */
  pauseCommand: string[] | undefined;
  /** How containers reach the metadata/credentials endpoint; default the bridge network's gateway. */
  hostAddress: string | undefined;
  /** Address the container-facing metadata listener binds (default 0.0.0.0). */
  metadataBind: string;
  pullTimeoutSeconds: number;
  /** Timeout of each short Engine API call (create, start, inspect, kill, remove). */
  apiTimeoutSeconds: number;
  /** Containers created and started at the same time (more wait their turn). */
  maxParallelStarts: number;
}

/** Credentials answered for a task role: static keys, or "host" = the local ECS's own credential chain. */
export type TaskRoleCredentials = "host" | { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** Fargate Spot interruptions (docs/local-ecs.md "Fargate Spot"). */
export interface SpotSettings {
  /** Share (0..1) of FARGATE_SPOT tasks interrupted at random; 0 = only by `spotInterruption` faults. */
  rate: number;
  /** A random interruption's notice comes this long (uniform in [min, max] ms) after the task is RUNNING. */
  afterMs: [number, number];
  /** Notice (SIGTERM) to stop; undefined = ECS's 2 minutes scaled like pacing (spotWarningMs). */
  warningMs: number | undefined;
}

export interface LocalEcsSettings {
  /** What runs a container: host processes, or real images through a Docker Engine API (Docker or Podman). */
  runtime: "process" | "docker";
  docker: DockerSettings;
  /** Secrets Manager / SSM Parameter Store values by ARN or name (container `secrets`). */
  secrets: Record<string, string>;
  /** S3 object ARN → local file (container `environmentFiles`). */
  environmentFiles: Record<string, string>;
  /** Role ARN → credentials for tasks whose definition has that taskRoleArn. */
  taskRoles: Record<string, TaskRoleCredentials>;
  region: string;
  accountId: string;
  /** Clusters that exist at start-up (default ["default"]). */
  clusters: string[];
  pacing: PhaseDelays;
  stoppedRetentionMs: number;
  clientTokenTtlMs: number;
  /** Default container stopTimeout in seconds (ECS: 30; capped at 120 like Fargate). */
  defaultStopTimeoutSeconds: number;
  throttling: { enabled: boolean; buckets: Record<string, BucketSpec> };
  faults: FaultRule[];
  spot: SpotSettings;
  images: Record<string, ImageDefaults>;
  memory: { enforce: boolean; pollMs: number };
  logs: { autoCreateGroups: boolean };
  /** Host environment variables passed to every container (the image's ENV stand-in). */
  passEnv: string[];
  /**
   * Where task working directories, log files and the state database (state.sqlite) live; default a fresh
   * temp dir removed on close (the CLI and `serve` default to ./.heimdall/local-ecs, which survives restarts).
   */
  dataDir: string | undefined;
}

export const PACING_PRESETS: Record<string, PhaseDelays> = {
  instant: { provisioning: 0, pending: 0, activating: 0, deactivating: 0, deprovisioning: 0 },
  demo: { provisioning: 1000, pending: 1000, activating: 500, deactivating: 500, deprovisioning: 1000 },
};

/** ECS published token buckets (ecs-api.md §7). `rate` = refill per second. */
export const DEFAULT_BUCKETS: Record<string, BucketSpec> = {
  clusterModify: { burst: 20, rate: 1 },
  clusterRead: { burst: 50, rate: 20 },
  taskDefinitionModify: { burst: 20, rate: 1 },
  taskDefinitionRead: { burst: 50, rate: 20 },
  tagModify: { burst: 20, rate: 10 },
  tagRead: { burst: 50, rate: 20 },
  clusterResourceModify: { burst: 100, rate: 40 },
  clusterResourceRead: { burst: 100, rate: 20 },
  fargateTaskLaunch: { burst: 100, rate: 20 },
  logsCreateLogGroup: { burst: 5, rate: 5 },
  logsCreateLogStream: { burst: 50, rate: 50 },
  logsDescribe: { burst: 25, rate: 25 },
  logsPutLogEvents: { burst: 800, rate: 800 },
  logsGetLogEvents: { burst: 25, rate: 25 },
  logsFilterLogEvents: { burst: 5, rate: 5 },
};

export function defaultSettings(): LocalEcsSettings {
  return {
    runtime: "process",
    docker: {
      host: undefined,
      pauseImage: "registry.k8s.io/pause:3.10",
      pauseCommand: undefined,
      hostAddress: undefined,
      metadataBind: "0.0.0.0",
      pullTimeoutSeconds: 300,
      apiTimeoutSeconds: 30,
      maxParallelStarts: 4,
    },
    secrets: {},
    environmentFiles: {},
    taskRoles: {},
    region: "us-east-1",
    accountId: "000000000000",
    clusters: ["default"],
    pacing: { ...PACING_PRESETS.instant! },
    stoppedRetentionMs: 3600_000,
    clientTokenTtlMs: 24 * 3600_000,
    defaultStopTimeoutSeconds: 30,
    throttling: { enabled: true, buckets: structuredClone(DEFAULT_BUCKETS) },
    faults: [],
    spot: { rate: 0, afterMs: [1000, 10_000], warningMs: undefined },
    images: {},
    memory: { enforce: false, pollMs: 500 },
    logs: { autoCreateGroups: true },
    passEnv: ["PATH", "LANG", "LC_ALL", "TZ"],
    dataDir: undefined,
  };
}

export class SettingsError extends Error {
  override name = "SettingsError";
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

function nonNegNumber(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new SettingsError(`${field} must be a number >= 0`);
  return v;
}

function strList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new SettingsError(`${field} must be a list of strings`);
  return v as string[];
}

export function parsePacing(v: unknown, base: PhaseDelays = PACING_PRESETS.instant!): PhaseDelays {
  if (typeof v === "string") {
    const p = PACING_PRESETS[v];
    if (!p) throw new SettingsError(`pacing must be "instant", "demo" or an object of milliseconds per phase`);
    return { ...p };
  }
  if (!isObj(v)) throw new SettingsError(`pacing must be "instant", "demo" or an object of milliseconds per phase`);
  const out = { ...base };
  for (const [k, val] of Object.entries(v)) {
    if (!(k in out))
      throw new SettingsError(`pacing.${k} is not a phase (provisioning, pending, activating, deactivating, deprovisioning)`);
    out[k as keyof PhaseDelays] = nonNegNumber(val, `pacing.${k}`);
  }
  return out;
}

export function parseThrottling(v: unknown, base: LocalEcsSettings["throttling"]): LocalEcsSettings["throttling"] {
  if (typeof v === "boolean") return { enabled: v, buckets: base.buckets };
  if (!isObj(v)) throw new SettingsError("throttling must be true, false or {enabled, buckets}");
  const out = { enabled: v.enabled === undefined ? base.enabled : v.enabled === true, buckets: { ...base.buckets } };
  if (v.enabled !== undefined && typeof v.enabled !== "boolean") throw new SettingsError("throttling.enabled must be a boolean");
  if (v.buckets !== undefined) {
    if (!isObj(v.buckets)) throw new SettingsError("throttling.buckets must be a map of bucket name to {burst, rate}");
    for (const [name, spec] of Object.entries(v.buckets)) {
      if (!(name in DEFAULT_BUCKETS))
        throw new SettingsError(`throttling.buckets.${name} is not a bucket (${Object.keys(DEFAULT_BUCKETS).join(", ")})`);
      if (!isObj(spec)) throw new SettingsError(`throttling.buckets.${name} must be {burst, rate}`);
      const cur = out.buckets[name]!;
      out.buckets[name] = {
        burst: spec.burst === undefined ? cur.burst : nonNegNumber(spec.burst, `throttling.buckets.${name}.burst`),
        rate: spec.rate === undefined ? cur.rate : nonNegNumber(spec.rate, `throttling.buckets.${name}.rate`),
      };
    }
  }
  return out;
}

/**
 * The Spot warning (notice to stop): `spot.warningSeconds`, else ECS's 120 s scaled like the pacing — real-ish
 * pacing provisions in 20 s, so 120 × provisioning / 20 s — and at least 1 s (so "instant" gives 1 s, "demo" 6 s).
 */
export function spotWarningMs(s: Pick<LocalEcsSettings, "spot" | "pacing">): number {
  return s.spot.warningMs ?? Math.max(1000, Math.round((120_000 * s.pacing.provisioning) / 20_000));
}

function parseSpot(v: unknown, base: SpotSettings): SpotSettings {
  if (!isObj(v)) throw new SettingsError("spot must be {rate, afterSeconds, warningSeconds}");
  const out: SpotSettings = { ...base, afterMs: [...base.afterMs] };
  for (const [k, x] of Object.entries(v)) {
    if (k === "rate") {
      if (typeof x !== "number" || !(x >= 0 && x <= 1)) throw new SettingsError("spot.rate must be a number in 0..1");
      out.rate = x;
    } else if (k === "afterSeconds") {
      const pair = Array.isArray(x) ? x : [x, x];
      if (pair.length !== 2) throw new SettingsError("spot.afterSeconds must be a number or [min, max]");
      const [lo, hi] = pair.map((n, i) => nonNegNumber(n, `spot.afterSeconds[${i}]`) * 1000) as [number, number];
      if (lo > hi) throw new SettingsError("spot.afterSeconds: min must not exceed max");
      out.afterMs = [lo, hi];
    } else if (k === "warningSeconds") {
      out.warningMs = nonNegNumber(x, "spot.warningSeconds") * 1000;
    } else throw new SettingsError(`spot: unknown key "${k}" (rate, afterSeconds, warningSeconds)`);
  }
  return out;
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (!isObj(v)) throw new SettingsError(`${field} must be a map of name to string`);
  for (const [k, x] of Object.entries(v)) if (typeof x !== "string") throw new SettingsError(`${field}.${k} must be a string`);
  return { ...(v as Record<string, string>) };
}

function parseDocker(v: unknown, base: DockerSettings): DockerSettings {
  if (!isObj(v)) throw new SettingsError("docker must be a mapping");
  const out = { ...base };
  for (const [k, x] of Object.entries(v)) {
    switch (k) {
      case "host":
      case "pauseImage":
      case "hostAddress":
      case "metadataBind":
        if (typeof x !== "string" || !x) throw new SettingsError(`docker.${k} must be a non-empty string`);
        out[k] = x;
        break;
      case "pauseCommand":
        out.pauseCommand = strList(x, "docker.pauseCommand");
        break;
      case "pullTimeoutSeconds":
      case "apiTimeoutSeconds":
      case "maxParallelStarts":
        out[k] = Math.max(1, nonNegNumber(x, `docker.${k}`));
        break;
      default:
        throw new SettingsError(
          `docker: unknown key "${k}" (host, pauseImage, pauseCommand, hostAddress, metadataBind, pullTimeoutSeconds, apiTimeoutSeconds, maxParallelStarts)`,
        );
    }
  }
  return out;
}

function parseTaskRoles(v: unknown): Record<string, TaskRoleCredentials> {
  if (!isObj(v)) throw new SettingsError('taskRoles must be a map of role ARN to credentials or "host"');
  const out: Record<string, TaskRoleCredentials> = {};
  for (const [arn, c] of Object.entries(v)) {
    if (c === "host") out[arn] = "host";
    else if (
      isObj(c) &&
      typeof c.accessKeyId === "string" &&
      typeof c.secretAccessKey === "string" &&
      (c.sessionToken === undefined || typeof c.sessionToken === "string")
    )
      out[arn] = {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(typeof c.sessionToken === "string" ? { sessionToken: c.sessionToken } : {}),
      };
    else throw new SettingsError(`taskRoles.${arn} must be "host" or {accessKeyId, secretAccessKey, sessionToken?}`);
  }
  return out;
}

/** Merge raw settings (file or inline, same keys) over `base`. Unknown keys are errors naming the key. */
export function applySettings(base: LocalEcsSettings, raw: unknown, where = "settings"): LocalEcsSettings {
  if (raw === undefined || raw === null) return base;
  if (!isObj(raw)) throw new SettingsError(`${where} must be a mapping`);
  const s = { ...base };
  for (const [k, v] of Object.entries(raw)) {
    switch (k) {
      case "region":
      case "accountId":
        if (typeof v !== "string" || !v) throw new SettingsError(`${k} must be a non-empty string`);
        s[k] = v;
        break;
      case "clusters":
        s.clusters = strList(v, k);
        break;
      case "pacing":
        s.pacing = parsePacing(v, s.pacing);
        break;
      case "stoppedRetentionSeconds":
        s.stoppedRetentionMs = nonNegNumber(v, k) * 1000;
        break;
      case "clientTokenTtlSeconds":
        s.clientTokenTtlMs = nonNegNumber(v, k) * 1000;
        break;
      case "defaultStopTimeoutSeconds":
        s.defaultStopTimeoutSeconds = Math.min(120, nonNegNumber(v, k));
        break;
      case "throttling":
        s.throttling = parseThrottling(v, s.throttling);
        break;
      case "faults":
        if (!Array.isArray(v)) throw new SettingsError("faults must be a list of fault rules");
        s.faults = v.map((r, i) => {
          try {
            return parseFaultRule(r, `faults[${i}]`);
          } catch (e) {
            throw new SettingsError((e as Error).message);
          }
        });
        break;
      case "spot":
        s.spot = parseSpot(v, s.spot);
        break;
      case "images":
        if (!isObj(v)) throw new SettingsError("images must be a map of image name to {entryPoint, command}");
        s.images = {};
        for (const [img, d] of Object.entries(v)) {
          if (!isObj(d)) throw new SettingsError(`images.${img} must be {entryPoint?, command?}`);
          s.images[img] = {
            ...(d.entryPoint !== undefined ? { entryPoint: strList(d.entryPoint, `images.${img}.entryPoint`) } : {}),
            ...(d.command !== undefined ? { command: strList(d.command, `images.${img}.command`) } : {}),
          };
        }
        break;
      case "memory":
        if (!isObj(v)) throw new SettingsError("memory must be {enforce, pollMs}");
        s.memory = {
          enforce: v.enforce === undefined ? s.memory.enforce : v.enforce === true,
          pollMs: v.pollMs === undefined ? s.memory.pollMs : Math.max(10, nonNegNumber(v.pollMs, "memory.pollMs")),
        };
        break;
      case "logs":
        if (!isObj(v)) throw new SettingsError("logs must be {autoCreateGroups}");
        s.logs = { autoCreateGroups: v.autoCreateGroups === undefined ? s.logs.autoCreateGroups : v.autoCreateGroups === true };
        break;
      case "passEnv":
        s.passEnv = strList(v, k);
        break;
      case "runtime":
        if (v !== "process" && v !== "docker") throw new SettingsError('runtime must be "process" or "docker"');
        s.runtime = v;
        break;
      case "docker":
        s.docker = parseDocker(v, s.docker);
        break;
      case "secrets":
      case "environmentFiles":
        s[k] = stringMap(v, k);
        break;
      case "taskRoles":
        s.taskRoles = parseTaskRoles(v);
        break;
      case "dataDir":
        if (typeof v !== "string") throw new SettingsError("dataDir must be a path");
        s.dataDir = v;
        break;
      default:
        throw new SettingsError(`${where}: unknown key "${k}"`);
    }
  }
  return s;
}

/** Read a local-ecs YAML config file into settings (over the defaults). */
export function localEcsConfigFromYaml(path: string): LocalEcsSettings {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new SettingsError(`cannot read local-ecs config ${path}: ${(e as Error).message}`);
  }
  return applySettings(defaultSettings(), raw, path);
}
