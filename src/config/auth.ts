// The `auth` section (spec 11.2 plus verified identities): auth_header | jwt | aws_alb, admins and the
// owner/admin policies. Key files are not read here; the API's providers read them.
import { basename, extname, resolve } from "node:path";
import type { AlbAuth, AuthConfig, AuthPolicy, HeaderAuth, JwtAlgorithm, JwtAuth, TokenChecks } from "./types.ts";
import type { MapView } from "./reader.ts";
import { intValue, stringValue } from "./values.ts";

export const DEFAULT_AUTH_HEADER = "X-Heimdall-User";
export const AUTH_PLUGINS = ["auth_header", "jwt", "aws_alb"] as const;
const ALGORITHMS: readonly JwtAlgorithm[] = ["RS256", "ES256"];
const CHECK_KEYS = ["issuer", "audience", "user_claim", "groups_claim", "clock_skew_seconds", "fetch_timeout_seconds"];
const ALB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer\/app\/[^\s]+$/;

/** A string or a list of non-empty strings; absent = []. */
function stringList(v: MapView, key: string): string[] {
  const e = v.get(key);
  if (e.value === undefined) return [];
  const list = typeof e.value === "string" ? [e.value] : Array.isArray(e.value) ? (e.value as unknown[]) : undefined;
  if (list === undefined || list.some((x) => typeof x !== "string" || x.trim() === "")) {
    v.diag.error(e.line, e.path, "must be a non-empty string or a list of non-empty strings");
    return [];
  }
  return [...new Set(list as string[])];
}

function httpUrl(v: MapView, key: string): string | undefined {
  const e = v.get(key);
  if (e.value === undefined) return undefined;
  let ok = false;
  if (typeof e.value === "string") {
    try {
      ok = ["http:", "https:"].includes(new URL(e.value).protocol);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    v.diag.error(e.line, e.path, "must be an http:// or https:// URL");
    return undefined;
  }
  return (e.value as string).replace(/\/+$/, "");
}

function claimName(v: MapView, key: string, def: string | undefined): string | undefined {
  const e = v.get(key);
  if (e.value === undefined) return def;
  if (typeof e.value !== "string" || e.value.trim() === "") {
    v.diag.error(e.line, e.path, "must be a claim name");
    return def;
  }
  return e.value.trim();
}

function tokenChecks(ctx: MapView): TokenChecks {
  const checks: TokenChecks = {
    issuer: stringList(ctx, "issuer"),
    audience: stringList(ctx, "audience"),
    user_claim: claimName(ctx, "user_claim", "sub") ?? "sub",
    clock_skew: intValue(ctx, "clock_skew_seconds", 60, "zero-allowed", "seconds"),
  };
  const groups = claimName(ctx, "groups_claim", undefined);
  if (groups !== undefined) checks.groups_claim = groups;
  return checks;
}

function readJwt(v: MapView, ctx: MapView, baseDir: string): JwtAuth {
  ctx.checkKeys([...CHECK_KEYS, "jwks_url", "jwks_file", "algorithms", "jwks_cache_seconds", "jwks_cooldown_seconds"]);
  const out: JwtAuth = {
    plugin: "jwt",
    ...tokenChecks(ctx),
    algorithms: [...ALGORITHMS],
    jwks_cache: intValue(ctx, "jwks_cache_seconds", 600, "default", "seconds"),
    jwks_cooldown: intValue(ctx, "jwks_cooldown_seconds", 30, "zero-allowed", "seconds"),
    fetch_timeout: intValue(ctx, "fetch_timeout_seconds", 5, "default", "seconds"),
  };
  const url = httpUrl(ctx, "jwks_url");
  if (url !== undefined) out.jwks_url = url;
  const file = ctx.get("jwks_file");
  if (file.value !== undefined) {
    if (typeof file.value !== "string" || file.value === "") ctx.diag.error(file.line, file.path, "must be a file path");
    else out.jwks_file = resolve(baseDir, file.value);
  }
  if (!ctx.has("jwks_url") && !ctx.has("jwks_file")) {
    v.diag.error(ctx.line, "auth.context", "the jwt plugin needs jwks_url or jwks_file");
  } else if (ctx.has("jwks_url") && ctx.has("jwks_file")) {
    v.diag.error(ctx.get("jwks_file").line, "auth.context.jwks_file", "give jwks_url or jwks_file, not both");
  }
  const algs = ctx.get("algorithms");
  if (algs.value !== undefined) {
    const list = stringList(ctx, "algorithms");
    const bad = list.filter((a) => !(ALGORITHMS as readonly string[]).includes(a));
    if (bad.length > 0 || list.length === 0)
      ctx.diag.error(algs.line, algs.path, `must be a list of ${ALGORITHMS.join(", ")} (got ${bad.join(", ") || "nothing"})`);
    else out.algorithms = list as JwtAlgorithm[];
  }
  if (out.issuer.length === 0) v.diag.error(ctx.line, "auth.context.issuer", "required for the jwt plugin (the expected iss)");
  if (out.audience.length === 0) v.diag.error(ctx.line, "auth.context.audience", "required for the jwt plugin (the expected aud)");
  return out;
}

function readAlb(v: MapView, ctx: MapView): AlbAuth {
  ctx.checkKeys([...CHECK_KEYS, "signer", "region", "key_url"]);
  const checks = tokenChecks(ctx);
  if (checks.audience.length > 0)
    v.diag.error(ctx.get("audience").line, "auth.context.audience", "not used by aws_alb (ALB tokens have no aud); check signer instead");
  const signer = stringValue(ctx, "signer", "").trim();
  const m = ALB_ARN.exec(signer);
  if (m === null) {
    v.diag.error(
      ctx.has("signer") ? ctx.get("signer").line : ctx.line,
      "auth.context.signer",
      "required for aws_alb: the load balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>)",
    );
  }
  const region = stringValue(ctx, "region", m?.[1] ?? "us-east-1").trim();
  const keyUrl = httpUrl(ctx, "key_url") ?? `https://public-keys.auth.elb.${region}.amazonaws.com`;
  return {
    plugin: "aws_alb",
    ...checks,
    signer,
    key_url: keyUrl,
    fetch_timeout: intValue(ctx, "fetch_timeout_seconds", 5, "default", "seconds"),
  };
}

function readHeader(v: MapView, ctx: MapView): HeaderAuth {
  ctx.checkKeys(["header"]);
  const header = stringValue(ctx, "header", DEFAULT_AUTH_HEADER).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) {
    v.diag.error(ctx.get("header").line, "auth.context.header", "must be an HTTP header name");
  }
  const auth: HeaderAuth = { plugin: "auth_header", header };
  const du = v.get("default_user");
  if (du.value !== undefined) {
    if (typeof du.value !== "string" || du.value === "" || du.value.length > 64) {
      v.diag.error(du.line, du.path, "must be a non-empty string of at most 64 characters");
    } else auth.default_user = du.value;
  }
  return auth;
}

