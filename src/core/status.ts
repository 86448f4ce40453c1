// Status names on input: case-insensitive, canonical uppercase (spec 2.5, 3.5).
import { JOB_STATUSES, REGISTRY_STATUSES, type JobStatus, type RegistryStatus } from "./types.ts";
import { badRequest } from "./errors.ts";

export function parseRegistryStatus(s: string): RegistryStatus {
  const up = s.toUpperCase();
  if ((REGISTRY_STATUSES as readonly string[]).includes(up)) return up as RegistryStatus;
  throw badRequest(`unknown status: ${s}`);
}

export function parseJobStatus(s: string): JobStatus {
  const up = s.toUpperCase();
  if ((JOB_STATUSES as readonly string[]).includes(up)) return up as JobStatus;
  throw badRequest(`unknown status: ${s}`);
}

/** Comma list items, trimmed, empty items dropped, duplicates removed. */
export function splitCommaList(csv: string | undefined): string[] {
  if (csv === undefined) return [];
  return [
    ...new Set(
      csv
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  ];
}

function parseList<T extends string>(csv: string | undefined, parse: (s: string) => T): T[] | undefined {
  const items = splitCommaList(csv);
  if (items.length === 0) return undefined;
  return [...new Set(items.map(parse))];
}

/** `?status=` of the jobs list; undefined = no filter (absent or only empty items). */
export function parseJobStatusList(csv: string | undefined): JobStatus[] | undefined {
  return parseList(csv, parseJobStatus);
}

/** `?status=` of the commands/clusters lists; undefined = no filter. */
export function parseRegistryStatusList(csv: string | undefined): RegistryStatus[] | undefined {
  return parseList(csv, parseRegistryStatus);
}

/** `?tags=` of the jobs list: trimmed, empty items dropped; undefined = no filter. */
export function parseTagsFilter(csv: string | undefined): string[] | undefined {
  const items = splitCommaList(csv);
  return items.length === 0 ? undefined : items;
}

/** Sorted status names for the `statuses` routes. */
export const JOB_STATUS_NAMES: readonly string[] = [...JOB_STATUSES].sort();
export const REGISTRY_STATUS_NAMES: readonly string[] = [...REGISTRY_STATUSES].sort();
