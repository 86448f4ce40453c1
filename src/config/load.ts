// Reads and validates the YAML configuration (spec 11) plus HEIMDALL_* environment overrides.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isMap, LineCounter, parseDocument, type Document, type YAMLMap } from "yaml";
import { HeimdallError, type JsonObject } from "../core/index.ts";
import type { HeimdallConfig, LocalEcsSettings } from "./types.ts";
import { Diagnostics, MapView } from "./reader.ts";
import {
  boolValue,
  connectionStringProblem,
  intValue,
  LOG_FORMATS,
  LOG_LEVELS,
  parseHostPort,
  resolveConnectionString,
  stringValue,
} from "./values.ts";
import { readClusters, readCommands } from "./entries.ts";
import { applyEnvOverrides, type Env } from "./env.ts";
import { deepFreeze } from "./freeze.ts";
import { readAuth } from "./auth.ts";

export const DEFAULT_CONFIG_FILE = "/etc/heimdall/heimdall.yaml";
export const DEFAULT_DATABASE = "sqlite:./.heimdall/heimdall.db";
export const DEFAULT_JOBS_DIRECTORY = "./.heimdall/jobs";

const TOP_KEYS = [
  "server",
  "database",
  "pool",
  "jobs_directory",
  "job_files",
  "janitor",
  "health_check",
  "auth",
  "commands",
  "clusters",
  "local_ecs",
  "log_level",
  "log_format",
  "template_roots",
];
const IGNORED_TOP: Record<string, string> = {
  archive_directory: "accepted for compatibility and ignored: job files live in the database",
  result_directory: "accepted for compatibility and ignored: job results live in the database",
  plugin_directory: "accepted for compatibility and ignored: plugins are built in",
  rbacs: "ignored (no RBAC integration)",
};

export interface ConfigOptions {
  /** Directory that relative `jobs_directory` and `sqlite:` paths are resolved against (default process.cwd()). */
  cwd?: string;
}

function readServer(root: MapView, baseDir: string): HeimdallConfig["server"] {
  const v = root.child("server");
  v.checkKeys(["addr", "read_timeout", "write_timeout", "idle_timeout", "read_header_timeout", "shutdown_timeout", "tls"]);
  let host = "0.0.0.0";
  let port = 9090;
  const addr = v.get("addr");
  if (addr.value !== undefined) {
    const hp = typeof addr.value === "string" ? parseHostPort(addr.value) : undefined;
    if (hp === undefined) v.diag.error(addr.line, addr.path, "must be host:port, e.g. 0.0.0.0:9090");
    else ({ host, port } = hp);
  }
  const s = "seconds";
  const server: HeimdallConfig["server"] = {
    host,
    port,
    read_timeout: intValue(v, "read_timeout", 15, "zero-allowed", s),
    write_timeout: intValue(v, "write_timeout", 15, "zero-allowed", s),
    idle_timeout: intValue(v, "idle_timeout", 30, "zero-allowed", s),
    read_header_timeout: intValue(v, "read_header_timeout", 2, "zero-allowed", s),
    shutdown_timeout: intValue(v, "shutdown_timeout", 30, "zero-allowed", s),
  };
  const tls = readTls(v, baseDir);
  if (tls !== undefined) server.tls = tls;
  return server;
}

/** `server.tls`: both files or neither; paths relative to the configuration file's directory. */
function readTls(server: MapView, baseDir: string): HeimdallConfig["server"]["tls"] {
  if (!server.has("tls")) return undefined;
  const e = server.get("tls");
  if (!isMap(e.node)) {
    // Only the mapping form is the TLS section; other values stay what they were before it existed.
    server.diag.warn(e.line, "server.tls", "unknown key, ignored");
    return undefined;
  }
  const v = server.child("tls");
  v.checkKeys(["cert_file", "key_file"]);
  const file = (key: string): string | undefined => {
    const e = v.get(key);
    if (typeof e.value === "string" && e.value !== "") return resolve(baseDir, e.value);
    v.diag.error(e.value === undefined ? v.line : e.line, `server.tls.${key}`, "required: path of a PEM file");
    return undefined;
  };
  const cert = file("cert_file");
  const key = file("key_file");
  return cert !== undefined && key !== undefined ? { cert_file: cert, key_file: key } : undefined;
}

