// Job attribute templates (spec 10.6): a small, safe subset of Go's text/template.
//   {{ .Root.key.key }}  {{ index .Root "any key" "more" }}  {{- trims before   trims after -}}
import type { Attribute, Cluster, Command, Job, Json, JsonObject } from "./types.ts";
import { errorMessage } from "./errors.ts";

type Node = { kind: "text"; text: string } | { kind: "action"; path: string[]; keys: string[]; source: string };

export interface Template {
  readonly source: string;
  readonly nodes: readonly Node[];
}

export interface TemplateData {
  Job: JsonObject;
  Command: JsonObject;
  Cluster: JsonObject;
  Outputs: Record<string, string>;
}

export const TEMPLATE_ROOTS = ["Job", "Command", "Cluster", "Outputs"] as const;

const WS = new Set([" ", "\t", "\r", "\n"]);
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

/** Parses a template; throws Error with a short message (`unclosed action`, …) on anything outside the subset. */
export function parseTemplate(src: string): Template {
  const nodes: Node[] = [];
  let text = "";
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      text += src.slice(i);
      break;
    }
    text += src.slice(i, open);
    let p = open + 2;
    if (src[p] === "-" && WS.has(src[p + 1] ?? "")) {
      text = text.replace(/[ \t\r\n]+$/, "");
      p += 1;
    }
    const action = parseAction(src, p);
    if (text !== "") nodes.push({ kind: "text", text });
    text = "";
    nodes.push({ kind: "action", path: action.path, keys: action.keys, source: src.slice(open, action.end) });
    i = action.end;
    if (action.trimAfter) while (i < src.length && WS.has(src[i]!)) i++;
  }
  if (text !== "") nodes.push({ kind: "text", text });
  return { source: src, nodes };
}

interface ParsedAction {
  path: string[];
  keys: string[];
  end: number;
  trimAfter: boolean;
}

type Token = { t: "word"; v: string } | { t: "path"; v: string[] } | { t: "string"; v: string };

function parseAction(src: string, start: number): ParsedAction {
  const tokens: Token[] = [];
  let i = start;
  for (;;) {
    while (i < src.length && WS.has(src[i]!)) i++;
    if (i >= src.length) throw new Error("unclosed action");
    const c = src[i]!;
    if (c === "}" && src[i + 1] === "}") {
      return finishAction(tokens, i + 2, false);
    }
    if (c === "-" && src[i + 1] === "}" && src[i + 2] === "}" && WS.has(src[i - 1] ?? "")) {
      return finishAction(tokens, i + 3, true);
    }
    if (c === ".") {
      const path: string[] = [];
      i++;
      if (i < src.length && IDENT_START.test(src[i]!)) {
        for (;;) {
          let j = i;
          while (j < src.length && IDENT_PART.test(src[j]!)) j++;
          path.push(src.slice(i, j));
          i = j;
          if (src[i] !== ".") break;
          i++;
          if (!IDENT_START.test(src[i] ?? "")) throw new Error(`bad field name in path after "${"." + path.join(".")}."`);
        }
      } else if (i < src.length && !WS.has(src[i]!) && src[i] !== "}" && src[i] !== "-") {
        throw new Error(`bad character ${JSON.stringify(src[i])} in path`);
      }
      tokens.push({ t: "path", v: path });
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\\") j++;
        if (src[j] === "\n") throw new Error("unterminated quoted string");
        j++;
      }
      if (j >= src.length) throw new Error("unterminated quoted string");
      let value: unknown;
      try {
        value = JSON.parse(src.slice(i, j + 1));
      } catch {
        throw new Error(`invalid quoted string ${src.slice(i, j + 1)}`);
      }
      tokens.push({ t: "string", v: value as string });
      i = j + 1;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i;
      while (j < src.length && IDENT_PART.test(src[j]!)) j++;
      tokens.push({ t: "word", v: src.slice(i, j) });
      i = j;
      continue;
    }
    throw new Error(`unexpected ${JSON.stringify(c)} in action`);
  }
}

