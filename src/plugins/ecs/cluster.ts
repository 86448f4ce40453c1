// Cluster context of the ecs plugin: read on its own (never layered into the job), validated once per use.
import { Problems } from "../../core/index.ts";
import type { Json, JsonObject } from "../../core/index.ts";
import { isObject, optionalPositiveInt, optionalString, stringArray, stringMap } from "./check.ts";

export interface CapacityProviderItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

export interface ClusterSettings {
  clusterName: string;
  region: string;
  /** Explicit endpoint from the cluster context (wins over the SDK's AWS_ENDPOINT_URL_* environment). */
  endpoint: string | undefined;
  /** undefined when a capacity provider strategy is used. */
  launchType: string | undefined;
  capacityProviderStrategy: CapacityProviderItem[] | undefined;
  platformVersion: string | undefined;
  maxCpu: number | undefined;
  maxMemory: number | undefined;
  maxTaskCount: number;
  executionRoleArn: string | undefined;
  taskRoleArn: string | undefined;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: "ENABLED" | "DISABLED" | undefined;
  tags: Record<string, string>;
  /** Multiplier of the published ECS/Logs API rates used by the client-side limiter; 0 turns it off. */
  rateLimitScale: number;
}

/**
 * Keys of the cluster context this plugin reads that a command or job context may not set. (The cluster's
 * `capacity_provider_strategy` is read too; commands and jobs may choose among its providers, see settings.ts.)
 */
export const CLUSTER_KEYS = [
  "max_cpu",
  "max_memory",
  "max_task_count",
  "execution_role_arn",
  "task_role_arn",
  "cluster_name",
  "launch_type",
  "vpc_config",
  "region",
  "endpoint",
  "platform_version",
  "rate_limit_scale",
] as const;

/** Hard cap on task_count when the cluster sets no max_task_count. */
export const DEFAULT_MAX_TASK_COUNT = 10;
const LAUNCH_TYPES = ["FARGATE", "EC2", "EXTERNAL"];

export function defaultRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
}

/** Parses the cluster context; problems are `cluster.<key>: <problem>` messages. */
export function readClusterContext(ctx: JsonObject | undefined, problems: Problems): ClusterSettings {
  const c: JsonObject = ctx ?? {};
  const p = (k: string) => `cluster.${k}`;
  const clusterName = optionalString(c.cluster_name, p("cluster_name"), problems) ?? "default";
  const region = optionalString(c.region, p("region"), problems) ?? defaultRegion();
  const endpoint = optionalString(c.endpoint, p("endpoint"), problems);
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) problems.add(p("endpoint"), "must be an http(s) URL");
  const strategy = readStrategy(c.capacity_provider_strategy, p("capacity_provider_strategy"), problems);
  let launchType = optionalString(c.launch_type, p("launch_type"), problems);
  if (launchType !== undefined && !LAUNCH_TYPES.includes(launchType)) {
    problems.add(p("launch_type"), `must be one of ${LAUNCH_TYPES.join(", ")}`);
  }
  if (strategy !== undefined && launchType !== undefined) {
    problems.add(p("launch_type"), "cannot be combined with capacity_provider_strategy (ECS refuses both in one RunTask); set one of them");
  }
  if (strategy === undefined) launchType ??= "FARGATE";
  const vpc = c.vpc_config;
  let subnets: string[] = [];
  let securityGroups: string[] = [];
  let assignPublicIp: ClusterSettings["assignPublicIp"];
  if (vpc !== undefined && vpc !== null) {
    if (!isObject(vpc)) problems.add(p("vpc_config"), "must be an object");
    else {
      subnets = stringArray(vpc.subnets, p("vpc_config.subnets"), problems) ?? [];
      securityGroups = stringArray(vpc.security_groups, p("vpc_config.security_groups"), problems) ?? [];
      assignPublicIp = readAssignPublicIp(vpc.assign_public_ip, p("vpc_config.assign_public_ip"), problems);
    }
  }
  const maxTaskCount = optionalPositiveInt(c.max_task_count, p("max_task_count"), problems);
  const scale = c.rate_limit_scale;
  let rateLimitScale = 1;
  if (scale !== undefined && scale !== null) {
    if (typeof scale !== "number" || !(scale >= 0)) problems.add(p("rate_limit_scale"), "must be a number >= 0");
    else rateLimitScale = scale;
  }
  return {
    clusterName,
    region,
    endpoint,
    launchType,
    capacityProviderStrategy: strategy,
    platformVersion: optionalString(c.platform_version, p("platform_version"), problems),
    maxCpu: optionalPositiveInt(c.max_cpu, p("max_cpu"), problems),
    maxMemory: optionalPositiveInt(c.max_memory, p("max_memory"), problems),
    maxTaskCount: maxTaskCount ?? DEFAULT_MAX_TASK_COUNT,
    executionRoleArn: optionalString(c.execution_role_arn, p("execution_role_arn"), problems),
    taskRoleArn: optionalString(c.task_role_arn, p("task_role_arn"), problems),
    subnets,
    securityGroups,
    assignPublicIp,
    tags: stringMap(c.tags, p("tags"), problems) ?? {},
    rateLimitScale,
  };
}

