// RunTask, DescribeTasks, StopTask, ListTasks.
import { randomUUID } from "node:crypto";
import type { FaultEngine } from "../faults.ts";
import { AwsError, type Json, clientError, invalidParam, list, num, obj, pageOf, stableJson, str } from "../protocol.ts";
import type { LocalEcsSettings } from "../settings.ts";
import { checkStrategy, placeTasks } from "./capacity.ts";
import {
  type EcsContext,
  checkFargateSize,
  findCluster,
  findTaskDefinition,
  parseCpu,
  parseMemory,
  taskId,
  validateTags,
} from "./common.ts";
import type { ContainerRecord, ContainerSpec, EcsState, TaskDefinition, TaskRecord } from "./model.ts";
import { newTaskId, taskJson } from "./task-json.ts";

export interface TaskRuntime {
  launch(task: TaskRecord): void;
  requestStop(task: TaskRecord, stopCode: string, reason: string): void;
}

export interface TaskDeps {
  state: EcsState;
  runtime: TaskRuntime;
  faults: FaultEngine;
  settings: LocalEcsSettings;
  /** Fargate task-launch bucket; false = throttle. */
  allowLaunches(count: number): boolean;
}

export const CAPACITY_REASON = "Capacity is unavailable at this time. Please try again later or in a different availability zone";

const STARTED_BY_RE = /^[A-Za-z0-9_/-]*$/;

function imageDefaults(settings: LocalEcsSettings, image: string): { entryPoint?: string[]; command?: string[] } {
  const bare = image.replace(/@.*$/, "").replace(/:[^/:]*$/, "");
  return settings.images[image] ?? settings.images[bare] ?? settings.images["*"] ?? {};
}

function envList(v: unknown): Array<{ name: string; value: string }> {
  return Array.isArray(v) ? (v as Array<{ name: string; value: string }>).filter((e) => e && typeof e.name === "string") : [];
}

function containerSpec(d: Json, ov: Json | undefined): ContainerSpec {
  const strs = (v: unknown): string[] | undefined => (Array.isArray(v) ? (v as string[]) : undefined);
  const s: ContainerSpec = {};
  const entryPoint = strs(d.entryPoint);
  const command = strs(ov?.command) ?? strs(d.command);
  if (entryPoint) s.entryPoint = entryPoint;
  if (command) s.command = command;
  if (typeof d.workingDirectory === "string") s.workingDirectory = d.workingDirectory;
  if (typeof d.user === "string") s.user = d.user;
  if (d.healthCheck && typeof d.healthCheck === "object") s.healthCheck = d.healthCheck as Json;
  if (Array.isArray(d.secrets)) s.secrets = d.secrets as ContainerSpec["secrets"];
  if (Array.isArray(d.environmentFiles) || Array.isArray(ov?.environmentFiles))
    s.environmentFiles = [
      ...((d.environmentFiles as ContainerSpec["environmentFiles"]) ?? []),
      ...((ov?.environmentFiles as ContainerSpec["environmentFiles"]) ?? []),
    ];
  return s;
}

