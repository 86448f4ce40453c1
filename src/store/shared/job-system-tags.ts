// A job's system tags (`_id:<id>`, `_name:<name>`, `_version:<version>`, spec 2.6) are its id, name and version
// columns: they are not stored as job_tags rows (three rows, six index entries and three foreign-key checks per job
// were a third of the submit's statement on PostgreSQL) but added when a job is read, and a `tags=` filter on one
// of them is a condition on its column, read through jobs_id_key, jobs_name or jobs_version
// (docs/decisions.md "Job system tags are columns"). Commands and clusters keep theirs as rows (not a hot path).
// A job read gets its tag set from core's finalTags(stored, id, name, version).
import { RESERVED_TAG_PREFIXES, isReservedTag } from "../../core/index.ts";

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

/** A filter's system tags name a job id: then jobs_id_key finds the job, not a tag. */
export function namesJobId(columns: readonly [SystemTagColumn, string][]): boolean {
  return columns.some(([c]) => c === "id");
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