function readDatabase(root: MapView, cwd: string): HeimdallConfig["database"] {
  const v = root.child("database");
  v.checkKeys(["connection_string", "max_connections"]);
  let cs = DEFAULT_DATABASE;
  const e = v.get("connection_string");
  if (e.value !== undefined) {
    const problem = typeof e.value === "string" ? connectionStringProblem(e.value) : "must be a string";
    if (problem !== undefined) v.diag.error(e.line, e.path, problem);
    else cs = e.value as string;
  }
  return { connection_string: resolveConnectionString(cs, cwd), max_connections: intValue(v, "max_connections", 10) };
}

function readPool(root: MapView): HeimdallConfig["pool"] {
  const v = root.child("pool");
  v.checkKeys(["size", "sleep"]);
  const sleep = intValue(v, "sleep", 250, "default", "milliseconds");
  if (sleep < 250) v.diag.warn(v.get("sleep").line, "pool.sleep", "raised to the minimum of 250 ms");
  return { size: intValue(v, "size", 10), sleepMs: Math.max(sleep, 250) };
}

function readJanitor(root: MapView): HeimdallConfig["janitor"] {
  const v = root.child("janitor");
  v.checkKeys(["keepalive", "stale_job", "clean_interval", "finished_job_retention_days", "cleanup_timeout"]);
  const s = "seconds";
  const j = {
    keepalive: intValue(v, "keepalive", 5, "default", s),
    stale_job: intValue(v, "stale_job", 45, "default", s),
    clean_interval: intValue(v, "clean_interval", 60, "default", s),
    finished_job_retention_days: intValue(v, "finished_job_retention_days", 0, "zero-allowed", "days"),
    cleanup_timeout: intValue(v, "cleanup_timeout", 60, "default", s),
  };
  if (j.stale_job <= j.keepalive) {
    const line = v.has("stale_job") ? v.get("stale_job").line : v.get("keepalive").line;
    v.diag.error(line, "janitor.stale_job", "must be greater than janitor.keepalive");
  }
  return j;
}

function readLocalEcs(root: MapView, baseDir: string): LocalEcsSettings {
  const v = root.child("local_ecs");
  v.checkKeys(["enabled", "host", "port", "config", "settings"]);
  const out: LocalEcsSettings = {
    enabled: boolValue(v, "enabled", false),
    host: stringValue(v, "host", "127.0.0.1"),
    port: 4566,
  };
  const port = v.get("port");
  if (port.value !== undefined) {
    if (typeof port.value !== "number" || !Number.isInteger(port.value) || port.value < 0 || port.value > 65535) {
      v.diag.error(port.line, port.path, "must be an integer from 0 to 65535 (0 = any free port)");
    } else out.port = port.value;
  }
  const config = v.get("config");
  if (config.value !== undefined) {
    if (typeof config.value !== "string" || config.value === "") v.diag.error(config.line, config.path, "must be a file path");
    else out.config = resolve(baseDir, config.value);
  }
  const settings = v.get("settings");
  if (settings.value !== undefined) {
    if (typeof settings.value !== "object" || Array.isArray(settings.value))
      v.diag.error(settings.line, settings.path, "must be a mapping");
    else out.settings = settings.value as JsonObject;
  }
  return out;
}

/**
 * `template_roots`: directories that task definition template files named by commands created through the API must
 * lie under. Relative entries are relative to the configuration file's directory; default: that directory.
 */
function readTemplateRoots(root: MapView, baseDir: string): string[] {
  const e = root.get("template_roots");
  if (e.value === undefined) return [baseDir];
  const list = Array.isArray(e.value) ? (e.value as unknown[]) : undefined;
  if (list === undefined || list.some((x) => typeof x !== "string" || x === "" || x.includes("\0"))) {
    root.diag.error(e.line, e.path, "must be a list of directory paths");
    return [baseDir];
  }
  return [...new Set((list as string[]).map((x) => resolve(baseDir, x)))];
}

/** Parses and validates configuration text. Throws HeimdallError CONFIG listing every problem. */
export function configFromYaml(
  text: string,
  sourceName: string,
  env: Env = {},
  opts: ConfigOptions & { baseDir?: string } = {},
): HeimdallConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  return configFromDocument(doc, lc, sourceName, env, opts);
}