function readPolicy(v: MapView, auth: AuthPolicy): void {
  if (v.has("admins")) auth.admins = stringList(v, "admins");
  const choice = <T extends string>(key: "job_cancel" | "registry_write", allowed: readonly T[]): T | undefined => {
    const e = v.get(key);
    if (e.value === undefined) return undefined;
    if (typeof e.value !== "string" || !(allowed as readonly string[]).includes(e.value)) {
      v.diag.error(e.line, e.path, `must be one of ${allowed.join(", ")}`);
      return undefined;
    }
    return e.value as T;
  };
  const cancel = choice("job_cancel", ["anyone", "owner"] as const);
  if (cancel !== undefined) auth.job_cancel = cancel;
  const write = choice("registry_write", ["anyone", "admins"] as const);
  if (write !== undefined) auth.registry_write = write;
  if (write === "admins" && (auth.admins ?? []).length === 0) {
    v.diag.warn(
      v.get("registry_write").line,
      "auth.registry_write",
      "admins, but auth.admins is empty: commands and clusters can only change through the configuration file",
    );
  }
}

export function readAuth(root: MapView, baseDir: string): AuthConfig | undefined {
  if (!root.has("auth")) return undefined;
  const v = root.child("auth");
  v.checkKeys(["plugin", "context", "default_user", "admins", "job_cancel", "registry_write"]);
  const p = v.get("plugin");
  let name = "auth_header";
  if (p.value !== undefined) {
    // A file-path value is reduced to its base name (existing files naming the old plugin file keep working).
    name = typeof p.value === "string" ? basename(p.value, extname(p.value)) : String(p.value);
    if (!(AUTH_PLUGINS as readonly string[]).includes(name)) {
      v.diag.error(p.line, p.path, `unknown auth plugin: ${String(p.value)}`);
      name = "auth_header";
    }
  }
  const ctx = v.child("context");
  if (name !== "auth_header" && v.has("default_user")) {
    v.diag.error(v.get("default_user").line, "auth.default_user", "only for the auth_header plugin (a verified identity has no default)");
  }
  const auth: AuthConfig = name === "jwt" ? readJwt(v, ctx, baseDir) : name === "aws_alb" ? readAlb(v, ctx) : readHeader(v, ctx);
  readPolicy(v, auth);
  return auth;
}