function buildContainers(
  deps: TaskDeps,
  td: TaskDefinition,
  overrides: Json | undefined,
  id: string,
  arnBase: string,
  region: string,
): ContainerRecord[] {
  const ovs = (overrides?.containerOverrides as Json[] | undefined) ?? [];
  const host: Record<string, string> = {};
  // The process runtime's stand-in for an image's ENV; a real image (docker runtime) brings its own.
  if (deps.settings.runtime === "process")
    for (const k of deps.settings.passEnv) if (process.env[k] !== undefined) host[k] = process.env[k]!;
  return (td.body.containerDefinitions as Json[]).map((d) => {
    const name = d.name as string;
    const ov = ovs.find((o) => o.name === name);
    const img = imageDefaults(deps.settings, d.image as string);
    const entry = (d.entryPoint as string[] | undefined) ?? img.entryPoint ?? [];
    const cmd = (ov?.command as string[] | undefined) ?? (d.command as string[] | undefined) ?? img.command ?? [];
    const argv = [...entry, ...cmd];
    const env: Record<string, string> = { ...host, AWS_REGION: region, AWS_DEFAULT_REGION: region, AWS_EXECUTION_ENV: "AWS_ECS_FARGATE" };
    for (const e of envList(d.environment)) env[e.name] = String(e.value ?? "");
    for (const e of envList(ov?.environment)) env[e.name] = String(e.value ?? "");
    const log = d.logConfiguration as Json | undefined;
    const opts = (log?.options ?? {}) as Record<string, string>;
    const stopTimeout = typeof d.stopTimeout === "number" ? d.stopTimeout : deps.settings.defaultStopTimeoutSeconds;
    return {
      name,
      arn: `${arnBase}/${randomUUID()}`,
      image: d.image as string,
      essential: d.essential !== false,
      dependsOn: Array.isArray(d.dependsOn) ? (d.dependsOn as Array<{ containerName: string; condition: string }>) : [],
      argv: argv.length ? argv : undefined,
      env,
      spec: containerSpec(d, ov),
      cpu: (ov?.cpu as number | undefined) ?? (d.cpu as number | undefined) ?? 0,
      memory: (ov?.memory as number | undefined) ?? (d.memory as number | undefined),
      memoryReservation: (ov?.memoryReservation as number | undefined) ?? (d.memoryReservation as number | undefined),
      stopTimeoutSeconds: Math.min(120, Math.max(0, stopTimeout)),
      log:
        log?.logDriver === "awslogs" && opts["awslogs-group"]
          ? {
              group: opts["awslogs-group"],
              stream: opts["awslogs-stream-prefix"] ? `${opts["awslogs-stream-prefix"]}/${name}/${id}` : `${name}/${id}`,
              createGroup: opts["awslogs-create-group"] === "true",
            }
          : undefined,
      lastStatus: "PENDING",
      exitCode: undefined,
      reason: undefined,
      runtimeId: undefined,
      proc: undefined,
      workDir: undefined,
      forcedExit: undefined,
    };
  });
}

function validateOverrides(td: TaskDefinition, overrides: Json | undefined, fargate: boolean): void {
  if (!overrides) return;
  if (JSON.stringify(overrides).length > 8192) throw invalidParam("Container Overrides length must be at most 8192");
  const names = new Set((td.body.containerDefinitions as Json[]).map((d) => d.name as string));
  const ovs = overrides.containerOverrides;
  if (ovs !== undefined && !Array.isArray(ovs)) throw invalidParam("containerOverrides must be a list.");
  for (const o of (ovs as Json[] | undefined) ?? []) {
    if (typeof o?.name !== "string") throw invalidParam("Container override name is required.");
    if (!names.has(o.name)) throw invalidParam(`Override for container named ${o.name} is not a container in the TaskDefinition.`);
    if (o.command !== undefined && (!Array.isArray(o.command) || o.command.some((x) => typeof x !== "string")))
      throw invalidParam(`Override command for container ${o.name} must be a list of strings.`);
    for (const e of envList(o.environment))
      if (typeof e.value !== "string") throw invalidParam(`Environment variable ${e.name} must have a string value.`);
  }
  if (fargate && (overrides.cpu !== undefined || overrides.memory !== undefined)) {
    const cpu = parseCpu(String(overrides.cpu ?? td.body.cpu));
    const mem = parseMemory(String(overrides.memory ?? td.body.memory));
    if (cpu === undefined || mem === undefined) throw invalidParam("Invalid task cpu or memory override.");
    try {
      checkFargateSize(cpu, mem);
    } catch (e) {
      throw invalidParam((e as Error).message);
    }
  }
}