function finishAction(tokens: Token[], end: number, trimAfter: boolean): ParsedAction {
  const first = tokens[0];
  if (first === undefined) throw new Error("missing value for action");
  if (first.t === "path") {
    if (tokens.length > 1) throw new Error("unexpected argument after path (only index takes arguments)");
    return { path: checkRoot(first.v), keys: [], end, trimAfter };
  }
  if (first.t === "word" && first.v === "index") {
    const target = tokens[1];
    if (target === undefined || target.t !== "path") throw new Error("index: first argument must be a path such as .Cluster");
    if (tokens.length < 3) throw new Error("index: at least one key is required");
    const keys: string[] = [];
    for (const tok of tokens.slice(2)) {
      if (tok.t !== "string") throw new Error("index: keys must be double-quoted strings");
      keys.push(tok.v);
    }
    return { path: checkRoot(target.v), keys, end, trimAfter };
  }
  if (first.t === "word") throw new Error(`function "${first.v}" not defined`);
  throw new Error("unexpected quoted string at the start of an action");
}

function checkRoot(path: string[]): string[] {
  const root = path[0];
  if (root !== undefined && !(TEMPLATE_ROOTS as readonly string[]).includes(root)) {
    throw new Error(`unknown root ".${root}" (want .Job, .Command, .Cluster or .Outputs)`);
  }
  return path;
}

/** Renders a value: strings as is, numbers in shortest decimal form, booleans; anything else throws. */
function renderValue(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) throw new Error(`${where} is null`);
  if (Array.isArray(value)) throw new Error(`${where} is an array, not a value`);
  throw new Error(`${where} is an object, not a value`);
}

function lookup(value: unknown, key: string, where: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${where} is not an object, cannot read key ${JSON.stringify(key)}`);
  }
  if (!Object.prototype.hasOwnProperty.call(value, key)) throw new Error(`${where} has no key ${JSON.stringify(key)}`);
  return (value as Record<string, unknown>)[key];
}

/** Renders a parsed template; throws Error on a missing key, null, object or array. */
export function renderTemplate(t: Template, data: TemplateData): string {
  let out = "";
  for (const node of t.nodes) {
    if (node.kind === "text") {
      out += node.text;
      continue;
    }
    let value: unknown = data;
    let where = ".";
    for (const step of node.path) {
      value = lookup(value, step, where);
      where = where === "." ? `.${step}` : `${where}.${step}`;
    }
    for (const key of node.keys) {
      value = lookup(value, key, where);
      where = `${where}[${JSON.stringify(key)}]`;
    }
    out += renderValue(value, where);
  }
  return out;
}

export interface RenderedAttributes {
  rendered: Record<string, Attribute>;
  errors: { label: string; message: string }[];
}

/** Renders every attribute; failing ones are left out and reported in `errors`. */
export function renderAttributes(attrs: Readonly<Record<string, Attribute>>, data: TemplateData): RenderedAttributes {
  const rendered: Record<string, Attribute> = {};
  const errors: { label: string; message: string }[] = [];
  for (const [label, attr] of Object.entries(attrs)) {
    try {
      rendered[label] = { kind: attr.kind, value: renderTemplate(parseTemplate(attr.value), data) };
    } catch (err) {
      errors.push({ label, message: errorMessage(err) });
    }
  }
  return { rendered, errors };
}

/** Builds the template roots for a job run (10.6). */
export function jobTemplateData(
  job: Readonly<Job>,
  command: Readonly<Command> | undefined,
  cluster: Readonly<Cluster> | undefined,
  outputs: Readonly<Record<string, string>> | undefined,
): TemplateData {
  const Job: JsonObject = {
    ID: job.id,
    Name: job.name,
    Version: job.version,
    User: job.user,
    Description: job.description,
    CommandID: job.command_id,
    CommandName: job.command_name,
    ClusterID: job.cluster_id,
    ClusterName: job.cluster_name,
    Context: (job.context ?? {}) as Json,
  };
  return {
    Job,
    Command: command?.context ?? {},
    Cluster: cluster?.context ?? {},
    Outputs: { ...(outputs ?? {}) },
  };
}
