// Cluster context of the ecs plugin: read on its own (never layered into the job), validated once per use.
import type { Json, JsonObject } from "../../core/index.ts";
import { Problems, isObject, optionalPositiveInt, optionalString, stringArray, stringMap } from "./check.ts";

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

/** Keys of the cluster context this plugin reads; a job context may not set any of them. */
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
  "capacity_provider_strategy",
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
    problems.add(p("launch_type"), "cannot be combined with capacity_provider_strategy");
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

function readStrategy(v: Json | undefined, path: string, problems: Problems): CapacityProviderItem[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0) {
    problems.add(path, "must be a non-empty array of {capacity_provider, weight, base}");
    return undefined;
  }
  const out: CapacityProviderItem[] = [];
  v.forEach((item, i) => {
    const ip = `${path}[${i}]`;
    if (!isObject(item)) return problems.add(ip, "must be an object");
    const name = item.capacity_provider ?? item.capacityProvider;
    if (typeof name !== "string" || name === "") return problems.add(`${ip}.capacity_provider`, "must be a non-empty string");
    const entry: CapacityProviderItem = { capacityProvider: name };
    for (const k of ["weight", "base"] as const) {
      const n = item[k];
      if (n === undefined || n === null) continue;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) problems.add(`${ip}.${k}`, "must be an integer >= 0");
      else entry[k] = n;
    }
    out.push(entry);
  });
  return out;
}
