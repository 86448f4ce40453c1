// Request-body validators (spec 3.3, D7, 5.3, 6.3). Pure: they return domain objects or throw BAD_REQUEST.
import type { Attribute, Cluster, Command, RegistryStatus, SubmitInput } from "./types.ts";
import { badRequest, HeimdallError } from "./errors.ts";
import { charLength } from "./text.ts";
import { finalTags, sortTagSet } from "./tags.ts";
import { compileCallers } from "./callers.ts";
import { parseTemplate } from "./template.ts";
import { parseRegistryStatus } from "./status.ts";
import { checkName, field, isPlainObject, NUL_PROBLEM, optBoolean, optContext, optString, optStringArray } from "./fields.ts";
import { Problems } from "./problems.ts";

export const MAX_JOB_NAME = 300;
export const MAX_VERSION = 64;
export const MAX_DESCRIPTION = 255;
export const MAX_IDENTITY = 64;
export const MAX_ALLOWED_CALLERS = 100;
export const MAX_CALLER_PATTERN = 256;
export const MAX_ATTRIBUTES = 50;
export const MAX_ATTRIBUTE_LABEL = 128;
export const MAX_ATTRIBUTE_VALUE = 4096;
export const RESERVED_ID = "statuses";

const NOT_OBJECT = "request body: must be a JSON object";

/** Parses a request body: empty/whitespace → {}; otherwise one JSON object. */
export function parseJsonBody(raw: string): Record<string, unknown> {
  if (raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw badRequest(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isPlainObject(parsed)) throw badRequest(NOT_OBJECT);
  return parsed;
}

function asBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (!isPlainObject(body)) throw badRequest(NOT_OBJECT);
  return body;
}

/** Validates a command/cluster id (path or configuration); throws BAD_REQUEST. */
export function validateRegistryId(id: string): void {
  const p = new Problems();
  idProblems(p, id);
  p.throwIfAny();
}

function idProblems(p: Problems, id: unknown): void {
  if (typeof id !== "string") {
    p.add("id", "must be a string");
    return;
  }
  if (id === RESERVED_ID) p.add("id", `"${RESERVED_ID}" is reserved`);
  checkName(p, "id", id);
}

/** An identity on POST/PUT: at most 64 characters (D7). */
export function validateIdentity(user: string): void {
  if (user.includes("\0")) throw badRequest(`user: ${NUL_PROBLEM}`);
  if (charLength(user) > MAX_IDENTITY) throw badRequest(`user: must be at most ${MAX_IDENTITY} characters`);
}

/** POST P/job body (4.1, D7). Server-owned keys are ignored. */
export function validateSubmit(body: unknown): SubmitInput {
  const b = asBody(body);
  const p = new Problems();
  const name = optString(p, "name", field(b, "name"), MAX_JOB_NAME);
  const version = optString(p, "version", field(b, "version"), MAX_VERSION);
  const description = optString(p, "description", field(b, "description"), MAX_DESCRIPTION);
  const tags = optStringArray(p, "tags", field(b, "tags")) ?? [];
  const context = optContext(p, "context", field(b, "context"));
  const commandCriteria = optStringArray(p, "command_criteria", field(b, "command_criteria"));
  const clusterCriteria = optStringArray(p, "cluster_criteria", field(b, "cluster_criteria"));
  const storeResultSync = optBoolean(p, "store_result_sync", field(b, "store_result_sync"));
  p.throwIfAny();
  const out: SubmitInput = { name, version, description, tags: sortTagSet(tags), store_result_sync: storeResultSync };
  if (context !== undefined) out.context = context;
  if (commandCriteria !== undefined) out.command_criteria = sortTagSet(commandCriteria);
  if (clusterCriteria !== undefined) out.cluster_criteria = sortTagSet(clusterCriteria);
  return out;
}

/** `name`: optional, defaults to the id; same rules as ids (without the reserved word). */
function registryName(p: Problems, value: unknown, id: string): string {
  if (value === undefined || value === "") return id;
  if (typeof value !== "string") {
    p.add("name", "must be a string");
    return id;
  }
  checkName(p, "name", value);
  return value;
}

function registryStatus(p: Problems, value: unknown): RegistryStatus {
  if (value === undefined || value === "") return "ACTIVE";
  if (typeof value !== "string") {
    p.add("status", "must be a string");
    return "ACTIVE";
  }
  try {
    return parseRegistryStatus(value);
  } catch (err) {
    p.addMessage("status", (err as Error).message);
    return "ACTIVE";
  }
}

function allowedCallers(p: Problems, id: string, value: unknown): string[] {
  // Length is checked per pattern below, so that each pattern's problems stay together in entry order.
  const list = optStringArray(p, "allowed_callers", value, { maxLength: Infinity, maxEntries: MAX_ALLOWED_CALLERS, keepEmpty: true }) ?? [];
  const ok: string[] = [];
  list.forEach((pattern, i) => {
    if (charLength(pattern) > MAX_CALLER_PATTERN) {
      p.add(`allowed_callers[${i}]`, `must be at most ${MAX_CALLER_PATTERN} characters`);
      return;
    }
    try {
      compileCallers(id, [pattern]);
      ok.push(pattern);
    } catch (err) {
      p.addMessage(`allowed_callers[${i}]`, err instanceof HeimdallError ? err.message : String(err));
    }
  });
  return sortTagSet(ok);
}

