// Container overrides: validation, merge by container name (job replaces command per container), TASK_NAME/TASK_NUM.
import type { Json, JsonObject, Problems } from "../../core/index.ts";
import { isObject } from "./check.ts";
import type { Template } from "./template.ts";

/** A validated ContainerOverride (SDK shape). */
export type ContainerOverrideInput = JsonObject & { name: string };

const RESERVED_ENV = ["TASK_NAME", "TASK_NUM"];
const FIELDS = ["name", "command", "environment", "environmentFiles", "cpu", "memory", "memoryReservation", "resourceRequirements"];

export function taskName(jobId: string, slot: number): string {
  return `heimdall-job-${jobId}-${slot}`;
}

/** Validates an overrides array against the template's containers. undefined when absent or invalid. */
export function readOverrides(
  v: Json | undefined,
  path: string,
  template: Template,
  problems: Problems,
): ContainerOverrideInput[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    problems.add(path, "must be an array of container overrides");
    return undefined;
  }
  const before = problems.list.length;
  const names = new Set(template.containers.map((c) => c.name));
  const seen = new Set<string>();
  const out: ContainerOverrideInput[] = [];
  v.forEach((o, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(o)) return problems.add(p, "must be an object");
    for (const k of Object.keys(o)) if (!FIELDS.includes(k)) problems.add(`${p}.${k}`, `unknown field (allowed: ${FIELDS.join(", ")})`);
    if (typeof o.name !== "string" || o.name === "") return problems.add(`${p}.name`, "must be a non-empty string");
    if (!names.has(o.name)) {
      return problems.add(`${p}.name`, `container "${o.name}" is not in the task definition (containers: ${[...names].join(", ")})`);
    }
    if (seen.has(o.name)) problems.add(`${p}.name`, `duplicate override for container "${o.name}"`);
    seen.add(o.name);
    checkStrings(o.command, `${p}.command`, problems);
    checkEnvironment(o.environment, `${p}.environment`, problems);
    for (const k of ["cpu", "memory", "memoryReservation"]) {
      const n = o[k];
      if (n !== undefined && n !== null && (typeof n !== "number" || !Number.isInteger(n) || n < 0)) {
        problems.add(`${p}.${k}`, "must be an integer >= 0");
      }
    }
    for (const k of ["environmentFiles", "resourceRequirements"]) {
      const a = o[k];
      if (a !== undefined && a !== null && (!Array.isArray(a) || !a.every(isObject)))
        problems.add(`${p}.${k}`, "must be an array of objects");
    }
    out.push(o as ContainerOverrideInput);
  });
  return problems.list.length === before ? out : undefined;
}

function checkStrings(v: Json | undefined, path: string, problems: Problems): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) problems.add(path, "must be an array of strings");
}

function checkEnvironment(v: Json | undefined, path: string, problems: Problems): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) return problems.add(path, "must be an array of {name, value}");
  v.forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(e) || typeof e.name !== "string" || e.name === "") return problems.add(`${p}.name`, "must be a non-empty string");
    if (typeof e.value !== "string") problems.add(`${p}.value`, "must be a string");
    if (RESERVED_ENV.includes(e.name)) problems.add(`${p}.name`, `${e.name} is set by heimdall and cannot be overridden`);
  });
}

/** Per container name, the job's override replaces the command's; command overrides of other containers stay. */
export function mergeOverrides(command: ContainerOverrideInput[], job: ContainerOverrideInput[]): ContainerOverrideInput[] {
  const byName = new Map<string, ContainerOverrideInput>();
  for (const o of command) byName.set(o.name, o);
  for (const o of job) byName.set(o.name, o);
  return [...byName.values()];
}

/** The RunTask containerOverrides for one slot: every container, with TASK_NAME and TASK_NUM appended. */
export function slotOverrides(overrides: ContainerOverrideInput[], template: Template, jobId: string, slot: number): JsonObject[] {
  const byName = new Map(overrides.map((o) => [o.name, o]));
  const name = taskName(jobId, slot);
  return template.containers.map((c) => {
    const o = byName.get(c.name);
    const env = Array.isArray(o?.environment) ? (o.environment as JsonObject[]) : [];
    const out: JsonObject = { ...(o ?? {}), name: c.name };
    out.environment = [...env, { name: "TASK_NAME", value: name }, { name: "TASK_NUM", value: String(slot) }];
    return out;
  });
}

/** RunTask `overrides` for a slot; task-level cpu/memory only when adopting an existing revision. */
export function taskOverride(
  plan: {
    overrides: ContainerOverrideInput[];
    cpu: number;
    memory: number;
    sizeExplicit: boolean;
    taskRevision?: number;
    useLatestRevision: boolean;
  },
  template: Template,
  jobId: string,
  slot: number,
): JsonObject {
  const o: JsonObject = { containerOverrides: slotOverrides(plan.overrides, template, jobId, slot) };
  if (plan.sizeExplicit && (plan.taskRevision !== undefined || plan.useLatestRevision)) {
    o.cpu = String(plan.cpu);
    o.memory = String(plan.memory);
  }
  return o;
}

/** Characters of the RunTask overrides JSON (ECS counts JSON formatting too). */
export function overridesSize(plan: Parameters<typeof taskOverride>[0], template: Template, jobId: string, slot: number): number {
  return JSON.stringify(taskOverride(plan, template, jobId, slot)).length;
}
