// GET /api/v1/jobs on both engines (spec 3.5, issue 11 item 2): filters that an index reads, at any selectivity.
//
// - tags: a system tag (`_id:`, `_name:`, `_version:`) is its column's value (job-system-tags.ts): jobs_id_key,
//   jobs_name, jobs_version. The other tags are job_tags rows. In insertion order (`order_by` seq, the API default)
//   the query is driven by the job_tags (tag, job_seq) index of the first tag, walked in job_seq order, so a common
//   tag stops after a page and an absent or rare tag reads only its few rows; further tags are probed on the
//   job_tags primary key. In other orders a rare first tag's jobs are read first and given by seq; a common one is a
//   `seq IN (SELECT job_seq FROM job_tags WHERE tag = …)` semi-join the planner can start from.
// - name/user: exact values are index ranges (list-query.ts patternCondition). A literal prefix (`abc%`) in insertion
//   order: the index holds each value's jobs in seq order, but a range of values is not in seq order, so reading the
//   range means reading and sorting all of it. Instead (job-list-prefix.ts): a few values in the range (found by
//   skipping from value to value on the index) → one index read per value, each stopping after a page, merged; many
//   values → the newest jobs in seq order checked against the pattern, enough when the prefix is common; otherwise
//   the range read.
// - status: jobs_status (status, seq) and jobs_status_created (status, created_at, seq).
// - started_after / finished_before: jobs_started, jobs_finished.
import type { Job, JobFilter, Page, PageQuery } from "../../core/index.ts";
import { isReservedTag } from "../../core/index.ts";
import type { Db, Dialect, Row } from "./db.ts";
import { num, numOrNull } from "./db.ts";
import type { ListSpec, SqlParams } from "./list-query.ts";
import { buildListQuery, pageRows } from "./list-query.ts";
import { jobsFromRows } from "./jobs.ts";
import type { SystemTagColumn } from "./job-system-tags.ts";
import { namesJobId, splitTagFilter } from "./job-system-tags.ts";
import { JOB_COLUMNS } from "./rows.ts";
import type { PickFilter, PrefixSplit } from "./job-list-prefix.ts";
import { WINDOW_JOBS, prefixOf, prefixValues, timeOnly } from "./job-list-prefix.ts";

/** The driving alias of the first tag's job_tags rows. */
const DRIVER = "t0";

/** The stored tags of a filter drive its query: in seq order, unless it names a job id (then jobs_id_key does). */
function tagDriven(columns: [SystemTagColumn, string][], page: PageQuery): boolean {
  return page.order_by === "seq" && !namesJobId(columns);
}

