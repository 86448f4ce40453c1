// Task definition template: loading, the Fargate size table, building the definition to register, hashing.
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import type { Stats } from "node:fs";
import { open, readlink, realpath } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { resolve, sep } from "node:path";
import type { Json, JsonObject } from "../../core/index.ts";
import { isObject, intLike } from "./check.ts";
import { jsonErrorOffset, lineColumn } from "./json-position.ts";

export interface ContainerInfo {
  name: string;
  essential: boolean;
  /** awslogs configuration, when the container uses that driver with group and prefix. */
  log: { group: string; region: string | undefined; prefix: string } | undefined;
}

export interface Template {
  /** The definition as written (read-only response fields removed). */
  definition: JsonObject;
  family: string;
  containers: ContainerInfo[];
  cpu: number | undefined;
  memory: number | undefined;
}

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not accept. */
const READ_ONLY = [
  "taskDefinitionArn",
  "revision",
  "status",
  "requiresAttributes",
  "compatibilities",
  "registeredAt",
  "registeredBy",
  "deregisteredAt",
];
export const FAMILY_RE = /^[A-Za-z0-9_-]{1,255}$/;
/** Tag carrying the content hash of a registered revision (reuse key). */
export const HASH_TAG = "heimdall:content-hash";

/** Largest template file read (a bigger one is refused, so a huge or endless file cannot exhaust memory). */
export const TEMPLATE_MAX_BYTES = 1024 * 1024;

/**
 * Where a template file may come from. `roots` undefined: the command comes from the configuration file and any
 * path is read; otherwise (a command created through the API) the file's real path must lie under one of these
 * absolute directories.
 */
export interface TemplateAccess {
  roots?: readonly string[] | undefined;
}

/**
 * Loads and checks a template given as a path (relative to the working directory) or an inline object. Files are
 * read asynchronously; only regular files of at most 1 MiB; error messages never contain file content.
 */
export async function loadTemplate(source: Json | undefined, path: string, access: TemplateAccess = {}): Promise<Template> {
  let raw: Json;
  if (typeof source === "string" && source !== "") {
    raw = await readTemplateFile(source, path, access.roots);
    // Accept DescribeTaskDefinition output ({"taskDefinition": {...}}) as well as a bare definition.
    if (isObject(raw) && isObject(raw.taskDefinition)) raw = raw.taskDefinition;
  } else if (isObject(source)) {
    raw = source;
  } else {
    throw new Error(`${path}: required: a path to a task definition JSON file (or an inline object)`);
  }
  return checkDefinition(raw, path);
}

const errCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);

function isUnder(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);
}

interface Confined {
  /** The path to open: as given (trusted) or the real path. */
  target: string;
  /** Whether a real path lies under a root (undefined: trusted). */
  allowed?: (real: string) => boolean;
  outside?: Error;
}

/** Checks the path against the roots (as written, then its real path) before anything about the file is told. */
async function confine(file: string, path: string, roots: readonly string[] | undefined): Promise<Confined> {
  if (roots === undefined) return { target: file };
  const outside = new Error(`${path}: must lie under a template root (template_roots in the configuration): ${file}`);
  if (roots.length === 0) {
    throw new Error(
      `${path}: template files are not allowed for commands created through the API (template_roots is empty); give the template inline`,
    );
  }
  // Checked on the path as written first, so that nothing about files outside the roots (not even whether they exist) is told.
  if (!roots.some((r) => isUnder(file, r))) throw outside;
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    throw new Error(`${path}: cannot read ${file}: ${errCode(err)}`);
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => undefined)));
  const allowed = (p: string) => realRoots.some((r) => r !== undefined && isUnder(p, r));
  // A symbolic link inside a root that points outside all roots is refused.
  if (!allowed(real)) throw outside;
  return { target: real, allowed, outside };
}