/**
 * The check of a cluster context at PUT and config load (plugin hook): contexts that set none of the ecs keys
 * pass untouched; otherwise every problem is a 400 naming the key.
 */
export function validateClusterContext(ctx: JsonObject): void {
  if (![...CLUSTER_KEYS, "capacity_provider_strategy"].some((k) => k in ctx)) return;
  const problems = new Problems();
  readClusterContext(ctx, problems);
  problems.throwIfAny();
}

/** True when tasks run on Fargate (launch type FARGATE or FARGATE/FARGATE_SPOT capacity providers). */
export function isFargate(c: ClusterSettings): boolean {
  if (c.launchType !== undefined) return c.launchType === "FARGATE";
  return (c.capacityProviderStrategy ?? []).every((s) => s.capacityProvider.startsWith("FARGATE"));
}

function readAssignPublicIp(v: Json | undefined, path: string, problems: Problems): ClusterSettings["assignPublicIp"] {
  if (v === undefined || v === null) return undefined;
  if (v === true || v === "ENABLED") return "ENABLED";
  if (v === false || v === "DISABLED") return "DISABLED";
  problems.add(path, 'must be a boolean, "ENABLED" or "DISABLED"');
  return undefined;
}

/** ECS limits of a capacity provider strategy (RunTask / CreateCluster). */
export const STRATEGY_LIMITS = { items: 20, weight: 1000, base: 100000 } as const;
export const FARGATE_PROVIDERS = ["FARGATE", "FARGATE_SPOT"];

/**
 * Reads `[{capacity_provider, weight, base}]` (camelCase accepted) and checks it as ECS does: weights 0-1000,
 * bases 0-100000, at most one base, no provider twice, a weight above 0 when several providers are listed, and
 * Fargate providers not mixed with others.
 */
export function readStrategy(v: Json | undefined, path: string, problems: Problems): CapacityProviderItem[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0) {
    problems.add(path, "must be a non-empty array of {capacity_provider, weight, base}");
    return undefined;
  }
  if (v.length > STRATEGY_LIMITS.items) problems.add(path, `at most ${STRATEGY_LIMITS.items} capacity providers`);
  const out: CapacityProviderItem[] = [];
  v.forEach((item, i) => {
    const ip = `${path}[${i}]`;
    if (!isObject(item)) return problems.add(ip, "must be an object");
    for (const k of Object.keys(item))
      if (!["capacity_provider", "capacityProvider", "weight", "base"].includes(k))
        problems.add(`${ip}.${k}`, "unknown key (capacity_provider, weight, base)");
    const name = item.capacity_provider ?? item.capacityProvider;
    if (typeof name !== "string" || name === "") return problems.add(`${ip}.capacity_provider`, "must be a non-empty string");
    if (out.some((o) => o.capacityProvider === name)) problems.add(`${ip}.capacity_provider`, `${name} is listed twice`);
    const entry: CapacityProviderItem = { capacityProvider: name };
    for (const k of ["weight", "base"] as const) {
      const n = item[k];
      if (n === undefined || n === null) continue;
      const max = STRATEGY_LIMITS[k];
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max)
        problems.add(`${ip}.${k}`, `must be an integer from 0 to ${max}`);
      else entry[k] = n;
    }
    out.push(entry);
  });
  if (out.filter((s) => (s.base ?? 0) > 0).length > 1) problems.add(path, "at most one capacity provider may have a base");
  if (out.length > 1 && !out.some((s) => (s.weight ?? 0) > 0))
    problems.add(path, "with several capacity providers at least one needs a weight above 0");
  const fargate = out.filter((s) => FARGATE_PROVIDERS.includes(s.capacityProvider)).length;
  if (fargate > 0 && fargate < out.length) problems.add(path, "cannot mix FARGATE/FARGATE_SPOT with other capacity providers");
  return out;
}

/** ECS clusters' names of the providers a strategy uses. */
export function providersOf(strategy: CapacityProviderItem[] | undefined): string[] {
  return (strategy ?? []).map((s) => s.capacityProvider);
}

/** True when the strategy may place a task on Fargate Spot. */
export function usesSpot(strategy: CapacityProviderItem[] | undefined): boolean {
  return (strategy ?? []).some((s) => s.capacityProvider === "FARGATE_SPOT");
}