function jobListSpec(d: Dialect, f: PickFilter, page: PageQuery): ListSpec {
  const { stored: tags, columns } = splitTagFilter(f.tags);
  const driven = tags.length > 0 && f.tagSeqs === undefined && tagDriven(columns, page);
  const extra = (p: SqlParams): string[] => {
    const out: string[] = [];
    const fence = d.name === "postgres" ? " OFFSET 0" : "";
    tags.forEach((t, i) => {
      if (i === 0 && f.tagSeqs) out.push(d.inArray("jobs.seq", p.add(d.arrayValue(f.tagSeqs)), "bigint"));
      else if (i === 0 && driven) out.push(`${DRIVER}.tag = ${p.add(t)}`);
      else if (i === 0 && !f.probeTags) out.push(`seq IN (SELECT job_seq FROM job_tags WHERE tag = ${p.add(t)})`);
      // PostgreSQL: OFFSET 0 keeps the EXISTS a probe per candidate job (the driver is the rarest tag, or a bounded
      // range); its planner would otherwise make it a join that reads every job of the probed tag.
      else out.push(`EXISTS (SELECT 1 FROM job_tags t WHERE t.job_seq = jobs.seq AND t.tag = ${p.add(t)}${fence})`);
    });
    for (const [column, value] of columns) out.push(`jobs.${column} = ${p.add(value)}`);
    const hint = (cond: string) => (f.timeRange && d.name === "sqlite" ? `unlikely(${cond})` : cond);
    if (f.started_after !== undefined) out.push(hint(`started_at >= ${p.add(f.started_after)}`));
    if (f.finished_before !== undefined) out.push(hint(`finished_at < ${p.add(f.finished_before)}`));
    if (f.exact) out.push(`${f.exact.column} = ${p.add(f.exact.value)}`);
    if (f.after) {
      const cmp = f.after.dir === "asc" ? ">" : "<";
      const v = p.add(f.after.v);
      out.push(`(jobs.created_at ${cmp} ${v} OR (jobs.created_at = ${v} AND jobs.seq ${cmp} ${p.add(f.after.i)}))`);
    }
    // The newest jobs in seq order: `+col` (SQLite) and `(col || '')` (PostgreSQL, which would otherwise AND a
    // bitmap of the whole prefix range) keep the patterns off their indexes, so the seq range drives.
    if (f.window !== undefined) {
      const { before, size } = f.window;
      out.push(before === undefined ? `seq > (SELECT max(seq) FROM jobs) - ${p.add(size)}` : `seq > ${p.add(before - size)}`);
    }
    return out;
  };
  return {
    table: "jobs",
    // SQLite keeps the join order of CROSS JOIN: the tag index drives; PostgreSQL plans it as an inner join.
    ...(driven
      ? {
          from: `job_tags ${DRIVER} ${d.name === "sqlite" ? "CROSS " : ""}JOIN jobs ON jobs.seq = ${DRIVER}.job_seq`,
          seqColumn: `${DRIVER}.job_seq`,
        }
      : {}),
    columns: JOB_COLUMNS,
    patterns: (
      [
        ["user_name", f.exact?.column === "user_name" ? undefined : f.username],
        ["id", f.id],
        ["name", f.exact?.column === "name" ? undefined : f.name],
        ["version", f.version],
        ["command_name", f.command],
        ["cluster_name", f.cluster],
      ] as [string, string | undefined][]
    ).map(([col, pattern]) => [f.window === undefined ? col : d.name === "sqlite" ? `+${col}` : `(${col} || '')`, pattern]),
    statuses: f.status,
    ignoreCase: f.ignore_case,
    extra,
    page,
  };
}

/**
 * The SQL of a job list page (exported for the query-plan tests). Deferred join: the filters, order and limit pick
 * the page's seqs first — from an index alone when it holds every column they read (a name prefix reads only
 * jobs_name) — and only those rows are then read from the table. Several statuses (and the values of a prefix,
 * `split`) are a UNION ALL of one pick per status (and value), each reading its own index in the requested order and
 * stopping after a page, cut to the page (no index delivers `status IN (a, b)` in seq or created_at order).
 */
export function jobListQuery(d: Dialect, f: PickFilter, page: PageQuery, split?: PrefixSplit): { sql: string; params: unknown[] } {
  const dir = page.direction === "asc" ? "ASC" : "DESC";
  const order = page.order_by === "seq" ? `seq ${dir}` : `${page.order_by} ${dir}, seq ${dir}`;
  const pickColumns = (spec: ListSpec) => {
    const seq = `${spec.seqColumn ?? "seq"} AS seq`;
    return page.order_by === "seq" ? seq : `${seq}, ${page.order_by}`;
  };
  const pick = (filter: PickFilter) => {
    const spec = jobListSpec(d, filter, page);
    return buildListQuery(d, { ...spec, columns: pickColumns(spec) });
  };
  const statuses = [...new Set(f.status ?? [])];
  let branches: PickFilter[] = statuses.length > 1 ? statuses.map((s) => ({ ...f, status: [s] })) : [f];
  if (split) branches = branches.flatMap((b) => split.values.map((value) => ({ ...b, exact: { column: split.column, value } })));
  let seqs: string;
  const params: unknown[] = [];
  if (branches.length === 1) {
    const q = pick(branches[0] as PickFilter);
    params.push(...q.params);
    seqs = `SELECT seq FROM (${q.sql}) AS p`;
  } else {
    const parts = branches.map((b, i) => {
      const q = pick(b);
      const offset = params.length;
      params.push(...q.params);
      return `SELECT * FROM (${shiftParams(q.sql, offset)}) AS b${i}`;
    });
    params.push(page.limit + 1);
    seqs = `SELECT seq FROM (${parts.join(" UNION ALL ")}) AS u ORDER BY ${order} LIMIT $${params.length}`;
  }
  return { sql: `SELECT ${JOB_COLUMNS} FROM jobs WHERE seq IN (${seqs}) ORDER BY ${order}`, params };
}

