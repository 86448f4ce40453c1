// RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies,
// DeregisterTaskDefinition.
import { type Json, clientError, invalidParam, list, num, pageOf, str } from "../protocol.ts";
import { type EcsContext, checkFargateSize, findTaskDefinition, parseCpu, parseMemory, validateTags } from "./common.ts";
import type { EcsState, TaskDefinition } from "./model.ts";

const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
const TD_MEMBERS = new Set([
  "containerDefinitions",
  "family",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "volumes",
  "placementConstraints",
  "runtimePlatform",
  "requiresCompatibilities",
  "cpu",
  "memory",
  "inferenceAccelerators",
  "pidMode",
  "ipcMode",
  "proxyConfiguration",
  "ephemeralStorage",
  "enableFaultInjection",
]);

const tdNotFound = () => clientError("Unable to describe task definition.");

function validateContainers(body: Json, fargate: boolean, taskCpu: number | undefined, taskMem: number | undefined): Json[] {
  const defs = list<Json>(body, "containerDefinitions");
  if (!defs || defs.length === 0) throw clientError("Container list cannot be empty.");
  const names = new Set<string>();
  let cpuSum = 0;
  const out = defs.map((d) => {
    if (!d || typeof d !== "object") throw clientError("Container definition must be a structure.");
    const name = d.name;
    if (typeof name !== "string" || !name) throw clientError("Container.name should not be null or empty.");
    if (!NAME_RE.test(name))
      throw clientError(
        `Container name '${name}' contains invalid characters: up to 255 letters, numbers, hyphens and underscores are allowed.`,
      );
    if (names.has(name)) throw clientError(`Duplicate container name '${name}'.`);
    names.add(name);
    if (typeof d.image !== "string" || !d.image) throw clientError("Container.image should not be null or empty.");
    for (const k of ["command", "entryPoint"]) {
      const v = d[k];
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== "string")))
        throw clientError(`Container.${k} must be a list of strings.`);
    }
    const mem = d.memory as number | undefined;
    if (taskMem === undefined && mem === undefined && d.memoryReservation === undefined)
      throw clientError(`Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
    if (mem !== undefined && taskMem !== undefined && mem > taskMem)
      throw clientError(`The 'memory' setting for container '${name}' is greater than for the task.`);
    cpuSum += typeof d.cpu === "number" ? d.cpu : 0;
    const log = d.logConfiguration as Json | undefined;
    if (log?.logDriver === "awslogs") {
      const opts = (log.options ?? {}) as Record<string, string>;
      const missing = ["awslogs-region", "awslogs-group"].filter((k) => !opts[k]);
      if (missing.length) throw clientError(`Log driver awslogs requires options: ${missing.join(", ")}`);
      if (fargate && !body.executionRoleArn)
        throw clientError("Fargate requires task definition to have execution role ARN to support log driver awslogs.");
      if (fargate && !opts["awslogs-stream-prefix"]) throw clientError("Log driver awslogs requires options: awslogs-stream-prefix");
    }
    if (fargate && /\.dkr\.ecr\./.test(d.image) && !body.executionRoleArn)
      throw clientError("Fargate requires task definition to have execution role ARN to support ECR images.");
    if (body.networkMode === "awsvpc" && Array.isArray(d.portMappings))
      for (const p of d.portMappings as Json[])
        if (p.hostPort !== undefined && p.containerPort !== undefined && p.hostPort !== p.containerPort)
          throw clientError("When networkMode=awsvpc, the host ports and container ports in port mappings must match.");
    return {
      cpu: 0,
      portMappings: [],
      essential: true,
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      ...d,
    } as Json;
  });
  if (taskCpu !== undefined && cpuSum > taskCpu)
    throw clientError("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.");
  if (!out.some((d) => d.essential !== false)) throw clientError("Task definition does not have any essential container.");
  const essential = new Set(out.filter((d) => d.essential !== false).map((d) => d.name as string));
  for (const d of out)
    for (const dep of (d.dependsOn as Json[] | undefined) ?? []) {
      if (!names.has(dep.containerName as string))
        throw clientError(`Container '${d.name}' depends on unknown container '${dep.containerName}'.`);
      if ((dep.condition === "COMPLETE" || dep.condition === "SUCCESS") && essential.has(dep.containerName as string))
        throw clientError("A dependency container with SUCCESS or COMPLETE condition cannot be an essential container");
    }
  return out;
}

function register(state: EcsState, body: Json, ctx: EcsContext): Json {
  const family = str(body, "family");
  if (!family) throw clientError("Family should not be null or empty.");
  if (!NAME_RE.test(family)) throw clientError("Family contains invalid characters.");
  const networkMode = str(body, "networkMode") ?? "bridge";
  if (!["bridge", "host", "awsvpc", "none"].includes(networkMode)) throw clientError(`Invalid networkMode '${networkMode}'.`);
  const compat = list<string>(body, "requiresCompatibilities") ?? [];
  for (const c of compat)
    if (!["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"].includes(c))
      throw clientError(`Invalid requiresCompatibilities value '${c}'.`);
  const fargate = compat.includes("FARGATE");
  let cpu = str(body, "cpu");
  let memory = str(body, "memory");
  let cpuUnits: number | undefined;
  let memMiB: number | undefined;
  if (cpu !== undefined) {
    cpuUnits = parseCpu(cpu);
    if (cpuUnits === undefined || cpuUnits < 128 || cpuUnits > 196608)
      throw clientError(
        "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      );
    cpu = String(cpuUnits);
  }
  if (memory !== undefined) {
    memMiB = parseMemory(memory);
    if (memMiB === undefined || memMiB < 6)
      throw clientError(
        "Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      );
    memory = String(memMiB);
  }
  if (fargate) {
    if (networkMode !== "awsvpc") throw clientError("Fargate only supports network mode 'awsvpc'.");
    if (cpuUnits === undefined) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
    if (memMiB === undefined) throw clientError("Fargate requires that 'memory' be defined at the task level.");
    checkFargateSize(cpuUnits, memMiB);
    const pid = str(body, "pidMode");
    if (pid !== undefined && pid !== "task")
      throw clientError(`Tasks using the Fargate launch type do not support pidMode '${pid}'. The supported value for pidMode is 'task'.`);
  }
  const eph = body.ephemeralStorage as Json | undefined;
  if (eph !== undefined) {
    const size = eph?.sizeInGiB;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 21 || size > 200)
      throw clientError("The ephemeral storage size must be an integer between 21 and 200 GiB.");
  }
  const containerDefinitions = validateContainers({ ...body, networkMode }, fargate, cpuUnits, memMiB);
  const tags = validateTags(body.tags);
  const revs = state.families.get(family) ?? [];
  const revision = revs.length + 1;
  const arn = `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task-definition/${family}:${revision}`;
  const fargateOk = networkMode === "awsvpc" && cpuUnits !== undefined && memMiB !== undefined && fargateSizeValid(cpuUnits, memMiB);
  const td: Json = {};
  for (const [k, v] of Object.entries(body)) if (TD_MEMBERS.has(k) && v !== undefined && v !== null) td[k] = v;
  Object.assign(td, {
    taskDefinitionArn: arn,
    containerDefinitions,
    family,
    networkMode,
    revision,
    volumes: body.volumes ?? [],
    status: "ACTIVE",
    requiresAttributes: [],
    placementConstraints: body.placementConstraints ?? [],
    compatibilities: fargateOk ? ["EC2", "FARGATE"] : ["EC2"],
    ...(cpu !== undefined ? { cpu } : {}),
    ...(memory !== undefined ? { memory } : {}),
    registeredAt: ctx.now / 1000,
    registeredBy: `arn:aws:iam::${ctx.accountId}:root`,
  });
  const rec: TaskDefinition = { family, revision, arn, body: td, status: "ACTIVE", tags };
  revs.push(rec);
  state.families.set(family, revs);
  return { taskDefinition: td, tags };
}

function fargateSizeValid(cpu: number, mem: number): boolean {
  try {
    checkFargateSize(cpu, mem);
    return true;
  } catch {
    return false;
  }
}

function maxResults(body: Json): number {
  const max = num(body, "maxResults") ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParam("maxResults must be between 1 and 100.");
  return max;
}

export function handleTaskDefinitions(state: EcsState, action: string, body: Json, ctx: EcsContext): Json | undefined {
  switch (action) {
    case "RegisterTaskDefinition":
      return register(state, body, ctx);
    case "DescribeTaskDefinition": {
      const td = findTaskDefinition(state, str(body, "taskDefinition", { required: true })!, tdNotFound);
      const withTags = (list<string>(body, "include") ?? []).includes("TAGS");
      return { taskDefinition: td.body, ...(withTags ? { tags: td.tags } : {}) };
    }
    case "DeregisterTaskDefinition": {
      const ref = str(body, "taskDefinition", { required: true })!;
      if (!/:\d+$/.test(ref)) throw clientError("Revision is missing.");
      const td = findTaskDefinition(state, ref, tdNotFound);
      if (td.status === "ACTIVE") {
        td.status = "INACTIVE";
        td.body.status = "INACTIVE";
        td.body.deregisteredAt = ctx.now / 1000;
      }
      return { taskDefinition: td.body };
    }
    case "ListTaskDefinitions": {
      const family = str(body, "familyPrefix");
      const status = str(body, "status") ?? "ACTIVE";
      if (!["ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"].includes(status)) throw invalidParam(`Invalid status '${status}'.`);
      const sort = str(body, "sort") ?? "ASC";
      if (sort !== "ASC" && sort !== "DESC") throw invalidParam(`Invalid sort '${sort}'.`);
      const max = maxResults(body);
      const fams = [...state.families.keys()].filter((f) => family === undefined || f === family).sort();
      let arns = fams.flatMap((f) =>
        state.families
          .get(f)!
          .filter((t) => t.status === status)
          .map((t) => t.arn),
      );
      if (sort === "DESC") arns = arns.reverse();
      const [page, more] = pageOf(arns, str(body, "nextToken"), max);
      return { taskDefinitionArns: page, ...more };
    }
    case "ListTaskDefinitionFamilies": {
      const prefix = str(body, "familyPrefix");
      const status = str(body, "status") ?? "ALL";
      if (!["ACTIVE", "INACTIVE", "ALL"].includes(status)) throw invalidParam(`Invalid status '${status}'.`);
      const max = maxResults(body);
      const fams = [...state.families.entries()]
        .filter(([f, revs]) => {
          if (prefix !== undefined && !f.startsWith(prefix)) return false;
          const active = revs.some((t) => t.status === "ACTIVE");
          return status === "ALL" || (status === "ACTIVE") === active;
        })
        .map(([f]) => f)
        .sort();
      const [page, more] = pageOf(fams, str(body, "nextToken"), max);
      return { families: page, ...more };
    }
    default:
      return undefined;
  }
}
