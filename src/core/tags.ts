// Tag sets (spec 2.6): system tags, reserved prefixes, code-point sorted, duplicate-free.
import { compareCodePoints } from "./text.ts";

export const RESERVED_TAG_PREFIXES = ["_id:", "_name:", "_version:"] as const;

export function systemTags(id: string, name: string, version: string): string[] {
  return [`_id:${id}`, `_name:${name}`, `_version:${version}`];
}

export function isReservedTag(tag: string): boolean {
  return RESERVED_TAG_PREFIXES.some((p) => tag.startsWith(p));
}

/** Dedups and sorts by code point. Returns a new array. */
export function sortTagSet(tags: Iterable<string>): string[] {
  return [...new Set(tags)].sort(compareCodePoints);
}

/** Client tags without reserved prefixes, plus the three system tags; sorted and deduplicated. */
export function finalTags(userTags: readonly string[], id: string, name: string, version: string): string[] {
  return sortTagSet([...userTags.filter((t) => !isReservedTag(t)), ...systemTags(id, name, version)]);
}