/** Renumbers `$n` parameters by `offset` (for statements joined into one). */
function shiftParams(sql: string, offset: number): string {
  return sql.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`);
}

/**
 * Tags in created_at order (the UI's default): exact, without an index on (tag, created_at). A job's created_at is
 * the clock at its insert and its seq the insert order, so the two orders nearly agree. `cand`: the tag's first page
 * in seq order (its index, as in insertion order), with the filters and the cursor; when it is full, the jobs that
 * can still rank before its last one are those created after its oldest created_at with a lower seq than all of
 * it (the clock moved back, or inserts committed out of order): found on jobs_created (created_at, seq) from
 * that time on, the seq checked in the index and the tags probed only for such jobs — a few index entries per job
 * inserted since then. The page is the best `limit + 1` of both.
 */
export function tagTimeQuery(d: Dialect, f: PickFilter, page: PageQuery): { sql: string; params: unknown[] } {
  const desc = page.direction !== "asc";
  const dir = desc ? "DESC" : "ASC";
  const edge = desc ? "min" : "max";
  const walkPage: PageQuery = { limit: page.limit, order_by: "seq", direction: page.direction };
  const after = page.cursor ? { v: num(page.cursor.v), i: num(page.cursor.i), dir: page.direction } : undefined;
  const walkSpec = jobListSpec(d, { ...f, ...(after ? { after } : {}) }, walkPage);
  const walk = buildListQuery(d, { ...walkSpec, columns: `${DRIVER}.job_seq AS seq, jobs.created_at AS created_at` });
  const late = buildListQuery(d, {
    ...jobListSpec(d, { ...f, probeTags: true }, page),
    columns: "jobs.seq AS seq, jobs.created_at AS created_at",
  });
  const params = [...walk.params, ...late.params];
  const n = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  // The bounds as scalar subqueries (one evaluation each): PostgreSQL then reads both as index conditions of
  // jobs_created, the seq one checked on the index entry before the row is fetched.
  const lateSql = shiftParams(late.sql, walk.params.length).replace(
    / WHERE /,
    () =>
      ` WHERE (SELECT n FROM bound) = ${n(page.limit + 1)} AND jobs.created_at ${desc ? ">" : "<"} (SELECT c FROM bound)` +
      ` AND jobs.seq ${desc ? "<" : ">"} (SELECT s FROM bound) AND `,
  );
  const order = `created_at ${dir}, seq ${dir}`;
  const sql =
    `WITH cand AS (${walk.sql}), bound AS (SELECT ${edge}(created_at) AS c, ${edge}(seq) AS s, count(*) AS n FROM cand) ` +
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE seq IN (SELECT seq FROM (SELECT seq, created_at FROM cand UNION ALL ` +
    `SELECT * FROM (${lateSql}) AS l) AS u ORDER BY ${order} LIMIT ${n(page.limit + 1)}) ORDER BY ${order}`;
  return { sql, params };
}

/** Rows of a tag, counted up to this many: enough to tell a rare tag from a common one. */
const TAG_COUNT_CAP = 1000;

/** A tag with at least this many jobs is listed in created_at order by tagTimeQuery; fewer are read and sorted. */
const TAG_TIME_MIN = 3000;

/** Jobs of a tag (their seqs), read on the tag index up to `cap`. */
async function tagSeqs(db: Db, tag: string, cap: number): Promise<number[]> {
  const rows = await db.query("listJobs", `SELECT job_seq FROM job_tags WHERE tag = $1 LIMIT ${cap}`, [tag]);
  return rows.map((r) => num(r.job_seq));
}

