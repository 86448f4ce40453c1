// Small validation helpers: each adds `<path>: <problem>` to core's Problems; the caller fails once with all of them.
import type { Json, JsonObject, Problems } from "../../core/index.ts";

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

export function optionalString(v: Json | undefined, path: string, problems: Problems): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") {
    problems.add(path, "must be a non-empty string");
    return undefined;
  }
  return v;
}

export function optionalPositiveInt(v: Json | undefined, path: string, problems: Problems): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    problems.add(path, "must be a positive integer");
    return undefined;
  }
  return v;
}

/** Integer given as a JSON number or a string of digits (task definitions use strings: "256"). */
export function intLike(v: Json | undefined): number | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

export function stringArray(v: Json | undefined, path: string, problems: Problems): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    problems.add(path, "must be an array of strings");
    return undefined;
  }
  return v as string[];
}

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** A tag map {key: value}; keys/values follow ECS tag rules. */
export function stringMap(v: Json | undefined, path: string, problems: Problems): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) {
    problems.add(path, "must be an object of string values");
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") problems.add(`${path}.${k}`, "must be a string");
    else if (!TAG_KEY.test(k) || k.startsWith("aws:"))
      problems.add(`${path}.${k}`, "invalid tag key (1-128 letters, digits, spaces, _.:/=+-@; not aws:)");
    else if (!TAG_VALUE.test(x)) problems.add(`${path}.${k}`, "invalid tag value (0-256 letters, digits, spaces, _.:/=+-@)");
    else out[k] = x;
  }
  return out;
}
