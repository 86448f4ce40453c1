// Job list: a literal prefix of name or user (`etl-4%`) in insertion order, without reading and sorting the whole
// range of the index (issue 11 item 2; used by job-list.ts).
//
// The index (name, seq) holds each name's jobs in seq order, so one name's newest page is a short index read, but a
// range of names is in name order. The plans, all exact:
// - few values matching the pattern (the range's values found by skipping from value to value on the index, at most
//   RANGE_VALUES + 1 seeks; at most SPLIT_VALUES of them matching): one read per value, each stopping after a page,
//   merged (a UNION ALL like several statuses);
// - more values: the newest WINDOW_JOBS jobs (below the cursor) in seq order, the pattern checked on each; when a
//   page matches it is the page (every job outside the window has a lower seq); otherwise the range read.
// started_after / finished_before alone take the same window first, then their index range (jobs_started,
// jobs_finished) read and sorted.
import type { JobFilter, PageQuery } from "../../core/index.ts";
import type { Db, Dialect } from "./db.ts";
import { bool } from "./db.ts";
import { prefixUpperBound } from "./list-query.ts";

/** Values of a prefix's range looked at, at most (one index seek each). */
const RANGE_VALUES = 256;
/** Matching values read one by one, at most. */
const SPLIT_VALUES = 32;
/** Newest jobs checked against a prefix with more values than that. */
export const WINDOW_JOBS = 4000;

/** Internal job filter: a JobFilter plus what a plan pinned. */
export interface PickFilter extends JobFilter {
  /** This column equals this value (replaces the column's pattern). */
  exact?: { column: PrefixColumn; value: string };
  /** Only jobs with seq > (`before`, or the newest seq + 1) - `size`. */
  window?: { size: number; before?: number };
  /** SQLite: the time filters marked unlikely() so their index range drives (its planner would walk seq order). */
  timeRange?: boolean;
  /** The first stored tag's jobs, all of them (read before: a rare tag in an order other than seq). */
  tagSeqs?: number[];
  /** The first tag is probed per job (EXISTS) like the others, not read as a set. */
  probeTags?: boolean;
  /** Only jobs after this (created_at, seq) in this direction: a created_at cursor applied to a walk in seq order. */
  after?: { v: number; i: number; dir: "asc" | "desc" };
}

type PrefixColumn = "name" | "user_name";

/** The values of a prefix pattern to read one by one. */
export interface PrefixSplit {
  column: PrefixColumn;
  values: string[];
}

export interface Prefix {
  column: PrefixColumn;
  pattern: string;
  from: string;
  to: string;
}

/**
 * The name or user prefix pattern of a list in seq order whose only filter it is, if any (with other filters, one
 * value's newest page can mean reading far more than a page of its index: those keep the plain plan).
 */
export function prefixOf(f: JobFilter, page: PageQuery): Prefix | undefined {
  if (page.order_by !== "seq" || f.ignore_case) return undefined;
  const set = filtersSet(f);
  if (set.length !== 1 || (set[0] !== "name" && set[0] !== "username")) return undefined;
  const [column, pattern] = f.name !== undefined ? (["name", f.name] as const) : (["user_name", f.username as string] as const);
  const wildcard = pattern.search(/[%_]/);
  if (wildcard <= 0) return undefined;
  const from = pattern.slice(0, wildcard);
  const to = prefixUpperBound(from);
  return to === undefined ? undefined : { column, pattern, from, to };
}

/** The filters a JobFilter sets (ignore_case aside; an empty list is none). */
export function filtersSet(f: JobFilter): (keyof JobFilter)[] {
  return (Object.keys(f) as (keyof JobFilter)[]).filter((k) => {
    const v = f[k];
    return k !== "ignore_case" && v !== undefined && !(Array.isArray(v) && v.length === 0);
  });
}

/** started_after / finished_before alone, in seq order: the newest jobs first, else their index range. */
export function timeOnly(f: JobFilter, page: PageQuery): boolean {
  const set = filtersSet(f);
  return page.order_by === "seq" && set.length > 0 && set.every((k) => k === "started_after" || k === "finished_before");
}

/**
 * The values in the prefix's range that match the pattern, in index order, by skipping from one value to the next
 * (each step one index seek); undefined when the range holds more than RANGE_VALUES values or more than
 * SPLIT_VALUES of them match.
 */
export async function prefixValues(db: Db, p: Prefix): Promise<string[] | undefined> {
  const q = prefixValuesQuery(db.dialect, p);
  const rows = await db.query("listJobs", q.sql, q.params);
  if (rows.length > RANGE_VALUES) return undefined;
  const values = rows.filter((r) => bool(r.matches)).map((r) => String(r.value));
  return values.length > SPLIT_VALUES ? undefined : values;
}

/** The SQL of prefixValues (exported for the query-plan tests): up to RANGE_VALUES + 1 values and whether each matches. */
export function prefixValuesQuery(d: Dialect, p: Prefix): { sql: string; params: unknown[] } {
  const c = p.column;
  return {
    sql: `WITH RECURSIVE v (value, n) AS (
       SELECT (SELECT min(${c}) FROM jobs WHERE ${c} >= $1 AND ${c} < $2), 1
       UNION ALL
       SELECT (SELECT min(${c}) FROM jobs WHERE ${c} > v.value AND ${c} < $2), v.n + 1 FROM v
       WHERE v.value IS NOT NULL AND v.n <= $3)
     SELECT value, ${d.pattern("value", "$4")} AS matches FROM v WHERE value IS NOT NULL`,
    params: [p.from, p.to, RANGE_VALUES, d.patternValue(p.pattern)],
  };
}