function runTask(deps: TaskDeps, body: Json, ctx: EcsContext): Json {
  const { state } = deps;
  const tdRef = str(body, "taskDefinition");
  if (!tdRef) throw invalidParam("taskDefinition can not be blank.");
  const cluster = findCluster(state, str(body, "cluster"));
  const count = num(body, "count") ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 10) throw invalidParam("count must be between 1 and 10.");
  const startedBy = str(body, "startedBy");
  if (startedBy !== undefined && startedBy.length > 128) throw invalidParam("startedBy longer than 128.");
  if (startedBy !== undefined && !STARTED_BY_RE.test(startedBy))
    throw invalidParam(
      "startedBy may contain only letters (uppercase and lowercase), numbers, hyphens (-), forward slashes (/) and underscores (_).",
    );
  const clientToken = str(body, "clientToken");
  if (clientToken !== undefined && (clientToken.length > 64 || !/^[\x21-\x7e]+$/.test(clientToken)))
    throw invalidParam("clientToken must be 1-64 ASCII characters.");
  const overrides = obj(body, "overrides");
  const tags = validateTags(body.tags);
  const td = findTaskDefinition(state, tdRef, () => clientError("TaskDefinition not found."));
  if (td.status !== "ACTIVE") throw invalidParam("TaskDefinition is inactive");

  const launchType = str(body, "launchType");
  const cps = body.capacityProviderStrategy;
  const hasCps = cps !== undefined && cps !== null && !(Array.isArray(cps) && cps.length === 0);
  if (launchType !== undefined && hasCps)
    throw invalidParam("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.");
  if (launchType !== undefined && !["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"].includes(launchType))
    throw invalidParam(`Invalid launchType '${launchType}'.`);
  // No launch type and no strategy: the cluster's default strategy, else (like ECS) the EC2 launch type.
  const strategy = hasCps
    ? checkStrategy(cps, cluster)
    : launchType === undefined
      ? checkStrategy(cluster.defaultCapacityProviderStrategy, cluster)
      : [];
  const fargate = launchType === "FARGATE" || strategy.length > 0;
  if (fargate && !(td.body.compatibilities as string[]).includes("FARGATE"))
    throw invalidParam("Task definition does not support launch_type FARGATE.");

  const netConf = obj(body, "networkConfiguration");
  const awsvpc = netConf?.awsvpcConfiguration as Json | undefined;
  if (td.body.networkMode === "awsvpc") {
    if (!awsvpc) throw invalidParam("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    const subnets = awsvpc.subnets;
    if (!Array.isArray(subnets) || subnets.length === 0) throw invalidParam("subnets can not be empty.");
    if (subnets.length > 16) throw invalidParam("subnets can have at most 16 items.");
    const ip = awsvpc.assignPublicIp;
    if (ip !== undefined && ip !== "ENABLED" && ip !== "DISABLED") throw invalidParam("assignPublicIp must be ENABLED or DISABLED.");
  } else if (awsvpc) throw invalidParam("Network Configuration is not valid for the given networkMode of this task definition.");
  validateOverrides(td, overrides, fargate);
  const propagate = str(body, "propagateTags");
  if (propagate === "SERVICE") throw invalidParam("The service propagateTags option is only supported for tasks started by a service.");

  const fingerprint = stableJson({ ...body, clientToken: undefined });
  const tokenKey = clientToken === undefined ? undefined : `${cluster.name}\u0000${clientToken}`;
  if (tokenKey) {
    const prev = state.tokens.get(tokenKey);
    if (prev && prev.expiresAt > ctx.now) {
      if (prev.fingerprint !== fingerprint)
        throw new AwsError(
          "ConflictException",
          "The specified client token has already been used in a request with different parameters.",
          400,
          { resourceIds: prev.taskArns },
        );
      const tasks = prev.taskArns.map((arn, i) => {
        const t = state.tasks.get(taskId(arn));
        return t ? taskJson(t, true) : prev.snapshot[i]!;
      });
      return { tasks, failures: prev.failures };
    }
  }
  if (fargate && !deps.allowLaunches(count)) throw new AwsError("ThrottlingException", "Rate exceeded");

  const family = td.family;
  const group = str(body, "group") ?? `family:${family}`;
  const taskTags = propagate === "TASK_DEFINITION" ? [...td.tags.filter((t) => !tags.some((x) => x.key === t.key)), ...tags] : tags;
  const ovNames = new Map(((overrides?.containerOverrides as Json[] | undefined) ?? []).map((o) => [o.name as string, o]));
  const echo: Json = {
    ...(overrides ?? {}),
    containerOverrides: (td.body.containerDefinitions as Json[]).map((d) => ovNames.get(d.name as string) ?? { name: d.name }),
    inferenceAcceleratorOverrides: overrides?.inferenceAcceleratorOverrides ?? [],
  };
  const tasks: TaskRecord[] = [];
  const failures: Json[] = [];
  const providers = strategy.length > 0 ? placeTasks(strategy, cluster, count) : [];
  for (let i = 0; i < count; i++) {
    const provider = providers[i];
    const id = newTaskId();
    const arn = `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task/${cluster.name}/${id}`;
    const containers = buildContainers(
      deps,
      td,
      overrides,
      id,
      `arn:aws:ecs:${ctx.region}:${ctx.accountId}:container/${cluster.name}/${id}`,
      ctx.region,
    );
    const fctx = {
      action: "RunTask",
      startedBy,
      family,
      cluster: cluster.name,
      group,
      envs: containers.map((c) => c.env),
      capacityProvider: provider,
    };
    const cap = deps.faults.take("capacity", fctx);
    if (cap) {
      failures.push({ reason: cap.reason ?? CAPACITY_REASON, detail: `slot ${i}` });
      continue;
    }
    const task: TaskRecord = {
      id,
      arn,
      cluster,
      region: ctx.region,
      taskDefinition: td,
      overridesEcho: echo,
      startedBy,
      group,
      launchType: provider ? "FARGATE" : (launchType ?? "EC2"),
      capacityProviderName: provider,
      platformVersion: fargate ? "1.4.0" : undefined,
      cpu: overrides?.cpu !== undefined ? String(parseCpu(String(overrides.cpu)) ?? overrides.cpu) : (td.body.cpu as string | undefined),
      memory:
        overrides?.memory !== undefined
          ? String(parseMemory(String(overrides.memory)) ?? overrides.memory)
          : (td.body.memory as string | undefined),
      ephemeralStorage: fargate
        ? ((overrides?.ephemeralStorage as Json | undefined) ?? (td.body.ephemeralStorage as Json | undefined) ?? { sizeInGiB: 20 })
        : undefined,
      subnet: Array.isArray(awsvpc?.subnets) ? String(awsvpc.subnets[0]) : undefined,
      enableExecuteCommand: body.enableExecuteCommand === true,
      tags: taskTags,
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      version: 1,
      createdAt: ctx.now,
      stopCode: undefined,
      stoppedReason: undefined,
      containers,
      pendingFaults: [],
    };
    const invisible = deps.faults.take("invisible", fctx);
    if (invisible) task.visibleAt = ctx.now + invisible.afterMs;
    for (const kind of ["failToStart", "vanish", "spotInterruption", "exit"] as const) {
      // Only Fargate Spot tasks are interrupted (the rule is not used up by other tasks).
      if (kind === "spotInterruption" && provider !== "FARGATE_SPOT") continue;
      const f = deps.faults.take(kind, fctx);
      if (f) task.pendingFaults.push({ kind, afterMs: f.afterMs, exitCode: f.exitCode, reason: f.reason });
    }
    const randomSpot =
      provider === "FARGATE_SPOT" && !task.pendingFaults.some((f) => f.kind === "spotInterruption")
        ? randomInterruption(deps.settings)
        : undefined;
    if (randomSpot !== undefined)
      task.pendingFaults.push({ kind: "spotInterruption", afterMs: randomSpot, exitCode: 0, reason: undefined });
    state.tasks.set(id, task);
    tasks.push(task);
  }
  const out = tasks.map((t) => taskJson(t, true));
  if (tokenKey)
    state.tokens.set(tokenKey, {
      fingerprint,
      taskArns: tasks.map((t) => t.arn),
      failures,
      snapshot: out,
      expiresAt: ctx.now + deps.settings.clientTokenTtlMs,
    });
  for (const t of tasks) deps.runtime.launch(t);
  return { tasks: out, failures };
}