/** Jobs of a tag, counted on the tag index up to `cap`. */
async function tagCount(db: Db, tag: string, cap: number): Promise<number> {
  const rows = await db.query("listJobs", `SELECT count(*) AS n FROM (SELECT 1 AS one FROM job_tags WHERE tag = $1 LIMIT ${cap}) AS c`, [
    tag,
  ]);
  return num(rows[0]?.n ?? 0);
}

/** Several tags: the rarest (counted on the tag index, capped) drives the query, the others are probed. */
async function rarestFirst(db: Db, tags: string[]): Promise<string[]> {
  const counted = await Promise.all(tags.map(async (tag) => ({ tag, n: await tagCount(db, tag, TAG_COUNT_CAP) })));
  return counted.sort((a, b) => a.n - b.n).map((c) => c.tag);
}

export async function listJobs(db: Db, f: JobFilter, page: PageQuery): Promise<Page<Job>> {
  // Several stored tags: the rarest drives (system tags are column conditions whatever their place).
  const { stored } = splitTagFilter(f.tags);
  const filter = stored.length > 1 ? { ...f, tags: [...(await rarestFirst(db, stored)), ...(f.tags ?? []).filter(isReservedTag)] } : f;
  const rows = await pickRows(db, filter, page);
  const pr = pageRows(rows, page);
  const data = await jobsFromRows(db, "listJobs", pr.rows);
  return pr.next_cursor ? { data, next_cursor: pr.next_cursor } : { data };
}

/** The page's rows (limit + 1 at most), by the cheapest exact plan: see job-list-prefix.ts for name/user prefixes. */
async function pickRows(db: Db, f: JobFilter, page: PageQuery): Promise<Row[]> {
  const run = async (filter: PickFilter, split?: PrefixSplit) => {
    const q = jobListQuery(db.dialect, filter, page, split);
    return db.query("listJobs", q.sql, q.params);
  };
  const { stored, columns } = splitTagFilter(f.tags);
  const tag = stored[0];
  if (tag !== undefined && page.order_by !== "seq" && !namesJobId(columns)) {
    // In another order than seq the planner decides between walking that order's index (probing the tag per job)
    // and reading the tag's jobs then sorting by its estimate of the tag's share, which depends on the other tags:
    // an absent tag estimated at 1 % walked all 1,000,000 jobs on PostgreSQL (733 ms). Counted here instead: a
    // rare tag's jobs are read first and given by seq; a common one in created_at order takes tagTimeQuery (a common
    // tag is only counted: sending 3,000 seqs to the client cost more than the page).
    const n = await tagCount(db, tag, TAG_TIME_MIN);
    if (n === 0) return [];
    const seqs = n < TAG_TIME_MIN ? await tagSeqs(db, tag, TAG_TIME_MIN) : [];
    if (seqs.length > 0 && seqs.length < TAG_TIME_MIN) return run({ ...f, tagSeqs: seqs }); // all of them, still rare
    if (page.order_by === "created_at") {
      const q = tagTimeQuery(db.dialect, f, page);
      return db.query("listJobs", q.sql, q.params);
    }
  }
  // The newest jobs first; a full page from them is exact (every other job has a lower seq).
  // The bound as a value, not a subquery: PostgreSQL's planner then knows the range is short.
  const newest = async () => {
    if (page.direction === "asc") return undefined; // the window holds the newest jobs: a descending page only
    const newestSeq = async () => numOrNull((await db.query("listJobs", "SELECT max(seq) AS m FROM jobs"))[0]?.m) ?? 0;
    const top = page.cursor ? num(page.cursor.i) : (await newestSeq()) + 1;
    const rows = await run({ ...f, window: { size: WINDOW_JOBS, before: top } });
    return rows.length > page.limit ? rows : undefined;
  };
  if (timeOnly(f, page)) return (await newest()) ?? run({ ...f, timeRange: true });
  const prefix = prefixOf(f, page);
  if (prefix === undefined) return run(f);
  const values = await prefixValues(db, prefix);
  if (values !== undefined) return values.length === 0 ? [] : run(f, { column: prefix.column, values });
  return (await newest()) ?? run(f);
}