type CommandDefinition = Omit<Command, "created_at" | "updated_at">;
type ClusterDefinition = Omit<Cluster, "created_at" | "updated_at">;

/** The fields commands and clusters share, validated in field order; tags get the automatic id/name/version tags. */
function registryBase(p: Problems, id: string, b: Record<string, unknown>, user: string) {
  idProblems(p, id);
  const name = registryName(p, field(b, "name"), id);
  const version = optString(p, "version", field(b, "version"), MAX_VERSION);
  const description = optString(p, "description", field(b, "description"), MAX_DESCRIPTION);
  const tags = optStringArray(p, "tags", field(b, "tags")) ?? [];
  const context = optContext(p, "context", field(b, "context"));
  const status = registryStatus(p, field(b, "status"));
  return {
    base: { id, name, version, user, description, tags: finalTags(tags, id, name, version), status },
    context: context === undefined ? {} : { context },
  };
}

/** PUT P/command/{id} body and configuration entries (5.3, 11.3). Plugin existence is checked elsewhere. */
export function validateCommandBody(id: string, body: unknown, user: string): CommandDefinition {
  const b = asBody(body);
  const p = new Problems();
  const { base, context } = registryBase(p, id, b, user);
  const pluginValue = field(b, "plugin");
  let plugin = "";
  if (pluginValue === undefined || pluginValue === "") p.add("plugin", "is required");
  else if (typeof pluginValue !== "string") p.add("plugin", "must be a string");
  else if (pluginValue.includes("\0")) p.add("plugin", NUL_PROBLEM);
  else plugin = pluginValue;
  const isSync = optBoolean(p, "is_sync", field(b, "is_sync"));
  const clusterTags = optStringArray(p, "cluster_tags", field(b, "cluster_tags")) ?? [];
  const callers = allowedCallers(p, id, field(b, "allowed_callers"));
  p.throwIfAny();
  return { ...base, plugin, is_sync: isSync, cluster_tags: sortTagSet(clusterTags), allowed_callers: callers, ...context };
}

function attributes(p: Problems, value: unknown): Record<string, Attribute> {
  const out: Record<string, Attribute> = {};
  if (value === undefined) return out;
  if (!isPlainObject(value)) {
    p.add("attributes", "must be an object");
    return out;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_ATTRIBUTES) {
    p.add("attributes", `must have at most ${MAX_ATTRIBUTES} entries`);
    return out;
  }
  for (const [label, attr] of entries) {
    const path = `attributes.${label}`;
    if (label === "") {
      p.add("attributes", "labels must not be empty");
      continue;
    }
    if (charLength(label) > MAX_ATTRIBUTE_LABEL) {
      p.add(path, `label must be at most ${MAX_ATTRIBUTE_LABEL} characters`);
      continue;
    }
    if (!isPlainObject(attr)) {
      p.add(path, `must be an object with "kind" and "value"`);
      continue;
    }
    const kind = attr["kind"];
    const okKind = kind === "link" || kind === "text";
    if (!okKind) p.add(`${path}.kind`, `must be "link" or "text"`);
    const v = attr["value"];
    let okValue = false;
    if (typeof v !== "string") p.add(`${path}.value`, "must be a string");
    else if (charLength(v) > MAX_ATTRIBUTE_VALUE) p.add(`${path}.value`, `must be at most ${MAX_ATTRIBUTE_VALUE} characters`);
    else {
      try {
        parseTemplate(v);
        okValue = true;
      } catch (err) {
        p.add(`${path}.value`, err instanceof Error ? err.message : String(err));
      }
    }
    if (okKind && okValue) out[label] = { kind, value: v as string };
  }
  return out;
}

/** PUT P/cluster/{id} body and configuration entries (6.3, 11.3). */
export function validateClusterBody(id: string, body: unknown, user: string): ClusterDefinition {
  const b = asBody(body);
  const p = new Problems();
  const { base, context } = registryBase(p, id, b, user);
  const healthCheck = optBoolean(p, "health_check", field(b, "health_check"));
  const attrs = attributes(p, field(b, "attributes"));
  p.throwIfAny();
  return { ...base, health_check: healthCheck, attributes: attrs, ...context };
}

/** Body/query of PUT …/status (5.5): the query wins; `status is required` when neither is given. */
export function parseStatusChange(query: unknown, body: unknown): RegistryStatus {
  const fromQuery = typeof query === "string" && query !== "" ? query : undefined;
  const b = isPlainObject(body) ? body : {};
  const fromBody = field(b, "status");
  const raw = fromQuery ?? fromBody;
  if (raw === undefined || raw === "") throw badRequest("status is required");
  if (typeof raw !== "string") throw badRequest(`unknown status: ${JSON.stringify(raw)}`);
  return parseRegistryStatus(raw);
}
