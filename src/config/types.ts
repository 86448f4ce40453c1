// The validated, frozen configuration (spec 11.2). Times are already converted: seconds unless named *Ms.
import type { Attribute, JsonObject } from "../core/index.ts";

export interface CommandEntry {
  id: string;
  name: string;
  status: "ACTIVE" | "INACTIVE" | "DELETED";
  plugin: string;
  version: string;
  description: string;
  is_sync: boolean;
  user: string;
  tags: string[];
  cluster_tags: string[];
  allowed_callers: string[];
  context?: JsonObject;
}

export interface ClusterEntry {
  id: string;
  name: string;
  status: "ACTIVE" | "INACTIVE" | "DELETED";
  version: string;
  description: string;
  user: string;
  tags: string[];
  health_check: boolean;
  attributes: Record<string, Attribute>;
  context?: JsonObject;
}

export interface LocalEcsSettings {
  /** Start the embedded local ECS endpoint inside `heimdall serve`. */
  enabled: boolean;
  /** Port; 0 = any free port. */
  port: number;
  host: string;
  /** Path of a local-ecs YAML config (pacing, throttling, faults, image map), optional. */
  config?: string;
  /** Extra local-ecs settings given inline (same keys as the local-ecs config file). */
  settings?: JsonObject;
}

export interface HeimdallConfig {
  /** File the config came from, or "<built-in demo>". */
  source: string;
  server: {
    host: string;
    port: number;
    read_timeout: number;
    write_timeout: number;
    idle_timeout: number;
    read_header_timeout: number;
    shutdown_timeout: number;
  };
  database: { connection_string: string; max_connections: number };
  pool: { size: number; sleepMs: number };
  jobs_directory: string;
  job_files: { max_bytes: number };
  janitor: {
    keepalive: number;
    stale_job: number;
    clean_interval: number;
    finished_job_retention_days: number;
    cleanup_timeout: number;
  };
  health_check: { timeout_seconds: number };
  /** undefined = no auth section: every caller is anonymous. */
  auth?: { plugin: "auth_header"; header: string; default_user?: string };
  commands: CommandEntry[];
  clusters: ClusterEntry[];
  local_ecs: LocalEcsSettings;
  /**
   * Absolute directories that ecs task definition template files of commands created through the API must lie
   * under (commands of this file are trusted). Absent (configurations built in code): no template files via the API.
   */
  template_roots?: readonly string[];
  /** Log level for pino. */
  log_level: string;
  /** Accepted-but-ignored and unknown keys, as `<file>:<line>: <key>: <reason>`; log them at startup. */
  warnings?: readonly string[];
}
