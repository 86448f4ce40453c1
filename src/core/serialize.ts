// Wire objects in canonical key order with the omission rules of spec 2.1–2.4.
import type { Attribute, Cluster, Command, Job, Json, JsonObject, Result } from "./types.ts";

function base(o: Command | Cluster | Job, out: JsonObject): void {
  out["id"] = o.id;
  if (o.name !== "") out["name"] = o.name;
  if (o.version !== "") out["version"] = o.version;
  out["user"] = o.user;
  if (o.description !== "") out["description"] = o.description;
  out["tags"] = [...o.tags];
  if (o.context !== undefined && o.context !== null) out["context"] = o.context;
  out["created_at"] = o.created_at;
  out["updated_at"] = o.updated_at;
}

function attributes(a: Record<string, Attribute>): JsonObject {
  const out: JsonObject = {};
  for (const [label, attr] of Object.entries(a)) out[label] = { kind: attr.kind, value: attr.value };
  return out;
}

export function commandToJson(c: Readonly<Command>): JsonObject {
  const out: JsonObject = {};
  base(c, out);
  out["status"] = c.status;
  out["plugin"] = c.plugin;
  if (c.is_sync) out["is_sync"] = true;
  out["cluster_tags"] = [...c.cluster_tags];
  if (c.allowed_callers.length > 0) out["allowed_callers"] = [...c.allowed_callers];
  return out;
}

export function clusterToJson(c: Readonly<Cluster>): JsonObject {
  const out: JsonObject = {};
  base(c, out);
  out["status"] = c.status;
  if (c.health_check) out["health_check"] = true;
  if (Object.keys(c.attributes).length > 0) out["attributes"] = attributes(c.attributes);
  return out;
}

export function resultToJson(r: Readonly<Result>): JsonObject {
  return { columns: r.columns.map((c) => ({ name: c.name, type: c.type })), data: r.data as Json[] };
}

export function jobToJson(j: Readonly<Job>, result?: Readonly<Result>): JsonObject {
  const out: JsonObject = {};
  base(j, out);
  out["status"] = j.status;
  if (j.is_sync) out["is_sync"] = true;
  if (j.store_result_sync) out["store_result_sync"] = true;
  if (j.error !== "") out["error"] = j.error;
  out["command_criteria"] = [...j.command_criteria];
  out["cluster_criteria"] = [...j.cluster_criteria];
  if (j.command_id !== "") out["command_id"] = j.command_id;
  if (j.command_name !== "") out["command_name"] = j.command_name;
  if (j.cluster_id !== "") out["cluster_id"] = j.cluster_id;
  if (j.cluster_name !== "") out["cluster_name"] = j.cluster_name;
  if (j.canceled_by !== "") out["canceled_by"] = j.canceled_by;
  if (Object.keys(j.job_attributes).length > 0) out["job_attributes"] = attributes(j.job_attributes);
  out["started_at"] = j.started_at ?? null;
  out["finished_at"] = j.finished_at ?? null;
  if (j.progress !== undefined && j.progress !== null) out["progress"] = { ...j.progress };
  if (result !== undefined) out["result"] = resultToJson(result);
  return out;
}

/** `{updated_at, status, error?}` of the status routes (4.3, 5.4). */
export function statusToJson(o: { updated_at: number; status: string; error?: string }): JsonObject {
  const out: JsonObject = { updated_at: o.updated_at, status: o.status };
  if (o.error !== undefined && o.error !== "") out["error"] = o.error;
  return out;
}
