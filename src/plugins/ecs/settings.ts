// Effective job configuration: defaults ← command context ← job context (spec 10.3), validated before any AWS call.
import { Problems, durationMs, layerContext, parseDuration } from "../../core/index.ts";
import type { Json, JsonObject, LayerSchema } from "../../core/index.ts";
import { intLike, optionalString, stringMap } from "./check.ts";
import { CLUSTER_KEYS, isFargate, providersOf, readStrategy } from "./cluster.ts";
import type { CapacityProviderItem, ClusterSettings } from "./cluster.ts";
import { mergeOverrides, overridesSize, readOverrides } from "./overrides.ts";
import type { ContainerOverrideInput } from "./overrides.ts";
import { FAMILY_RE, fargateProblem, loadTemplate } from "./template.ts";
import type { Template, TemplateAccess } from "./template.ts";

/** Keys a job may set (container_overrides is merged by container name, outside the generic layering). */
export const SCHEMA: LayerSchema = {
  task_count: "scalar",
  cpu: "scalar",
  memory: "scalar",
  polling_interval: "scalar",
  missing_grace: "scalar",
  timeout: "scalar",
  max_fail_count: "scalar",
  tags: "map",
  task_family: "scalar",
  task_revision: "scalar",
  use_latest_revision: "scalar",
  capacity_provider_strategy: "array",
  max_spot_interruptions: "scalar",
  spot_fallback: "scalar",
};
export const DEFAULTS: JsonObject = {
  task_count: 1,
  polling_interval: "30s",
  missing_grace: "2m",
  timeout: "1h",
  max_fail_count: 0,
  max_spot_interruptions: 3,
  spot_fallback: false,
  tags: {},
};
/** Command-only keys. */
export const COMMAND_KEYS = ["task_definition_template", "log_max_bytes"] as const;
export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024 * 1024;
export const MAX_FAIL_COUNT_LIMIT = 100;
export const OVERRIDES_LIMIT = 8192;

export interface CommandSettings {
  template: Template;
  context: JsonObject;
  overrides: ContainerOverrideInput[];
  logMaxBytes: number;
}

export interface JobPlan {
  taskCount: number;
  cpu: number;
  memory: number;
  /** cpu/memory were set by the job or the command (not taken from the template). */
  sizeExplicit: boolean;
  overrides: ContainerOverrideInput[];
  pollingMs: number;
  /** How long after RunTask a never-seen task answered MISSING is taken for eventual consistency. */
  missingGraceMs: number;
  timeoutMs: number;
  maxFailCount: number;
  /** Spot interruptions per slot retried without spending max_fail_count; past that they count as failures. */
  maxSpotInterruptions: number;
  /** After a Spot interruption or Spot capacity error, the slot's next attempts run on FARGATE. */
  spotFallback: boolean;
  /** The job's (or command's) strategy when it chose one, else the cluster's; undefined = launch type. */
  capacityProviderStrategy: CapacityProviderItem[] | undefined;
  /** Tags for RunTask without job_id: cluster < command < job. */
  tags: Record<string, string>;
  family: string;
  taskRevision: number | undefined;
  useLatestRevision: boolean;
}

/** Loads the command's template (asynchronously, confined by `access`) and checks the whole command context. */
export async function loadCommandContext(ctx: JsonObject, access: TemplateAccess = {}): Promise<CommandSettings> {
  return readCommandContext(ctx, await loadTemplate(ctx.task_definition_template, "task_definition_template", access));
}

/** Checks a command context whose template is already loaded (throws Error with `<path>: <problem>` messages). */
export function readCommandContext(ctx: JsonObject, template: Template): CommandSettings {
  const problems = new Problems();
  for (const k of CLUSTER_KEYS) if (k in ctx) problems.add(k, "is a cluster setting; set it in the cluster context");
  let logMaxBytes = DEFAULT_LOG_MAX_BYTES;
  const lmb = ctx.log_max_bytes;
  if (lmb !== undefined && lmb !== null) {
    if (typeof lmb !== "number" || !Number.isInteger(lmb) || lmb < 0) problems.add("log_max_bytes", "must be an integer >= 0");
    else logMaxBytes = lmb;
  }
  const overrides = readOverrides(ctx.container_overrides, "container_overrides", template, problems) ?? [];
  problems.throwIfAny();
  const settings: CommandSettings = { template, context: ctx, overrides, logMaxBytes };
  const check = new Problems();
  resolvePlan(settings, undefined, undefined, check);
  if (!check.empty) throw new Error(check.messages.join("; "));
  return settings;
}