/** The `spot` setting: a Fargate Spot task is interrupted with probability `rate`, this long after RUNNING. */
function randomInterruption(settings: LocalEcsSettings): number | undefined {
  const { rate, afterMs } = settings.spot;
  if (rate <= 0 || Math.random() >= rate) return undefined;
  return Math.round(afterMs[0] + Math.random() * (afterMs[1] - afterMs[0]));
}

const visible = (t: TaskRecord): boolean => t.visibleAt === undefined || Date.now() >= t.visibleAt;

function describeTasks(deps: TaskDeps, body: Json): Json {
  const refs = list<string>(body, "tasks");
  if (!refs || refs.length === 0) throw invalidParam("Tasks cannot be empty.");
  if (refs.length > 100) throw invalidParam("taskIds can have at most 100 items.");
  const cluster = findCluster(deps.state, str(body, "cluster"));
  const withTags = (list<string>(body, "include") ?? []).includes("TAGS");
  const tasks: Json[] = [];
  const failures: Json[] = [];
  for (const ref of refs) {
    const t = typeof ref === "string" ? deps.state.tasks.get(taskId(ref)) : undefined;
    if (t && t.cluster === cluster && visible(t)) tasks.push(taskJson(t, withTags));
    else {
      const s = String(ref);
      const arn = s.startsWith("arn:") ? s : `${cluster.arn.replace(":cluster/", ":task/")}/${s}`;
      failures.push({ arn, reason: "MISSING" });
    }
  }
  return { tasks, failures };
}

