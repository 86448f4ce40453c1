// Field-level checks shared by the body validators (spec D7). Each check adds a `<path>: <rule>` problem.
import type { JsonObject } from "./types.ts";
import { badRequest } from "./errors.ts";
import type { Problems } from "./problems.ts";
import { charLength, hasControlChars } from "./text.ts";

export const MAX_CONTEXT_BYTES = 131_072;
export const MAX_TAGS = 100;
export const MAX_TAG_LENGTH = 128;
/** U+0000 cannot be stored in PostgreSQL text; every stored or matched string refuses it (issue 8 item 6). */
export const NUL_PROBLEM = "must not contain NUL characters";

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Reads an own property; null and absent both give undefined. */
export function field(body: Record<string, unknown>, key: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(body, key)) return undefined;
  const v = body[key];
  return v === null ? undefined : v;
}

/** Optional string with a maximum length in characters; returns "" when absent. */
export function optString(p: Problems, path: string, value: unknown, max: number): string {
  if (value === undefined) return "";
  if (typeof value !== "string") {
    p.add(path, "must be a string");
    return "";
  }
  if (value.includes("\0")) p.add(path, NUL_PROBLEM);
  else if (charLength(value) > max) p.add(path, `must be at most ${max} characters`);
  return value;
}

export function optBoolean(p: Problems, path: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    p.add(path, "must be a boolean");
    return false;
  }
  return value;
}

export interface StringArrayRules {
  /** Maximum characters per entry (default 128). */
  maxLength?: number;
  /** Maximum entries (default 100). */
  maxEntries?: number;
  /** Keep "" entries instead of reporting them (allowed_callers reports empty patterns itself, 8.2). */
  keepEmpty?: boolean;
}

/**
 * An array of strings, each 1..maxLength characters, at most maxEntries entries.
 * Returns undefined when absent/null; the raw (unsorted) strings otherwise.
 */
export function optStringArray(p: Problems, path: string, value: unknown, rules: StringArrayRules = {}): string[] | undefined {
  const { maxLength = MAX_TAG_LENGTH, maxEntries = MAX_TAGS, keepEmpty = false } = rules;
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    p.add(path, "must be an array of strings");
    return [];
  }
  if (value.length > maxEntries) {
    p.add(path, `must have at most ${maxEntries} entries`);
    return [];
  }
  const out: string[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item !== "string") p.add(`${path}[${i}]`, "must be a string");
    else if (item === "" && !keepEmpty) p.add(`${path}[${i}]`, "must not be empty");
    else if (item.includes("\0")) p.add(`${path}[${i}]`, NUL_PROBLEM);
    else if (charLength(item) > maxLength) p.add(`${path}[${i}]`, `must be at most ${maxLength} characters`);
    else out.push(item);
  });
  return out;
}

/** `context`: an object or null/absent (→ undefined); compact JSON at most 128 KiB. */
export function optContext(p: Problems, path: string, value: unknown): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    p.add(path, "must be an object or null");
    return undefined;
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    p.add(path, "must be JSON");
    return undefined;
  }
  if (Buffer.byteLength(json, "utf8") > MAX_CONTEXT_BYTES) p.add(path, `must be at most ${MAX_CONTEXT_BYTES} bytes`);
  return value as JsonObject;
}

/** Problems of a command/cluster id or name (D7): 1–128, no "/", no control chars, no outer spaces. */
export function checkName(p: Problems, path: string, value: string): void {
  const n = charLength(value);
  if (n === 0) p.add(path, "must not be empty");
  if (n > 128) p.add(path, "must be at most 128 characters");
  if (value.includes("/")) p.add(path, `must not contain "/"`);
  if (hasControlChars(value)) p.add(path, "must not contain control characters");
  if (n > 0 && value.trim() !== value) p.add(path, "must not have leading or trailing spaces");
}

/** A boolean query parameter: undefined when absent or empty, else exactly "true" or "false", else BAD_REQUEST. */
export function parseBooleanParam(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "true" || value === "false") return value === "true";
  throw badRequest(`${name}: must be true or false`);
}

/**
 * A query parameter holding epoch seconds (list filters `started_after`, `finished_before`; stats `since`):
 * undefined when absent or empty, else a non-negative safe integer, else BAD_REQUEST naming the field.
 */
export function parseEpochSecondsParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw badRequest(`${name}: must be a non-negative integer (epoch seconds)`);
  return n;
}
