// GET /api/v1/jobs on both engines (spec 3.5, issue 11 item 2): filters that an index reads, at any selectivity.
//
// - tags: in insertion order (`order_by` seq, the API default) the query is driven by the job_tags (tag, job_seq)
//   index of the first tag, walked in job_seq order, so a common tag stops after a page and an absent or rare tag
//   reads only its few rows; further tags are probed on the job_tags primary key. In other orders the tag is a
//   `seq IN (SELECT job_seq FROM job_tags WHERE tag = …)` semi-join the planner can start from.
// - name/user: exact values and literal prefixes (`abc%`) are index ranges (list-query.ts patternCondition).
// - status: jobs_status (status, seq) and jobs_status_created (status, created_at, seq).
// - started_after / finished_before: jobs_started, jobs_finished.
import type { Job, JobFilter, Page, PageQuery } from "../../core/index.ts";
import type { Db, Dialect } from "./db.ts";
import type { ListSpec, SqlParams } from "./list-query.ts";
import { buildListQuery, pageRows } from "./list-query.ts";
import { jobsFromRows } from "./jobs.ts";
import { JOB_COLUMNS } from "./rows.ts";

/** The driving alias of the first tag's job_tags rows. */
const DRIVER = "t0";

function jobListSpec(d: Dialect, f: JobFilter, page: PageQuery): ListSpec {
  const tags = [...new Set(f.tags ?? [])];
  const driven = page.order_by === "seq" && tags.length > 0;
  const extra = (p: SqlParams): string[] => {
    const out: string[] = [];
    tags.forEach((t, i) => {
      if (i === 0 && driven) out.push(`${DRIVER}.tag = ${p.add(t)}`);
      else if (i === 0) out.push(`seq IN (SELECT job_seq FROM job_tags WHERE tag = ${p.add(t)})`);
      else out.push(`EXISTS (SELECT 1 FROM job_tags t WHERE t.job_seq = jobs.seq AND t.tag = ${p.add(t)})`);
    });
    if (f.started_after !== undefined) out.push(`started_at >= ${p.add(f.started_after)}`);
    if (f.finished_before !== undefined) out.push(`finished_at < ${p.add(f.finished_before)}`);
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
    patterns: [
      ["user_name", f.username],
      ["id", f.id],
      ["name", f.name],
      ["version", f.version],
      ["command_name", f.command],
      ["cluster_name", f.cluster],
    ],
    statuses: f.status,
    ignoreCase: f.ignore_case,
    extra,
    page,
  };
}

/**
 * The SQL of a job list page (exported for the query-plan tests). Deferred join: the filters, order and limit pick
 * the page's seqs first — from an index alone when it holds every column they read (a name prefix reads only
 * jobs_name) — and only those rows are then read from the table. Several statuses are a UNION ALL of one pick per
 * status, each reading its own index in the requested order and stopping after a page, cut to the page (no index
 * delivers `status IN (a, b)` in seq or created_at order).
 */
export function jobListQuery(d: Dialect, f: JobFilter, page: PageQuery): { sql: string; params: unknown[] } {
  const dir = page.direction === "asc" ? "ASC" : "DESC";
  const order = page.order_by === "seq" ? `seq ${dir}` : `${page.order_by} ${dir}, seq ${dir}`;
  const pickColumns = (spec: ListSpec) => {
    const seq = `${spec.seqColumn ?? "seq"} AS seq`;
    return page.order_by === "seq" ? seq : `${seq}, ${page.order_by}`;
  };
  const pick = (filter: JobFilter) => {
    const spec = jobListSpec(d, filter, page);
    return buildListQuery(d, { ...spec, columns: pickColumns(spec) });
  };
  const statuses = [...new Set(f.status ?? [])];
  let seqs: string;
  const params: unknown[] = [];
  if (statuses.length <= 1) {
    const q = pick(f);
    params.push(...q.params);
    seqs = `SELECT seq FROM (${q.sql}) AS p`;
  } else {
    const branches = statuses.map((s, i) => {
      const q = pick({ ...f, status: [s] });
      const offset = params.length;
      params.push(...q.params);
      return `SELECT * FROM (${q.sql.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`)}) AS b${i}`;
    });
    params.push(page.limit + 1);
    seqs = `SELECT seq FROM (${branches.join(" UNION ALL ")}) AS u ORDER BY ${order} LIMIT $${params.length}`;
  }
  return { sql: `SELECT ${JOB_COLUMNS} FROM jobs WHERE seq IN (${seqs}) ORDER BY ${order}`, params };
}

/** Rows of a tag, counted up to this many: enough to tell a rare tag from a common one. */
const TAG_COUNT_CAP = 1000;

/** Several tags: the rarest (counted on the tag index, capped) drives the query, the others are probed. */
async function rarestFirst(db: Db, tags: string[]): Promise<string[]> {
  const counted = await Promise.all(
    tags.map(async (tag) => {
      const rows = await db.query(
        "listJobs",
        `SELECT count(*) AS n FROM (SELECT 1 AS one FROM job_tags WHERE tag = $1 LIMIT ${TAG_COUNT_CAP}) AS c`,
        [tag],
      );
      return { tag, n: Number(rows[0]?.n ?? 0) };
    }),
  );
  return counted.sort((a, b) => a.n - b.n).map((c) => c.tag);
}

export async function listJobs(db: Db, f: JobFilter, page: PageQuery): Promise<Page<Job>> {
  const tags = [...new Set(f.tags ?? [])];
  const filter = tags.length > 1 ? { ...f, tags: await rarestFirst(db, tags) } : f;
  const q = jobListQuery(db.dialect, filter, page);
  const pr = pageRows(await db.query("listJobs", q.sql, q.params), page);
  const data = await jobsFromRows(db, "listJobs", pr.rows);
  return pr.next_cursor ? { data, next_cursor: pr.next_cursor } : { data };
}