function stopTask(deps: TaskDeps, body: Json): Json {
  const ref = str(body, "task");
  if (!ref) throw invalidParam("task can not be blank.");
  const cluster = findCluster(deps.state, str(body, "cluster"));
  const reason = str(body, "reason");
  if (reason !== undefined && reason.length > 1024) throw invalidParam("reason longer than 1024.");
  const id = taskId(ref);
  if (!/^[0-9a-f]{32}$|^[0-9a-f-]{36}$/.test(id)) throw invalidParam("Task Identifier is invalid");
  const t = deps.state.tasks.get(id);
  if (!t || t.cluster !== cluster || !visible(t)) throw invalidParam("The referenced task was not found.");
  if (t.desiredStatus !== "STOPPED") {
    deps.runtime.requestStop(t, "UserInitiated", reason ?? "Task stopped by user");
    t.tags = [];
  }
  return { task: taskJson(t, false) };
}

function listTasks(deps: TaskDeps, body: Json): Json {
  const cluster = findCluster(deps.state, str(body, "cluster"));
  const family = str(body, "family");
  const startedBy = str(body, "startedBy");
  const desired = str(body, "desiredStatus") ?? "RUNNING";
  if (!["RUNNING", "PENDING", "STOPPED"].includes(desired)) throw invalidParam(`Invalid desiredStatus '${desired}'.`);
  const launchType = str(body, "launchType");
  const max = num(body, "maxResults") ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParam("maxResults must be between 1 and 100.");
  const none = desired === "PENDING" || str(body, "serviceName") !== undefined || str(body, "containerInstance") !== undefined;
  const arns: string[] = [];
  if (!none)
    for (const t of deps.state.tasks.values()) {
      if (t.cluster !== cluster || t.desiredStatus !== desired || !visible(t)) continue;
      if (family !== undefined && t.taskDefinition.family !== family) continue;
      if (startedBy !== undefined && t.startedBy !== startedBy) continue;
      if (launchType !== undefined && t.launchType !== launchType) continue;
      arns.push(t.arn);
    }
  const [page, more] = pageOf(arns, str(body, "nextToken"), max);
  return { taskArns: page, ...more };
}

export function handleTasks(deps: TaskDeps, action: string, body: Json, ctx: EcsContext): Json | undefined {
  switch (action) {
    case "RunTask":
      return runTask(deps, body, ctx);
    case "DescribeTasks":
      return describeTasks(deps, body);
    case "StopTask":
      return stopTask(deps, body);
    case "ListTasks":
      return listTasks(deps, body);
    default:
      return undefined;
  }
}
