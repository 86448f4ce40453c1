// `commands` and `clusters` entries (spec 11.3), validated with the same core rules as PUT.
import { isMap, isScalar, isSeq, type Node } from "yaml";
import {
  HeimdallError,
  errorMessage,
  topField,
  validateClusterBody,
  validateCommandBody,
  charLength,
  MAX_IDENTITY,
} from "../core/index.ts";
import type { ClusterEntry, CommandEntry } from "./types.ts";
import { MapView } from "./reader.ts";

const COMMAND_KEYS = [
  "name",
  "id",
  "status",
  "plugin",
  "version",
  "description",
  "is_sync",
  "user",
  "tags",
  "cluster_tags",
  "allowed_callers",
  "context",
];
const CLUSTER_KEYS = ["name", "id", "status", "version", "description", "user", "tags", "context", "health_check", "attributes"];
const DEFAULT_USER = "heimdall";

const STRING_KEYS = ["name", "id", "status", "plugin", "version", "description", "user"];
const LIST_KEYS = ["tags", "cluster_tags", "allowed_callers"];

/** YAML reads `version: 1.0` as the number 1; string fields keep the text as written instead. */
function asWritten(node: unknown): unknown {
  if (isScalar(node) && node.value !== null && typeof node.value !== "string" && typeof node.source === "string") return node.source;
  return undefined;
}

function keepScalarText(view: MapView, body: Record<string, unknown>): void {
  for (const key of STRING_KEYS) {
    const text = asWritten(view.get(key).node);
    if (text !== undefined) body[key] = text;
  }
  for (const key of LIST_KEYS) {
    const node = view.get(key).node;
    const list = body[key];
    if (!isSeq(node) || !Array.isArray(list)) continue;
    node.items.forEach((item, i) => {
      const text = asWritten(item);
      if (text !== undefined) list[i] = text;
    });
  }
}

type Kind = "command" | "cluster";

function readEntry(
  root: MapView,
  kind: Kind,
  item: { path: string; node: Node | null; line: number | undefined },
): CommandEntry | ClusterEntry | undefined {
  const diag = root.diag;
  if (item.node === null || !isMap(item.node)) {
    diag.error(item.line, item.path, "must be a mapping");
    return undefined;
  }
  const view = new MapView(root.doc, diag, item.path, item.node, item.line);
  view.checkKeys(kind === "command" ? COMMAND_KEYS : CLUSTER_KEYS, kind === "cluster" ? { rbacs: "ignored (no RBAC integration)" } : {});
  const body = item.node.toJS(root.doc) as Record<string, unknown>;
  keepScalarText(view, body);
  const idValue = body["id"] ?? body["name"];
  if (idValue === undefined || idValue === null || idValue === "") {
    diag.error(item.line, item.path, "name or id is required");
    return undefined;
  }
  if (typeof idValue !== "string") {
    diag.error(view.get(body["id"] !== undefined ? "id" : "name").line, `${item.path}.id`, "must be a string");
    return undefined;
  }
  let user = DEFAULT_USER;
  const u = view.get("user");
  if (u.value !== undefined) {
    if (typeof u.value !== "string" || u.value === "") diag.error(u.line, u.path, "must be a non-empty string");
    else if (charLength(u.value) > MAX_IDENTITY) diag.error(u.line, u.path, `must be at most ${MAX_IDENTITY} characters`);
    else user = u.value;
  }
  const fields = { ...body };
  delete fields["id"];
  delete fields["user"];
  delete fields["rbacs"];
  try {
    return kind === "command" ? validateCommandBody(idValue, fields, user) : validateClusterBody(idValue, fields, user);
  } catch (err) {
    // Each problem's line is its top-level key's (`attributes` for `attributes.gpu.kind`), else the entry's.
    const problems = err instanceof HeimdallError && err.problems.length > 0 ? err.problems : [{ path: "", message: errorMessage(err) }];
    for (const problem of problems) {
      const key = topField(problem.path);
      const line = key !== "" && view.has(key) ? view.get(key).line : item.line;
      diag.errorText(
        line,
        problem.path === "" ? item.path : `${item.path}.${problem.path}`,
        `${item.path} (${idValue}): ${problem.message}`,
      );
    }
    return undefined;
  }
}

function readEntries(root: MapView, kind: Kind): (CommandEntry | ClusterEntry)[] {
  const key = kind === "command" ? "commands" : "clusters";
  const out: (CommandEntry | ClusterEntry)[] = [];
  const seen = new Set<string>();
  for (const item of root.sequence(key)) {
    const entry = readEntry(root, kind, item);
    if (entry === undefined) continue;
    if (seen.has(entry.id)) {
      root.diag.errorText(item.line, item.path, `${kind} IDs are not unique (duplicate id "${entry.id}" at ${item.path})`);
      continue;
    }
    seen.add(entry.id);
    out.push(entry);
  }
  return out;
}

export function readCommands(root: MapView): CommandEntry[] {
  return readEntries(root, "command") as CommandEntry[];
}

export function readClusters(root: MapView): ClusterEntry[] {
  return readEntries(root, "cluster") as ClusterEntry[];
}
