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

/** Who may do what (all optional: absent = the spec's defaults, everyone identified may do everything). */
export interface AuthPolicy {
  /** Users, or groups written `group:<name>`, that may do everything. */
  admins?: string[];
  /** `owner`: only the job's user and admins may cancel a job. Default `anyone`. */
  job_cancel?: "anyone" | "owner";
  /** `admins`: only admins may PUT commands, clusters and their status. Default `anyone`. */
  registry_write?: "anyone" | "admins";
}

/** Trusts one request header (behind an authenticating proxy that strips client-supplied copies only). */
export interface HeaderAuth extends AuthPolicy {
  plugin: "auth_header";
  header: string;
  default_user?: string;
}

export type JwtAlgorithm = "RS256" | "ES256";

/** Claim and time checks shared by the verified-token providers. Seconds unless named *Ms. */
export interface TokenChecks {
  /** Accepted `iss` values; empty = not checked. */
  issuer: string[];
  /** Accepted `aud` values (any one must be in the token); empty = not checked. */
  audience: string[];
  /** Claim holding the identity (default `sub`). */
  user_claim: string;
  /** Claim holding the caller's groups (string or array of strings); absent = no groups. */
  groups_claim?: string;
  /** Allowed clock difference for `exp` / `nbf`. */
  clock_skew: number;
}

/** `Authorization: Bearer <JWT>` verified against a JWKS. */
export interface JwtAuth extends AuthPolicy, TokenChecks {
  plugin: "jwt";
  jwks_url?: string;
  jwks_file?: string;
  algorithms: JwtAlgorithm[];
  /** How long a fetched JWKS is used before it is fetched again. */
  jwks_cache: number;
  /** Minimum time between two fetches caused by an unknown `kid`. */
  jwks_cooldown: number;
  /** Timeout of one key fetch. */
  fetch_timeout: number;
}

/** The `x-amzn-oidc-data` header of an AWS Application Load Balancer with OIDC authentication. */
export interface AlbAuth extends AuthPolicy, TokenChecks {
  plugin: "aws_alb";
  /** The load balancer ARN the token's `signer` header must equal. */
  signer: string;
  /** Base URL of the key endpoint; the PEM key of `kid` is at `<key_url>/<kid>`. */
  key_url: string;
  fetch_timeout: number;
}

export type AuthConfig = HeaderAuth | JwtAuth | AlbAuth;

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
    /** HTTPS (absolute paths); absent = plain HTTP. Reloaded from disk on SIGHUP. */
    tls?: { cert_file: string; key_file: string };
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
  auth?: AuthConfig;
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
  /** Server log lines: `json` or `pretty` (human-readable); absent = pretty on a TTY, JSON otherwise. */
  log_format?: "json" | "pretty";
  /** Accepted-but-ignored and unknown keys, as `<file>:<line>: <key>: <reason>`; log them at startup. */
  warnings?: readonly string[];
}