/** On Linux, the path of what was actually opened (a directory swapped for a link after realpath shows here). */
async function openedPath(fh: FileHandle): Promise<string | undefined> {
  return readlink(`/proc/self/fd/${fh.fd}`).catch(() => undefined);
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

async function readTemplateFile(source: string, path: string, roots: readonly string[] | undefined): Promise<Json> {
  if (source.includes("\0")) throw new Error(`${path}: must not contain NUL characters`);
  const file = resolve(source);
  const { target, allowed, outside } = await confine(file, path, roots);
  // O_NONBLOCK: opening a FIFO does not wait for a writer; O_NOFOLLOW: the checked real path is opened as is.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (roots === undefined ? 0 : constants.O_NOFOLLOW);
  let fh: FileHandle;
  try {
    fh = await open(target, flags);
  } catch (err) {
    throw new Error(`${path}: cannot read ${file}: ${errCode(err)}`);
  }
  let text: string;
  try {
    if (allowed !== undefined) {
      const opened = await openedPath(fh);
      if (opened !== undefined && !allowed(opened)) throw outside;
    }
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${path}: must be a regular file (${file} is ${fileKind(st)})`);
    const tooBig = (n: number) => new Error(`${path}: must be at most 1 MiB (${file} has ${n} bytes)`);
    if (st.size > TEMPLATE_MAX_BYTES) throw tooBig(st.size);
    // At most 1 MiB + 1 bytes are read: a file that grew since fstat is still refused without reading it all.
    const buf = Buffer.alloc(TEMPLATE_MAX_BYTES + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) throw tooBig(got);
    }
    text = buf.toString("utf8", 0, got);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(`${path}: `)) throw err;
    throw new Error(`${path}: cannot read ${file}: ${errCode(err)}`);
  } finally {
    await fh.close().catch(() => undefined);
  }
  try {
    return JSON.parse(text) as Json;
  } catch {
    // Never the parser's message: it quotes the text, which would disclose the file's first bytes.
    const offset = jsonErrorOffset(text);
    if (offset < 0) throw new Error(`${path}: file ${file} is not valid JSON`);
    const { line, column } = lineColumn(text, offset);
    throw new Error(`${path}: file ${file} is not valid JSON at line ${line} column ${column}`);
  }
}

/** Validates a task definition object (a template or a described revision). */
export function checkDefinition(raw: Json, path: string): Template {
  if (!isObject(raw)) throw new Error(`${path}: must be a task definition object`);
  const definition: JsonObject = {};
  for (const [k, v] of Object.entries(raw)) if (!READ_ONLY.includes(k)) definition[k] = v;
  const family = definition.family;
  if (typeof family !== "string" || !FAMILY_RE.test(family)) {
    throw new Error(`${path}: family must be 1-255 letters, digits, hyphens or underscores`);
  }
  const defs = definition.containerDefinitions;
  if (!Array.isArray(defs) || defs.length === 0) throw new Error(`${path}: containerDefinitions must be a non-empty array`);
  const containers: ContainerInfo[] = [];
  const seen = new Set<string>();
  defs.forEach((c, i) => {
    if (!isObject(c) || typeof c.name !== "string" || c.name === "") {
      throw new Error(`${path}: containerDefinitions[${i}].name must be a non-empty string`);
    }
    if (seen.has(c.name)) throw new Error(`${path}: containerDefinitions[${i}].name: duplicate container name "${c.name}"`);
    seen.add(c.name);
    containers.push({ name: c.name, essential: c.essential !== false, log: awslogsOf(c) });
  });
  if (!containers.some((c) => c.essential)) throw new Error(`${path}: at least one container must be essential`);
  return { definition, family, containers, cpu: intLike(definition.cpu), memory: intLike(definition.memory) };
}

function awslogsOf(c: JsonObject): ContainerInfo["log"] {
  const lc = c.logConfiguration;
  if (!isObject(lc) || lc.logDriver !== "awslogs" || !isObject(lc.options)) return undefined;
  const o = lc.options;
  if (typeof o["awslogs-group"] !== "string" || typeof o["awslogs-stream-prefix"] !== "string") return undefined;
  const region = typeof o["awslogs-region"] === "string" ? o["awslogs-region"] : undefined;
  return { group: o["awslogs-group"], region, prefix: o["awslogs-stream-prefix"] };
}

// ---- Fargate task sizes (ecs-api.md §6) ----
function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, [1024, 2048, 3072, 4096]],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

/** undefined when valid, otherwise the problem text. */
export function fargateProblem(cpu: number, memory: number): string | undefined {
  const mems = FARGATE_SIZES.get(cpu);
  if (mems === undefined) return `cpu ${cpu} is not a Fargate size (one of ${[...FARGATE_SIZES.keys()].join(", ")})`;
  if (!mems.includes(memory)) {
    return `no Fargate configuration for cpu ${cpu} and memory ${memory} (memory for cpu ${cpu}: ${describeMems(mems)})`;
  }
  return undefined;
}
function describeMems(m: readonly number[]): string {
  return m.length <= 4 ? m.join(", ") : `${m[0]}-${m[m.length - 1]} in steps of ${m[1]! - m[0]!}`;
}

export interface BuildInput {
  template: Template;
  family: string;
  cpu: number;
  memory: number;
  executionRoleArn: string | undefined;
  taskRoleArn: string | undefined;
  fargate: boolean;
}

/** The definition to register: every template field kept, with resolved size, family and cluster roles. */
export function buildDefinition(b: BuildInput): JsonObject {
  const d: JsonObject = JSON.parse(JSON.stringify(b.template.definition)) as JsonObject;
  delete d.tags; // tags of a revision are set by the plugin (content hash)
  d.family = b.family;
  d.cpu = String(b.cpu);
  d.memory = String(b.memory);
  if (b.executionRoleArn !== undefined) d.executionRoleArn = b.executionRoleArn;
  if (b.taskRoleArn !== undefined) d.taskRoleArn = b.taskRoleArn;
  if (b.fargate) {
    const req = Array.isArray(d.requiresCompatibilities) ? (d.requiresCompatibilities as Json[]) : [];
    if (!req.includes("FARGATE")) d.requiresCompatibilities = [...req, "FARGATE"];
    d.networkMode ??= "awsvpc";
  }
  return d;
}

/** Canonical JSON (sorted keys) so equal definitions hash equally. */
export function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k] as Json)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function contentHash(definition: JsonObject): string {
  return createHash("sha256").update(canonicalJson(definition)).digest("hex").slice(0, 40);
}