/** Rejects keys a job may not set (template path, log cap, anything of the cluster). */
export function checkJobKeys(job: JsonObject | undefined, problems: Problems): void {
  if (job === undefined) return;
  for (const k of COMMAND_KEYS) if (k in job) problems.add(k, "cannot be set by a job (command setting)");
  for (const k of CLUSTER_KEYS) if (k in job) problems.add(k, "cannot be set by a job (cluster setting)");
}

/**
 * Resolves the effective plan. `cluster` undefined = command-only check (no cluster limits). Problems go to
 * `problems`; the returned plan is only meaningful when there are none.
 */
export function resolvePlan(
  cmd: CommandSettings,
  job: JsonObject | undefined,
  cluster: ClusterSettings | undefined,
  problems: Problems,
): JobPlan {
  const eff = layerContext(SCHEMA, DEFAULTS, cmd.context, job);
  const jobOverrides = job === undefined ? undefined : job.container_overrides;
  let overrides = cmd.overrides;
  if (jobOverrides === null) overrides = [];
  else if (jobOverrides !== undefined) {
    const fromJob = readOverrides(jobOverrides, "container_overrides", cmd.template, problems);
    if (fromJob !== undefined) overrides = mergeOverrides(cmd.overrides, fromJob);
  }

  const maxTasks = cluster?.maxTaskCount;
  const taskCount = intField(eff.task_count, "task_count", problems, 1, maxTasks, "the cluster's max_task_count");
  const maxFailCount = intField(eff.max_fail_count, "max_fail_count", problems, 0, MAX_FAIL_COUNT_LIMIT, "the limit");
  const maxSpotInterruptions = intField(
    eff.max_spot_interruptions,
    "max_spot_interruptions",
    problems,
    0,
    MAX_FAIL_COUNT_LIMIT,
    "the limit",
  );
  const spotFallback = eff.spot_fallback === true;
  if (typeof eff.spot_fallback !== "boolean") problems.add("spot_fallback", "must be a boolean");
  const capacityProviderStrategy = chooseStrategy(eff.capacity_provider_strategy, cluster, spotFallback, problems);
  const pollingMs = positiveDuration(eff.polling_interval, "polling_interval", problems);
  const missingGraceMs = positiveDuration(eff.missing_grace, "missing_grace", problems);
  const timeoutMs = positiveDuration(eff.timeout, "timeout", problems);

  const explicitCpu = eff.cpu !== undefined;
  const explicitMem = eff.memory !== undefined;
  const cpu = sizeField(eff.cpu ?? cmd.template.cpu ?? null, "cpu", problems, cluster?.maxCpu, "max_cpu");
  const memory = sizeField(eff.memory ?? cmd.template.memory ?? null, "memory", problems, cluster?.maxMemory, "max_memory");
  if (cluster !== undefined && isFargate(cluster) && cpu > 0 && memory > 0) {
    const fp = fargateProblem(cpu, memory);
    if (fp !== undefined) problems.add("cpu/memory", fp);
  }

  const family = optionalString(eff.task_family, "task_family", problems) ?? cmd.template.family;
  if (!FAMILY_RE.test(family)) problems.add("task_family", "must be 1-255 letters, digits, hyphens or underscores");
  let taskRevision: number | undefined;
  if (eff.task_revision !== undefined) {
    const r = intLike(eff.task_revision);
    if (r === undefined || r < 1) problems.add("task_revision", "must be a positive integer");
    else taskRevision = r;
  }
  const ulr = eff.use_latest_revision;
  if (ulr !== undefined && typeof ulr !== "boolean") problems.add("use_latest_revision", "must be a boolean");
  const useLatestRevision = ulr === true;
  if (useLatestRevision && taskRevision !== undefined) problems.add("task_revision", "cannot be combined with use_latest_revision");

  const tags = { ...(cluster?.tags ?? {}), ...(stringMap(eff.tags ?? null, "tags", problems) ?? {}) };
  if ("job_id" in tags) problems.add("tags.job_id", "is reserved (set by heimdall)");
  if (Object.keys(tags).length > 49) problems.add("tags", "at most 49 tags (ECS allows 50 including job_id)");

  const plan: JobPlan = {
    taskCount,
    cpu,
    memory,
    sizeExplicit: explicitCpu || explicitMem,
    overrides,
    pollingMs,
    missingGraceMs,
    timeoutMs,
    maxFailCount,
    maxSpotInterruptions,
    spotFallback,
    capacityProviderStrategy,
    tags,
    family,
    taskRevision,
    useLatestRevision,
  };
  if (problems.empty) {
    // Longest possible job id (36-char UUID) and highest slot number give the largest request.
    const size = overridesSize(plan, cmd.template, "00000000-0000-0000-0000-000000000000", taskCount - 1);
    if (size > OVERRIDES_LIMIT) {
      problems.add("container_overrides", `RunTask overrides would be ${size} characters; ECS allows at most ${OVERRIDES_LIMIT}`);
    }
  }
  return plan;
}

