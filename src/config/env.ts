// HEIMDALL_* environment overrides; they beat the file and are validated with messages naming the variable.
import { resolve } from "node:path";
import { HeimdallError } from "../core/index.ts";
import type { HeimdallConfig } from "./types.ts";
import { connectionStringProblem, LOG_FORMATS, LOG_LEVELS, parseHostPort, resolveConnectionString } from "./values.ts";

export type Env = Record<string, string | undefined>;

export const ENV_VARIABLES = [
  "HEIMDALL_ADDR",
  "HEIMDALL_DATABASE_URL",
  "HEIMDALL_POOL_SIZE",
  "HEIMDALL_JOBS_DIRECTORY",
  "HEIMDALL_LOG_LEVEL",
  "HEIMDALL_LOG_FORMAT",
  "HEIMDALL_LOCAL_ECS_PORT",
] as const;

function intFrom(value: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return n >= min && n <= max ? n : undefined;
}

/** Applies the overrides to a (not yet frozen) configuration; unset or empty variables are ignored. */
export function applyEnvOverrides(config: HeimdallConfig, env: Env, cwd: string): void {
  const problems: string[] = [];
  const get = (name: (typeof ENV_VARIABLES)[number]) => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v;
  };
  const addr = get("HEIMDALL_ADDR");
  if (addr !== undefined) {
    const hp = parseHostPort(addr);
    if (hp === undefined) problems.push(`HEIMDALL_ADDR: must be host:port, e.g. 0.0.0.0:9090 (got "${addr}")`);
    else config.server = { ...config.server, host: hp.host, port: hp.port };
  }
  const db = get("HEIMDALL_DATABASE_URL");
  if (db !== undefined) {
    const problem = connectionStringProblem(db.trim());
    if (problem !== undefined) problems.push(`HEIMDALL_DATABASE_URL: ${problem}`);
    else config.database = { ...config.database, connection_string: resolveConnectionString(db.trim(), cwd) };
  }
  const pool = get("HEIMDALL_POOL_SIZE");
  if (pool !== undefined) {
    const n = intFrom(pool, 1, 10_000);
    if (n === undefined) problems.push(`HEIMDALL_POOL_SIZE: must be an integer from 1 to 10000 (got "${pool}")`);
    else config.pool = { ...config.pool, size: n };
  }
  const jobs = get("HEIMDALL_JOBS_DIRECTORY");
  if (jobs !== undefined) config.jobs_directory = resolve(cwd, jobs);
  const level = get("HEIMDALL_LOG_LEVEL");
  if (level !== undefined) {
    const l = level.trim().toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(l))
      problems.push(`HEIMDALL_LOG_LEVEL: must be one of ${LOG_LEVELS.join(", ")} (got "${level}")`);
    else config.log_level = l;
  }
  const format = get("HEIMDALL_LOG_FORMAT");
  if (format !== undefined) {
    const f = format.trim().toLowerCase();
    if (!(LOG_FORMATS as readonly string[]).includes(f))
      problems.push(`HEIMDALL_LOG_FORMAT: must be one of ${LOG_FORMATS.join(", ")} (got "${format}")`);
    else config.log_format = f as "json" | "pretty";
  }
  const ecsPort = get("HEIMDALL_LOCAL_ECS_PORT");
  if (ecsPort !== undefined) {
    const n = intFrom(ecsPort, 0, 65535);
    if (n === undefined) problems.push(`HEIMDALL_LOCAL_ECS_PORT: must be an integer from 0 to 65535 (got "${ecsPort}")`);
    else config.local_ecs = { ...config.local_ecs, port: n };
  }
  if (problems.length > 0) throw new HeimdallError("CONFIG", problems.join("\n"));
}
