import { isAbsolute, resolve } from "node:path";
// Typed reads of configuration values with the defaulting rules of spec 11.1.
import type { MapView } from "./reader.ts";

/** How a value ≤ 0 is treated: replaced by the default, or kept when it is exactly 0 (e.g. "no timeout"). */
export type ZeroRule = "default" | "zero-allowed";

/** An integer; absent → default; ≤ 0 → default (or 0 kept with "zero-allowed"); non-integers are errors. */
export function intValue(view: MapView, key: string, def: number, zero: ZeroRule = "default", unit = ""): number {
  const e = view.get(key);
  if (e.value === undefined) return def;
  if (typeof e.value !== "number" || !Number.isSafeInteger(e.value)) {
    view.diag.error(e.line, e.path, `must be an integer${unit === "" ? "" : ` (${unit})`}`);
    return def;
  }
  if (e.value > 0) return e.value;
  if (e.value === 0 && zero === "zero-allowed") return 0;
  return def;
}

export function stringValue(view: MapView, key: string, def: string): string {
  const e = view.get(key);
  if (e.value === undefined) return def;
  if (typeof e.value === "number" || typeof e.value === "boolean") return String(e.value);
  if (typeof e.value !== "string") {
    view.diag.error(e.line, e.path, "must be a string");
    return def;
  }
  return e.value;
}

export function boolValue(view: MapView, key: string, def: boolean): boolean {
  const e = view.get(key);
  if (e.value === undefined) return def;
  if (typeof e.value !== "boolean") {
    view.diag.error(e.line, e.path, "must be true or false");
    return def;
  }
  return e.value;
}

/** Parses "host:port" (IPv6 as "[::1]:9090"; an empty host means all interfaces). */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? "";
  return { host: host === "" ? "0.0.0.0" : host, port };
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const LOG_FORMATS = ["json", "pretty"] as const;

/** Accepted forms of database.connection_string. */
export function connectionStringProblem(value: string): string | undefined {
  if (/^postgres(ql)?:\/\//.test(value)) return undefined;
  if (value.startsWith("sqlite:") && value.length > "sqlite:".length) return undefined;
  return 'must start with "sqlite:<path>", "postgres://" or "postgresql://"';
}

/** Makes `sqlite:<relative path>` absolute against cwd; other connection strings are returned as is. */
export function resolveConnectionString(cs: string, cwd: string): string {
  if (!cs.startsWith("sqlite:")) return cs;
  const path = cs.slice("sqlite:".length);
  if (path === ":memory:" || path.startsWith("file:") || isAbsolute(path)) return cs;
  return `sqlite:${resolve(cwd, path)}`;
}