/**
 * The strategy a job runs with: its own (command or job context) when set — every provider must be one the
 * cluster's `capacity_provider_strategy` lists — else the cluster's. `cluster` undefined = shape check only.
 */
function chooseStrategy(
  v: Json | undefined,
  cluster: ClusterSettings | undefined,
  spotFallback: boolean,
  problems: Problems,
): CapacityProviderItem[] | undefined {
  const path = "capacity_provider_strategy";
  const own = readStrategy(v, path, problems);
  if (cluster === undefined) return own;
  const allowed = providersOf(cluster.capacityProviderStrategy);
  if (own !== undefined) {
    if (cluster.capacityProviderStrategy === undefined) {
      problems.add(path, `the cluster runs tasks with launch_type ${cluster.launchType ?? "FARGATE"}; it allows no capacity providers`);
    } else {
      own.forEach((s, i) => {
        if (!allowed.includes(s.capacityProvider))
          problems.add(
            `${path}[${i}].capacity_provider`,
            `${s.capacityProvider} is not one of the cluster's capacity providers (${allowed.join(", ")})`,
          );
      });
    }
  }
  if (spotFallback && cluster.capacityProviderStrategy !== undefined && !allowed.includes("FARGATE")) {
    problems.add("spot_fallback", `needs FARGATE among the cluster's capacity providers (it has ${allowed.join(", ")})`);
  }
  return own ?? cluster.capacityProviderStrategy;
}

function intField(v: Json | undefined, path: string, problems: Problems, min: number, max: number | undefined, maxName: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    problems.add(path, "must be an integer");
    return min;
  }
  if (v < min) problems.add(path, `must be at least ${min}`);
  else if (max !== undefined && v > max) problems.add(path, `must be at most ${max} (${maxName})`);
  return v;
}

function sizeField(v: Json, path: string, problems: Problems, max: number | undefined, maxName: string): number {
  if (v === null) {
    problems.add(path, "required: set it in the job, the command or the task definition template");
    return 0;
  }
  const n = intLike(v);
  if (n === undefined) {
    problems.add(path, "must be an integer");
    return 0;
  }
  if (n <= 0) problems.add(path, "must be greater than 0");
  else if (max !== undefined && n > max) problems.add(path, `${n} exceeds the cluster's ${maxName} (${max})`);
  return n;
}

function positiveDuration(v: Json | undefined, path: string, problems: Problems): number {
  try {
    const ns = parseDuration(v, path);
    if (ns <= 0n) {
      problems.add(path, "must be a positive duration");
      return 0;
    }
    return Math.max(1, durationMs(ns));
  } catch (err) {
    problems.addMessage(path, (err as Error).message);
    return 0;
  }
}
