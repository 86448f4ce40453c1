// A job's system tags (`_id:<id>`, `_name:<name>`, `_version:<version>`, spec 2.6) are its id, name and version
// columns: they are not stored as job_tags rows (three rows, six index entries and three foreign-key checks per job
// were a third of the submit's statement on PostgreSQL) but added when a job is read, and a `tags=` filter on one
// of them is a condition on its column, read through jobs_id_key, jobs_name or jobs_version
// (docs/decisions.md "Job system tags are columns"). Commands and clusters keep theirs as rows (not a hot path).
import { RESERVED_TAG_PREFIXES, finalTags, isReservedTag } from "../../core/index.ts";

/** The job columns of the system tag prefixes. */
const COLUMN_OF: Record<(typeof RESERVED_TAG_PREFIXES)[number], SystemTagColumn> = {
  "_id:": "id",
  "_name:": "name",
  "_version:": "version",
};

export type SystemTagColumn = "id" | "name" | "version";

/** The tags of a job that are stored as job_tags rows: its client tags. */
export function storedJobTags(tags: readonly string[]): string[] {
  return tags.filter((t) => !isReservedTag(t));
}

/** A job's tag set as the API shows it: the stored tags and the three system tags, sorted. */
export function jobTags(stored: readonly string[], id: string, name: string, version: string): string[] {
  return finalTags(stored, id, name, version);
}

/** A `tags=` filter split into tags to find in job_tags and column conditions (a system tag's column = its value). */
export function splitTagFilter(tags: readonly string[] | undefined): { stored: string[]; columns: [SystemTagColumn, string][] } {
  const stored: string[] = [];
  const columns: [SystemTagColumn, string][] = [];
  for (const tag of new Set(tags ?? [])) {
    const prefix = RESERVED_TAG_PREFIXES.find((p) => tag.startsWith(p));
    if (prefix === undefined) stored.push(tag);
    else columns.push([COLUMN_OF[prefix], tag.slice(prefix.length)]);
  }
  return { stored, columns };
}
