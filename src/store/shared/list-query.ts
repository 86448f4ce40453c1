// Filtered, keyset-paginated list queries (spec 3.5) shared by jobs, commands and clusters.
// Order: (<key> <dir>, seq <dir>); rows strictly after the cursor; fetch limit + 1 to detect another page.
import type { Cursor, Page, PageQuery } from "../../core/index.ts";
import type { Db, Dialect, Row } from "./db.ts";
import { num } from "./db.ts";

export class SqlParams {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

export interface ListSpec {
  table: string;
  /** FROM clause when it is not just `table` (a join that drives the query from another index). */
  from?: string;
  /** The column holding seq for ORDER BY and the cursor (default `seq`; a driving join's own copy of it). */
  seqColumn?: string;
  columns: string;
  /** [column, pattern] pairs; undefined patterns are skipped. */
  patterns: [string, string | undefined][];
  statuses?: readonly string[] | undefined;
  /** The patterns match ignoring case (no index: the pattern operator on every candidate row). */
  ignoreCase?: boolean | undefined;
  /** Extra conditions built by the caller (e.g. job tags). */
  extra?: (p: SqlParams) => string[];
  page: PageQuery;
}

const KEY_COLUMN = { id: "id", created_at: "created_at", updated_at: "updated_at", seq: "seq" } as const;

/**
 * A pattern without wildcards is an exact match; a pattern with a literal prefix (`abc%`, `ab_d`) is also the
 * range `col >= 'abc' AND col < 'abd'` that an index on the column can read (SQLite's GLOB and PostgreSQL's
 * `LIKE … ESCAPE ''` alone do not use one), followed by the exact pattern check; otherwise the pattern operator.
 */
export function patternCondition(d: Dialect, p: SqlParams, col: string, pattern: string, ignoreCase = false): string {
  if (ignoreCase) return d.patternIgnoreCase(col, p.add(d.patternValue(pattern)));
  const wildcard = pattern.search(/[%_]/);
  if (wildcard < 0) return `${col} = ${p.add(pattern)}`;
  const check = d.pattern(col, p.add(d.patternValue(pattern)));
  const prefix = pattern.slice(0, wildcard);
  if (prefix === "") return check;
  const upper = prefixUpperBound(prefix);
  const range = upper === undefined ? `${col} >= ${p.add(prefix)}` : `${col} >= ${p.add(prefix)} AND ${col} < ${p.add(upper)}`;
  return `${range} AND ${check}`;
}

/**
 * The least string greater than every string that starts with `prefix`, in code point order (both engines compare
 * binary: SQLite BINARY on UTF-8, PostgreSQL COLLATE "C"): the last code point incremented (skipping the surrogate
 * range), dropping trailing U+10FFFF. undefined when there is none (only U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = [...prefix].map((c) => c.codePointAt(0) as number);
  while (cps.length > 0) {
    const last = cps.pop() as number;
    if (last < 0x10ffff) {
      cps.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...cps);
    }
  }
  return undefined;
}

export function buildListQuery(d: Dialect, spec: ListSpec): { sql: string; params: unknown[] } {
  const p = new SqlParams();
  const where: string[] = [];
  for (const [col, pattern] of spec.patterns) {
    if (pattern !== undefined) where.push(patternCondition(d, p, col, pattern, spec.ignoreCase));
  }
  if (spec.statuses && spec.statuses.length > 0) {
    where.push(`status IN (${spec.statuses.map((s) => p.add(s)).join(", ")})`);
  }
  if (spec.extra) where.push(...spec.extra(p));
  const { order_by, direction, cursor, limit } = spec.page;
  const seqCol = spec.seqColumn ?? "seq";
  const key = order_by === "seq" ? seqCol : (KEY_COLUMN[order_by] ?? seqCol);
  const dir = direction === "asc" ? "ASC" : "DESC";
  const cmp = direction === "asc" ? ">" : "<";
  if (cursor) {
    if (key === seqCol) {
      where.push(`${seqCol} ${cmp} ${p.add(cursor.i)}`);
    } else {
      const v = key === "id" ? String(cursor.v) : num(cursor.v);
      const pv = p.add(v);
      where.push(`(${key} ${cmp} ${pv} OR (${key} = ${pv} AND ${seqCol} ${cmp} ${p.add(cursor.i)}))`);
    }
  }
  const order = key === seqCol ? `${seqCol} ${dir}` : `${key} ${dir}, ${seqCol} ${dir}`;
  const sql =
    `SELECT ${spec.columns} FROM ${spec.from ?? spec.table}` +
    (where.length ? ` WHERE ${where.join(" AND ")}` : "") +
    ` ORDER BY ${order} LIMIT ${p.add(limit + 1)}`;
  return { sql, params: p.values };
}

/** Cuts the limit + 1 rows to a page and builds next_cursor from row number `limit`. */
export function pageRows(rows: Row[], page: PageQuery): { rows: Row[]; next_cursor?: Cursor } {
  if (rows.length <= page.limit) return { rows };
  const kept = rows.slice(0, page.limit);
  const last = kept[kept.length - 1] as Row;
  const key = KEY_COLUMN[page.order_by] ?? "seq";
  const v = key === "id" ? String(last.id) : num(last[key]);
  return { rows: kept, next_cursor: { v, i: num(last.seq) } };
}

/** Runs a list query and maps its page of rows (`toItems` gets at most `limit` rows) to a Page. */
export async function listPage<T>(db: Db, op: string, spec: ListSpec, toItems: (rows: Row[]) => Promise<T[]>): Promise<Page<T>> {
  const q = buildListQuery(db.dialect, spec);
  const pr = pageRows(await db.query(op, q.sql, q.params), spec.page);
  const data = await toItems(pr.rows);
  return pr.next_cursor ? { data, next_cursor: pr.next_cursor } : { data };
}
