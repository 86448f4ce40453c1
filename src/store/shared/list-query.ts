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
  columns: string;
  /** [column, pattern] pairs; undefined patterns are skipped. */
  patterns: [string, string | undefined][];
  statuses?: readonly string[] | undefined;
  /** Extra conditions built by the caller (e.g. job tags). */
  extra?: (p: SqlParams) => string[];
  page: PageQuery;
}

const KEY_COLUMN = { id: "id", created_at: "created_at", updated_at: "updated_at", seq: "seq" } as const;

/** A pattern without wildcards is an exact match (uses the indexes); otherwise the engine's pattern operator. */
export function patternCondition(d: Dialect, p: SqlParams, col: string, pattern: string): string {
  if (!/[%_]/.test(pattern)) return `${col} = ${p.add(pattern)}`;
  return d.pattern(col, p.add(d.patternValue(pattern)));
}

export function buildListQuery(d: Dialect, spec: ListSpec): { sql: string; params: unknown[] } {
  const p = new SqlParams();
  const where: string[] = [];
  for (const [col, pattern] of spec.patterns) {
    if (pattern !== undefined) where.push(patternCondition(d, p, col, pattern));
  }
  if (spec.statuses && spec.statuses.length > 0) {
    where.push(`status IN (${spec.statuses.map((s) => p.add(s)).join(", ")})`);
  }
  if (spec.extra) where.push(...spec.extra(p));
  const { order_by, direction, cursor, limit } = spec.page;
  const key = KEY_COLUMN[order_by] ?? "seq";
  const dir = direction === "asc" ? "ASC" : "DESC";
  const cmp = direction === "asc" ? ">" : "<";
  if (cursor) {
    if (key === "seq") {
      where.push(`seq ${cmp} ${p.add(cursor.i)}`);
    } else {
      const v = key === "id" ? String(cursor.v) : num(cursor.v);
      const pv = p.add(v);
      where.push(`(${key} ${cmp} ${pv} OR (${key} = ${pv} AND seq ${cmp} ${p.add(cursor.i)}))`);
    }
  }
  const order = key === "seq" ? `seq ${dir}` : `${key} ${dir}, seq ${dir}`;
  const sql =
    `SELECT ${spec.columns} FROM ${spec.table}` +
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
export async function listPage<T>(
  db: Db,
  op: string,
  spec: ListSpec,
  toItems: (rows: Row[]) => Promise<T[]>,
): Promise<Page<T>> {
  const q = buildListQuery(db.dialect, spec);
  const pr = pageRows(await db.query(op, q.sql, q.params), spec.page);
  const data = await toItems(pr.rows);
  return pr.next_cursor ? { data, next_cursor: pr.next_cursor } : { data };
}
