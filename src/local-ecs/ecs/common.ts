// Shared ECS helpers: ARNs, name resolution, tag validation, Fargate sizes.
import { AwsError, type Json, invalidParam } from "../protocol.ts";
import type { Cluster, EcsState, Tag, TaskDefinition } from "./model.ts";

export interface EcsContext {
  region: string;
  accountId: string;
  now: number;
}

export const clusterArn = (c: EcsContext, name: string): string => `arn:aws:ecs:${c.region}:${c.accountId}:cluster/${name}`;

export const clusterNotFound = (): AwsError => new AwsError("ClusterNotFoundException", "Cluster not found.");

/** Cluster name from a short name or ARN ("default" when omitted). */
export function clusterName(ref: string | undefined): string {
  if (ref === undefined || ref === "") return "default";
  const m = /^arn:aws[a-z-]*:ecs:[^:]*:[^:]*:cluster\/(.+)$/.exec(ref);
  return m ? m[1]! : ref;
}

export function findCluster(state: EcsState, ref: string | undefined): Cluster {
  const c = state.clusters.get(clusterName(ref));
  if (!c || c.status !== "ACTIVE") throw clusterNotFound();
  return c;
}

/** family / family:revision / ARN → the task definition (family alone = latest ACTIVE). */
export function findTaskDefinition(state: EcsState, ref: string, notFound: () => AwsError): TaskDefinition {
  const m = /^(?:arn:aws[a-z-]*:ecs:[^:]*:[^:]*:task-definition\/)?([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(ref);
  if (!m) throw notFound();
  const revs = state.families.get(m[1]!);
  if (!revs) throw notFound();
  if (m[2] !== undefined) {
    const td = revs[Number(m[2]) - 1];
    if (!td) throw notFound();
    return td;
  }
  for (let i = revs.length - 1; i >= 0; i--) if (revs[i]!.status === "ACTIVE") return revs[i]!;
  throw notFound();
}

const TAG_RE = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

export function validateTags(raw: unknown, field = "tags"): Tag[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidParam(`${field} must be a list.`);
  if (raw.length > 50)
    throw invalidParam(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to 50`,
    );
  const seen = new Set<string>();
  return raw.map((t: Json) => {
    const key = t?.key;
    const value = t?.value ?? "";
    if (typeof key !== "string" || key.length < 1 || key.length > 128 || !TAG_RE.test(key))
      throw invalidParam(`Tag key '${String(key)}' must be 1-128 characters matching ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$.`);
    if (typeof value !== "string" || value.length > 256 || !TAG_RE.test(value))
      throw invalidParam(`Tag value for key '${key}' must be 0-256 characters matching ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$.`);
    if (key.toLowerCase().startsWith("aws:")) throw invalidParam("Tag keys with the 'aws:' prefix are reserved.");
    if (seen.has(key)) throw invalidParam(`Duplicate tag key '${key}'.`);
    seen.add(key);
    return { key, value };
  });
}

/** Merge tags by key (later wins); fails when the result exceeds 50. */
export function mergeTags(existing: Tag[], add: Tag[]): Tag[] {
  const m = new Map(existing.map((t) => [t.key, t.value]));
  for (const t of add) m.set(t.key, t.value);
  if (m.size > 50) throw invalidParam("Too many tags: a resource can have at most 50 tags.");
  return [...m].map(([key, value]) => ({ key, value }));
}

/** Task-level cpu string ("256", "1 vCPU", "1 vcpu") → units, undefined if not parseable. */
export function parseCpu(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] ? Math.round(n * 1024) : Number.isInteger(n) ? n : undefined;
}

/** Task-level memory string ("512", "1GB", "1 GB") → MiB. */
export function parseMemory(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] ? Math.round(n * 1024) : Number.isInteger(n) ? n : undefined;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Valid Fargate task cpu → memory combinations (ecs-api.md §6). */
export const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

export function checkFargateSize(cpu: number, memory: number): void {
  if (!FARGATE_SIZES[cpu]?.includes(memory))
    throw new AwsError(
      "ClientException",
      `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
    );
}

export const taskId = (arnOrId: string): string => {
  const i = arnOrId.lastIndexOf("/");
  return i >= 0 ? arnOrId.slice(i + 1) : arnOrId;
};