/**
 * Validates a YAML document: parsed from a file (with its line counter, so errors name lines), or built from a
 * plain object with `new Document(...)` (the built-in demo: no text to parse). Throws HeimdallError CONFIG.
 */
export function configFromDocument(
  doc: Document,
  lc: LineCounter | undefined,
  sourceName: string,
  env: Env = {},
  opts: ConfigOptions & { baseDir?: string } = {},
): HeimdallConfig {
  const cwd = opts.cwd ?? process.cwd();
  const diag = new Diagnostics(sourceName, lc);
  for (const e of doc.errors) {
    const first = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
    diag.errorText(e.linePos?.[0]?.line, "", `YAML syntax: ${first}`);
  }
  if (diag.errors.length > 0) throw new HeimdallError("CONFIG", diag.errors.join("\n"), { problems: diag.errorProblems });
  const contents = doc.contents;
  let top: YAMLMap | undefined;
  if (isMap(contents)) top = contents;
  else if (contents !== null && doc.toJS() !== null) {
    diag.errorText(diag.lineOf(contents), "", "configuration: must be a mapping of keys");
    throw new HeimdallError("CONFIG", diag.errors.join("\n"), { problems: diag.errorProblems });
  }
  const root = new MapView(doc, diag, "", top, 1);
  root.checkKeys(TOP_KEYS, IGNORED_TOP);
  const jf = root.child("job_files");
  jf.checkKeys(["max_bytes"]);
  const hc = root.child("health_check");
  hc.checkKeys(["timeout_seconds"]);
  const logLevel = stringValue(root, "log_level", "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    diag.error(root.get("log_level").line, "log_level", `must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const logFormat = stringValue(root, "log_format", "").toLowerCase();
  if (logFormat !== "" && !(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    diag.error(root.get("log_format").line, "log_format", `must be one of ${LOG_FORMATS.join(", ")}`);
  }
  const jobsDir = stringValue(root, "jobs_directory", DEFAULT_JOBS_DIRECTORY);
  const config: HeimdallConfig = {
    source: sourceName,
    server: readServer(root, opts.baseDir ?? cwd),
    database: readDatabase(root, cwd),
    pool: readPool(root),
    jobs_directory: resolve(cwd, jobsDir === "" ? DEFAULT_JOBS_DIRECTORY : jobsDir),
    job_files: { max_bytes: intValue(jf, "max_bytes", 1_073_741_824, "default", "bytes") },
    janitor: readJanitor(root),
    health_check: { timeout_seconds: intValue(hc, "timeout_seconds", 30, "default", "seconds") },
    commands: readCommands(root),
    clusters: readClusters(root),
    local_ecs: readLocalEcs(root, opts.baseDir ?? cwd),
    log_level: logLevel,
    template_roots: readTemplateRoots(root, opts.baseDir ?? cwd),
  };
  const auth = readAuth(root, opts.baseDir ?? cwd);
  if (auth !== undefined) config.auth = auth;
  if (logFormat !== "") config.log_format = logFormat as "json" | "pretty";
  if (diag.errors.length > 0) throw new HeimdallError("CONFIG", diag.errors.join("\n"), { problems: diag.errorProblems });
  applyEnvOverrides(config, env, cwd);
  config.warnings = diag.warnings;
  return deepFreeze(config);
}

export interface LoadOptions extends ConfigOptions {
  /** Configuration file; when absent the default file is used if it exists, else the built-in demo. */
  file?: string;
  env?: Env;
  /** Default file looked up when `file` is absent; null = never (default /etc/heimdall/heimdall.yaml). */
  defaultFile?: string | null;
}

/** Reads the configuration for `heimdall serve`. Throws HeimdallError CONFIG. */
export function loadConfig(opts: LoadOptions, demo: (cwd: string, env: Env) => HeimdallConfig): HeimdallConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? {};
  let file = opts.file;
  if (file === undefined) {
    const def = opts.defaultFile === undefined ? DEFAULT_CONFIG_FILE : opts.defaultFile;
    if (def !== null && existsSync(def)) file = def;
  }
  if (file === undefined) return demo(cwd, env);
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new HeimdallError("CONFIG", `cannot read configuration file ${file}: ${reason}`, { cause: err });
  }
  return configFromYaml(text, file, env, { cwd, baseDir: dirname(path) });
}
